//! What a client trusts when it validates certificates without a `valid_certificate`: what
//! Godot's own TLS trusts, in Godot's order. The project setting
//! `network/tls/certificate_bundle_override` (a PEM file), else the system's store as Godot reads
//! it (`OS.get_system_ca_certificates()`: the Windows and macOS stores too, not only Linux files),
//! else the core's own loader (Godot's compiled-in bundle is not reachable from an extension).
//! The roots reach the core as `Verification::TrustedPem`: like Godot's mbedTLS, every certificate
//! in the bundle anchors a chain (a self-signed server certificate listed there is trusted).

use std::sync::OnceLock;

use godot::classes::{FileAccess, Os, ProjectSettings};
use godot::obj::Singleton;
use openssl_dtls_core::Verification;

/// Godot's project setting naming a PEM bundle that replaces the system's roots.
const BUNDLE_OVERRIDE: &str = "network/tls/certificate_bundle_override";
const PEM_CERTIFICATE: &str = "-----BEGIN CERTIFICATE-----";

/// `verification` with the system's roots replaced by Godot's; anything else unchanged. An
/// override that names no readable PEM bundle is an error (Godot's own TLS then trusts nothing).
pub(crate) fn godot_roots(verification: Verification) -> Result<Verification, String> {
    if verification != Verification::SystemRoots {
        return Ok(verification);
    }
    if let Some(pem) = bundle_override()? {
        return Ok(Verification::TrustedPem(pem));
    }
    Ok(match system_certificates() {
        Some(pem) => Verification::TrustedPem(pem.to_string()),
        None => Verification::SystemRoots,
    })
}

/// The override bundle's text when the setting names a file.
fn bundle_override() -> Result<Option<String>, String> {
    let path = ProjectSettings::singleton()
        .get_setting(BUNDLE_OVERRIDE)
        .try_to::<String>()
        .unwrap_or_default();
    if path.is_empty() {
        return Ok(None);
    }
    let pem = FileAccess::get_file_as_string(&path).to_string();
    if !pem.contains(PEM_CERTIFICATE) {
        return Err(format!(
            "the project setting {BUNDLE_OVERRIDE} names {path:?}, which holds no PEM certificate"
        ));
    }
    Ok(Some(pem))
}

/// The system's roots as Godot reads them, once per process (the store is read on every call and
/// is large); `None` when the platform gives none.
fn system_certificates() -> Option<&'static str> {
    static SYSTEM: OnceLock<String> = OnceLock::new();
    let pem = SYSTEM.get_or_init(|| Os::singleton().get_system_ca_certificates().to_string());
    pem.contains(PEM_CERTIFICATE).then_some(pem.as_str())
}
