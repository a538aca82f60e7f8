//! The guard in front of renet: every channel packet a connection decrypts is read here first
//! (renet 2.0's wire format: a type byte, QUIC-style varints) and checked before renet sees it.
//! Garbage never reaches renet's panics (a slice index beyond the slice count, a slice count that
//! changes within one message, a message sent both whole and in slices), and what renet holds for
//! the peer is known: the guard mirrors renet's receive side (per reliable channel the messages
//! waiting for an earlier one and those being reassembled, per unreliable channel those being
//! reassembled, with renet's own 3 s discard), each charged its bytes plus an overhead. The link
//! adds that to what waits in the inbox and holds the sum to one budget for the whole connection.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::time::Duration;

pub(crate) use super::SLICE_SIZE;
/// renet's largest packet: a slice and 28 bytes of header at most (type, channel, and varints of
/// at most 8 bytes for the packet sequence and message id, 4 for the slice index and count, 2 for
/// the length); a packet of small messages stays within a slice and 22 bytes.
pub(crate) const MAX_RENET_PACKET: usize = SLICE_SIZE + 28;
/// What one held message costs beyond its bytes (map entries, allocations, bookkeeping): charged
/// generously, so that a flood of empty messages is bounded as well as one of large ones.
pub(crate) const ENTRY_OVERHEAD: usize = 128;
/// renet's parser refuses more slices per message than this.
const MAX_SLICES: u64 = 1_000_000;
/// renet drops an unreliable message being reassembled that got no slice for this long.
const UNRELIABLE_SLICE_DISCARD: Duration = Duration::from_secs(3);
/// The type byte of renet's acknowledgement packet.
const ACK_PACKET: u8 = 4;

/// Whether a renet packet (one we made or one the guard admitted) is an acknowledgement.
pub(crate) fn is_ack(packet: &[u8]) -> bool {
    packet.first() == Some(&ACK_PACKET)
}

/// Whether a renet packet we made carries reliable messages (whole or a slice).
pub(crate) fn is_reliable(packet: &[u8]) -> bool {
    matches!(packet.first(), Some(0 | 2))
}

/// What a renet channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChannelKind {
    ReliableOrdered,
    Unreliable,
}

/// Why a packet was refused (the connection ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not a packet honest renet sends, in words.
    Malformed(&'static str),
    /// Accepting it would hold more than the budget: `held` bytes held, `wanted` more.
    OverBudget { held: usize, wanted: usize },
}

/// A packet the guard let through: the channel to collect messages from afterwards (none for an
/// acknowledgement, the one packet that does not itself need acknowledging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admitted {
    pub(crate) channel: Option<u8>,
}

/// A message being reassembled: which slices came, the last one's length.
#[derive(Debug)]
struct Assembly {
    slices: u64,
    received: u64,
    got: Vec<u64>,
    last_len: usize,
    charge: usize,
}

impl Assembly {
    fn new(slices: u64) -> Assembly {
        Assembly {
            slices,
            received: 0,
            got: vec![0; slices.div_ceil(64) as usize],
            last_len: 0,
            charge: assembly_charge(slices),
        }
    }

    /// Marks slice `index` (of length `len`) as received; true once every slice has come.
    fn mark(&mut self, index: u64, len: usize) -> bool {
        let (word, bit) = ((index / 64) as usize, 1u64 << (index % 64));
        if let Some(w) = self.got.get_mut(word) {
            if *w & bit == 0 {
                *w |= bit;
                self.received += 1;
                if index + 1 == self.slices {
                    self.last_len = len;
                }
            }
        }
        self.received == self.slices
    }

    fn total_len(&self) -> usize {
        (self.slices as usize - 1) * SLICE_SIZE + self.last_len
    }
}

/// renet's buffer for a message of `slices` slices and its flags, ours, and overhead.
fn assembly_charge(slices: u64) -> usize {
    (slices as usize) * (SLICE_SIZE + 2) + 2 * ENTRY_OVERHEAD
}

#[derive(Debug)]
enum Pending {
    /// Complete, waiting for the earlier ones; its charge.
    Whole(usize),
    Sliced(Assembly),
}

#[derive(Debug, Default)]
struct ReliableIn {
    /// The next message id renet delivers (renet's oldest pending one).
    next: u64,
    pending: BTreeMap<u64, Pending>,
}

