//! Certificates: key types, CA-signed chains, verification failures, host name and IP checks,
//! and the errors for unusable PEM input.

mod common;

use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::{
    generate_key, pem, self_signed, ClientConfig, DtlsError, KeyType, Server, ServerConfig,
    Session, Settings, Status, Verification,
};

/// Runs the handshake until the client has an outcome (connected or failed).
fn client_outcome(pair: &mut Pair) -> Status {
    pair.run_until(Duration::from_secs(10), |p| {
        !p.client.status().is_active()
            || (p.client.status() == Status::Connected
                && p.server_status() == Some(Status::Connected))
    });
    pair.client.status()
}

fn exchange_one_each_way(pair: &mut Pair) {
    pair.client.send(b"ping").unwrap();
    pair.server_session().send(b"pong").unwrap();
    assert!(pair.run_until(Duration::from_secs(5), |p| {
        p.client.pending_packets() == 1 && p.server_session().pending_packets() == 1
    }));
    assert_eq!(pair.server_session().recv().unwrap(), b"ping");
    assert_eq!(pair.client.recv().unwrap(), b"pong");
}

#[test]
fn ecdsa_p256_certificate_verifies() {
    let id = ecdsa_identity();
    assert!(id.private_key_pem.contains("BEGIN PRIVATE KEY"));
    let mut pair = Pair::new(
        &client_config(&id.certificate_pem, HOST, Settings::default()),
        &server_config(id, Settings::default()),
    );
    pair.connect();
    let cipher = pair.client.cipher().unwrap();
    assert!(
        cipher.starts_with("ECDHE-ECDSA-AES128-GCM"),
        "cipher {cipher}"
    );
    exchange_one_each_way(&mut pair);
}

#[test]
fn rsa_2048_certificate_verifies() {
    let id = rsa_identity();
    let key = openssl::pkey::PKey::private_key_from_pem(id.private_key_pem.as_bytes()).unwrap();
    assert_eq!(key.rsa().unwrap().size() * 8, 2048);
    let mut pair = Pair::new(
        &client_config(&id.certificate_pem, HOST, Settings::default()),
        &server_config(id, Settings::default()),
    );
    pair.connect();
    let cipher = pair.client.cipher().unwrap();
    assert!(
        cipher.starts_with("ECDHE-RSA-AES128-GCM"),
        "cipher {cipher}"
    );
    exchange_one_each_way(&mut pair);
}

/// Root CA -> leaf; the server sends the leaf, the client trusts only the root.
#[test]
fn ca_signed_leaf_verifies_against_the_ca() {
    let chain = make_chain(KeyType::EcdsaP256, false);
    let mut pair = Pair::new(
        &client_config(&chain.root_pem, HOST, Settings::default()),
        &server_config(&chain.leaf, Settings::default()),
    );
    pair.connect();
    exchange_one_each_way(&mut pair);
}

/// Root -> intermediate -> leaf, the intermediate given as `chain_pem`: only a server that
/// really sends its chain lets a client that trusts the root alone verify it.
#[test]
fn chain_with_intermediate_is_sent_and_verifies() {
    let chain = make_chain(KeyType::EcdsaP256, true);
    let mut config = server_config(&chain.leaf, Settings::default());
    config.chain_pem = chain.intermediate_pem.clone();
    let mut pair = Pair::new(
        &client_config(&chain.root_pem, HOST, Settings::default()),
        &config,
    );
    pair.connect();
    exchange_one_each_way(&mut pair);

    // The same chain as one PEM text (leaf first) in `certificate_pem`.
    let mut config = server_config(&chain.leaf, Settings::default());
    config.certificate_pem = chain.leaf_and_intermediate_pem();
    let mut pair = Pair::new(
        &client_config(&chain.root_pem, HOST, Settings::default()),
        &config,
    );
    pair.connect();
}

#[test]
fn missing_intermediate_fails_verification() {
    let chain = make_chain(KeyType::EcdsaP256, true);
    let mut pair = Pair::new(
        &client_config(&chain.root_pem, HOST, Settings::default()),
        &server_config(&chain.leaf, Settings::default()),
    );
    assert_eq!(client_outcome(&mut pair), Status::Error);
    let why = pair.client.failure().unwrap();
    assert!(why.contains("certificate verification failed"), "{why}");
}

#[test]
fn rsa_chain_with_intermediate_verifies() {
    let chain = make_chain(KeyType::Rsa(2048), true);
    let mut config = server_config(&chain.leaf, Settings::default());
    config.chain_pem = chain.intermediate_pem.clone();
    let mut pair = Pair::new(
        &client_config(&chain.root_pem, HOST, Settings::default()),
        &config,
    );
    pair.connect();
    exchange_one_each_way(&mut pair);
}

