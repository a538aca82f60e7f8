//! The features beyond the built-in DTLS, ours against ours over the in-memory link: pre-shared
//! keys, mutual authentication with the peer certificate on both sides, ALPN, RFC 5705 keying
//! material export and SRTP profile negotiation.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use openssl_dtls_core::*;

const BUDGET: Duration = Duration::from_secs(10);

fn psk_server(keys: &[(&str, &[u8])]) -> ServerConfig {
    ServerConfig {
        psk: Some(PskKeys {
            hint: "game-server".into(),
            keys: keys
                .iter()
                .map(|(id, key)| (id.to_string(), key.to_vec()))
                .collect::<BTreeMap<_, _>>(),
        }),
        ..ServerConfig::new("", "")
    }
}

fn psk_client(identity: &str, key: &[u8]) -> ClientConfig {
    ClientConfig {
        psk: Some(Psk {
            identity: identity.into(),
            key: key.to_vec(),
        }),
        ..ClientConfig::default()
    }
}

fn exchange(pair: &mut Pair) {
    pair.client.send(b"from client").unwrap();
    pair.server_session().send(b"from server").unwrap();
    pair.settle(BUDGET);
    assert_eq!(
        drain_packets(pair.server_session()),
        vec![b"from client".to_vec()]
    );
    assert_eq!(
        drain_packets(&mut pair.client),
        vec![b"from server".to_vec()]
    );
}

#[test]
fn psk_without_certificates_connects_and_carries_data() {
    let key = b"sixteen byte key";
    let mut pair = Pair::new(
        &psk_client("player-1", key),
        &psk_server(&[("player-1", key)]),
    );
    pair.connect();
    exchange(&mut pair);
    let cipher = pair.client.cipher().unwrap();
    assert!(cipher.contains("PSK"), "cipher {cipher}");
    assert_eq!(
        pair.server_session().psk_identity().as_deref(),
        Some("player-1")
    );
    assert_eq!(pair.client.peer_certificate_pem(), None);
}

/// A wrong key makes the peer's Finished undecryptable; DTLS drops such records silently
/// (RFC 6347 4.1.2.7), so the handshake ends by its timeout, on both sides.
#[test]
fn psk_with_the_wrong_key_fails_on_both_sides() {
    let settings = Settings {
        handshake_timeout: Duration::from_millis(600),
        ..fast_settings()
    };
    let mut client = psk_client("player-1", b"not the right key");
    client.settings = settings.clone();
    let mut server = psk_server(&[("player-1", b"sixteen byte key")]);
    server.settings = settings;
    let mut pair = Pair::new(&client, &server);
    pair.run_until(BUDGET, |p| {
        !p.client.status().is_active() && p.server_status().is_some_and(|s| !s.is_active())
    });
    assert_eq!(pair.client.status(), Status::Error);
    assert_eq!(pair.server_status(), Some(Status::Error));
    assert!(pair
        .client
        .failure()
        .unwrap_or_default()
        .contains("did not finish"));
}

#[test]
fn psk_with_an_unknown_identity_fails() {
    let key = b"sixteen byte key";
    let mut pair = Pair::new(
        &psk_client("stranger", key),
        &psk_server(&[("player-1", key)]),
    );
    pair.run_until(BUDGET, |p| !p.client.status().is_active());
    assert_eq!(pair.client.status(), Status::Error);
}

#[test]
fn psk_keys_are_checked() {
    let bad_client = psk_client("player-1", b"");
    assert!(matches!(
        Session::client(&bad_client, std::time::Instant::now()),
        Err(DtlsError::InvalidConfig(_))
    ));
    let bad_server = psk_server(&[("player-1", &[0u8; MAX_PSK_LEN + 1])]);
    assert!(matches!(
        Server::new(&bad_server, std::time::Instant::now()),
        Err(DtlsError::InvalidConfig(_))
    ));
}

/// A server requiring client certificates signed by `ca`, and a client certificate from it.
fn mutual(required: bool) -> (ClientConfig, ServerConfig, OwnCertificate) {
    let server_id = ecdsa_identity();
    let client_ca = make_chain(KeyType::EcdsaP256, false);
    let client_cert = OwnCertificate {
        certificate_pem: client_ca.leaf.certificate_pem.clone(),
        private_key_pem: client_ca.leaf.private_key_pem.to_string(),
        chain_pem: None,
    };
    let mut server = server_config(server_id, Settings::default());
    server.client_auth = if required {
        ClientAuth::Required(client_ca.root_pem.clone())
    } else {
        ClientAuth::Optional(client_ca.root_pem.clone())
    };
    let client = client_config(&server_id.certificate_pem, HOST, Settings::default());
    (client, server, client_cert)
}

