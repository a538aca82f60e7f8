//! A FIFO of byte packets that recycles its buffers, so steady traffic allocates nothing.

use std::collections::VecDeque;

/// How many spare buffers a queue keeps for reuse: a burst of this many packets allocates
/// nothing. Idle sessions free them ([`PacketQueue::shed`]).
const SPARE_LIMIT: usize = 32;
/// Largest buffer kept for reuse (a datagram of any usual MTU fits).
const SPARE_MAX_CAPACITY: usize = 4096;

/// FIFO of packets (datagrams or application messages) with buffer reuse.
#[derive(Default, Debug)]
pub struct PacketQueue {
    items: VecDeque<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    /// Bytes of the packets waiting (for [`PacketQueue::push_bounded`]).
    bytes: usize,
}

impl PacketQueue {
    /// Appends a copy of `data` as one packet.
    pub fn push(&mut self, data: &[u8]) {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(data);
        self.bytes += buf.len();
        self.items.push_back(buf);
    }

    /// Appends a copy of `data` unless that would make more than `max_packets` packets or (when
    /// some already wait) more than `max_bytes` bytes wait; returns false when it was dropped.
    pub fn push_bounded(&mut self, data: &[u8], max_packets: usize, max_bytes: usize) -> bool {
        let over_bytes = !self.items.is_empty() && self.bytes + data.len() > max_bytes;
        if self.items.len() >= max_packets || over_bytes {
            return false;
        }
        self.push(data);
        true
    }

    /// Bytes of the packets waiting.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    fn take_front(&mut self) -> Option<Vec<u8>> {
        let packet = self.items.pop_front()?;
        self.bytes -= packet.len();
        Some(packet)
    }

    /// A buffer to fill, from the spare ones when there is one; hand it back with
    /// [`PacketQueue::push_buf`] or [`PacketQueue::recycle`].
    pub(crate) fn take_spare(&mut self) -> Vec<u8> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf
    }

    /// Appends `buf` as one packet, without copying it.
    pub(crate) fn push_buf(&mut self, buf: Vec<u8>) {
        self.bytes += buf.len();
        self.items.push_back(buf);
    }

    /// Appends `buf` as one packet, without copying it, unless the bounds of
    /// [`PacketQueue::push_bounded`] forbid it; then `buf` goes back to the spare buffers and
    /// false is returned.
    pub(crate) fn push_buf_bounded(
        &mut self,
        buf: Vec<u8>,
        max_packets: usize,
        max_bytes: usize,
    ) -> bool {
        let over_bytes = !self.items.is_empty() && self.bytes + buf.len() > max_bytes;
        if self.items.len() >= max_packets || over_bytes {
            self.recycle(buf);
            return false;
        }
        self.push_buf(buf);
        true
    }

    /// Lets `fill` append to the newest packet if it waits and stays within `max_len` bytes with
    /// `extra` more; `None` (and `fill` not called) otherwise. What `fill` appended is taken back
    /// when it fails.
    pub(crate) fn append_to_last<E>(
        &mut self,
        extra: usize,
        max_len: usize,
        fill: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        let last = self.items.back_mut()?;
        let before = last.len();
        if before + extra > max_len {
            return None;
        }
        let result = fill(last);
        if result.is_err() {
            last.truncate(before);
        }
        self.bytes += last.len() - before;
        Some(result)
    }

    /// The newest packet, to change in place (its length stays).
    pub(crate) fn last_mut(&mut self) -> Option<&mut Vec<u8>> {
        self.items.back_mut()
    }

    /// The waiting packets, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.items.iter().map(Vec::as_slice)
    }

    /// Removes and returns the oldest packet.
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        self.take_front()
    }

    /// Moves the oldest packet into `out` (whose old buffer is kept for reuse); false when empty.
    pub fn pop_into(&mut self, out: &mut Vec<u8>) -> bool {
        match self.take_front() {
            Some(mut packet) => {
                std::mem::swap(out, &mut packet);
                self.recycle(packet);
                true
            }
            None => false,
        }
    }

    /// Hands every packet, oldest first, to `f` and empties the queue.
    pub fn drain_with(&mut self, mut f: impl FnMut(&[u8])) {
        while let Some(packet) = self.take_front() {
            f(&packet);
            self.recycle(packet);
        }
    }

    /// Gives a buffer back for reuse.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if self.spare.len() < SPARE_LIMIT && buf.capacity() <= SPARE_MAX_CAPACITY {
            self.spare.push(buf);
        }
    }

    /// The oldest packet, without removing it.
    pub fn front(&self) -> Option<&[u8]> {
        self.items.front().map(Vec::as_slice)
    }

    /// Number of packets waiting.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no packet waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Frees the spare buffers, and the queue's own storage when empty (for idle sessions); a
    /// waiting packet in a larger recycled buffer keeps only its own length.
    pub fn shed(&mut self) {
        self.spare = Vec::new();
        if self.items.is_empty() {
            self.items = VecDeque::new();
        }
        for packet in &mut self.items {
            packet.shrink_to_fit();
        }
    }

    /// Drops every waiting packet and the spare buffers.
    pub fn clear(&mut self) {
        self.items.clear();
        self.bytes = 0;
        self.spare.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::PacketQueue;

    #[test]
    fn appending_to_the_last_packet_keeps_the_byte_count_and_its_bound() {
        let mut q = PacketQueue::default();
        assert!(
            q.append_to_last(1, 10, |_| Ok::<(), ()>(())).is_none(),
            "empty"
        );
        q.push(b"abc");
        q.push(b"de");
        let grown = q.append_to_last(3, 5, |d| {
            d.extend_from_slice(b"fgh");
            Ok::<(), ()>(())
        });
        assert_eq!(grown, Some(Ok(())));
        assert_eq!(q.bytes(), 8);
        assert!(
            q.append_to_last(1, 5, |_| Ok::<(), ()>(())).is_none(),
            "full"
        );
        let failed = q.append_to_last(2, 9, |d| {
            d.push(b'x');
            Err(())
        });
        assert_eq!(failed, Some(Err(())));
        assert_eq!(q.bytes(), 8, "what a failed fill appended is taken back");
        assert_eq!(q.pop().as_deref(), Some(&b"abc"[..]));
        assert_eq!(q.pop().as_deref(), Some(&b"defgh"[..]));
        assert_eq!(q.bytes(), 0);
    }
}
