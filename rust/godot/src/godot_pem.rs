//! PEM text of Godot's `X509Certificate` / `CryptoKey`. `X509Certificate.save_to_string()` ends
//! its PEM with a NUL that makes Godot print a "Unicode parsing error" on every call; that
//! engine message is muted for the duration of the call.

use godot::classes::{CryptoKey, Engine, X509Certificate};
use godot::obj::{Gd, Singleton};
use parking_lot::Mutex;

/// Held while error printing is muted, so two threads cannot interleave their save/restore of
/// the engine's setting (which could leave it muted for good).
static QUIET: Mutex<()> = Mutex::new(());

/// Runs `f` with Godot's error printing off, restoring the previous setting.
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    let _guard = QUIET.lock();
    let mut engine = Engine::singleton();
    let was = engine.is_printing_error_messages();
    engine.set_print_error_messages(false);
    let out = f();
    engine.set_print_error_messages(was);
    out
}

/// The certificate (or chain) as PEM, without Godot's trailing NUL.
pub fn certificate_pem(certificate: &mut Gd<X509Certificate>) -> String {
    let pem = quietly(|| certificate.save_to_string()).to_string();
    openssl_dtls_core::pem::clean_pem(&pem).to_string()
}

/// The private key as PEM.
pub fn key_pem(key: &mut Gd<CryptoKey>) -> String {
    let pem = key.save_to_string().to_string();
    openssl_dtls_core::pem::clean_pem(&pem).to_string()
}
