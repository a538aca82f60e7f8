//! PEM parsing of certificates and keys (lossy UTF-8 of the input, as Godot hands over strings).
#![no_main]

use libfuzzer_sys::fuzz_target;
use openssl_dtls_core::pem;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = pem::clean_pem(&text);
    if let Ok(certs) = pem::certificates_from_pem(&text) {
        assert!(!certs.is_empty());
    }
    let _ = pem::private_key_from_pem(&text);
});
