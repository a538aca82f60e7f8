//! Mutual authentication, ALPN, SRTP and RFC 5705 keying material against `openssl s_server`:
//! the server requires our client certificate, selects our ALPN protocol and SRTP profile, and
//! prints the keying material it exports, which must equal ours.

mod common;
mod peers;

use std::time::Instant;

use common::*;
use openssl_dtls_core::*;
use peers::*;

const LABEL: &str = "EXPERIMENTAL-godot-dtls";

#[test]
fn our_client_with_certificate_alpn_srtp_and_keying_material_against_openssl_s_server() {
    require_program("openssl", "openssl");
    let dir = TempDir::new("interop-features");
    let server = ecdsa_identity();
    let client_ca = make_chain(KeyType::EcdsaP256, false);
    let cert = dir.write("server.pem", &server.certificate_pem);
    let key = dir.write("server.key", &server.private_key_pem);
    let ca = dir.write("client-ca.pem", &client_ca.root_pem);
    let (mut peer, addr) = start_server(
        "openssl s_server (mutual, ALPN, SRTP, keying material)",
        "openssl",
        |port| {
            [
                "s_server",
                "-dtls1_2",
                "-listen",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                &cert.to_string_lossy(),
                "-key",
                &key.to_string_lossy(),
                "-Verify",
                "1",
                "-CAfile",
                &ca.to_string_lossy(),
                "-verify_return_error",
                "-alpn",
                "game/2,game/1",
                "-use_srtp",
                "SRTP_AES128_CM_SHA1_80",
                "-keymatexport",
                LABEL,
                "-keymatexportlen",
                "32",
                "-naccept",
                "1",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        },
        |line| line == "ACCEPT",
    );
    let mut config = client_config(&server.certificate_pem, HOST, Settings::default());
    config.certificate = Some(OwnCertificate {
        certificate_pem: client_ca.leaf.certificate_pem.clone(),
        private_key_pem: client_ca.leaf.private_key_pem.to_string(),
        chain_pem: None,
    });
    config.alpn = vec!["game/1".into(), "game/2".into()];
    config.srtp_profiles = Some("SRTP_AES128_CM_SHA1_80".into());
    let session = Session::client(&config, Instant::now()).unwrap();
    let transport = UdpTransport::connect("127.0.0.1:0".parse().unwrap(), addr).unwrap();
    let mut client = Connection::new(session, transport);
    poll_until(
        &mut peer,
        "the handshake and s_server's report",
        |now, peer| {
            client.poll(now).unwrap();
            let status = client.session().status();
            assert!(
                status.is_active(),
                "{status:?}: {:?}",
                client.session().failure()
            );
            status == Status::Connected && peer.saw(|l| l.starts_with("    Keying material:"))
        },
    );
    let session = client.session();
    // s_server picks its own first choice that we offer.
    assert_eq!(session.alpn_protocol().as_deref(), Some("game/2"));
    assert_eq!(session.srtp_profile(), Some("SRTP_AES128_CM_SHA1_80"));
    let ours: String = session
        .export_keying_material(LABEL, None, 32)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let transcript = peer.transcript();
    let theirs = peer
        .log
        .iter()
        .find_map(|(_, l)| l.trim().strip_prefix("Keying material: "))
        .unwrap_or_else(|| panic!("no keying material in\n{transcript}"))
        .trim()
        .to_uppercase();
    assert_eq!(ours, theirs, "keying material differs\n{transcript}");
    assert!(
        peer.saw(|l| l.contains("SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80")),
        "{transcript}"
    );
    assert!(
        peer.saw(|l| l.contains("ALPN protocols selected: game/2")),
        "{transcript}"
    );
    assert!(
        peer.saw(|l| l.starts_with("Client certificate")),
        "{transcript}"
    );
    client.close();
}
