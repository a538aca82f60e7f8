//! `OpenSSLPacketPeerDTLS.Status`: the class enum GDScript sees in `get_status() -> Status`,
//! numbered as Godot's `PacketPeerDTLS.Status`, and its mapping from the core's status.

use openssl_dtls_core::Status as CoreStatus;

use crate::class_enum::class_enum;

class_enum! {
    /// Status of an `OpenSSLPacketPeerDTLS`.
    pub struct PeerStatus = "OpenSSLPacketPeerDTLS"."Status" {
        STATUS_DISCONNECTED = 0,
        STATUS_HANDSHAKING = 1,
        STATUS_CONNECTED = 2,
        STATUS_ERROR = 3,
        STATUS_ERROR_HOSTNAME_MISMATCH = 4,
    }
}

impl From<CoreStatus> for PeerStatus {
    fn from(s: CoreStatus) -> Self {
        match s {
            CoreStatus::Disconnected => PeerStatus::STATUS_DISCONNECTED,
            CoreStatus::Handshaking => PeerStatus::STATUS_HANDSHAKING,
            CoreStatus::Connected => PeerStatus::STATUS_CONNECTED,
            CoreStatus::Error => PeerStatus::STATUS_ERROR,
            CoreStatus::ErrorHostnameMismatch => PeerStatus::STATUS_ERROR_HOSTNAME_MISMATCH,
        }
    }
}
