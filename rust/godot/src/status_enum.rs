//! `OpenSSLPacketPeerDTLS.Status` as a real class enum: the Rust type GDScript sees in
//! `get_status() -> Status`, and the registration of its constants at start-up.

use std::borrow::Cow;

use godot::builtin::VariantType;
use godot::meta::conv::ByValue;
use godot::meta::error::ConvertError;
use godot::meta::shape::{EnumeratorShape, GodotShape};
use godot::meta::{FromGodot, GodotConvert, ToGodot};
use godot::obj::GodotClass;
use godot::register::private::constant::{ConstantKind, ExportConstant, IntegerConstant};
use openssl_dtls_core::Status as CoreStatus;

use crate::packet_peer_dtls::OpenSSLPacketPeerDtls;

/// Status of an `OpenSSLPacketPeerDTLS`, numbered as Godot's `PacketPeerDTLS.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum PeerStatus {
    Disconnected = 0,
    Handshaking = 1,
    Connected = 2,
    Error = 3,
    ErrorHostnameMismatch = 4,
}

static ENUMERATORS: [EnumeratorShape; 5] = [
    EnumeratorShape::new_int("STATUS_DISCONNECTED", 0),
    EnumeratorShape::new_int("STATUS_HANDSHAKING", 1),
    EnumeratorShape::new_int("STATUS_CONNECTED", 2),
    EnumeratorShape::new_int("STATUS_ERROR", 3),
    EnumeratorShape::new_int("STATUS_ERROR_HOSTNAME_MISMATCH", 4),
];

impl From<CoreStatus> for PeerStatus {
    fn from(s: CoreStatus) -> Self {
        match s {
            CoreStatus::Disconnected => PeerStatus::Disconnected,
            CoreStatus::Handshaking => PeerStatus::Handshaking,
            CoreStatus::Connected => PeerStatus::Connected,
            CoreStatus::Error => PeerStatus::Error,
            CoreStatus::ErrorHostnameMismatch => PeerStatus::ErrorHostnameMismatch,
        }
    }
}

impl GodotConvert for PeerStatus {
    type Via = i64;

    fn godot_shape() -> GodotShape {
        GodotShape::Enum {
            variant_type: VariantType::INT,
            enumerators: Cow::Borrowed(&ENUMERATORS),
            godot_name: Some(Cow::Borrowed("OpenSSLPacketPeerDTLS.Status")),
            is_bitfield: false,
        }
    }
}

impl ToGodot for PeerStatus {
    type Pass = ByValue;

    fn to_godot(&self) -> i64 {
        *self as i64
    }
}

impl FromGodot for PeerStatus {
    fn try_from_godot(via: i64) -> Result<Self, ConvertError> {
        Ok(match via {
            0 => PeerStatus::Disconnected,
            1 => PeerStatus::Handshaking,
            2 => PeerStatus::Connected,
            3 => PeerStatus::Error,
            4 => PeerStatus::ErrorHostnameMismatch,
            _ => return Err(ConvertError::new(format!("{via} is not a Status"))),
        })
    }
}

/// Registers `Status` and its constants on `OpenSSLPacketPeerDTLS` (call once the class exists).
pub fn register_status_enum() {
    let enumerators = ENUMERATORS
        .iter()
        .map(|e| IntegerConstant::new(&e.name, e.value.unwrap_or_default()))
        .collect();
    ExportConstant::new(
        OpenSSLPacketPeerDtls::class_id(),
        ConstantKind::Enum {
            name: "Status".into(),
            enumerators,
        },
    )
    .register();
}
