//! Bad server certificates, each with the status and reason a client gets: expired, not yet
//! valid, wrong (extended) key usage, self-signed where a CA is required, a chain missing its
//! intermediate, and host names that do not match through the SAN or the common name.
//!
//! Host names, as OpenSSL checks them (`X509_check_host`): a certificate with DNS names in its
//! subjectAltName is matched against those only, its common name is ignored; a certificate with no
//! DNS SAN at all is matched against its common name.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use openssl_dtls_core::rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyUsagePurpose,
};
use openssl_dtls_core::{generate_key, Identity, KeyType, Settings, Status};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// A root CA and a leaf it signs, made from `leaf` parameters.
struct Signed {
    root_pem: String,
    leaf: Identity,
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let now = SystemTime::now();
    params.not_before = (now - DAY).into();
    params.not_after = (now + DAY).into();
    params
}

/// Leaf parameters for "localhost" (SAN and CN), valid from an hour ago for a day.
fn leaf_params() -> CertificateParams {
    openssl_dtls_core::params_for(&[HOST.to_string()], DAY).unwrap()
}

fn signed_by_root(leaf: CertificateParams) -> Signed {
    let root_key = generate_key(KeyType::EcdsaP256).unwrap();
    let root_params = ca_params("Bad Certificates Root CA");
    let root_cert = root_params.self_signed(&root_key).unwrap();
    let root = Issuer::new(root_params, &root_key);
    let leaf_key = generate_key(KeyType::EcdsaP256).unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &root).unwrap();
    Signed {
        root_pem: root_cert.pem(),
        leaf: Identity {
            certificate_pem: leaf_cert.pem(),
            private_key_pem: leaf_key.serialize_pem().into(),
        },
    }
}

/// The client's outcome (status and reason) against a server presenting `served`, trusting
/// `trusted` and checking `hostname`; the server's session status when it has one.
fn outcome(trusted: &str, hostname: &str, served: &Identity) -> (Status, String, Option<Status>) {
    let mut pair = Pair::new(
        &client_config(trusted, hostname, Settings::default()),
        &server_config(served, Settings::default()),
    );
    // Until the client has a result and the server has seen it (its alert, or the last flight).
    let done = pair.run_until(Duration::from_secs(10), |p| {
        (!p.client.status().is_active() && p.is_quiet()) || p.both_connected()
    });
    assert!(done, "no outcome: client {:?}", pair.client.status());
    (
        pair.client.status(),
        pair.client.failure().unwrap_or_default().to_string(),
        pair.server_status(),
    )
}

fn assert_rejected(result: (Status, String, Option<Status>), status: Status, reason: &str) {
    let (got, why, server) = result;
    assert_eq!(got, status, "{why}");
    assert!(why.contains(reason), "reason {why:?} lacks {reason:?}");
    // The server learns of it through the client's fatal alert.
    assert_ne!(server, Some(Status::Connected), "server connected: {why}");
    println!("{status:?}: {why}");
}

#[test]
fn expired_certificate_is_an_error() {
    let mut params = leaf_params();
    let now = SystemTime::now();
    params.not_before = (now - 10 * DAY).into();
    params.not_after = (now - DAY).into();
    let s = signed_by_root(params);
    assert_rejected(
        outcome(&s.root_pem, HOST, &s.leaf),
        Status::Error,
        "certificate has expired",
    );
}

#[test]
fn not_yet_valid_certificate_is_an_error() {
    let mut params = leaf_params();
    let now = SystemTime::now();
    params.not_before = (now + DAY).into();
    params.not_after = (now + 10 * DAY).into();
    let s = signed_by_root(params);
    assert_rejected(
        outcome(&s.root_pem, HOST, &s.leaf),
        Status::Error,
        "certificate is not yet valid",
    );
}

#[test]
fn client_auth_only_extended_key_usage_is_an_error() {
    let mut params = leaf_params();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let s = signed_by_root(params);
    assert_rejected(
        outcome(&s.root_pem, HOST, &s.leaf),
        Status::Error,
        "certificate verification failed: unsuitable certificate purpose",
    );
}

#[test]
fn server_auth_extended_key_usage_is_accepted() {
    // The control for the test above: the same leaf with serverAuth connects.
    let mut params = leaf_params();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let s = signed_by_root(params);
    let (status, why, server) = outcome(&s.root_pem, HOST, &s.leaf);
    assert_eq!(status, Status::Connected, "{why}");
    assert_eq!(server, Some(Status::Connected));
}