#[derive(Debug)]
struct UnreliableIn {
    /// renet's own count for this channel: the buffers of the messages being reassembled.
    memory: usize,
    /// renet's limit for it (beyond, renet drops a new sliced message silently).
    limit: usize,
    /// Messages being reassembled, by id, with when their last slice came (renet's clock).
    open: BTreeMap<u64, (Assembly, Duration)>,
}

/// The guard of one connection's receive side.
#[derive(Debug)]
pub(crate) struct Guard {
    reliable: Vec<Option<ReliableIn>>,
    unreliable: Vec<Option<UnreliableIn>>,
    held: usize,
}

/// Reads renet's wire format: `None` when the buffer ends early.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        let b = self.bytes(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A QUIC variable-length integer: the first byte's top two bits give its length.
    fn varint(&mut self) -> Option<u64> {
        let first = *self.0.first()?;
        let len = 1usize << (first >> 6);
        let b = self.bytes(len)?;
        let mut v = u64::from(first & 0x3f);
        for &x in &b[1..] {
            v = (v << 8) | u64::from(x);
        }
        Some(v)
    }

    fn bytes(&mut self, len: usize) -> Option<&'a [u8]> {
        if self.0.len() < len {
            return None;
        }
        let (b, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(b)
    }

    fn with_varint_length(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        self.bytes(len)
    }
}

const TRUNCATED: Refusal = Refusal::Malformed("a truncated channel packet");

/// One slice's header: message id, index, count, payload length.
fn read_slice(r: &mut Reader<'_>) -> Result<(u64, u64, u64, usize), Refusal> {
    let id = r.varint().ok_or(TRUNCATED)?;
    let index = r.varint().ok_or(TRUNCATED)?;
    let slices = r.varint().ok_or(TRUNCATED)?;
    if slices == 0 || slices > MAX_SLICES {
        return Err(Refusal::Malformed("a slice count out of range"));
    }
    let len = r.with_varint_length().ok_or(TRUNCATED)?.len();
    if index >= slices {
        return Err(Refusal::Malformed("a slice index beyond the slice count"));
    }
    let last = index + 1 == slices;
    if (!last && len != SLICE_SIZE) || len > SLICE_SIZE {
        return Err(Refusal::Malformed("a slice of the wrong length"));
    }
    Ok((id, index, slices, len))
}

impl Guard {
    /// A guard for these channels; `unreliable_limit` is renet's memory limit of each
    /// unreliable channel.
    pub(crate) fn new(
        channels: impl Iterator<Item = (u8, ChannelKind)>,
        unreliable_limit: usize,
    ) -> Guard {
        let mut guard = Guard {
            reliable: Vec::new(),
            unreliable: Vec::new(),
            held: 0,
        };
        for (id, kind) in channels {
            let i = usize::from(id);
            if guard.reliable.len() <= i {
                guard.reliable.resize_with(i + 1, || None);
                guard.unreliable.resize_with(i + 1, || None);
            }
            match kind {
                ChannelKind::ReliableOrdered => guard.reliable[i] = Some(ReliableIn::default()),
                ChannelKind::Unreliable => {
                    guard.unreliable[i] = Some(UnreliableIn {
                        memory: 0,
                        limit: unreliable_limit,
                        open: BTreeMap::new(),
                    })
                }
            }
        }
        guard
    }

    /// Bytes renet holds for the peer by the guard's count (overheads included).
    pub(crate) fn held(&self) -> usize {
        self.held
    }

