//! Transfer modes and channels: how Godot's `(transfer_channel, transfer_mode)` pairs map onto
//! renet channels (one per pair, so ordering is independent per channel and mode: reliable ordered
//! for the reliable mode, unreliable for the others), the control channel, and the sequence filter
//! that makes the unreliable-ordered mode drop stale messages.

/// Godot's `MultiplayerPeer.TransferMode`, with the same numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TransferMode {
    /// Unordered, not retransmitted (`TRANSFER_MODE_UNRELIABLE`).
    Unreliable = 0,
    /// Not retransmitted; a message older than one already delivered on its channel is dropped
    /// (`TRANSFER_MODE_UNRELIABLE_ORDERED`).
    UnreliableOrdered = 1,
    /// Retransmitted until acknowledged and delivered in order (`TRANSFER_MODE_RELIABLE`).
    Reliable = 2,
}

impl TransferMode {
    /// The mode of Godot's number, `None` for a number that is not one.
    pub fn from_godot(value: i64) -> Option<TransferMode> {
        match value {
            0 => Some(TransferMode::Unreliable),
            1 => Some(TransferMode::UnreliableOrdered),
            2 => Some(TransferMode::Reliable),
            _ => None,
        }
    }
}

/// Highest transfer channel (Godot's `transfer_channel`); 0 is SceneMultiplayer's own.
pub const MAX_CHANNEL: u8 = 15;

/// The renet channel of the peer's own messages (the id assignment): reliable ordered.
pub(crate) const CONTROL_CHANNEL: u8 = (MAX_CHANNEL + 1) * 3;

/// The renet channel carrying `channel` in `mode`.
pub(crate) fn stream_id(channel: u8, mode: TransferMode) -> u8 {
    channel * 3 + mode as u8
}

/// The channel and mode a renet channel carries (`None` for the control channel).
pub(crate) fn of_stream(id: u8) -> Option<(u8, TransferMode)> {
    if id >= CONTROL_CHANNEL {
        return None;
    }
    let mode = TransferMode::from_godot(i64::from(id % 3))?;
    Some((id / 3, mode))
}

/// Every renet channel: the data channels, then the control channel.
pub(crate) fn all() -> impl Iterator<Item = (u8, Option<TransferMode>)> {
    (0..CONTROL_CHANNEL)
        .map(|id| (id, of_stream(id).map(|(_, mode)| mode)))
        .chain(std::iter::once((CONTROL_CHANNEL, None)))
}

/// Bytes the unreliable-ordered mode puts before each message: its sequence number.
pub(crate) const SEQUENCE_LEN: usize = 4;

/// Sequence numbers of unreliable-ordered messages, per channel: the next to send and the newest
/// delivered. Wrapping comparison, so a stream may carry more than 2^32 messages.
#[derive(Debug, Default)]
pub(crate) struct Sequencer {
    next_out: std::collections::HashMap<u8, u32>,
    newest_in: std::collections::HashMap<u8, u32>,
}

impl Sequencer {
    /// The sequence number of the next message sent on `stream`.
    pub(crate) fn next(&mut self, stream: u8) -> u32 {
        let n = self.next_out.entry(stream).or_insert(0);
        *n = n.wrapping_add(1);
        *n
    }

    /// True when a message numbered `seq` on `stream` is newer than every one delivered (then it
    /// becomes the newest); false for a stale or repeated one, to drop.
    pub(crate) fn accept(&mut self, stream: u8, seq: u32) -> bool {
        match self.newest_in.get(&stream) {
            Some(&newest) if (seq.wrapping_sub(newest) as i32) <= 0 => false,
            _ => {
                self.newest_in.insert(stream, seq);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_and_mode_has_its_own_renet_channel() {
        let mut seen = std::collections::HashSet::new();
        for channel in 0..=MAX_CHANNEL {
            for mode in [
                TransferMode::Unreliable,
                TransferMode::UnreliableOrdered,
                TransferMode::Reliable,
            ] {
                let id = stream_id(channel, mode);
                assert!(seen.insert(id));
                assert_eq!(of_stream(id), Some((channel, mode)));
            }
        }
        assert!(!seen.contains(&CONTROL_CHANNEL));
        assert_eq!(of_stream(CONTROL_CHANNEL), None);
        assert_eq!(all().count(), seen.len() + 1);
    }

    #[test]
    fn stale_and_repeated_sequence_numbers_are_dropped_across_wraparound() {
        let mut s = Sequencer::default();
        assert!(s.accept(3, u32::MAX - 1));
        assert!(!s.accept(3, u32::MAX - 1), "a repeat");
        assert!(!s.accept(3, u32::MAX - 5), "older");
        assert!(s.accept(3, 2), "newer across the wrap");
        assert!(!s.accept(3, u32::MAX), "older across the wrap");
        assert!(s.accept(4, 1), "channels are independent");
    }
}
