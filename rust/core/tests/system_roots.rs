//! The system-roots path (`Verification::SystemRoots`) trusts what the system's store holds:
//! with `SSL_CERT_FILE` naming a bundle that holds a test root, a server whose chain leads to it
//! connects, and with a bundle that does not hold it the handshake fails. (A test that only
//! expects failure would pass with a system-roots path that trusts nothing.) Alone in its test
//! binary because it sets the process's environment.

mod common;

use std::time::Duration;

use common::*;
use openssl_dtls_core::{ClientConfig, Settings, Status, Verification};

/// A client using the system's roots for "localhost"; `mtu` keeps each case's client context
/// apart in the core's cache of contexts (the store is read when a context is made).
fn system_roots_client(mtu: usize) -> ClientConfig {
    ClientConfig {
        verification: Verification::SystemRoots,
        hostname: Some(HOST.to_string()),
        settings: Settings {
            mtu,
            ..fast_settings()
        },
        ..ClientConfig::default()
    }
}

#[test]
fn system_roots_trust_a_chain_to_a_root_in_the_store_and_nothing_else() {
    let chain = make_chain(openssl_dtls_core::KeyType::EcdsaP256, true);
    // Another certificate in both bundles (a self-signed one: a root with another name).
    let stranger = &ecdsa_identity().certificate_pem;
    let dir = std::env::temp_dir().join(format!("system-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let with_root = dir.join("with-root.pem");
    let without_root = dir.join("without-root.pem");
    std::fs::write(&with_root, format!("{stranger}{}", chain.root_pem)).expect("write");
    std::fs::write(&without_root, stranger).expect("write");
    let server = {
        let mut config = server_config(&chain.leaf, fast_settings());
        config.certificate_pem = chain.leaf_and_intermediate_pem();
        config
    };

    for (bundle, mtu, expected) in [
        (&with_root, 1200, Status::Connected),
        (&without_root, 1201, Status::Error),
    ] {
        // SAFETY of the environment change: this binary runs this one test only.
        std::env::set_var("SSL_CERT_FILE", bundle);
        let mut pair = Pair::new(&system_roots_client(mtu), &server);
        pair.run_until(Duration::from_secs(10), |p| {
            p.client.status() != Status::Handshaking
        });
        assert_eq!(
            pair.client.status(),
            expected,
            "{}: {:?}",
            bundle.display(),
            pair.client.failure()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