    /// Checks one renet packet received at renet time `now`. It may go to renet when `Ok`; then
    /// the guard counts what renet holds after it. `unread` is what waits elsewhere (the inbox);
    /// `unread` + held + what the packet adds must stay within `budget`.
    pub(crate) fn admit(
        &mut self,
        packet: &[u8],
        now: Duration,
        unread: usize,
        budget: usize,
    ) -> Result<Admitted, Refusal> {
        let mut r = Reader(packet);
        let kind = r.u8().ok_or(TRUNCATED)?;
        let _sequence = r.varint().ok_or(TRUNCATED)?;
        if kind == ACK_PACKET {
            return check_ack(&mut r).map(|()| Admitted { channel: None });
        }
        let channel = r.u8().ok_or(TRUNCATED)?;
        let held = self.held;
        let room = |held: usize, wanted: usize| {
            if unread.saturating_add(held).saturating_add(wanted) > budget {
                Err(Refusal::OverBudget {
                    held: unread + held,
                    wanted,
                })
            } else {
                Ok(())
            }
        };
        let reliable = self
            .reliable
            .get_mut(usize::from(channel))
            .and_then(Option::as_mut);
        let unreliable = self
            .unreliable
            .get_mut(usize::from(channel))
            .and_then(Option::as_mut);
        match (kind, reliable, unreliable) {
            (0, Some(ch), _) => {
                let count = r.u16().ok_or(TRUNCATED)?;
                let mut added = 0usize;
                for _ in 0..count {
                    let id = r.varint().ok_or(TRUNCATED)?;
                    let len = r.with_varint_length().ok_or(TRUNCATED)?.len();
                    if id < ch.next {
                        continue;
                    }
                    match ch.pending.get(&id) {
                        Some(Pending::Whole(_)) => continue,
                        Some(Pending::Sliced(_)) => {
                            return Err(Refusal::Malformed("a message sent whole and in slices"))
                        }
                        None => {}
                    }
                    let charge = len + ENTRY_OVERHEAD;
                    room(held + added, charge)?;
                    added += charge;
                    ch.pending.insert(id, Pending::Whole(charge));
                }
                self.held += added;
            }
            (2, Some(ch), _) => {
                let (id, index, slices, len) = read_slice(&mut r)?;
                if id >= ch.next {
                    match ch.pending.get(&id) {
                        Some(Pending::Sliced(a)) if a.slices != slices => {
                            return Err(Refusal::Malformed("a slice count that changed"))
                        }
                        Some(_) => {}
                        None => {
                            room(held, assembly_charge(slices))?;
                            let a = Assembly::new(slices);
                            self.held += a.charge;
                            ch.pending.insert(id, Pending::Sliced(a));
                        }
                    }
                    if let Some(Pending::Sliced(a)) = ch.pending.get_mut(&id) {
                        if a.mark(index, len) {
                            let whole = a.total_len() + ENTRY_OVERHEAD;
                            self.held = self.held - a.charge + whole;
                            ch.pending.insert(id, Pending::Whole(whole));
                        }
                    }
                }
            }
            (1, _, Some(_)) => {
                let count = r.u16().ok_or(TRUNCATED)?;
                let mut wanted = 0usize;
                for _ in 0..count {
                    wanted += r.with_varint_length().ok_or(TRUNCATED)?.len() + ENTRY_OVERHEAD;
                }
                // renet passes them on at once (collected after this packet): the inbox counts them.
                room(held, wanted)?;
            }
            (3, _, Some(ch)) => {
                let (id, index, slices, len) = read_slice(&mut r)?;
                let buffer = slices as usize * SLICE_SIZE;
                match ch.open.get(&id) {
                    Some((a, _)) if a.slices != slices => {
                        return Err(Refusal::Malformed("a slice count that changed"))
                    }
                    Some(_) => {}
                    // renet drops a new message that does not fit its channel, without a word.
                    None if ch.memory + buffer > ch.limit => {}
                    None => {
                        room(held, assembly_charge(slices))?;
                        let a = Assembly::new(slices);
                        self.held += a.charge;
                        ch.memory += buffer;
                        ch.open.insert(id, (a, now));
                    }
                }
                if let Some((a, at)) = ch.open.get_mut(&id) {
                    if a.mark(index, len) {
                        // The whole message goes to the inbox, which counts it from then on.
                        let charge = a.charge;
                        ch.open.remove(&id);
                        ch.memory -= buffer;
                        self.held -= charge;
                    } else {
                        *at = now;
                    }
                }
            }
            (0 | 2, None, _) | (1 | 3, _, None) => {
                return Err(Refusal::Malformed("a channel that does not exist"))
            }
            _ => return Err(Refusal::Malformed("an unknown packet type")),
        }
        Ok(Admitted {
            channel: Some(channel),
        })
    }

    /// renet delivered the next message of reliable `channel`.
    pub(crate) fn delivered(&mut self, channel: u8) {
        let Some(ch) = self
            .reliable
            .get_mut(usize::from(channel))
            .and_then(Option::as_mut)
        else {
            return;
        };
        match ch.pending.remove(&ch.next) {
            Some(Pending::Whole(charge)) => self.held -= charge,
            Some(Pending::Sliced(a)) => self.held -= a.charge,
            None => {}
        }
        ch.next += 1;
    }

