//! Tunables shared by client and server sessions: MTU, timers, protocol version, ciphers.

use std::time::Duration;

use crate::DtlsError;

/// DTLS protocol versions this build can speak. OpenSSL 3.6 has no DTLS 1.3 yet; when it does,
/// a variant joins here and nothing else in the API changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DtlsVersion {
    /// DTLS 1.2 (RFC 6347).
    #[default]
    Dtls1_2,
}

/// Which record layer carries a connected session's application data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecordLayer {
    /// Ours (`records/`): once OpenSSL has finished the handshake with an AEAD suite, records
    /// are sealed and opened on OpenSSL's EVP AEAD and the `SSL` object with all its buffers is
    /// freed. Other suites stay on OpenSSL's record layer.
    #[default]
    Own,
    /// OpenSSL's DTLS record layer for the session's whole life (to compare the two).
    OpenSsl,
}

/// Default UDP payload size: safe across the internet (IPv6 minimum MTU minus headers, rounded down).
pub const DEFAULT_MTU: usize = 1200;
/// Smallest MTU OpenSSL accepts for DTLS 1.2 handshakes with ordinary certificates.
pub const MIN_MTU: usize = 256;
/// Largest UDP payload.
pub const MAX_MTU: usize = 65507;

/// Cipher suites offered by default: AEAD only (AES-GCM first, it has hardware support almost
/// everywhere), ECDHE for forward secrecy. Godot's built-in (mbedTLS) DTLS accepts all of them.
pub const DEFAULT_CIPHERS: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:\
ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/// Default cap on received packets waiting to be read, per session: Godot's own `PacketPeerUDP`
/// holds at most 64 KiB (a 2^16-byte ring buffer), which is at most about a thousand small packets.
pub const DEFAULT_MAX_QUEUED_PACKETS: usize = 1024;
/// Default cap on the bytes of received packets waiting to be read, per session: 64 KiB, the size
/// of Godot's own `PacketPeerUDP` ring buffer.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 64 * 1024;
/// Default idle timeout of a connected session: 30 s, the longest ENet (Godot's
/// `ENetMultiplayerPeer`) waits for a silent peer by default. A game sending state every frame is
/// never near it; a crashed client, a pulled cable or an expired NAT mapping frees its slot in
/// half a minute.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Bytes a DTLS 1.2 AEAD record adds to its payload at most: 13 header + 8 explicit nonce + 16 tag.
pub(crate) const AEAD_RECORD_OVERHEAD: usize = 13 + 8 + 16;

/// Settings common to client and server sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Largest UDP payload the session writes, in bytes (default 1200).
    pub mtu: usize,
    /// A handshake that has not finished after this long fails with the error status (default 60 s,
    /// about when Godot's built-in DTLS gives up: mbedTLS retransmits from 1 s doubling to 60 s).
    pub handshake_timeout: Duration,
    /// First retransmission timeout of a handshake flight; it doubles on every retry up to 60 s
    /// (RFC 6347 backoff, default 1 s).
    pub initial_retransmit: Duration,
    /// Lowest protocol version accepted.
    pub min_version: DtlsVersion,
    /// Highest protocol version offered.
    pub max_version: DtlsVersion,
    /// OpenSSL cipher list string (DTLS 1.2 suites).
    pub cipher_list: String,
    /// A connected session that has received nothing authentic for this long ends with the
    /// error status (a peer that crashed or lost its route; default 30 s). Zero disables it.
    pub idle_timeout: Duration,
    /// Most received packets waiting to be read; what arrives beyond is dropped and counted in
    /// [`crate::Stats::packets_dropped`] (default 1024). At least 1.
    pub max_queued_packets: usize,
    /// Most bytes of received packets waiting to be read (default 64 KiB); beyond, as above.
    /// At least one packet of any size is always kept.
    pub max_queued_bytes: usize,
    /// Which record layer carries application data once connected (default ours).
    pub record_layer: RecordLayer,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mtu: DEFAULT_MTU,
            handshake_timeout: Duration::from_secs(60),
            initial_retransmit: Duration::from_secs(1),
            min_version: DtlsVersion::Dtls1_2,
            max_version: DtlsVersion::Dtls1_2,
            cipher_list: DEFAULT_CIPHERS.to_string(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_queued_packets: DEFAULT_MAX_QUEUED_PACKETS,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
            record_layer: RecordLayer::default(),
        }
    }
}

impl Settings {
    /// Checks ranges; called when a context is built from these settings.
    pub fn validate(&self) -> Result<(), DtlsError> {
        if !(MIN_MTU..=MAX_MTU).contains(&self.mtu) {
            return Err(DtlsError::InvalidConfig(format!(
                "MTU {} is outside {MIN_MTU}..={MAX_MTU}",
                self.mtu
            )));
        }
        if self.handshake_timeout.is_zero() {
            return Err(DtlsError::InvalidConfig(
                "handshake timeout must be above zero".into(),
            ));
        }
        let rto = self.initial_retransmit;
        if rto < Duration::from_millis(1) || rto > Duration::from_secs(60) {
            return Err(DtlsError::InvalidConfig(format!(
                "initial retransmission timeout {rto:?} is outside 1 ms..=60 s"
            )));
        }
        if self.max_queued_packets == 0 {
            return Err(DtlsError::InvalidConfig(
                "max_queued_packets must be at least 1".into(),
            ));
        }
        if self.min_version as u8 > self.max_version as u8 {
            return Err(DtlsError::InvalidConfig(
                "minimum version is above maximum".into(),
            ));
        }
        Ok(())
    }
}

/// Most plaintext one DTLS record may carry (2^14 bytes, RFC 6347 / RFC 5246 6.2.1).
pub(crate) const MAX_RECORD_PAYLOAD: usize = 1 << 14;

/// Largest application packet that fits one datagram of `mtu` bytes with any default cipher.
/// Never above 2^14 bytes, the most one record carries, however large the MTU.
pub fn max_packet_size_estimate(mtu: usize) -> usize {
    mtu.saturating_sub(AEAD_RECORD_OVERHEAD)
        .min(MAX_RECORD_PAYLOAD)
}