#[test]
fn required_client_certificate_is_verified_and_visible_on_both_sides() {
    let (mut client, server, client_cert) = mutual(true);
    client.certificate = Some(client_cert.clone());
    let mut pair = Pair::new(&client, &server);
    pair.connect();
    exchange(&mut pair);
    let seen_by_server = pair.server_session().peer_certificate_pem().unwrap();
    assert_eq!(
        openssl::x509::X509::from_pem(seen_by_server.as_bytes())
            .unwrap()
            .to_der()
            .unwrap(),
        openssl::x509::X509::from_pem(client_cert.certificate_pem.as_bytes())
            .unwrap()
            .to_der()
            .unwrap()
    );
    let seen_by_client = pair.client.peer_certificate_pem().unwrap();
    assert_eq!(
        openssl::x509::X509::from_pem(seen_by_client.as_bytes())
            .unwrap()
            .to_der()
            .unwrap(),
        openssl::x509::X509::from_pem(ecdsa_identity().certificate_pem.as_bytes())
            .unwrap()
            .to_der()
            .unwrap()
    );
}

#[test]
fn required_client_certificate_missing_fails() {
    let (client, server, _) = mutual(true);
    let mut pair = Pair::new(&client, &server);
    pair.run_until(BUDGET, |p| {
        p.server_status().is_some_and(|s| !s.is_active()) && !p.client.status().is_active()
    });
    assert_eq!(pair.server_status(), Some(Status::Error));
    assert_eq!(pair.client.status(), Status::Error);
}

#[test]
fn client_certificate_from_another_ca_fails() {
    let (mut client, server, _) = mutual(true);
    let other = make_chain(KeyType::EcdsaP256, false);
    client.certificate = Some(OwnCertificate {
        certificate_pem: other.leaf.certificate_pem.clone(),
        private_key_pem: other.leaf.private_key_pem.to_string(),
        chain_pem: None,
    });
    let mut pair = Pair::new(&client, &server);
    pair.run_until(BUDGET, |p| {
        p.server_status().is_some_and(|s| !s.is_active())
    });
    assert_eq!(pair.server_status(), Some(Status::Error));
    let why = pair
        .server_session()
        .failure()
        .unwrap_or_default()
        .to_string();
    assert!(why.contains("certificate"), "{why}");
}

#[test]
fn optional_client_certificate_may_be_absent() {
    let (client, server, _) = mutual(false);
    let mut pair = Pair::new(&client, &server);
    pair.connect();
    assert_eq!(pair.server_session().peer_certificate_pem(), None);
}

#[test]
fn alpn_picks_the_servers_first_choice_the_client_offers() {
    let id = ecdsa_identity();
    let mut client = client_config(&id.certificate_pem, HOST, Settings::default());
    client.alpn = vec!["x-other".into(), "game/1".into(), "game/2".into()];
    let mut server = server_config(id, Settings::default());
    server.alpn = vec!["game/2".into(), "game/1".into()];
    let mut pair = Pair::new(&client, &server);
    pair.connect();
    assert_eq!(pair.client.alpn_protocol().as_deref(), Some("game/2"));
    assert_eq!(
        pair.server_session().alpn_protocol().as_deref(),
        Some("game/2")
    );
}

#[test]
fn alpn_without_overlap_connects_with_no_protocol() {
    let id = ecdsa_identity();
    let mut client = client_config(&id.certificate_pem, HOST, Settings::default());
    client.alpn = vec!["chat".into()];
    let mut server = server_config(id, Settings::default());
    server.alpn = vec!["game".into()];
    let mut pair = Pair::new(&client, &server);
    pair.connect();
    assert_eq!(pair.client.alpn_protocol(), None);
    assert!(matches!(
        Session::client(
            &ClientConfig {
                alpn: vec![String::new()],
                ..client.clone()
            },
            std::time::Instant::now()
        ),
        Err(DtlsError::InvalidConfig(_))
    ));
}

#[test]
fn exported_keying_material_matches_on_both_sides() {
    let mut pair = Pair::ecdsa(Settings::default());
    assert!(matches!(
        pair.client
            .export_keying_material("EXTRACTOR-test", None, 32),
        Err(DtlsError::NotConnected(Status::Handshaking))
    ));
    pair.connect();
    let a = pair
        .client
        .export_keying_material("EXTRACTOR-test", Some(b"ctx"), 32)
        .unwrap();
    let b = pair
        .server_session()
        .export_keying_material("EXTRACTOR-test", Some(b"ctx"), 32)
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 32);
    let other = pair
        .client
        .export_keying_material("EXTRACTOR-other", Some(b"ctx"), 32)
        .unwrap();
    assert_ne!(a, other);
}

#[test]
fn srtp_profile_is_negotiated() {
    let id = ecdsa_identity();
    let profiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80".to_string();
    let mut client = client_config(&id.certificate_pem, HOST, Settings::default());
    client.srtp_profiles = Some("SRTP_AES128_CM_SHA1_80".into());
    let mut server = server_config(id, Settings::default());
    server.srtp_profiles = Some(profiles);
    let mut pair = Pair::new(&client, &server);
    pair.connect();
    assert_eq!(pair.client.srtp_profile(), Some("SRTP_AES128_CM_SHA1_80"));
    assert_eq!(
        pair.server_session().srtp_profile(),
        Some("SRTP_AES128_CM_SHA1_80")
    );
    let bad = ClientConfig {
        srtp_profiles: Some("NOT_A_PROFILE".into()),
        ..client
    };
    assert!(matches!(
        Session::client(&bad, std::time::Instant::now()),
        Err(DtlsError::InvalidConfig(_))
    ));
}
