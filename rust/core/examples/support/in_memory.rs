//! Shared by the examples: a client and a server session connected through memory (no sockets),
//! the cookie round included.

use std::time::Instant;

use openssl_dtls_core::{Accept, ClientConfig, Server, Session, Status};

/// Hands every datagram `from` has queued to `deliver`.
pub fn transfer(from: &mut Session, mut deliver: impl FnMut(&[u8])) {
    let mut out = Vec::new();
    from.drain_transmit(|d| out.push(d.to_vec()));
    for d in out {
        deliver(&d);
    }
}

/// A new client of `config` handshaken with `server`: (client, server session), both connected.
pub fn connected_pair(server: &mut Server, config: &ClientConfig) -> (Session, Session) {
    let mut client = Session::client(config, Instant::now()).expect("client");
    let mut srv = loop {
        let mut got = None;
        let mut replies = Vec::new();
        transfer(&mut client, |d| {
            match server.accept(Instant::now(), b"c", d) {
                Accept::HelloVerify(r) => replies.push(r),
                Accept::Session(s) => got = Some(*s),
                Accept::Ignored => {}
            }
        });
        for r in replies {
            client.handle_datagram(Instant::now(), &r);
        }
        if let Some(s) = got {
            break s;
        }
    };
    while client.status() != Status::Connected || srv.status() != Status::Connected {
        transfer(&mut srv, |d| client.handle_datagram(Instant::now(), d));
        transfer(&mut client, |d| srv.handle_datagram(Instant::now(), d));
        assert!(client.status().is_active() && srv.status().is_active());
    }
    (client, srv)
}