    /// renet's clock moved to `now`: unreliable messages whose last slice is
    /// [`UNRELIABLE_SLICE_DISCARD`] old go, as renet drops them (oldest id first, stopping at the
    /// first one still fresh, as renet does).
    pub(crate) fn advance(&mut self, now: Duration) {
        for ch in self.unreliable.iter_mut().flatten() {
            while let Some((&id, (_, at))) = ch.open.first_key_value() {
                if now.saturating_sub(*at) < UNRELIABLE_SLICE_DISCARD {
                    break;
                }
                if let Some((a, _)) = ch.open.remove(&id) {
                    ch.memory -= a.slices as usize * SLICE_SIZE;
                    self.held -= a.charge;
                }
            }
        }
    }
}

/// renet's checks of an acknowledgement packet (after its sequence number): ranges that fit.
fn check_ack(r: &mut Reader<'_>) -> Result<(), Refusal> {
    read_ack(r, |_| {})
}

/// Reads an acknowledgement's ranges (after its type and sequence number), newest first, each
/// given to `range` as the inclusive range of renet packet sequence numbers it acknowledges.
fn read_ack(r: &mut Reader<'_>, mut range: impl FnMut(RangeInclusive<u64>)) -> Result<(), Refusal> {
    const BAD: Refusal = Refusal::Malformed("an acknowledgement with impossible ranges");
    let end = r.varint().ok_or(TRUNCATED)?;
    let size = r.varint().ok_or(TRUNCATED)?;
    let more = r.varint().ok_or(TRUNCATED)?;
    let mut start = end.checked_sub(size).ok_or(BAD)?;
    range(start..=end);
    for _ in 0..more {
        let gap = r.varint().ok_or(TRUNCATED)?;
        let range_end = start
            .checked_sub(gap.checked_add(2).ok_or(BAD)?)
            .ok_or(BAD)?;
        let size = r.varint().ok_or(TRUNCATED)?;
        start = range_end.checked_sub(size).ok_or(BAD)?;
        range(start..=range_end);
    }
    Ok(())
}

/// The ranges of renet packet sequence numbers an acknowledgement packet (one the guard
/// admitted, or any: garbage gives an error) acknowledges, into `out` (cleared first).
pub(crate) fn ack_ranges(packet: &[u8], out: &mut Vec<RangeInclusive<u64>>) -> Result<(), Refusal> {
    out.clear();
    let mut r = Reader(packet);
    if r.u8().ok_or(TRUNCATED)? != ACK_PACKET {
        return Err(Refusal::Malformed("not an acknowledgement"));
    }
    r.varint().ok_or(TRUNCATED)?;
    read_ack(&mut r, |range| out.push(range))
}

