//! Interoperability with OpenSSL's own command line peers (the system `openssl` program, not
//! the OpenSSL built into this crate): our client against `openssl s_server -dtls1_2`, and
//! `openssl s_client -dtls1_2` against our `UdpServer`. Data goes both ways: s_server and
//! s_client send what they read on standard input and print what they receive. Both run on
//! our record layer; with ECDSA each ends with a long echo through the program's standard
//! streams (the test plays the echo on the other end of the pipe) and a close_notify.

mod common;
mod peers;

use std::net::SocketAddr;
use std::time::Instant;

use common::*;
use openssl_dtls_core::{
    Connection, KeyType, RecordLayer, Session, Settings, Status, UdpServer, UdpTransport,
};
use peers::*;

/// The certificate files a test hands to the program, and what the other side trusts.
struct Credentials {
    dir: TempDir,
    /// Server certificate (leaf).
    cert: String,
    key: String,
    /// Intermediate certificates the server sends after its own, if any.
    chain: Option<String>,
    /// What the client trusts (the self-signed certificate or the root CA).
    trusted: String,
}

impl Credentials {
    fn self_signed_ecdsa(tag: &str) -> Credentials {
        let id = identity_for(KeyType::EcdsaP256, &[HOST]);
        Credentials {
            dir: TempDir::new(tag),
            trusted: id.certificate_pem.clone(),
            cert: id.certificate_pem,
            key: id.private_key_pem.to_string(),
            chain: None,
        }
    }

    /// RSA-2048 root CA -> intermediate -> leaf; the client trusts the root only.
    fn rsa_chain(tag: &str) -> Credentials {
        let chain = make_chain(KeyType::Rsa(2048), true);
        Credentials {
            dir: TempDir::new(tag),
            trusted: chain.root_pem,
            cert: chain.leaf.certificate_pem,
            key: chain.leaf.private_key_pem.to_string(),
            chain: chain.intermediate_pem,
        }
    }

    fn file(&self, name: &str, contents: &str) -> String {
        self.dir.write(name, contents).display().to_string()
    }
}

/// Lines of the long echoes: s_server and s_client relay through their standard streams to the
/// test (a pipe each way); 100,000 take 2.5-3.5 s on a busy 2-core machine.
const LINE_ECHO: u32 = 100_000;

