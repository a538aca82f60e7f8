//! Per-session traffic counters.

/// What a session has moved so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams handed out for sending.
    pub datagrams_sent: u64,
    /// Datagrams fed in.
    pub datagrams_received: u64,
    /// Bytes of the datagrams handed out.
    pub bytes_sent: u64,
    /// Bytes of the datagrams fed in.
    pub bytes_received: u64,
    /// Application packets encrypted.
    pub packets_sent: u64,
    /// Application packets decrypted.
    pub packets_received: u64,
    /// Application packets decrypted and dropped because the receive queue was full
    /// ([`crate::Settings::max_queued_packets`], [`crate::Settings::max_queued_bytes`]).
    pub packets_dropped: u64,
    /// Handshake flights sent again after their timer ran out.
    pub retransmissions: u64,
}
