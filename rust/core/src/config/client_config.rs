//! What a client session needs: how to verify the server, for which host name, with which settings.

use crate::{OwnCertificate, Psk, Settings};

/// How a client checks the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Verification {
    /// Accept any certificate (Godot's `validate_certs = false`). Encrypted, not authenticated.
    Off,
    /// Verify the chain against the system's trusted roots.
    #[default]
    SystemRoots,
    /// Verify the chain against these PEM certificates only (a CA, an intermediate or the server's
    /// own self-signed certificate: any of them is accepted as a trust anchor).
    TrustedPem(String),
}

/// Configuration of a client session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientConfig {
    /// How the server's certificate is verified.
    pub verification: Verification,
    /// Host name (or IP address) the certificate must be valid for, also sent as SNI when it is a
    /// name. `None` or empty: the chain is verified, the name is not checked.
    pub hostname: Option<String>,
    /// MTU, timers, versions, ciphers.
    pub settings: Settings,
    /// A certificate to present when the server asks for one (mutual authentication).
    pub certificate: Option<OwnCertificate>,
    /// A pre-shared key: the client then offers PSK cipher suites only (no certificates).
    pub psk: Option<Psk>,
    /// ALPN protocols to offer, in preference order.
    pub alpn: Vec<String>,
    /// SRTP protection profiles to offer (OpenSSL names, colon separated).
    pub srtp_profiles: Option<String>,
}

impl ClientConfig {
    /// A client that verifies against the system roots and checks `hostname`.
    pub fn new(hostname: impl Into<String>) -> Self {
        ClientConfig {
            hostname: Some(hostname.into()),
            ..ClientConfig::default()
        }
    }

    /// The host name to check, if any (empty counts as none).
    pub fn hostname(&self) -> Option<&str> {
        self.hostname.as_deref().filter(|h| !h.is_empty())
    }
}