#[test]
fn key_cert_sign_only_key_usage_is_an_error() {
    // No digitalSignature: the ECDSA leaf cannot sign the ECDHE key exchange. The server's
    // OpenSSL finds no cipher suite its certificate may serve and fails the handshake itself
    // (before the client verifies anything); the client gets its handshake_failure alert.
    let mut params = leaf_params();
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let s = signed_by_root(params);
    let mut pair = Pair::new(
        &client_config(&s.root_pem, HOST, Settings::default()),
        &server_config(&s.leaf, Settings::default()),
    );
    let done = pair.run_until(Duration::from_secs(10), |p| {
        !p.client.status().is_active() && p.is_quiet()
    });
    assert!(done, "no outcome: client {:?}", pair.client.status());
    assert_eq!(pair.server_status(), Some(Status::Error));
    let server_why = pair
        .server_session
        .as_ref()
        .unwrap()
        .failure()
        .unwrap()
        .to_string();
    assert!(
        server_why.contains("no shared cipher"),
        "server: {server_why}"
    );
    assert_eq!(pair.client.status(), Status::Error);
    let why = pair.client.failure().unwrap();
    assert!(why.contains("alert handshake failure"), "client: {why}");
    println!("keyCertSign-only leaf: server {server_why:?}, client {why:?}");
}

#[test]
fn self_signed_leaf_when_a_ca_is_required_is_an_error() {
    let ca = signed_by_root(leaf_params());
    let unrelated = identity_for(KeyType::EcdsaP256, &[HOST]);
    assert_rejected(
        outcome(&ca.root_pem, HOST, &unrelated),
        Status::Error,
        "self-signed certificate",
    );
}

#[test]
fn chain_missing_its_intermediate_is_an_error() {
    let chain = make_chain(KeyType::EcdsaP256, true);
    assert_rejected(
        outcome(&chain.root_pem, HOST, &chain.leaf),
        Status::Error,
        "unable to get local issuer certificate",
    );
    // The same chain with the intermediate sent connects.
    let full = Identity {
        certificate_pem: chain.leaf_and_intermediate_pem(),
        private_key_pem: chain.leaf.private_key_pem.clone(),
    };
    assert_eq!(outcome(&chain.root_pem, HOST, &full).0, Status::Connected);
}

#[test]
fn san_for_another_name_is_a_hostname_mismatch() {
    let s =
        signed_by_root(openssl_dtls_core::params_for(&["other.example".to_string()], DAY).unwrap());
    assert_rejected(
        outcome(&s.root_pem, HOST, &s.leaf),
        Status::ErrorHostnameMismatch,
        "not valid for this host",
    );
    assert_eq!(
        outcome(&s.root_pem, "other.example", &s.leaf).0,
        Status::Connected
    );
}

#[test]
fn common_name_is_ignored_when_a_dns_san_exists() {
    // SAN other.example, CN localhost: "localhost" does not match.
    let mut params = openssl_dtls_core::params_for(&["other.example".to_string()], DAY).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, HOST);
    params.distinguished_name = dn;
    let s = signed_by_root(params);
    assert_rejected(
        outcome(&s.root_pem, HOST, &s.leaf),
        Status::ErrorHostnameMismatch,
        "not valid for this host",
    );
}

#[test]
fn common_name_only_certificate_is_matched_by_its_common_name() {
    // No SAN at all: OpenSSL falls back to the common name.
    let mut params = leaf_params();
    params.subject_alt_names.clear();
    let s = signed_by_root(params);
    let (status, why, _) = outcome(&s.root_pem, HOST, &s.leaf);
    assert_eq!(
        status,
        Status::Connected,
        "CN-only certificate for the right name: {why}"
    );
    assert_rejected(
        outcome(&s.root_pem, "other.example", &s.leaf),
        Status::ErrorHostnameMismatch,
        "not valid for this host",
    );
}

#[test]
fn expired_and_wrong_name_reports_the_name_mismatch() {
    // OpenSSL checks the host name (check_id) before validity dates and signatures
    // (internal_verify): an expired certificate for another name is a host name mismatch. (An
    // untrusted chain still comes first: building the chain precedes both.)
    let mut params = openssl_dtls_core::params_for(&["other.example".to_string()], DAY).unwrap();
    let now = SystemTime::now();
    params.not_before = (now - 10 * DAY).into();
    params.not_after = (now - DAY).into();
    let s = signed_by_root(params);
    assert_rejected(
        outcome(&s.root_pem, HOST, &s.leaf),
        Status::ErrorHostnameMismatch,
        "not valid for this host",
    );
}
