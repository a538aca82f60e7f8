//! The error type of the core: every refusal says what was wrong in words a game developer can act on.

use std::fmt;

use crate::Status;

/// Why an operation of the core was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DtlsError {
    /// Application data was offered while the session is not connected.
    NotConnected(Status),
    /// An application packet is larger than a session sends: one record (2^14 bytes) on our
    /// record layer, one datagram of the MTU on OpenSSL's.
    PacketTooLarge { size: usize, max: usize },
    /// A certificate (PEM) could not be read.
    InvalidCertificate(String),
    /// A private key (PEM) could not be read or does not match the certificate.
    InvalidKey(String),
    /// A setting is out of range or inconsistent.
    InvalidConfig(String),
    /// OpenSSL reported an error.
    Ssl(String),
}

impl fmt::Display for DtlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DtlsError::NotConnected(status) => {
                write!(
                    f,
                    "the DTLS session is not connected (status {})",
                    status.name()
                )
            }
            DtlsError::PacketTooLarge { size, max } => write!(
                f,
                "packet of {size} bytes is larger than the {max} bytes a packet can carry"
            ),
            DtlsError::InvalidCertificate(why) => write!(f, "invalid certificate: {why}"),
            DtlsError::InvalidKey(why) => write!(f, "invalid private key: {why}"),
            DtlsError::InvalidConfig(why) => write!(f, "invalid DTLS setting: {why}"),
            DtlsError::Ssl(why) => write!(f, "OpenSSL error: {why}"),
        }
    }
}

impl std::error::Error for DtlsError {}

impl From<openssl::error::ErrorStack> for DtlsError {
    fn from(e: openssl::error::ErrorStack) -> Self {
        DtlsError::Ssl(e.to_string())
    }
}
