//! Optional DTLS features wired into OpenSSL contexts: certificates of our own (server identity,
//! client certificates for mutual authentication) and their verification, pre-shared keys
//! (PSK), ALPN and SRTP protection-profile negotiation (the WebRTC use case).

use std::collections::BTreeMap;

use openssl::ssl::{AlpnError, SslContextBuilder, SslVerifyMode};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::X509VerifyFlags;
use zeroize::Zeroize;

use crate::config::pem::{certificates_from_pem, clean_pem, private_key_from_pem};
use crate::{ffi, DtlsError};

/// PSK cipher suites (DTLS 1.2, AEAD only). A PSK-only peer offers these; a server with both
/// a certificate and PSK keys offers them after its certificate suites.
pub const PSK_CIPHERS: &str = "PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384:\
PSK-CHACHA20-POLY1305:ECDHE-PSK-CHACHA20-POLY1305";

/// Longest PSK OpenSSL accepts (`PSK_MAX_PSK_LEN`).
pub const MAX_PSK_LEN: usize = 512;

/// A client's pre-shared key and the identity it announces. `Debug` shows the identity only;
/// the key is wiped from memory when the value is dropped.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Psk {
    pub identity: String,
    pub key: Vec<u8>,
}

/// A server's pre-shared keys by client identity, and the hint it sends. `Debug` shows the
/// hint and identities only; the keys are wiped from memory when the value is dropped.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct PskKeys {
    pub hint: String,
    pub keys: BTreeMap<String, Vec<u8>>,
}

/// How secrets show in `Debug` output: their size, never their bytes.
pub(crate) struct Redacted(pub(crate) usize);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes, redacted>", self.0)
    }
}

impl std::fmt::Debug for Psk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Psk")
            .field("identity", &self.identity)
            .field("key", &Redacted(self.key.len()))
            .finish()
    }
}

impl Drop for Psk {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl std::fmt::Debug for PskKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: BTreeMap<&str, Redacted> = self
            .keys
            .iter()
            .map(|(identity, key)| (identity.as_str(), Redacted(key.len())))
            .collect();
        f.debug_struct("PskKeys")
            .field("hint", &self.hint)
            .field("keys", &keys)
            .finish()
    }
}

impl Drop for PskKeys {
    fn drop(&mut self) {
        for key in self.keys.values_mut() {
            key.zeroize();
        }
    }
}

/// Whether and how a server asks clients for certificates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ClientAuth {
    /// No client certificate is asked for (the default, as Godot's built-in server).
    #[default]
    None,
    /// A client certificate is asked for; when one is sent it must chain to these PEM
    /// certificates, but a client without one is accepted.
    Optional(String),
    /// A client certificate chaining to these PEM certificates is required.
    Required(String),
}

/// A certificate (PEM, leaf first, more certificates = its chain) with its private key (PEM).
/// `Debug` leaves the key out; it is wiped from memory when the value is dropped. The default
/// (all empty) is no certificate: a server that accepts PSK clients only.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct OwnCertificate {
    pub certificate_pem: String,
    pub private_key_pem: String,
    /// Extra chain certificates (intermediates), PEM.
    pub chain_pem: Option<String>,
}

impl std::fmt::Debug for OwnCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnCertificate")
            .field("certificate_pem", &self.certificate_pem)
            .field("private_key_pem", &Redacted(self.private_key_pem.len()))
            .field("chain_pem", &self.chain_pem)
            .finish()
    }
}

impl Drop for OwnCertificate {
    fn drop(&mut self) {
        self.private_key_pem.zeroize();
    }
}

/// A certificate store trusting every certificate in `pem` as an anchor (a CA, an intermediate
/// or a peer's own self-signed certificate).
pub(crate) fn trust_store(pem: &str) -> Result<X509Store, DtlsError> {
    let mut store = X509StoreBuilder::new()?;
    for cert in certificates_from_pem(pem)? {
        store.add_cert(cert)?;
    }
    store.set_flags(X509VerifyFlags::PARTIAL_CHAIN)?;
    Ok(store.build())
}

/// Installs our certificate, its chain and its key; checks the key belongs to the certificate.
pub(crate) fn use_certificate(
    b: &mut SslContextBuilder,
    own: &OwnCertificate,
) -> Result<(), DtlsError> {
    let mut certs = certificates_from_pem(&own.certificate_pem)?.into_iter();
    let leaf = certs
        .next()
        .ok_or_else(|| DtlsError::InvalidCertificate("no certificate in the PEM text".into()))?;
    let key = private_key_from_pem(&own.private_key_pem)?;
    b.set_certificate(&leaf)
        .map_err(|e| DtlsError::InvalidCertificate(e.to_string()))?;
    let extra = match &own.chain_pem {
        Some(pem) if !clean_pem(pem).is_empty() => certificates_from_pem(pem)?,
        _ => Vec::new(),
    };
    for cert in certs.chain(extra) {
        b.add_extra_chain_cert(cert)
            .map_err(|e| DtlsError::InvalidCertificate(e.to_string()))?;
    }
    // OpenSSL already compares the key with the certificate here ("key values mismatch").
    b.set_private_key(&key).map_err(|e| {
        let mismatch = e
            .errors()
            .iter()
            .any(|e| e.reason() == Some("key values mismatch"));
        DtlsError::InvalidKey(if mismatch {
            "the private key does not belong to the certificate".into()
        } else {
            e.to_string()
        })
    })?;
    b.check_private_key().map_err(|_| {
        DtlsError::InvalidKey("the private key does not belong to the certificate".into())
    })
}

