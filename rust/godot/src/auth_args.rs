//! The authentication arguments GDScript passes, checked and converted in one place for every
//! class that takes them (the packet peer, the server, the multiplayer peer): a client's
//! `set_psk(identity, key)` and `set_client_certificate(key, certificate)`, a server's
//! `set_psk_keys(keys, hint)` and `set_client_certificate_mode(mode, trusted)`. Each refusal is
//! `ERR_INVALID_PARAMETER` with one message naming the class and method.
//! `ClientCertificateMode` (`OpenSSLDTLSServer.ClientCertificateMode`, also taken by the multiplayer
//! peer) lives here, with the argument that takes it.

use std::collections::BTreeMap;

use godot::classes::{CryptoKey, X509Certificate};
use godot::global::Error;
use godot::prelude::*;
use openssl_dtls_core::{ClientAuth, OwnCertificate, Psk, PskKeys, MAX_PSK_LEN};

use crate::class_enum::class_enum;
use crate::{godot_pem, misuse, tuning};

/// Puts a checked argument in its field and answers `OK`, or leaves the field as it was and
/// answers the refusal's error (its message already printed).
pub(crate) fn store<T>(field: &mut T, checked: Result<T, Error>) -> Error {
    match checked {
        Ok(value) => {
            *field = value;
            Error::OK
        }
        Err(e) => e,
    }
}

/// A client's identity and key, or `ERR_INVALID_PARAMETER` with one message from `class.set_psk`.
pub(crate) fn client_psk(
    class: &str,
    identity: GString,
    key: PackedByteArray,
) -> Result<Psk, Error> {
    if key.is_empty() || key.len() > MAX_PSK_LEN {
        return Err(misuse(
            class,
            "set_psk",
            Error::ERR_INVALID_PARAMETER,
            format!("key must have 1..={MAX_PSK_LEN} bytes"),
        ));
    }
    Ok(Psk {
        identity: identity.to_string(),
        key: key.to_vec(),
    })
}

/// A server's table of identities and keys (`None` when `keys` is empty: PSK off), or
/// `ERR_INVALID_PARAMETER` with one message from `class.set_psk_keys`.
pub(crate) fn server_psk_keys(
    class: &str,
    keys: VarDictionary,
    hint: GString,
) -> Result<Option<PskKeys>, Error> {
    let mut table = BTreeMap::new();
    for (identity, key) in keys.iter_shared() {
        let (Ok(identity), Ok(key)) = (
            identity.try_to::<GString>(),
            key.try_to::<PackedByteArray>(),
        ) else {
            return Err(misuse(
                class,
                "set_psk_keys",
                Error::ERR_INVALID_PARAMETER,
                "keys must map String identities to PackedByteArray keys",
            ));
        };
        table.insert(identity.to_string(), key.to_vec());
    }
    Ok((!table.is_empty()).then(|| PskKeys {
        hint: hint.to_string(),
        keys: table,
    }))
}

/// A client's certificate to present (`None` for both: present none), with an optional chain.
pub(crate) fn client_certificate(
    class: &str,
    key: Option<Gd<CryptoKey>>,
    certificate: Option<Gd<X509Certificate>>,
    chain: Option<Gd<X509Certificate>>,
) -> Result<Option<OwnCertificate>, Error> {
    let refuse = |why: String| {
        misuse(
            class,
            "set_client_certificate",
            Error::ERR_INVALID_PARAMETER,
            why,
        )
    };
    match (key, certificate) {
        (None, None) => Ok(None),
        (Some(key), Some(certificate)) => tuning::own_certificate(key, certificate, chain)
            .map(Some)
            .map_err(refuse),
        _ => Err(refuse("key and certificate go together".into())),
    }
}

class_enum! {
    /// Whether `OpenSSLDTLSServer` asks clients for certificates.
    pub struct ClientCertificateMode = "OpenSSLDTLSServer"."ClientCertificateMode" {
        CLIENT_CERTIFICATE_NONE = 0,
        CLIENT_CERTIFICATE_OPTIONAL = 1,
        CLIENT_CERTIFICATE_REQUIRED = 2,
    }
}

/// A server's demand for client certificates, which must chain to `trusted`.
pub(crate) fn client_auth(
    class: &str,
    mode: ClientCertificateMode,
    trusted: Option<Gd<X509Certificate>>,
) -> Result<ClientAuth, Error> {
    let refuse = |why: String| {
        misuse(
            class,
            "set_client_certificate_mode",
            Error::ERR_INVALID_PARAMETER,
            why,
        )
    };
    let trusted_pem = trusted.map(|mut c| godot_pem::certificate_pem(&mut c));
    match (mode.0, trusted_pem) {
        (0, _) => Ok(ClientAuth::None),
        (1, Some(pem)) => Ok(ClientAuth::Optional(pem)),
        (2, Some(pem)) => Ok(ClientAuth::Required(pem)),
        (1 | 2, None) => Err(refuse(
            "a trusted certificate is needed to verify clients".into(),
        )),
        (other, _) => Err(refuse(format!("unknown mode {other}"))),
    }
}
