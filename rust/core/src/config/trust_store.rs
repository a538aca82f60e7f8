//! Finds the system's trusted root certificates. A vendored OpenSSL's compiled-in default path
//! points at its own build prefix, so the usual locations are probed instead.

use std::path::Path;

use openssl::ssl::{SslContextBuilder, SslFiletype};
use openssl::x509::store::X509Lookup;

/// CA bundle files of the common Linux distributions, BSDs and macOS (Homebrew / system).
const BUNDLE_FILES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/etc/openssl/cert.pem",
    "/opt/homebrew/etc/openssl@3/cert.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
];

/// Hashed certificate directories.
const CERT_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// Points the context at the system trust store: `SSL_CERT_FILE` / `SSL_CERT_DIR` when set,
/// else the first bundle file found, else OpenSSL's defaults. Returns what was used, for logs.
pub(crate) fn load_system_roots(builder: &mut SslContextBuilder) -> String {
    let env_file = std::env::var("SSL_CERT_FILE").ok();
    let env_dir = std::env::var("SSL_CERT_DIR").ok();
    let files = env_file
        .iter()
        .map(String::as_str)
        .chain(BUNDLE_FILES.iter().copied());
    let dirs = env_dir
        .iter()
        .map(String::as_str)
        .chain(CERT_DIRS.iter().copied());
    for file in files {
        if Path::new(file).is_file() && builder.set_ca_file(file).is_ok() {
            return file.to_string();
        }
    }
    for dir in dirs {
        if Path::new(dir).is_dir() && add_hashed_dir(builder, dir) {
            return dir.to_string();
        }
    }
    let _ = builder.set_default_verify_paths();
    "OpenSSL default verify paths".to_string()
}

/// Adds a hashed certificate directory (`c_rehash` layout) to the context's store.
fn add_hashed_dir(builder: &mut SslContextBuilder, dir: &str) -> bool {
    builder
        .cert_store_mut()
        .add_lookup(X509Lookup::hash_dir())
        .and_then(|lookup| lookup.add_dir(dir, SslFiletype::PEM))
        .is_ok()
}
