//! What a session can tell about itself after the handshake: the peer's certificate, the
//! negotiated ALPN protocol, SRTP profile and PSK identity, and exported keying material.

use crate::{DtlsError, Session, Status};

impl Session {
    /// The peer's certificate as PEM, once it was presented (server certificate on a client;
    /// client certificate on a server that asked for one).
    pub fn peer_certificate_pem(&self) -> Option<String> {
        let cert = self.ssl().peer_certificate()?;
        let pem = cert.to_pem().ok()?;
        String::from_utf8(pem).ok()
    }

    /// The ALPN protocol both sides agreed on.
    pub fn alpn_protocol(&self) -> Option<String> {
        let p = self.ssl().selected_alpn_protocol()?;
        Some(String::from_utf8_lossy(p).into_owned())
    }

    /// The negotiated SRTP protection profile (OpenSSL's name, e.g. `SRTP_AEAD_AES_128_GCM`).
    pub fn srtp_profile(&self) -> Option<&'static str> {
        self.ssl().selected_srtp_profile().map(|p| p.name())
    }

    /// The PSK identity the client announced (server side) or used (client side).
    pub fn psk_identity(&self) -> Option<String> {
        let id = self.ssl().psk_identity()?;
        Some(String::from_utf8_lossy(id).into_owned())
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
        self.ssl()
            .export_keying_material(&mut out, label, context)?;
        Ok(out)
    }
}
