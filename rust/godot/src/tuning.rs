//! Turning the tuning properties shared by both classes (MTU, timers, ciphers) into core
//! `Settings`, and the Godot values both classes accept (PSK keys, PEM of certificates).

use std::time::Duration;

use godot::classes::{CryptoKey, X509Certificate};
use godot::prelude::*;
use openssl_dtls_core::{DtlsError, DtlsVersion, OwnCertificate, RecordLayer, Settings};

use crate::godot_pem;

/// Core settings from the properties (seconds as floats); ranges are checked by the core.
pub fn settings(
    mtu: i64,
    handshake_timeout: f64,
    initial_retransmit: f64,
    cipher_list: &GString,
    min_protocol_version: &GString,
    own_record_layer: bool,
) -> Result<Settings, DtlsError> {
    let seconds = |what: &str, s: f64| {
        if s.is_finite() && s > 0.0 && s <= 3600.0 {
            Ok(Duration::from_secs_f64(s))
        } else {
            Err(DtlsError::InvalidConfig(format!(
                "{what} must be within (0, 3600] seconds, not {s}"
            )))
        }
    };
    let mtu = usize::try_from(mtu)
        .map_err(|_| DtlsError::InvalidConfig(format!("MTU {mtu} is negative")))?;
    // The bundled OpenSSL speaks DTLS 1.2 only; DTLS 1.3 joins here when OpenSSL ships it.
    let min_version = match min_protocol_version.to_string().as_str() {
        "DTLSv1.2" => DtlsVersion::Dtls1_2,
        other => {
            return Err(DtlsError::InvalidConfig(format!(
                "min_protocol_version {other:?} is not available: this build speaks \"DTLSv1.2\""
            )))
        }
    };
    let settings = Settings {
        mtu,
        min_version,
        handshake_timeout: seconds("handshake_timeout", handshake_timeout)?,
        initial_retransmit: seconds("initial_retransmit_timeout", initial_retransmit)?,
        cipher_list: cipher_list.to_string(),
        record_layer: if own_record_layer {
            RecordLayer::Own
        } else {
            RecordLayer::OpenSsl
        },
        ..Settings::default()
    };
    settings.validate()?;
    Ok(settings)
}

/// Strings of a PackedStringArray.
pub fn strings(list: &PackedStringArray) -> Vec<String> {
    list.as_slice().iter().map(|s| s.to_string()).collect()
}

/// A certificate and key of ours (client certificate, or the server's).
pub fn own_certificate(
    mut key: Gd<CryptoKey>,
    mut certificate: Gd<X509Certificate>,
    chain: Option<Gd<X509Certificate>>,
) -> Result<OwnCertificate, String> {
    if key.is_public_only() {
        return Err("key is a public key: a private key is needed".into());
    }
    Ok(OwnCertificate {
        certificate_pem: godot_pem::certificate_pem(&mut certificate),
        private_key_pem: godot_pem::key_pem(&mut key),
        chain_pem: chain.map(|mut c| godot_pem::certificate_pem(&mut c)),
    })
}