fn openssl_version() -> String {
    let out = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .expect("openssl version");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Our `Connection<UdpTransport>` client against `openssl s_server -dtls1_2 -listen`.
/// `echo_lines` lines of a long echo run before the close (none: no long echo).
fn our_client_against_s_server(
    credentials: Credentials,
    expected_cipher_prefix: &str,
    echo_lines: u32,
) {
    require_program("openssl", "openssl");
    eprintln!("peer: {}", openssl_version());
    let cert = credentials.file("cert.pem", &credentials.cert);
    let key = credentials.file("key.pem", &credentials.key);
    let chain = credentials
        .chain
        .as_ref()
        .map(|c| credentials.file("chain.pem", c));
    let (mut peer, addr) = start_server(
        "openssl s_server",
        "openssl",
        |port| {
            let mut args: Vec<String> = [
                "s_server",
                "-dtls1_2",
                "-listen",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                &cert,
                "-key",
                &key,
                "-naccept",
                "1",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            if let Some(chain) = &chain {
                args.extend(["-cert_chain".to_string(), chain.clone()]);
            }
            args
        },
        |line| line == "ACCEPT",
    );

    let config = client_config(&credentials.trusted, HOST, Settings::default());
    let session = Session::client(&config, Instant::now()).unwrap();
    let transport = UdpTransport::connect("127.0.0.1:0".parse().unwrap(), addr).unwrap();
    let mut client = Connection::new(session, transport);

    poll_until(&mut peer, "the handshake with s_server", |now, _| {
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
    let cipher = client.session().cipher().unwrap().to_string();
    assert!(
        cipher.starts_with(expected_cipher_prefix),
        "cipher {cipher}"
    );
    assert!(client.session().uses_own_record_layer());
    // s_server's view of the same handshake.
    poll_until(&mut peer, "s_server to report the cipher", |now, peer| {
        client.poll(now).unwrap();
        peer.saw(|l| l == format!("CIPHER is {cipher}"))
    });

    // s_server -> us: a line typed on its standard input arrives as one packet.
    peer.write_line("hello from s_server");
    let mut got = None;
    poll_until(&mut peer, "s_server's line", |now, _| {
        client.poll(now).unwrap();
        got = client.session_mut().recv();
        got.is_some()
    });
    assert_eq!(got.unwrap(), b"hello from s_server\n");

    // us -> s_server: it prints what it received.
    client.send(b"hello from rust\n").unwrap();
    poll_until(&mut peer, "s_server to print our line", |now, peer| {
        client.poll(now).unwrap();
        peer.saw(|l| l == "hello from rust")
    });

    if echo_lines > 0 {
        line_echo(&mut client, &mut peer, echo_lines, Origin::Ours);
    }

    // close_notify: s_server sees the connection closed cleanly.
    client.close();
    poll_until(&mut peer, "s_server to see close_notify", |_, peer| {
        peer.saw(|l| l == "DONE") && peer.saw(|l| l == "CONNECTION CLOSED")
    });
}

#[test]
fn our_client_against_openssl_s_server_ecdsa_p256() {
    our_client_against_s_server(
        Credentials::self_signed_ecdsa("s-server-ecdsa"),
        "ECDHE-ECDSA-",
        LINE_ECHO,
    );
}

#[test]
fn our_client_against_openssl_s_server_rsa_2048_chain() {
    our_client_against_s_server(Credentials::rsa_chain("s-server-rsa"), "ECDHE-RSA-", 0);
}

/// The one connected session of `server`, if there is one yet.
fn connected_peer(server: &mut UdpServer) -> Option<SocketAddr> {
    server
        .sessions_mut()
        .find(|(_, s)| s.status() == Status::Connected)
        .map(|(addr, _)| *addr)
}

/// `openssl s_client -dtls1_2` against our `UdpServer`; s_client verifies our chain and name.
/// `echo_lines` lines of a long echo run before the close (none: no long echo).
fn s_client_against_our_server(
    credentials: Credentials,
    expected_cipher_prefix: &str,
    echo_lines: u32,
) {
    require_program("openssl", "openssl");
    eprintln!("peer: {}", openssl_version());
    let ca = credentials.file("ca.pem", &credentials.trusted);
    let mut config = server_config(
        &openssl_dtls_core::Identity {
            certificate_pem: credentials.cert.clone(),
            private_key_pem: credentials.key.clone().into(),
        },
        Settings::default(),
    );
    config.chain_pem = credentials.chain.clone();
    let mut server = UdpServer::bind("127.0.0.1:0".parse().unwrap(), &config).unwrap();
    let addr = server.local_addr().unwrap();

    let args: Vec<String> = [
        "s_client",
        "-dtls1_2",
        "-connect",
        &addr.to_string(),
        "-CAfile",
        &ca,
        "-verify_return_error",
        "-verify_hostname",
        HOST,
        "-servername",
        HOST,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut peer = Peer::spawn("openssl s_client", "openssl", &args);

    let mut client_addr = None;
    poll_until(&mut peer, "the handshake with s_client", |now, peer| {
        server.poll(now).unwrap();
        client_addr = connected_peer(&mut server);
        client_addr.is_some() && peer.saw(|l| l.trim() == "Verify return code: 0 (ok)")
    });
    let client_addr = client_addr.unwrap();
    let cipher = server
        .session_mut(&client_addr)
        .unwrap()
        .cipher()
        .unwrap()
        .to_string();
    assert!(
        cipher.starts_with(expected_cipher_prefix),
        "cipher {cipher}"
    );
    assert!(
        peer.saw(|l| l.contains("Protocol") && l.contains("DTLSv1.2")),
        "{}",
        peer.transcript()
    );
    assert!(peer.saw(|l| l.contains(&cipher)), "{}", peer.transcript());
    assert!(server
        .session_mut(&client_addr)
        .unwrap()
        .uses_own_record_layer());

    peer.write_line("hello from s_client");
    let mut got = None;
    poll_until(&mut peer, "s_client's line", |now, _| {
        server.poll(now).unwrap();
        got = server.session_mut(&client_addr).unwrap().recv();
        got.is_some()
    });
    assert_eq!(got.unwrap(), b"hello from s_client\n");

    server.send_to(client_addr, b"hello from rust\n").unwrap();
    poll_until(&mut peer, "s_client to print our line", |now, peer| {
        server.poll(now).unwrap();
        peer.saw(|l| l == "hello from rust")
    });

    if echo_lines > 0 {
        let mut ours = ServerEnd {
            server: &mut server,
            client: client_addr,
        };
        line_echo(&mut ours, &mut peer, echo_lines, Origin::Peer);
    }

    // End of its input makes s_client close the connection with close_notify.
    peer.close_stdin();
    poll_until(&mut peer, "close_notify from s_client", |now, _| {
        server.poll(now).unwrap();
        server.session_mut(&client_addr).unwrap().status() == Status::Disconnected
    });
    assert!(server
        .session_mut(&client_addr)
        .unwrap()
        .failure()
        .is_none());
}

#[test]
fn openssl_s_client_against_our_server_ecdsa_p256() {
    s_client_against_our_server(
        Credentials::self_signed_ecdsa("s-client-ecdsa"),
        "ECDHE-ECDSA-",
        LINE_ECHO,
    );
}

#[test]
fn openssl_s_client_against_our_server_rsa_2048_chain() {
    s_client_against_our_server(Credentials::rsa_chain("s-client-rsa"), "ECDHE-RSA-", 0);
}

/// A client that trusts another certificate fails against s_server, with the error status.
#[test]
fn our_client_rejects_an_untrusted_s_server() {
    require_program("openssl", "openssl");
    let credentials = Credentials::self_signed_ecdsa("s-server-untrusted");
    let cert = credentials.file("cert.pem", &credentials.cert);
    let key = credentials.file("key.pem", &credentials.key);
    let (mut peer, addr) = start_server(
        "openssl s_server",
        "openssl",
        |port| {
            [
                "s_server",
                "-dtls1_2",
                "-listen",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                &cert,
                "-key",
                &key,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        },
        |line| line == "ACCEPT",
    );
    let other = identity_for(KeyType::EcdsaP256, &[HOST]);
    let config = client_config(&other.certificate_pem, HOST, Settings::default());
    let session = Session::client(&config, Instant::now()).unwrap();
    let transport = UdpTransport::connect("127.0.0.1:0".parse().unwrap(), addr).unwrap();
    let mut client = Connection::new(session, transport);
    poll_until(&mut peer, "the handshake to fail", |now, _| {
        client.poll(now).unwrap();
        !client.session().status().is_active()
    });
    assert_eq!(client.session().status(), Status::Error);
    let why = client.session().failure().unwrap();
    assert!(why.contains("certificate verification failed"), "{why}");
}

/// Issue 25, defect 4: the server keeps no session cache. `openssl s_client -sess_out` saves the
/// session of a first handshake, a second s_client offers it with `-sess_in`: the server must
/// answer with a full handshake (s_client prints "New,", not "Reused,"; with the cache off the
/// server gives no session ID, so s_client saves nothing to offer), and after both
/// handshakes its context's cache holds no session (`SSL_CTX_sess_number`). With both record
/// layers: ours frees the `SSL` at take-over without a shutdown, which drops its session from
/// the cache anyway; OpenSSL's keeps it for the session's life and a closed one stays cached.
#[test]
fn server_keeps_no_session_cache() {
    require_program("openssl", "openssl");
    for record_layer in [RecordLayer::Own, RecordLayer::OpenSsl] {
        let credentials = Credentials::self_signed_ecdsa("s-client-sess");
        let ca = credentials.file("ca.pem", &credentials.trusted);
        let saved = credentials.dir.path().join("session.pem");
        let saved = saved.display().to_string();
        let settings = Settings {
            record_layer,
            ..Settings::default()
        };
        let config = server_config(
            &openssl_dtls_core::Identity {
                certificate_pem: credentials.cert.clone(),
                private_key_pem: credentials.key.clone().into(),
            },
            settings,
        );
        let mut server = UdpServer::bind("127.0.0.1:0".parse().unwrap(), &config).unwrap();
        let addr = server.local_addr().unwrap();
        for (round, session_flag) in [(1, "-sess_out"), (2, "-sess_in")] {
            if round == 2 && !std::path::Path::new(&saved).exists() {
                // s_client saves no session the server gave no ID for: nothing to resume (the
                // first round checked the ID was empty).
                continue;
            }
            let args: Vec<String> = [
                "s_client",
                "-dtls1_2",
                "-connect",
                &addr.to_string(),
                "-CAfile",
                &ca,
                "-servername",
                HOST,
                session_flag,
                &saved,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let mut peer = Peer::spawn("openssl s_client", "openssl", &args);
            // Until s_client printed the session's ID, which comes lines after "New,": stopping
            // at "New," read the transcript before the ID now and then.
            poll_until(&mut peer, "the handshake with s_client", |now, peer| {
                server.poll(now).unwrap();
                peer.saw(|l| l.trim_start().starts_with("Session-ID:"))
            });
            assert!(
                peer.saw(|l| l.starts_with("New,")) && !peer.saw(|l| l.starts_with("Reused,")),
                "{record_layer:?} round {round}: not a full handshake:\n{}",
                peer.transcript()
            );
            if !std::path::Path::new(&saved).exists() {
                assert!(
                    peer.saw(|l| l.trim() == "Session-ID:"),
                    "{record_layer:?}: no session saved, yet the server gave an ID:\n{}",
                    peer.transcript()
                );
            }
            peer.close_stdin();
            poll_until(&mut peer, "close_notify from s_client", |now, _| {
                server.poll(now).unwrap();
                server
                    .sessions_mut()
                    .all(|(_, s)| !matches!(s.status(), Status::Connected | Status::Handshaking))
            });
            assert_eq!(
                server.cached_sessions(),
                0,
                "{record_layer:?} round {round}: the session cache holds none"
            );
        }
    }
}
