//! `OpenSSLDTLSCertificates`: makes self-signed certificates (rcgen; ECDSA P-256 by default) as
//! Godot `X509Certificate` + `CryptoKey`, usable by these classes and by Godot's own TLS/DTLS.

use std::time::Duration;

use godot::classes::{CryptoKey, X509Certificate};
use godot::global::Error;
use godot::prelude::*;
use openssl_dtls_core::{self_signed, KeyType};

use crate::class_enum::class_enum;
use crate::{godot_pem, misuse};

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

class_enum! {
    /// The key type `OpenSSLDTLSCertificates.generate_self_signed` makes.
    pub struct KeyTypeEnum = "OpenSSLDTLSCertificates"."KeyType" {
        KEY_ECDSA_P256 = 0,
        KEY_RSA_2048 = 1,
        KEY_RSA_4096 = 2,
    }
}

impl KeyTypeEnum {
    /// The core key type, `None` for a value that is not one of the constants.
    fn core(self) -> Option<KeyType> {
        match self {
            KeyTypeEnum::KEY_ECDSA_P256 => Some(KeyType::EcdsaP256),
            KeyTypeEnum::KEY_RSA_2048 => Some(KeyType::Rsa(2048)),
            KeyTypeEnum::KEY_RSA_4096 => Some(KeyType::Rsa(4096)),
            _ => None,
        }
    }
}

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
        #[opt(default = KeyTypeEnum::KEY_ECDSA_P256)] key_type: KeyTypeEnum,
        #[opt(default = 365)] valid_days: i64,
    ) -> VarDictionary {
        const M: &str = "generate_self_signed";
        let Some(kind) = key_type.core() else {
            misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                format!("unknown key_type {}", key_type.0),
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
            || key.load_from_string(identity.private_key_pem.as_str()) != Error::OK
        {
            misuse(
                CLASS,
                M,
                Error::FAILED,
                "Godot could not load the generated PEM",
            );
            return VarDictionary::new();
        }
        godot_pem::made_from(&certificate, &identity.certificate_pem);
        let mut out = VarDictionary::new();
        out.set("certificate", &certificate.to_variant());
        out.set("key", &key.to_variant());
        out
    }
}