#[test]
fn wrong_ca_is_an_error() {
    let server_id = ecdsa_identity();
    let other = identity_for(KeyType::EcdsaP256, &[HOST]);
    let mut pair = Pair::new(
        &client_config(&other.certificate_pem, HOST, Settings::default()),
        &server_config(server_id, Settings::default()),
    );
    assert_eq!(client_outcome(&mut pair), Status::Error);
    let why = pair.client.failure().unwrap();
    assert!(why.contains("certificate verification failed"), "{why}");
    assert_eq!(
        pair.client.send(b"x"),
        Err(DtlsError::NotConnected(Status::Error))
    );
    // The client's fatal alert ends the server's handshake too (it does not wait for a timeout).
    assert!(pair.run_until(Duration::from_secs(5), |p| p.server_status()
        == Some(Status::Error)));
}

#[test]
fn system_roots_reject_a_self_signed_server() {
    let client = ClientConfig::new(HOST);
    assert_eq!(client.verification, Verification::SystemRoots);
    let mut pair = Pair::new(
        &client,
        &server_config(ecdsa_identity(), Settings::default()),
    );
    assert_eq!(client_outcome(&mut pair), Status::Error);
}

#[test]
fn wrong_hostname_is_a_hostname_mismatch() {
    let id = ecdsa_identity();
    let mut pair = Pair::new(
        &client_config(&id.certificate_pem, "other.example", Settings::default()),
        &server_config(id, Settings::default()),
    );
    assert_eq!(client_outcome(&mut pair), Status::ErrorHostnameMismatch);
    let why = pair.client.failure().unwrap();
    assert!(why.contains("not valid for this host"), "{why}");
}

#[test]
fn wrong_ca_and_wrong_hostname_is_an_error_not_a_mismatch() {
    // An untrusted certificate is reported as such even when its name is wrong too.
    let other = identity_for(KeyType::EcdsaP256, &[HOST]);
    let mut pair = Pair::new(
        &client_config(&other.certificate_pem, "other.example", Settings::default()),
        &server_config(ecdsa_identity(), Settings::default()),
    );
    assert_eq!(client_outcome(&mut pair), Status::Error);
}

#[test]
fn ip_address_certificate_matches_and_mismatches() {
    let id = identity_for(KeyType::EcdsaP256, &["127.0.0.1", "::1"]);
    for (host, expected) in [
        ("127.0.0.1", Status::Connected),
        ("::1", Status::Connected),
        ("127.0.0.2", Status::ErrorHostnameMismatch),
        ("::2", Status::ErrorHostnameMismatch),
        // A DNS name against a certificate with IP addresses only.
        ("localhost", Status::ErrorHostnameMismatch),
    ] {
        let mut pair = Pair::new(
            &client_config(&id.certificate_pem, host, Settings::default()),
            &server_config(&id, Settings::default()),
        );
        assert_eq!(
            client_outcome(&mut pair),
            expected,
            "host {host}: {:?}",
            pair.client.failure()
        );
    }
}

#[test]
fn no_hostname_verifies_chain_only() {
    let id = ecdsa_identity();
    for hostname in [None, Some(String::new())] {
        let client = ClientConfig {
            verification: Verification::TrustedPem(id.certificate_pem.clone()),
            hostname,
            settings: Settings::default(),
            ..ClientConfig::default()
        };
        let mut pair = Pair::new(&client, &server_config(id, Settings::default()));
        pair.connect();
    }
}

#[test]
fn godot_style_pem_with_trailing_nul_is_accepted() {
    let id = ecdsa_identity();
    let mut config = server_config(id, Settings::default());
    config.certificate_pem.push('\0');
    config.private_key_pem.push('\0');
    let trusted = format!("{}\0", id.certificate_pem);
    let mut pair = Pair::new(&client_config(&trusted, HOST, Settings::default()), &config);
    pair.connect();
}

fn server_error(config: &ServerConfig) -> DtlsError {
    Server::new(config, Instant::now()).expect_err("the server config should be refused")
}

#[test]
fn invalid_server_certificate_pem_is_invalid_certificate() {
    let id = ecdsa_identity();
    let truncated = &id.certificate_pem[..id.certificate_pem.len() / 2];
    let corrupted = id.certificate_pem.replacen("MII", "AAA", 1);
    for bad in [
        "",
        "\0",
        "not a certificate",
        truncated,
        &corrupted,
        &id.private_key_pem,
    ] {
        let mut config = server_config(id, Settings::default());
        config.certificate_pem = bad.to_string();
        assert!(
            matches!(server_error(&config), DtlsError::InvalidCertificate(_)),
            "certificate {bad:?}: {:?}",
            server_error(&config)
        );
    }
    let mut config = server_config(id, Settings::default());
    config.chain_pem = Some("garbage".into());
    assert!(matches!(
        server_error(&config),
        DtlsError::InvalidCertificate(_)
    ));
}

