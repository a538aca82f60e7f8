//! Shared by the fuzz targets: one self-signed identity, an in-memory handshake, and the split
//! of a fuzz input into datagrams.

#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use openssl_dtls_core::{
    self_signed, Accept, ClientConfig, Identity, KeyType, Server, ServerConfig, Session, Status,
    Verification,
};

pub const HOST: &str = "localhost";

pub fn identity() -> &'static Identity {
    static ID: OnceLock<Identity> = OnceLock::new();
    ID.get_or_init(|| {
        self_signed(
            &[HOST.to_string()],
            KeyType::EcdsaP256,
            Duration::from_secs(24 * 3600),
        )
        .expect("identity")
    })
}

pub fn client_config() -> ClientConfig {
    ClientConfig {
        verification: Verification::TrustedPem(identity().certificate_pem.clone()),
        hostname: Some(HOST.to_string()),
        ..ClientConfig::default()
    }
}

pub fn server_config() -> ServerConfig {
    ServerConfig::new(
        identity().certificate_pem.clone(),
        identity().private_key_pem.clone(),
    )
}

/// The multiplayer targets' server and client: the identity above with the multiplayer peer's
/// session settings.
pub fn multiplayer_configs() -> (ServerConfig, ClientConfig) {
    let settings = openssl_dtls_core::multiplayer::multiplayer_settings();
    let server = ServerConfig {
        settings: settings.clone(),
        ..server_config()
    };
    let client = ClientConfig {
        settings,
        ..client_config()
    };
    (server, client)
}

pub const PEER: &[u8] = b"192.0.2.1:40000";

/// Splits a fuzz input into datagrams: each is a 2-byte big-endian length (cut to what is left)
/// followed by that many bytes.
pub fn datagrams(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]])).min(data.len() - 2);
        out.push(&data[2..2 + len]);
        data = &data[2 + len..];
    }
    if !data.is_empty() {
        out.push(data);
    }
    out
}

/// Everything a session has queued to send.
pub fn outgoing(session: &mut Session) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    session.drain_transmit(|d| out.push(d.to_vec()));
    out
}

/// A client and the server session it reached through the cookie exchange, both in the
/// handshake: the server's first flight has not been delivered. Also the datagrams so far.
pub fn handshaking_pair(server: &mut Server) -> (Session, Session, Vec<Vec<u8>>) {
    let now = Instant::now();
    let mut client = Session::client(&client_config(), now).expect("client");
    let mut server_session = None;
    let mut to_client: Vec<Vec<u8>> = Vec::new();
    for _ in 0..4 {
        for d in outgoing(&mut client) {
            match server.accept(now, PEER, &d) {
                Accept::HelloVerify(reply) => to_client.push(reply),
                Accept::Session(s) => server_session = Some(*s),
                Accept::Ignored => {}
            }
        }
        if server_session.is_some() {
            break;
        }
        for d in to_client.drain(..) {
            client.handle_datagram(now, &d);
        }
    }
    let server_session = server_session.expect("server session after the cookie exchange");
    (client, server_session, to_client)
}

/// Runs a clean handshake to the end; returns the connected client and server sessions.
pub fn connected_pair(server: &mut Server) -> (Session, Session) {
    let now = Instant::now();
    let (mut client, mut server_session, _) = handshaking_pair(server);
    for _ in 0..10 {
        for d in outgoing(&mut server_session) {
            client.handle_datagram(now, &d);
        }
        for d in outgoing(&mut client) {
            server_session.handle_datagram(now, &d);
        }
        if client.status() == Status::Connected && server_session.status() == Status::Connected {
            return (client, server_session);
        }
    }
    panic!("clean handshake did not finish");
}

/// Feeds datagrams to a session and drains everything it produces; checks the status is sane.
pub fn feed(session: &mut Session, inputs: &[&[u8]]) {
    let now = Instant::now();
    for d in inputs {
        session.handle_datagram(now, d);
        let _ = outgoing(session);
        while session.recv().is_some() {}
        check(session);
    }
    session.handle_timeout(now);
    check(session);
}

/// A session is active, or ended with a status and (for errors) a reason.
pub fn check(session: &Session) {
    match session.status() {
        Status::Handshaking | Status::Connected | Status::Disconnected => {}
        Status::Error | Status::ErrorHostnameMismatch => {
            assert!(session.failure().is_some(), "error without a reason")
        }
    }
}

/// The connected-session targets: a connected pair (through one server kept across inputs), the
/// fuzz input fed as datagrams to the server's session (`server_side`) or the client. Garbage to
/// it (no one else has its keys): it must still be connected afterwards, and still send what the
/// peer opens.
pub fn garbage_into_connected(data: &[u8], server_side: bool) {
    static SERVER: std::sync::Mutex<Option<Server>> = std::sync::Mutex::new(None);
    let mut guard = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let server =
        guard.get_or_insert_with(|| Server::new(&server_config(), Instant::now()).expect("server"));
    let (client, server_session) = connected_pair(server);
    let (mut session, mut peer) = if server_side {
        (server_session, client)
    } else {
        (client, server_session)
    };
    feed(&mut session, &datagrams(data));
    assert_eq!(
        session.status(),
        Status::Connected,
        "garbage ended a connected session: {:?}",
        session.failure()
    );
    session
        .send(b"still alive")
        .expect("send on a connected session");
    // And the peer opens it: the garbage left the keys and sequence numbers as they were.
    let now = Instant::now();
    for d in outgoing(&mut session) {
        peer.handle_datagram(now, &d);
    }
    assert_eq!(
        peer.recv().as_deref(),
        Some(&b"still alive"[..]),
        "the peer did not get the packet sent after the garbage"
    );
    feed(&mut peer, &[]);
}
