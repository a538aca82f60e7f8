//! A multiplayer peer over DTLS, sans-IO, for Godot's high-level multiplayer: a server with
//! unique client ids or a client, whose messages travel on transfer channels in three modes
//! (reliable ordered, unreliable ordered, unreliable) carried by `renet`'s channels inside each
//! DTLS connection. `host.rs` is the peer, `link.rs` one connection, `frame.rs` the framing of
//! DTLS packets, `channels.rs` the mapping of channels and modes onto renet channels, `guard.rs`
//! the check of every packet before renet (and the count of what renet holds), `inbox.rs` what
//! waits to be read, `link_stats.rs` what a game shows about a connection, `congestion/` what a connection may send
//! when (window, pacing) from renet's acknowledgements.

mod channels;
mod congestion;
mod frame;
mod guard;
mod host;
mod inbox;
mod link;
mod link_stats;

use std::time::Duration;

pub use channels::{TransferMode, MAX_CHANNEL};
pub use host::{ConnectionStatus, MultiplayerHost, PeerEvent, SendError, SERVER_ID};
pub use inbox::Message;
pub use link::KEEPALIVE_INTERVAL;
pub use link_stats::PeerStats;

/// Core settings suited to a multiplayer connection: MTU 1400, 5 s idle timeout (keepalives go
/// every second), 10 s handshake timeout.
pub fn multiplayer_settings() -> crate::Settings {
    crate::Settings {
        mtu: DEFAULT_MULTIPLAYER_MTU,
        idle_timeout: DEFAULT_MULTIPLAYER_IDLE_TIMEOUT,
        handshake_timeout: DEFAULT_MULTIPLAYER_HANDSHAKE_TIMEOUT,
        ..crate::Settings::default()
    }
}

use crate::DtlsError;

/// Default idle timeout of a multiplayer connection: keepalives go every second, so a peer
/// silent this long is gone.
pub const DEFAULT_MULTIPLAYER_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// renet's slice size, part of the wire format (1300 bytes, rust/patches/renet/PATCHED.md): a
/// message longer than one slice travels in slices of this many bytes, the last one shorter.
pub const SLICE_SIZE: usize = renet::SLICE_SIZE;
/// Default MTU of a multiplayer connection: renet's packets take up to 1328 bytes (1300-byte
/// slices), so the DTLS records need more room than the 1200-byte default; 1400 is ENet's size.
pub const DEFAULT_MULTIPLAYER_MTU: usize = 1400;
/// Smallest MTU a multiplayer connection runs at (1366: renet's largest packet, the frame tag, an
/// AEAD record's overhead).
pub const MIN_MULTIPLAYER_MTU: usize =
    frame::MAX_CHANNELS_FRAME + crate::config::settings::AEAD_RECORD_OVERHEAD;
/// Default handshake timeout of a multiplayer connection.
pub const DEFAULT_MULTIPLAYER_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a multiplayer peer allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiplayerConfig {
    /// Most clients a server holds connected (default 32).
    pub max_clients: usize,
    /// Largest message, in bytes (default 2 MiB); unreliable ones are limited to 256 KiB.
    pub max_message_size: usize,
    /// Most bytes queued per peer, either way (default 16 MiB): waiting to be sent and
    /// acknowledged; or received, over all channels at once: not read yet, waiting for an earlier
    /// message or being reassembled, each message counted with 128 bytes of overhead. A peer
    /// beyond it is disconnected with a message.
    pub max_queued_bytes: usize,
    /// Congestion control and pacing of the reliable channels (default on): what a connection
    /// sends follows the bandwidth and round trip renet's acknowledgements show, so a bulk
    /// transfer does not overrun a slower link's queue. Off: a fixed budget per flush (up to
    /// 8 MB/s when polled once a frame), as before.
    pub congestion_control: bool,
}

impl Default for MultiplayerConfig {
    fn default() -> Self {
        MultiplayerConfig {
            max_clients: 32,
            max_message_size: 2 << 20,
            max_queued_bytes: 16 << 20,
            congestion_control: true,
        }
    }
}

impl MultiplayerConfig {
    /// Checks ranges, and that the DTLS MTU leaves room for renet's packets.
    pub fn validate(&self, settings: &crate::Settings) -> Result<(), DtlsError> {
        if settings.mtu < MIN_MULTIPLAYER_MTU {
            return Err(DtlsError::InvalidConfig(format!(
                "a multiplayer connection needs an MTU of at least {MIN_MULTIPLAYER_MTU}, not {}",
                settings.mtu
            )));
        }
        if self.max_clients == 0 || self.max_clients > 4095 {
            return Err(DtlsError::InvalidConfig(format!(
                "max_clients must be within 1..=4095, not {}",
                self.max_clients
            )));
        }
        if self.max_message_size == 0 || self.max_message_size > self.max_queued_bytes {
            return Err(DtlsError::InvalidConfig(format!(
                "max_message_size ({}) must be within 1..=max_queued_bytes ({})",
                self.max_message_size, self.max_queued_bytes
            )));
        }
        Ok(())
    }
}
