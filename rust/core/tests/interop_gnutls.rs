//! Interoperability with GnuTLS, a DTLS implementation that shares no code with OpenSSL: our
//! client against `gnutls-serv --udp` (an echo server: what we send comes back encrypted by
//! GnuTLS), and `gnutls-cli --udp` against our `UdpServer` (it sends what it reads on standard
//! input and prints what it receives).
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

/// Our client against `gnutls-serv --udp --echo` with `server` as its certificate (and chain),
/// trusting `trusted`.
fn our_client_against_gnutls_serv(
    tag: &str,
    server: &Identity,
    trusted: &str,
    cipher_prefix: &str,
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
    let (mut peer, addr) = start_server(
        "gnutls-serv",
        "gnutls-serv",
        |port| {
            [
                "--udp",
                "--echo",
                "--disable-client-cert",
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
    let cipher = client.session().cipher().unwrap();
    assert!(cipher.starts_with(cipher_prefix), "cipher {cipher}");

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
    long_echo(&mut client, &mut peer);
    client.close();
}

/// Packets of the long echo: enough that sequence numbers, the replay window and the buffers
/// of both record layers go through many cycles.
const LONG_ECHO: u32 = 100_000;

/// Sends [`LONG_ECHO`] numbered 64-byte packets, 32 in flight, and checks every one that comes
/// back is one we sent, whole. A packet lost on loopback (rare) is written off after 200 ms
/// without progress, and there must be almost none.
fn long_echo(client: &mut Connection<UdpTransport>, peer: &mut Peer) {
    let start = Instant::now();
    let (mut sent, mut echoed, mut lost, mut in_flight) = (0u32, 0u32, 0u32, 0u32);
    let mut last_progress = Instant::now();
    poll_until(peer, "the long echo", |now, _| {
        while in_flight < 32 && sent < LONG_ECHO {
            let mut packet = [0x5au8; 64];
            packet[..4].copy_from_slice(&sent.to_be_bytes());
            client.send(&packet).unwrap();
            sent += 1;
            in_flight += 1;
        }
        client.poll(now).unwrap();
        while let Some(echo) = client.session_mut().recv() {
            assert_eq!(echo.len(), 64);
            let n = u32::from_be_bytes([echo[0], echo[1], echo[2], echo[3]]);
            assert!(
                n < sent && echo[4..].iter().all(|b| *b == 0x5a),
                "a packet we never sent"
            );
            echoed += 1;
            in_flight -= 1;
            last_progress = now;
        }
        if in_flight > 0 && now.duration_since(last_progress).as_millis() > 200 {
            lost += in_flight;
            in_flight = 0;
            last_progress = now;
        }
        echoed + lost == LONG_ECHO
    });
    eprintln!(
        "long echo: {echoed} of {LONG_ECHO} packets back in {:?} ({lost} lost on loopback)",
        start.elapsed()
    );
    assert!(lost <= LONG_ECHO / 100, "{lost} packets lost");
    assert_eq!(client.session().status(), Status::Connected);
}

#[test]
fn our_client_against_gnutls_serv_ecdsa_p256() {
    let id = identity_for(KeyType::EcdsaP256, &[HOST]);
    our_client_against_gnutls_serv(
        "gnutls-serv-ecdsa",
        &id,
        &id.certificate_pem,
        "ECDHE-ECDSA-",
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
    our_client_against_gnutls_serv("gnutls-serv-rsa", &server, &chain.root_pem, "ECDHE-RSA-");
}

/// `gnutls-cli --udp` against our server: it verifies our certificate for "localhost", then
/// relays lines both ways.
#[test]
fn gnutls_cli_against_our_server_ecdsa_p256() {
    require_program("gnutls-cli", "gnutls-bin");
    eprintln!("peer: {}", gnutls_version("gnutls-cli"));
    let id = identity_for(KeyType::EcdsaP256, &[HOST]);
    let dir = TempDir::new("gnutls-cli");
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

    // We close: gnutls-cli notices the closure and exits.
    server.close_all();
    poll_until(&mut peer, "gnutls-cli to see close_notify", |now, peer| {
        server.poll(now).unwrap();
        peer.saw(|l| l.contains("Peer has closed the GnuTLS connection"))
    });
}
