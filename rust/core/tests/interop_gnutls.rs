//! Interoperability with GnuTLS, a DTLS implementation that shares no code with OpenSSL: our
//! client against `gnutls-serv --udp` (an echo server: what we send comes back encrypted by
//! GnuTLS), and `gnutls-cli --udp` against our `UdpServer` (it sends what it reads on standard
//! input and prints what it receives). Each runs on our record layer, with an AES-GCM suite and
//! a ChaCha20-Poly1305 one (chosen by GnuTLS priority strings), a long echo and a close_notify
//! at the end.
//!
//! These tests need the `gnutls-bin` package and fail, saying so, when it is missing.
//! `gnutls-serv` has no option to choose its address: it listens on every interface of the
//! port it is given, which is picked free on 127.0.0.1; we talk to it on 127.0.0.1 only.

mod common;
mod peers;

use std::net::SocketAddr;
use std::time::Instant;

use common::*;
use openssl_dtls_core::{
    Connection, Identity, KeyType, Session, Settings, Status, UdpServer, UdpTransport,
};
use peers::*;

fn gnutls_version(program: &str) -> String {
    let out = std::process::Command::new(program)
        .arg("--version")
        .output()
        .expect("version");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// GnuTLS priority strings: DTLS 1.2 with one AEAD only.
const AES_128_GCM: &str = "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CIPHER-ALL:+AES-128-GCM";
const CHACHA20_POLY1305: &str = "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-CIPHER-ALL:+CHACHA20-POLY1305";

/// Packets of the long echoes: enough that sequence numbers, the replay window and the buffers
/// of both record layers go through many cycles. gnutls-serv echoes datagrams itself (about 3 s
/// for 100,000 on a busy 2-core machine).
const LONG_ECHO: u32 = 100_000;

/// Lines of the long echo with gnutls-cli, which relays through its standard streams to the
/// test (a pipe each way, so slower than a datagram echo): 100,000 lines took 11.5-11.7 s on a
/// busy 2-core machine, too close to the 15 s bound of a wait, so half of them (about 6 s, some
/// 15,000 records each way: gnutls-cli packs the lines waiting on its input into one record).
const LINE_ECHO: u32 = 50_000;

/// Our client against `gnutls-serv --udp --echo` with `server` as its certificate (and chain),
/// trusting `trusted`, GnuTLS limited to `priority`.
fn our_client_against_gnutls_serv(
    tag: &str,
    server: &Identity,
    trusted: &str,
    priority: &str,
    cipher: &str,
) {
    require_program("gnutls-serv", "gnutls-bin");
    eprintln!("peer: {}", gnutls_version("gnutls-serv"));
    let dir = TempDir::new(tag);
    let cert = dir
        .write("cert.pem", &server.certificate_pem)
        .display()
        .to_string();
    let key = dir
        .write("key.pem", &server.private_key_pem)
        .display()
        .to_string();
    // gnutls-serv's standard output is block-buffered into a pipe: line-buffer it (`stdbuf`),
    // so that what it prints on close_notify is read when it prints it.
    let (mut peer, addr) = start_server(
        "gnutls-serv",
        "stdbuf",
        |port| {
            [
                "-oL",
                "gnutls-serv",
                "--udp",
                "--echo",
                "--disable-client-cert",
                "--priority",
                priority,
                "--port",
                &port.to_string(),
                "--x509certfile",
                &cert,
                "--x509keyfile",
                &key,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        },
        |line| line.contains("listening on IPv4") && line.ends_with("done"),
    );

    let config = client_config(trusted, HOST, Settings::default());
    let session = Session::client(&config, Instant::now()).unwrap();
    let transport = UdpTransport::connect("127.0.0.1:0".parse().unwrap(), addr).unwrap();
    let mut client = Connection::new(session, transport);
    poll_until(&mut peer, "the handshake with gnutls-serv", |now, _| {
        client.poll(now).unwrap();
        let status = client.session().status();
        assert!(
            status.is_active(),
            "{status:?}: {:?}",
            client.session().failure()
        );
        status == Status::Connected
    });
    assert_eq!(client.session().protocol_version(), Some("DTLSv1.2"));
    assert_eq!(client.session().cipher(), Some(cipher));
    assert!(client.session().uses_own_record_layer());

    // Each packet comes back from GnuTLS: it decrypted ours and encrypted its own. gnutls-serv
    // answers a large one in several smaller records, so the echo is reassembled.
    let max = client.session().max_packet_size();
    let packets: Vec<Vec<u8>> = vec![
        b"ping from rust".to_vec(),
        vec![b'x'; 1],
        (0..1000).map(|i| b'a' + (i % 26) as u8).collect(),
        (0..max).map(|i| b'A' + (i % 26) as u8).collect(),
    ];
    for packet in &packets {
        client.send(packet).unwrap();
        let mut echo: Vec<u8> = Vec::new();
        let mut records = Vec::new();
        poll_until(&mut peer, "the echo", |now, _| {
            client.poll(now).unwrap();
            while let Some(part) = client.session_mut().recv() {
                records.push(part.len());
                echo.extend(part);
            }
            echo.len() >= packet.len()
        });
        eprintln!("{} bytes echoed in records of {records:?}", packet.len());
        assert_eq!(&echo, packet, "echo of a {} byte packet", packet.len());
    }
    long_echo(&mut client, &mut peer, LONG_ECHO);
    // close_notify: gnutls-serv reads the end of the session (EOF) and waits for the next one.
    client.close();
    poll_until(&mut peer, "gnutls-serv to see close_notify", |now, peer| {
        client.poll(now).unwrap();
        peer.saw(|l| l == "EOF")
    });
}

#[test]
fn our_client_against_gnutls_serv_ecdsa_p256_aes_gcm() {
    let id = identity_for(KeyType::EcdsaP256, &[HOST]);
    our_client_against_gnutls_serv(
        "gnutls-serv-ecdsa",
        &id,
        &id.certificate_pem,
        AES_128_GCM,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    );
}

#[test]
fn our_client_against_gnutls_serv_ecdsa_p256_chacha20() {
    let id = identity_for(KeyType::EcdsaP256, &[HOST]);
    our_client_against_gnutls_serv(
        "gnutls-serv-chacha",
        &id,
        &id.certificate_pem,
        CHACHA20_POLY1305,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    );
}

#[test]
fn our_client_against_gnutls_serv_rsa_2048_chain() {
    // GnuTLS sends the chain given in its certificate file; we trust the root only.
    let chain = make_chain(KeyType::Rsa(2048), true);
    let server = Identity {
        certificate_pem: chain.leaf_and_intermediate_pem(),
        private_key_pem: chain.leaf.private_key_pem.clone(),
    };
    our_client_against_gnutls_serv(
        "gnutls-serv-rsa",
        &server,
        &chain.root_pem,
        AES_128_GCM,
        "ECDHE-RSA-AES128-GCM-SHA256",
    );
}

/// `gnutls-cli --udp` against our server, GnuTLS limited to `priority`: it verifies our
/// certificate for "localhost", then relays lines both ways; we echo what it sends.
fn gnutls_cli_against_our_server(tag: &str, priority: &str, cipher: &str) {
    require_program("gnutls-cli", "gnutls-bin");
    eprintln!("peer: {}", gnutls_version("gnutls-cli"));
    let id = identity_for(KeyType::EcdsaP256, &[HOST]);
    let dir = TempDir::new(tag);
    let ca = dir
        .write("ca.pem", &id.certificate_pem)
        .display()
        .to_string();
    let mut server = UdpServer::bind(
        "127.0.0.1:0".parse().unwrap(),
        &server_config(&id, Settings::default()),
    )
    .unwrap();
    let addr = server.local_addr().unwrap();
    let args: Vec<String> = [
        "--udp",
        "--port",
        &addr.port().to_string(),
        "--x509cafile",
        &ca,
        "--verify-hostname",
        HOST,
        "--priority",
        priority,
        "127.0.0.1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut peer = Peer::spawn("gnutls-cli", "gnutls-cli", &args);

    let mut client_addr: Option<SocketAddr> = None;
    poll_until(&mut peer, "the handshake with gnutls-cli", |now, peer| {
        server.poll(now).unwrap();
        client_addr = server
            .sessions_mut()
            .find(|(_, s)| s.status() == Status::Connected)
            .map(|(a, _)| *a);
        client_addr.is_some() && peer.saw(|l| l.contains("Handshake was completed"))
    });
    let client_addr = client_addr.unwrap();
    assert!(peer.saw(|l| l.contains("DTLS1.2")), "{}", peer.transcript());
    let session = server.session_mut(&client_addr).unwrap();
    assert_eq!(session.cipher(), Some(cipher));
    assert!(session.uses_own_record_layer());

    peer.write_line("hello from gnutls-cli");
    let mut got = None;
    poll_until(&mut peer, "gnutls-cli's line", |now, _| {
        server.poll(now).unwrap();
        got = server.session_mut(&client_addr).unwrap().recv();
        got.is_some()
    });
    assert_eq!(got.unwrap(), b"hello from gnutls-cli\n");

    server.send_to(client_addr, b"hello from rust\n").unwrap();
    poll_until(&mut peer, "gnutls-cli to print our line", |now, peer| {
        server.poll(now).unwrap();
        peer.saw(|l| l == "hello from rust")
    });

    let mut ours = ServerEnd {
        server: &mut server,
        client: client_addr,
    };
    line_echo(&mut ours, &mut peer, LINE_ECHO, Origin::Peer);

    // We close: gnutls-cli notices the closure and exits.
    server.close_all();
    poll_until(&mut peer, "gnutls-cli to see close_notify", |now, peer| {
        server.poll(now).unwrap();
        peer.saw(|l| l.contains("Peer has closed the GnuTLS connection"))
    });
}

#[test]
fn gnutls_cli_against_our_server_ecdsa_p256_aes_gcm() {
    gnutls_cli_against_our_server(
        "gnutls-cli-aes",
        AES_128_GCM,
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    );
}

#[test]
fn gnutls_cli_against_our_server_ecdsa_p256_chacha20() {
    gnutls_cli_against_our_server(
        "gnutls-cli-chacha",
        CHACHA20_POLY1305,
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    );
}