/// Asks for and verifies client certificates as `auth` says (server side).
pub(crate) fn verify_clients(
    b: &mut SslContextBuilder,
    auth: &ClientAuth,
) -> Result<(), DtlsError> {
    match auth {
        ClientAuth::None => b.set_verify(SslVerifyMode::NONE),
        ClientAuth::Optional(pem) => {
            b.set_cert_store(trust_store(pem)?);
            b.set_verify(SslVerifyMode::PEER);
        }
        ClientAuth::Required(pem) => {
            b.set_cert_store(trust_store(pem)?);
            b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
    }
    Ok(())
}

fn check_psk(identity: &str, key: &[u8]) -> Result<(), DtlsError> {
    if key.is_empty() || key.len() > MAX_PSK_LEN {
        return Err(DtlsError::InvalidConfig(format!(
            "a pre-shared key needs 1..={MAX_PSK_LEN} bytes, not {}",
            key.len()
        )));
    }
    if identity.len() > 128 || identity.contains('\0') {
        return Err(DtlsError::InvalidConfig(
            "a PSK identity is at most 128 bytes, without NUL".into(),
        ));
    }
    Ok(())
}

/// Client side PSK: answers the server with `psk`'s identity and key.
pub(crate) fn use_client_psk(b: &mut SslContextBuilder, psk: &Psk) -> Result<(), DtlsError> {
    check_psk(&psk.identity, &psk.key)?;
    let psk = psk.clone();
    b.set_psk_client_callback(move |_, _hint, identity_out, key_out| {
        let id = psk.identity.as_bytes();
        // The identity goes out NUL-terminated.
        if id.len() >= identity_out.len() || psk.key.len() > key_out.len() {
            return Ok(0);
        }
        identity_out[..id.len()].copy_from_slice(id);
        identity_out[id.len()] = 0;
        key_out[..psk.key.len()].copy_from_slice(&psk.key);
        Ok(psk.key.len())
    });
    Ok(())
}

/// Server side PSK: looks the client's identity up in `keys`.
pub(crate) fn use_server_psk(b: &mut SslContextBuilder, keys: &PskKeys) -> Result<(), DtlsError> {
    for (identity, key) in &keys.keys {
        check_psk(identity, key)?;
    }
    if !keys.hint.is_empty() {
        ffi::set_psk_identity_hint(b, &keys.hint)?;
    }
    // A `PskKeys` (not its map) so that the copy is wiped when the context is freed.
    let table = keys.clone();
    b.set_psk_server_callback(move |_, identity, key_out| {
        let Some(key) = identity
            .and_then(|id| std::str::from_utf8(id).ok())
            .and_then(|id| table.keys.get(id))
        else {
            return Ok(0); // unknown identity: the handshake fails
        };
        if key.len() > key_out.len() {
            return Ok(0);
        }
        key_out[..key.len()].copy_from_slice(key);
        Ok(key.len())
    });
    Ok(())
}

/// ALPN protocol list in wire format (length-prefixed names).
fn alpn_wire(protocols: &[String]) -> Result<Vec<u8>, DtlsError> {
    let mut wire = Vec::new();
    for p in protocols {
        let len = u8::try_from(p.len())
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| {
                DtlsError::InvalidConfig(format!("ALPN protocol {p:?} must be 1..=255 bytes"))
            })?;
        wire.push(len);
        wire.extend_from_slice(p.as_bytes());
    }
    Ok(wire)
}

/// Client side ALPN: offers `protocols` (in preference order).
pub(crate) fn offer_alpn(b: &mut SslContextBuilder, protocols: &[String]) -> Result<(), DtlsError> {
    if !protocols.is_empty() {
        b.set_alpn_protos(&alpn_wire(protocols)?)?;
    }
    Ok(())
}

/// Server side ALPN: picks the first of `protocols` the client offers; a client offering none of
/// them still connects, with no protocol selected.
pub(crate) fn select_alpn(
    b: &mut SslContextBuilder,
    protocols: &[String],
) -> Result<(), DtlsError> {
    if protocols.is_empty() {
        return Ok(());
    }
    alpn_wire(protocols)?; // validates the names
    let ours: Vec<Vec<u8>> = protocols.iter().map(|p| p.as_bytes().to_vec()).collect();
    b.set_alpn_select_callback(move |_, client| {
        ours.iter()
            .find_map(|p| client_protocols(client).find(|c| c == p))
            .ok_or(AlpnError::NOACK)
    });
    Ok(())
}

/// The protocol names in a client's wire-format ALPN list (a malformed tail is ignored).
fn client_protocols(mut wire: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (&len, rest) = wire.split_first()?;
        let name = rest.get(..usize::from(len))?;
        wire = &rest[usize::from(len)..];
        Some(name)
    })
}

/// SRTP protection profiles (OpenSSL names, colon separated, e.g.
/// `SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80`) offered or accepted.
pub(crate) fn use_srtp(b: &mut SslContextBuilder, profiles: Option<&str>) -> Result<(), DtlsError> {
    match profiles.filter(|p| !p.is_empty()) {
        Some(p) => b
            .set_tlsext_use_srtp(p)
            .map_err(|e| DtlsError::InvalidConfig(format!("SRTP profiles {p:?}: {e}"))),
        None => Ok(()),
    }
}
