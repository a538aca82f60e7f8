//! PEM text of Godot's `X509Certificate` / `CryptoKey`. `X509Certificate.save_to_string()` ends
//! its PEM with a NUL that makes Godot print a "Unicode parsing error"; muting the engine's
//! errors around it would hide other threads' errors too. So the certificate is written with
//! `X509Certificate.save()` (which leaves the NUL out) to a file of this thread's own under
//! `user://`, read back and removed; only when that fails does `save_to_string()` run.

use std::sync::atomic::{AtomicU64, Ordering};

use godot::builtin::GString;
use godot::classes::{CryptoKey, DirAccess, FileAccess, ProjectSettings, X509Certificate};
use godot::global::Error;
use godot::obj::{Gd, Singleton};

/// Makes every scratch file name unique within the process.
static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// The certificate (or chain) as PEM, without Godot's trailing NUL.
pub fn certificate_pem(certificate: &mut Gd<X509Certificate>) -> String {
    let pem = match saved_pem(certificate) {
        Some(pem) => pem,
        None => certificate.save_to_string().to_string(),
    };
    openssl_dtls_core::pem::clean_pem(&pem).to_string()
}

/// The certificate's PEM through a scratch file, or `None` when the file cannot be used.
fn saved_pem(certificate: &mut Gd<X509Certificate>) -> Option<String> {
    let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
    let path = GString::from(&format!(
        "user://.openssl_dtls_{}_{n}.pem",
        std::process::id()
    ));
    let saved = certificate.save(&path) == Error::OK;
    let pem = saved.then(|| FileAccess::get_file_as_string(&path).to_string());
    if FileAccess::file_exists(&path) {
        let absolute = ProjectSettings::singleton().globalize_path(&path);
        let _ = DirAccess::remove_absolute(&absolute);
    }
    pem.filter(|p| !p.is_empty())
}

/// The private key as PEM.
pub fn key_pem(key: &mut Gd<CryptoKey>) -> String {
    let pem = key.save_to_string().to_string();
    openssl_dtls_core::pem::clean_pem(&pem).to_string()
}
