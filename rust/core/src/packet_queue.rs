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
}

impl PacketQueue {
    /// Appends a copy of `data` as one packet.
    pub fn push(&mut self, data: &[u8]) {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(data);
        self.items.push_back(buf);
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
        self.items.push_back(buf);
    }

    /// The newest packet, to change in place.
    pub(crate) fn last_mut(&mut self) -> Option<&mut Vec<u8>> {
        self.items.back_mut()
    }

    /// The waiting packets, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.items.iter().map(Vec::as_slice)
    }

    /// Removes and returns the oldest packet.
    pub fn pop(&mut self) -> Option<Vec<u8>> {
        self.items.pop_front()
    }

    /// Moves the oldest packet into `out` (whose old buffer is kept for reuse); false when empty.
    pub fn pop_into(&mut self, out: &mut Vec<u8>) -> bool {
        match self.items.pop_front() {
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
        while let Some(packet) = self.items.pop_front() {
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

    /// Frees the spare buffers, and the queue's own storage when empty (for idle sessions).
    pub fn shed(&mut self) {
        self.spare = Vec::new();
        if self.items.is_empty() {
            self.items = VecDeque::new();
        }
    }

    /// Drops every waiting packet and the spare buffers.
    pub fn clear(&mut self) {
        self.items.clear();
        self.spare.clear();
    }
}
