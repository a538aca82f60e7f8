//! What a session can tell about itself after the handshake: the peer's certificate, the
//! negotiated ALPN protocol, SRTP profile and PSK identity, and exported keying material. It
//! is copied out of OpenSSL at the end of the handshake ([`ConnectedInfo`]), so it stays
//! readable once our record layer has freed the `SSL` object.

use openssl::ssl::SslRef;

use crate::{DtlsError, Session, Status};

/// The facts about a connected session the API reads, taken when the handshake finished.
#[derive(Debug, Clone)]
pub(crate) struct ConnectedInfo {
    pub(crate) cipher: Option<&'static str>,
    pub(crate) version: &'static str,
    peer_certificate_pem: Option<String>,
    alpn_protocol: Option<String>,
    srtp_profile: Option<&'static str>,
    psk_identity: Option<String>,
}

impl ConnectedInfo {
    pub(crate) fn of(ssl: &SslRef) -> ConnectedInfo {
        ConnectedInfo {
            cipher: ssl.current_cipher().map(|c| c.name()),
            version: ssl.version_str(),
            peer_certificate_pem: peer_certificate_pem(ssl),
            alpn_protocol: ssl
                .selected_alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            srtp_profile: ssl.selected_srtp_profile().map(|p| p.name()),
            psk_identity: ssl
                .psk_identity()
                .map(|id| String::from_utf8_lossy(id).into_owned()),
        }
    }
}

fn peer_certificate_pem(ssl: &SslRef) -> Option<String> {
    let pem = ssl.peer_certificate()?.to_pem().ok()?;
    String::from_utf8(pem).ok()
}

impl Session {
    /// The peer's certificate as PEM, once it was presented (server certificate on a client;
    /// client certificate on a server that asked for one).
    pub fn peer_certificate_pem(&self) -> Option<String> {
        match (self.info(), self.tls_ssl()) {
            (Some(info), _) => info.peer_certificate_pem.clone(),
            (None, Some(ssl)) => peer_certificate_pem(ssl),
            (None, None) => None,
        }
    }

    /// The ALPN protocol both sides agreed on.
    pub fn alpn_protocol(&self) -> Option<String> {
        self.info()?.alpn_protocol.clone()
    }

    /// The negotiated SRTP protection profile (OpenSSL's name, e.g. `SRTP_AEAD_AES_128_GCM`).
    pub fn srtp_profile(&self) -> Option<&'static str> {
        self.info()?.srtp_profile
    }

    /// The PSK identity the client announced (server side) or used (client side).
    pub fn psk_identity(&self) -> Option<String> {
        self.info()?.psk_identity.clone()
    }

    /// RFC 5705 keying material: `len` bytes derived from the session's master secret for
    /// `label` and an optional `context`. Both peers get the same bytes. Connected sessions only.
    pub fn export_keying_material(
        &self,
        label: &str,
        context: Option<&[u8]>,
        len: usize,
    ) -> Result<Vec<u8>, DtlsError> {
        if self.status() != Status::Connected {
            return Err(DtlsError::NotConnected(self.status()));
        }
        if len == 0 || len > 1024 * 1024 {
            return Err(DtlsError::InvalidConfig(format!(
                "keying material length {len} is outside 1..=1048576"
            )));
        }
        let mut out = vec![0u8; len];
        match (self.own_records(), self.tls_ssl()) {
            (Some(own), _) => own.secrets().export(label, context, &mut out)?,
            (None, Some(ssl)) => ssl.export_keying_material(&mut out, label, context)?,
            (None, None) => return Err(DtlsError::NotConnected(self.status())),
        }
        Ok(out)
    }
}
