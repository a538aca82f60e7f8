//! PEM text of Godot's `X509Certificate` / `CryptoKey`. `X509Certificate.save_to_string()` ends
//! its PEM with a NUL that makes Godot print a "Unicode parsing error"; muting the engine's
//! errors around it would hide other threads' errors too. So the certificate is written with
//! `X509Certificate.save()` (which leaves the NUL out) to a file of this thread's own under
//! `user://`, read back and removed; only when that fails does `save_to_string()` run.
//!
//! That file costs a few hundred microseconds and ~30 system calls (more than the whole rest of
//! `connect_to_peer`), so each certificate object is read once: its PEM is remembered by the
//! object's instance id (ids are never reused within a process), for the last
//! [`REMEMBERED`] objects. A `load()` into an object already used is therefore not seen; Godot's
//! own TLS refuses `load()` on a certificate in use too. Certificates the addon makes itself
//! (peer certificates, generated ones) are remembered when made, so they are never written out.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use godot::builtin::GString;
use godot::classes::{CryptoKey, DirAccess, FileAccess, ProjectSettings, X509Certificate};
use godot::global::Error;
use godot::obj::{Gd, InstanceId, Singleton};

/// Makes every scratch file name unique within the process.
static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// How many certificate objects' PEM is remembered.
const REMEMBERED: usize = 64;

/// The PEM of the certificate objects read last, newest at the back.
static READ: Mutex<VecDeque<(InstanceId, Arc<str>)>> = Mutex::new(VecDeque::new());

/// The certificate (or chain) as PEM, without Godot's trailing NUL.
pub fn certificate_pem(certificate: &mut Gd<X509Certificate>) -> String {
    let id = certificate.instance_id();
    if let Some(pem) = recalled(id) {
        return pem.to_string();
    }
    let pem = match saved_pem(certificate) {
        Some(pem) => pem,
        None => certificate.save_to_string().to_string(),
    };
    let pem = openssl_dtls_core::pem::clean_pem(&pem).to_string();
    if !pem.is_empty() {
        remember(id, &pem);
    }
    pem
}

/// A certificate object the addon has just filled with `pem` itself: its PEM is known already.
pub fn made_from(certificate: &Gd<X509Certificate>, pem: &str) {
    remember(
        certificate.instance_id(),
        openssl_dtls_core::pem::clean_pem(pem),
    );
}

fn recalled(id: InstanceId) -> Option<Arc<str>> {
    let read = READ.lock();
    read.iter()
        .rev()
        .find(|(known, _)| *known == id)
        .map(|(_, pem)| Arc::clone(pem))
}

fn remember(id: InstanceId, pem: &str) {
    let mut read = READ.lock();
    read.retain(|(known, _)| *known != id);
    if read.len() >= REMEMBERED {
        read.pop_front();
    }
    read.push_back((id, Arc::from(pem)));
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
