//! `OpenSSLDTLSCertificates`: makes self-signed certificates (rcgen; ECDSA P-256 by default) as
//! Godot `X509Certificate` + `CryptoKey`, usable by these classes and by Godot's own TLS/DTLS.

use std::time::Duration;

use godot::classes::{CryptoKey, X509Certificate};
use godot::global::Error;
use godot::prelude::*;
use godot::register::private::constant::{ConstantKind, ExportConstant, IntegerConstant};
use openssl_dtls_core::{self_signed, KeyType};

use crate::misuse;

/// Certificate helper: self-signed certificates and keys for development, LAN games and tests.
///
/// [codeblock]
/// var id = OpenSSLDTLSCertificates.generate_self_signed(["localhost", "127.0.0.1"])
/// server.setup(id.key, id.certificate)
/// [/codeblock]
#[derive(GodotClass)]
#[class(base=RefCounted, init, tool, rename=OpenSSLDTLSCertificates)]
pub struct OpenSSLDtlsCertificates {
    base: Base<RefCounted>,
}

const CLASS: &str = "OpenSSLDTLSCertificates";

/// `KeyType` constants: (name, value, core key type).
const KEY_TYPES: [(&str, i64, KeyType); 3] = [
    ("KEY_ECDSA_P256", 0, KeyType::EcdsaP256),
    ("KEY_RSA_2048", 1, KeyType::Rsa(2048)),
    ("KEY_RSA_4096", 2, KeyType::Rsa(4096)),
];

#[godot_api]
impl OpenSSLDtlsCertificates {
    /// Makes a self-signed certificate valid for [param host_names] (DNS names and IP addresses;
    /// the first is also the common name) for [param valid_days] days, with a key of
    /// [param key_type] ([code]KEY_ECDSA_P256[/code] default, [code]KEY_RSA_2048[/code],
    /// [code]KEY_RSA_4096[/code]). Returns [code]{ "certificate": X509Certificate, "key": CryptoKey }[/code],
    /// or an empty [Dictionary] after printing why.
    #[func]
    fn generate_self_signed(
        #[opt(default = &PackedStringArray::from(["localhost".into(), "127.0.0.1".into()]))]
        host_names: PackedStringArray,
        #[opt(default = 0)] key_type: i64,
        #[opt(default = 365)] valid_days: i64,
    ) -> VarDictionary {
        const M: &str = "generate_self_signed";
        let Some(&(_, _, kind)) = KEY_TYPES.iter().find(|(_, v, _)| *v == key_type) else {
            misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                format!("unknown key_type {key_type}"),
            );
            return VarDictionary::new();
        };
        let days = match u64::try_from(valid_days) {
            Ok(d) if (1..=36_500).contains(&d) => d,
            _ => {
                misuse(
                    CLASS,
                    M,
                    Error::ERR_INVALID_PARAMETER,
                    "valid_days must be within 1..=36500",
                );
                return VarDictionary::new();
            }
        };
        let names: Vec<String> = host_names
            .as_slice()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let identity = match self_signed(&names, kind, Duration::from_secs(days * 86_400)) {
            Ok(identity) => identity,
            Err(e) => {
                misuse(CLASS, M, Error::FAILED, e);
                return VarDictionary::new();
            }
        };
        let mut certificate = X509Certificate::new_gd();
        let mut key = CryptoKey::new_gd();
        if certificate.load_from_string(&identity.certificate_pem) != Error::OK
            || key.load_from_string(&identity.private_key_pem) != Error::OK
        {
            misuse(
                CLASS,
                M,
                Error::FAILED,
                "Godot could not load the generated PEM",
            );
            return VarDictionary::new();
        }
        let mut out = VarDictionary::new();
        out.set("certificate", &certificate.to_variant());
        out.set("key", &key.to_variant());
        out
    }
}

/// Registers the `KeyType` enum constants (call once the class exists).
pub fn register_key_type_enum() {
    let enumerators = KEY_TYPES
        .iter()
        .map(|(name, value, _)| IntegerConstant::new(name, *value))
        .collect();
    ExportConstant::new(
        OpenSSLDtlsCertificates::class_id(),
        ConstantKind::Enum {
            name: "KeyType".into(),
            enumerators,
        },
    )
    .register();
}