#[test]
fn invalid_or_mismatched_key_is_invalid_key() {
    let id = ecdsa_identity();
    let other = identity_for(KeyType::EcdsaP256, &[HOST]);
    let truncated = &id.private_key_pem[..id.private_key_pem.len() / 2];
    for bad in ["", "not a key", truncated, &id.certificate_pem] {
        let mut config = server_config(id, Settings::default());
        config.private_key_pem = bad.into();
        let e = server_error(&config);
        assert!(matches!(e, DtlsError::InvalidKey(_)), "key {bad:?}: {e:?}");
    }
    // A valid key of another certificate, of the same and of another type.
    for key in [&other.private_key_pem, &rsa_identity().private_key_pem] {
        let mut config = server_config(id, Settings::default());
        config.private_key_pem = key.clone();
        let e = server_error(&config);
        assert!(
            matches!(&e, DtlsError::InvalidKey(why) if why.contains("does not belong")),
            "{e:?}"
        );
    }
}

#[test]
fn invalid_trusted_pem_is_invalid_certificate() {
    for bad in ["", "garbage"] {
        let client = ClientConfig {
            verification: Verification::TrustedPem(bad.into()),
            hostname: Some(HOST.into()),
            settings: Settings::default(),
            ..ClientConfig::default()
        };
        let e = Session::client(&client, Instant::now()).expect_err("refused");
        assert!(
            matches!(e, DtlsError::InvalidCertificate(_)),
            "{bad:?}: {e:?}"
        );
    }
}

#[test]
fn pem_helpers() {
    assert_eq!(pem::clean_pem("\n  abc \0\0"), "abc");
    let chain = make_chain(KeyType::EcdsaP256, true);
    let certs = pem::certificates_from_pem(&chain.leaf_and_intermediate_pem()).unwrap();
    assert_eq!(certs.len(), 2);
    assert!(matches!(
        pem::certificates_from_pem("x"),
        Err(DtlsError::InvalidCertificate(_))
    ));
    assert!(pem::private_key_from_pem(&chain.leaf.private_key_pem).is_ok());
    assert!(matches!(
        pem::private_key_from_pem("\0"),
        Err(DtlsError::InvalidKey(_))
    ));
}

#[test]
fn certificate_generation_errors_and_key_types() {
    assert!(matches!(
        generate_key(KeyType::Rsa(1024)),
        Err(DtlsError::InvalidConfig(_))
    ));
    assert!(matches!(
        self_signed(&[], KeyType::EcdsaP256, Duration::from_secs(60)),
        Err(DtlsError::InvalidConfig(_))
    ));
    let x509 = |pem: &str| openssl::x509::X509::from_pem(pem.as_bytes()).unwrap();
    let ec = x509(&ecdsa_identity().certificate_pem);
    assert_eq!(ec.public_key().unwrap().id(), openssl::pkey::Id::EC);
    let rsa = x509(&rsa_identity().certificate_pem);
    assert_eq!(rsa.public_key().unwrap().rsa().unwrap().size() * 8, 2048);
    let names: Vec<String> = ec
        .subject_alt_names()
        .unwrap()
        .iter()
        .filter_map(|n| n.dnsname().map(str::to_string))
        .collect();
    assert_eq!(names, [HOST]);
}

#[test]
fn invalid_settings_are_invalid_config() {
    let id = ecdsa_identity();
    let bad_settings = [
        Settings {
            mtu: 100,
            ..Settings::default()
        },
        Settings {
            mtu: 70_000,
            ..Settings::default()
        },
        Settings {
            handshake_timeout: Duration::ZERO,
            ..Settings::default()
        },
        Settings {
            initial_retransmit: Duration::ZERO,
            ..Settings::default()
        },
        Settings {
            cipher_list: "NO-SUCH-CIPHER".into(),
            ..Settings::default()
        },
    ];
    for settings in bad_settings {
        let e = server_error(&server_config(id, settings.clone()));
        assert!(
            matches!(e, DtlsError::InvalidConfig(_)),
            "{settings:?}: {e:?}"
        );
        let e = Session::client(
            &client_config(&id.certificate_pem, HOST, settings.clone()),
            Instant::now(),
        )
        .expect_err("refused");
        assert!(
            matches!(e, DtlsError::InvalidConfig(_)),
            "{settings:?}: {e:?}"
        );
    }
    let mut config = server_config(id, Settings::default());
    config.cookie_rotation = Duration::ZERO;
    assert!(matches!(server_error(&config), DtlsError::InvalidConfig(_)));
}