/// The renet packet sequence number of a packet (one renet made).
pub(crate) fn sequence(packet: &[u8]) -> Option<u64> {
    let mut r = Reader(packet);
    r.u8()?;
    r.varint()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(out: &mut Vec<u8>, v: u64) {
        match v {
            0..=63 => out.push(v as u8),
            64..=16383 => out.extend_from_slice(&(v as u16 | 0x4000).to_be_bytes()),
            _ => out.extend_from_slice(&(v as u32 | 0x8000_0000).to_be_bytes()),
        }
    }

    fn slice(kind: u8, channel: u8, id: u64, index: u64, slices: u64, len: usize) -> Vec<u8> {
        let mut p = vec![kind];
        varint(&mut p, 7);
        p.push(channel);
        for v in [id, index, slices, len as u64] {
            varint(&mut p, v);
        }
        p.resize(p.len() + len, 0xAB);
        p
    }

    fn guard() -> Guard {
        Guard::new(
            [
                (0, ChannelKind::Unreliable),
                (2, ChannelKind::ReliableOrdered),
            ]
            .into_iter(),
            64 * 1024,
        )
    }

    const BIG: usize = usize::MAX / 4;

    #[test]
    fn what_would_panic_renet_is_refused() {
        let mut g = guard();
        let t = Duration::ZERO;
        for kind in [2, 3] {
            let ch = if kind == 2 { 2 } else { 0 };
            assert!(matches!(
                g.admit(&slice(kind, ch, 0, 5, 3, SLICE_SIZE), t, 0, BIG),
                Err(Refusal::Malformed(_))
            ));
            assert!(g
                .admit(&slice(kind, ch, 1, 0, 3, SLICE_SIZE), t, 0, BIG)
                .is_ok());
            assert!(matches!(
                g.admit(&slice(kind, ch, 1, 4, 5, 10), t, 0, BIG),
                Err(Refusal::Malformed(_))
            ));
            assert!(matches!(
                g.admit(&slice(kind, ch, 1, 0, 3, 10), t, 0, BIG),
                Err(Refusal::Malformed(_))
            ));
        }
        assert!(matches!(
            g.admit(&slice(2, 0, 1, 0, 3, SLICE_SIZE), t, 0, BIG),
            Err(Refusal::Malformed(_))
        ));
        assert!(g.admit(&[9, 0, 0], t, 0, BIG).is_err());
        assert!(g.admit(&[], t, 0, BIG).is_err());
    }

    #[test]
    fn charges_follow_reassembly_delivery_and_discard() {
        let mut g = guard();
        let t = Duration::ZERO;
        // Reliable: message 0 in two slices; message 1 whole arrives first.
        let mut small = vec![0u8];
        varint(&mut small, 1);
        small.extend_from_slice(&[2, 0, 1]);
        varint(&mut small, 1);
        varint(&mut small, 3);
        small.extend_from_slice(b"abc");
        g.admit(&small, t, 0, BIG).expect("small");
        assert_eq!(g.held(), 3 + ENTRY_OVERHEAD);
        g.admit(&slice(2, 2, 0, 0, 2, SLICE_SIZE), t, 0, BIG)
            .expect("slice");
        assert_eq!(g.held(), 3 + ENTRY_OVERHEAD + assembly_charge(2));
        g.admit(&slice(2, 2, 0, 1, 2, 5), t, 0, BIG).expect("slice");
        assert_eq!(g.held(), 3 + SLICE_SIZE + 5 + 2 * ENTRY_OVERHEAD);
        g.delivered(2);
        g.delivered(2);
        assert_eq!(g.held(), 0);
        // Old ids are ignored, as renet ignores them.
        g.admit(&small, t, 0, BIG).expect("repeat");
        assert_eq!(g.held(), 0);
        // Unreliable: an incomplete message goes after 3 s of silence.
        g.admit(&slice(3, 0, 9, 0, 3, SLICE_SIZE), t, 0, BIG)
            .expect("slice");
        assert_eq!(g.held(), assembly_charge(3));
        g.advance(Duration::from_millis(2999));
        assert_eq!(g.held(), assembly_charge(3));
        g.advance(Duration::from_secs(3));
        assert_eq!(g.held(), 0);
        // The budget: a message that would not fit is refused before anything is held.
        let err = g.admit(&slice(2, 2, 5, 0, 100, SLICE_SIZE), t, 1000, 50_000);
        assert!(matches!(err, Err(Refusal::OverBudget { held: 1000, .. })));
        assert_eq!(g.held(), 0);
    }

    #[test]
    fn acknowledgement_ranges_read_back_as_renet_writes_them() {
        // renet's own example: ranges 20010..20020 and 20035..20040 (end excluded) are written
        // as 20039 (the last one's end), 4 (its size - 1), 1 (one more), 14 (the gap), 9.
        let mut p = vec![ACK_PACKET];
        for v in [77, 20039, 4, 1, 14, 9] {
            varint(&mut p, v);
        }
        let mut ranges = Vec::new();
        ack_ranges(&p, &mut ranges).expect("an acknowledgement");
        assert_eq!(ranges, vec![20035..=20039, 20010..=20019]);
        assert_eq!(sequence(&p), Some(77));
        assert!(guard().admit(&p, Duration::ZERO, 0, BIG).is_ok());
        // Garbage is refused with a reason, never read as ranges.
        let mut bad = vec![ACK_PACKET];
        for v in [1, 5, 9, 0] {
            varint(&mut bad, v);
        }
        assert_eq!(
            ack_ranges(&bad, &mut ranges),
            Err(Refusal::Malformed(
                "an acknowledgement with impossible ranges"
            ))
        );
        assert_eq!(ack_ranges(&[ACK_PACKET, 1], &mut ranges), Err(TRUNCATED));
        assert!(ack_ranges(&[0, 1], &mut ranges).is_err());
        assert_eq!(sequence(&[]), None);
    }
}
