//! The tuning properties both classes have (MTU, timers, ciphers, protocol version, ALPN, SRTP,
//! idle timeout, receive-queue bounds), declared once by [`tuned_class!`], and their conversion to
//! core `Settings`; the error mapping of a refused configuration; the Godot values both classes
//! accept (certificates with their key).

use std::time::Duration;

use godot::classes::{CryptoKey, X509Certificate};
use godot::global::Error;
use godot::prelude::*;
use openssl_dtls_core::{DtlsError, DtlsVersion, OwnCertificate, RecordLayer, Settings};

use crate::{godot_pem, misuse};

/// Declares a class struct with the tuning properties after its own fields, and
/// `fn settings(&self)` (core `Settings` from them), `fn alpn(&self)`, `fn srtp(&self)`.
/// `$applies` is the sentence that says when a change takes effect.
/// With `defaults: { mtu, handshake_timeout, idle_timeout, max_queued_bytes, and the sentences
/// documenting the first, third and fourth }` after `applies`, those properties start at other
/// values (the multiplayer peer's).
macro_rules! tuned_class {
    (
        $(#[$($meta:tt)*])*
        pub struct $name:ident, applies: $applies:tt {
            $($fields:tt)*
        }
    ) => {
        crate::tuning::tuned_class! {
            $(#[$($meta)*])*
            pub struct $name, applies: $applies, defaults: {
                mtu: (openssl_dtls_core::DEFAULT_MTU as i64),
                handshake_timeout: 60.0,
                idle_timeout: (openssl_dtls_core::DEFAULT_IDLE_TIMEOUT.as_secs_f64()),
                max_queued_bytes: (openssl_dtls_core::DEFAULT_MAX_QUEUED_BYTES as i64),
                mtu_doc: "The default 1200 is safe across the internet.",
                idle_doc: "The default 30 s is the longest Godot's ENet waits for a silent peer: a \
                    crashed or unplugged client frees its slot in half a minute. DTLS has no \
                    keep-alive: a game that can be silent longer sends its own.",
                queued_bytes_doc: "Most bytes of received packets waiting (default 65536, the size \
                    of Godot's own [PacketPeerUDP] buffer); see [member max_queued_packets].",
            } {
                $($fields)*
            }
        }
    };
    (
        $(#[$($meta:tt)*])*
        pub struct $name:ident, applies: $applies:tt, defaults: {
            mtu: $mtu:tt,
            handshake_timeout: $handshake:tt,
            idle_timeout: $idle:tt,
            max_queued_bytes: $queued_bytes:tt,
            mtu_doc: $mtu_doc:tt,
            idle_doc: $idle_doc:tt,
            queued_bytes_doc: $queued_bytes_doc:tt,
        } {
            $($fields:tt)*
        }
    ) => {
        // Only `tt` fragments: the derive's parser does not see through other fragment kinds.
        $(#[$($meta)*])*
        pub struct $name {
            $($fields)*
            /// Largest UDP payload written, in bytes (256..=65507).
            #[doc = $mtu_doc]
            #[doc = $applies]
            #[var]
            #[init(val = $mtu)]
            mtu: i64,
            /// Seconds a handshake may take before the status becomes
            /// [constant OpenSSLPacketPeerDTLS.STATUS_ERROR].
            #[doc = $applies]
            #[var]
            #[init(val = $handshake)]
            handshake_timeout: f64,
            /// Seconds before the first retransmission of a lost handshake flight; it doubles on
            /// every retry, up to 60 s.
            #[doc = $applies]
            #[var]
            #[init(val = 1.0)]
            initial_retransmit_timeout: f64,
            /// Seconds a connected peer may stay silent (nothing authentic received) before the
            /// connection ends with [constant OpenSSLPacketPeerDTLS.STATUS_ERROR] and a message
            /// saying so; [code]0[/code] disables it.
            #[doc = $idle_doc]
            #[doc = $applies]
            #[var]
            #[init(val = $idle)]
            idle_timeout: f64,
            /// Most received packets waiting for [method PacketPeer.get_packet] (default 1024);
            /// packets arriving beyond it, or beyond [member max_queued_bytes], are dropped and
            /// counted as [code]packets_dropped[/code] in
            /// [method OpenSSLPacketPeerDTLS.get_statistics]. The connection stays up.
            #[doc = $applies]
            #[var]
            #[init(val = openssl_dtls_core::DEFAULT_MAX_QUEUED_PACKETS as i64)]
            max_queued_packets: i64,
            #[doc = $queued_bytes_doc]
            #[doc = $applies]
            #[var]
            #[init(val = $queued_bytes)]
            max_queued_bytes: i64,
            /// OpenSSL cipher list (DTLS 1.2 suites). The default offers AEAD suites only, AES-GCM
            /// first; a server uses its own order of preference.
            #[doc = $applies]
            #[var]
            #[init(val = GString::from(openssl_dtls_core::DEFAULT_CIPHERS))]
            cipher_list: GString,
            /// Lowest protocol version accepted: [code]"DTLSv1.2"[/code], the only one the bundled
            /// OpenSSL offers (DTLS 1.3 will join when OpenSSL ships it).
            #[doc = $applies]
            #[var]
            #[init(val = GString::from("DTLSv1.2"))]
            min_protocol_version: GString,
            /// ALPN protocols offered (client) or accepted (server), in preference order; read the
            /// agreed one with [method OpenSSLPacketPeerDTLS.get_alpn_protocol].
            #[doc = $applies]
            #[var]
            alpn_protocols: PackedStringArray,
            /// SRTP protection profiles offered or accepted (OpenSSL names, colon separated, e.g.
            /// [code]"SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"[/code]); see
            /// [method OpenSSLPacketPeerDTLS.get_srtp_profile].
            #[doc = $applies]
            #[var]
            srtp_profiles: GString,
            /// When on (the default), once the handshake has finished with an AEAD suite (AES-GCM
            /// or ChaCha20-Poly1305) the addon's own record layer carries the packets and
            /// OpenSSL's per-connection state is freed: faster and far smaller per peer. Off
            /// leaves the records to OpenSSL's DTLS record layer, to compare the two.
            #[doc = $applies]
            #[var]
            #[init(val = true)]
            own_record_layer: bool,
        }

        impl $name {
            /// Core settings from the tuning properties.
            fn settings(&self) -> Result<openssl_dtls_core::Settings, openssl_dtls_core::DtlsError> {
                crate::tuning::settings(&crate::tuning::Tuning {
                    mtu: self.mtu,
                    handshake_timeout: self.handshake_timeout,
                    initial_retransmit: self.initial_retransmit_timeout,
                    idle_timeout: self.idle_timeout,
                    max_queued_packets: self.max_queued_packets,
                    max_queued_bytes: self.max_queued_bytes,
                    cipher_list: &self.cipher_list,
                    min_protocol_version: &self.min_protocol_version,
                    own_record_layer: self.own_record_layer,
                })
            }

            /// The ALPN protocols property as strings.
            fn alpn(&self) -> Vec<String> {
                crate::tuning::strings(&self.alpn_protocols)
            }

            /// The SRTP profiles property, `None` when empty.
            fn srtp(&self) -> Option<String> {
                Some(self.srtp_profiles.to_string()).filter(|p| !p.is_empty())
            }
        }
    };
}

pub(crate) use tuned_class;

/// The values of the tuning properties (seconds as floats), as the classes hold them.
pub struct Tuning<'a> {
    pub mtu: i64,
    pub handshake_timeout: f64,
    pub initial_retransmit: f64,
    pub idle_timeout: f64,
    pub max_queued_packets: i64,
    pub max_queued_bytes: i64,
    pub cipher_list: &'a GString,
    pub min_protocol_version: &'a GString,
    pub own_record_layer: bool,
}

/// Longest time a timer property takes, in seconds (an hour).
const MAX_SECONDS: f64 = 3600.0;

/// Core settings from the properties; ranges are checked here (what Godot passes) and by the core.
pub fn settings(t: &Tuning) -> Result<Settings, DtlsError> {
    let seconds = |what: &str, s: f64, zero_allowed: bool| {
        let low_ok = if zero_allowed { s >= 0.0 } else { s > 0.0 };
        if s.is_finite() && low_ok && s <= MAX_SECONDS {
            Ok(Duration::from_secs_f64(s))
        } else {
            let low = if zero_allowed { "[0" } else { "(0" };
            Err(DtlsError::InvalidConfig(format!(
                "{what} must be within {low}, {MAX_SECONDS}] seconds, not {s}"
            )))
        }
    };
    let count = |what: &str, n: i64| {
        usize::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| DtlsError::InvalidConfig(format!("{what} must be at least 1, not {n}")))
    };
    let mtu = usize::try_from(t.mtu)
        .map_err(|_| DtlsError::InvalidConfig(format!("MTU {} is negative", t.mtu)))?;
    // The bundled OpenSSL speaks DTLS 1.2 only; DTLS 1.3 joins here when OpenSSL ships it.
    let min_version = match t.min_protocol_version.to_string().as_str() {
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
        handshake_timeout: seconds("handshake_timeout", t.handshake_timeout, false)?,
        initial_retransmit: seconds("initial_retransmit_timeout", t.initial_retransmit, false)?,
        idle_timeout: seconds("idle_timeout", t.idle_timeout, true)?,
        max_queued_packets: count("max_queued_packets", t.max_queued_packets)?,
        max_queued_bytes: count("max_queued_bytes", t.max_queued_bytes)?,
        cipher_list: t.cipher_list.to_string(),
        record_layer: if t.own_record_layer {
            RecordLayer::Own
        } else {
            RecordLayer::OpenSsl
        },
        ..Settings::default()
    };
    settings.validate()?;
    Ok(settings)
}

/// The `Error` for a configuration the core refused (after printing why): a bad value is
/// `ERR_INVALID_PARAMETER`, anything else (OpenSSL failing) `FAILED`.
pub fn refused(class: &str, method: &str, e: DtlsError) -> Error {
    match e {
        DtlsError::InvalidCertificate(_)
        | DtlsError::InvalidKey(_)
        | DtlsError::InvalidConfig(_) => misuse(class, method, Error::ERR_INVALID_PARAMETER, e),
        e => misuse(class, method, Error::FAILED, e),
    }
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
