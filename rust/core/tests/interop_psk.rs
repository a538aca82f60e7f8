//! Pre-shared keys against OpenSSL's command-line peers (the IoT/CoAP way: no certificates):
//! our client against `openssl s_server -dtls1_2 -nocert -psk`, and `openssl s_client -psk`
//! against our server, data both ways.

mod common;
mod peers;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

use openssl_dtls_core::*;
use peers::*;

const IDENTITY: &str = "Client_identity";
const KEY_HEX: &str = "00112233445566778899aabbccddeeff";

fn key() -> Vec<u8> {
    (0..KEY_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&KEY_HEX[i..i + 2], 16).unwrap())
        .collect()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn our_psk_client_against_openssl_s_server() {
    require_program("openssl", "openssl");
    let (mut peer, addr) = start_server(
        "openssl s_server -psk",
        "openssl",
        |port| {
            args(&[
                "s_server",
                "-dtls1_2",
                "-listen",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-nocert",
                "-psk",
                KEY_HEX,
                "-psk_identity",
                IDENTITY,
                "-psk_hint",
                "hint",
                "-cipher",
                "PSK",
                "-naccept",
                "1",
            ])
        },
        |line| line == "ACCEPT",
    );
    let config = ClientConfig {
        psk: Some(Psk {
            identity: IDENTITY.into(),
            key: key(),
        }),
        ..ClientConfig::default()
    };
    let session = Session::client(&config, Instant::now()).unwrap();
    let transport = UdpTransport::connect("127.0.0.1:0".parse().unwrap(), addr).unwrap();
    let mut client = Connection::new(session, transport);
    poll_until(&mut peer, "the PSK handshake with s_server", |now, _| {
        client.poll(now).unwrap();
        let status = client.session().status();
        assert!(
            status.is_active(),
            "{status:?}: {:?}",
            client.session().failure()
        );
        status == Status::Connected
    });
    let cipher = client.session().cipher().unwrap().to_string();
    assert!(cipher.contains("PSK"), "cipher {cipher}");

    peer.write_line("hello from s_server");
    let mut got = None;
    poll_until(&mut peer, "s_server's line", |now, _| {
        client.poll(now).unwrap();
        got = client.session_mut().recv();
        got.is_some()
    });
    assert_eq!(got.unwrap(), b"hello from s_server\n");
    client.send(b"hello from us\n").unwrap();
    poll_until(&mut peer, "s_server to print our line", |now, peer| {
        client.poll(now).unwrap();
        peer.saw(|l| l == "hello from us")
    });
    client.close();
}

#[test]
fn openssl_s_client_psk_against_our_server() {
    require_program("openssl", "openssl");
    let config = ServerConfig {
        psk: Some(PskKeys {
            hint: "our hint".into(),
            keys: BTreeMap::from([(IDENTITY.to_string(), key())]),
        }),
        ..ServerConfig::new("", "")
    };
    let mut server = UdpServer::bind("127.0.0.1:0".parse().unwrap(), &config).unwrap();
    let port = server.local_addr().unwrap().port();
    let mut peer = Peer::spawn(
        "openssl s_client -psk",
        "openssl",
        &args(&[
            "s_client",
            "-dtls1_2",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-psk",
            KEY_HEX,
            "-psk_identity",
            IDENTITY,
            "-cipher",
            "PSK",
            "-quiet",
        ]),
    );
    let mut client_addr: Option<SocketAddr> = None;
    poll_until(
        &mut peer,
        "s_client's PSK handshake with our server",
        |now, _| {
            server.poll(now).unwrap();
            client_addr = server
                .sessions_mut()
                .find(|(_, s)| s.status() == Status::Connected)
                .map(|(a, _)| *a);
            client_addr.is_some()
        },
    );
    let addr = client_addr.unwrap();
    let session = server.session_mut(&addr).unwrap();
    assert_eq!(session.psk_identity().as_deref(), Some(IDENTITY));
    assert!(session.cipher().unwrap().contains("PSK"));

    peer.write_line("hello from s_client");
    let mut got = None;
    poll_until(&mut peer, "s_client's line", |now, _| {
        server.poll(now).unwrap();
        got = server.session_mut(&addr).and_then(Session::recv);
        got.is_some()
    });
    assert_eq!(got.unwrap(), b"hello from s_client\n");
    server.send_to(addr, b"hello from our server\n").unwrap();
    poll_until(&mut peer, "s_client to print our line", |now, peer| {
        server.poll(now).unwrap();
        peer.saw(|l| l == "hello from our server")
    });
    server.close_all();
}
