//! Session status, with the same meaning and numbering as Godot's `PacketPeerDTLS.Status`.

/// Where a DTLS session stands. The numeric values match Godot's `PacketPeerDTLS.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    /// Not connected: never started, closed by either side, or dropped after a cookie round.
    Disconnected = 0,
    /// The handshake is under way.
    Handshaking = 1,
    /// The handshake finished; application data flows.
    Connected = 2,
    /// The session failed (handshake failure, certificate not trusted, timeout, fatal alert).
    Error = 3,
    /// The peer's certificate is trusted but not valid for the requested host name.
    ErrorHostnameMismatch = 4,
}

impl Status {
    /// True while the session can still make progress (handshaking or connected).
    pub fn is_active(self) -> bool {
        matches!(self, Status::Handshaking | Status::Connected)
    }

    /// The constant's name as GDScript spells it, e.g. `STATUS_CONNECTED`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Disconnected => "STATUS_DISCONNECTED",
            Status::Handshaking => "STATUS_HANDSHAKING",
            Status::Connected => "STATUS_CONNECTED",
            Status::Error => "STATUS_ERROR",
            Status::ErrorHostnameMismatch => "STATUS_ERROR_HOSTNAME_MISMATCH",
        }
    }
}
