//! Key material never shows in `Debug` output: PSK keys, private keys, and the configs holding
//! them print sizes instead.

mod common;

use std::collections::BTreeMap;

use common::{ecdsa_identity, server_config};
use openssl_dtls_core::{ClientConfig, OwnCertificate, Psk, PskKeys, Settings};

/// The base64 body lines of a PEM private key (what must never appear).
fn key_body(pem: &str) -> Vec<&str> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .collect()
}

fn assert_hides(debug: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !debug.contains(s),
            "Debug output shows a secret {s:?}: {debug}"
        );
    }
}

#[test]
fn debug_output_shows_no_key_material() {
    let id = ecdsa_identity();
    let body = key_body(&id.private_key_pem);
    assert!(!body.is_empty());
    let key_hex = "PSKSECRET-0123456789";
    let psk = Psk {
        identity: "player-7".into(),
        key: key_hex.as_bytes().to_vec(),
    };
    let shown = format!("{psk:?}");
    assert!(
        shown.contains("player-7") && shown.contains("20 bytes"),
        "{shown}"
    );
    assert_hides(&shown, &[key_hex, "80, 83, 75"]);

    let keys = PskKeys {
        hint: "hint".into(),
        keys: BTreeMap::from([("player-7".to_string(), key_hex.as_bytes().to_vec())]),
    };
    let own = OwnCertificate {
        certificate_pem: id.certificate_pem.clone(),
        private_key_pem: id.private_key_pem.to_string(),
        chain_pem: None,
    };
    let client = ClientConfig {
        psk: Some(psk.clone()),
        certificate: Some(own.clone()),
        ..ClientConfig::new("localhost")
    };
    let mut server = server_config(id, Settings::default());
    server.psk = Some(keys.clone());
    for shown in [
        format!("{keys:?}"),
        format!("{own:?}"),
        format!("{client:?}"),
        format!("{server:?}"),
        format!("{id:?}"),
        format!("{client:#?}{server:#?}"),
    ] {
        assert_hides(&shown, &[key_hex]);
        assert_hides(&shown, &body);
        assert!(shown.contains("redacted"), "{shown}");
    }
}
