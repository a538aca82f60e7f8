//! Reading certificates and keys from PEM text, as Godot's `save_to_string()` produces it
//! (which ends with a NUL character that OpenSSL must not see).

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;

use crate::DtlsError;

/// Removes the trailing NUL characters and surrounding white space Godot leaves on PEM strings.
pub fn clean_pem(pem: &str) -> &str {
    pem.trim_matches(|c: char| c == '\0' || c.is_whitespace())
}

/// Every certificate in a PEM text, in order (leaf first for a chain). At least one is required.
pub fn certificates_from_pem(pem: &str) -> Result<Vec<X509>, DtlsError> {
    let pem = clean_pem(pem);
    if pem.is_empty() {
        return Err(DtlsError::InvalidCertificate("empty PEM text".into()));
    }
    let certs = X509::stack_from_pem(pem.as_bytes())
        .map_err(|e| DtlsError::InvalidCertificate(e.to_string()))?;
    if certs.is_empty() {
        return Err(DtlsError::InvalidCertificate(
            "no CERTIFICATE block in the PEM text".into(),
        ));
    }
    Ok(certs)
}

/// A private key (PKCS#8, PKCS#1 RSA or SEC1 EC) from PEM text.
pub fn private_key_from_pem(pem: &str) -> Result<PKey<Private>, DtlsError> {
    let pem = clean_pem(pem);
    if pem.is_empty() {
        return Err(DtlsError::InvalidKey("empty PEM text".into()));
    }
    PKey::private_key_from_pem(pem.as_bytes()).map_err(|e| DtlsError::InvalidKey(e.to_string()))
}
