//! The packets `get_packet` lends to Godot: per peer and per reading thread. Godot reads a lent
//! packet after the call returns, and `get_var(true)` may run script code while it decodes from it;
//! that code may call `get_packet` again, on another peer or on this one. So a lent buffer is not
//! written, reused or freed by the next `get_packet` of its peer on its thread (which lends a
//! second buffer), only by the one after; no other thread ever touches it.

use std::sync::{Arc, Weak};

use godot::global::Error;
use godot::meta::conv::RawPtr;

use crate::misuse;

thread_local! {
    /// Lives as long as its thread: a buffer whose thread has ended has no reader left.
    static THIS_THREAD: Arc<()> = Arc::new(());
}

/// What one thread was lent by one peer.
struct Lent {
    thread: Weak<()>,
    /// The packet lent last.
    current: Vec<u8>,
    /// The one lent before it, still alive for a reader that was decoding it when `current` was
    /// asked for; its allocation is filled by the next `get_packet`.
    previous: Vec<u8>,
}

/// One peer's lent packets, for each thread that read from it.
#[derive(Default)]
pub struct HandedOut {
    /// Usually one entry.
    buffers: Vec<Lent>,
}

impl HandedOut {
    /// The calling thread's entry of this peer; the entries of threads that have ended are freed
    /// when a new thread's is made. `None` only while the thread itself is being torn down.
    fn for_this_thread(&mut self) -> Option<&mut Lent> {
        let me = THIS_THREAD.try_with(Arc::as_ptr).ok()?;
        let at = self.buffers.iter().position(|l| l.thread.as_ptr() == me);
        let at = match at {
            Some(at) => at,
            None => {
                let thread = THIS_THREAD.try_with(Arc::downgrade).ok()?;
                self.buffers.retain(|l| l.thread.strong_count() > 0);
                self.buffers.push(Lent {
                    thread,
                    current: Vec::new(),
                    previous: Vec::new(),
                });
                self.buffers.len() - 1
            }
        };
        self.buffers.get_mut(at)
    }

    /// The next packet, to lend to the calling thread: `fill` puts it into a buffer (the
    /// allocation of the packet lent two calls ago, or replaces it) and returns false when none
    /// waits. The packet lent last stays as it is until the next call.
    pub fn next_packet(&mut self, fill: impl FnOnce(&mut Vec<u8>) -> bool) -> Option<&[u8]> {
        let lent = self.for_this_thread()?;
        let mut buffer = std::mem::take(&mut lent.previous);
        buffer.clear();
        if !fill(&mut buffer) {
            lent.previous = buffer;
            return None;
        }
        lent.previous = std::mem::replace(&mut lent.current, buffer);
        Some(&lent.current)
    }

    /// `get_packet`'s raw-pointer form for `class`: the next packet ([`HandedOut::next_packet`];
    /// none waiting: `ERR_UNAVAILABLE`) is lent to Godot through the two out-pointers; null
    /// out-pointers are refused with one message.
    pub fn lend(
        &mut self,
        class: &str,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
        fill: impl FnOnce(&mut Vec<u8>) -> bool,
    ) -> Error {
        let (buffer_out, size_out) = (r_buffer.ptr(), r_buffer_size.ptr());
        if buffer_out.is_null() || size_out.is_null() {
            return misuse(
                class,
                "get_packet",
                Error::ERR_INVALID_PARAMETER,
                "null output pointer",
            );
        }
        let Some(packet) = self.next_packet(fill) else {
            return Error::ERR_UNAVAILABLE;
        };
        let len = i32::try_from(packet.len()).unwrap_or(i32::MAX);
        // SAFETY: both out-pointers are non-null (checked above) and point at Godot's locals for
        // this call. The buffer lent is this peer's for the calling thread: Godot reads it on this
        // thread after we return, and only this thread's second next get_packet on this peer
        // writes or frees it (the next one lends another buffer, so a script that reads this peer
        // again while Godot decodes this packet leaves it intact; other threads get buffers of
        // their own; the peer outlives Godot's read, as the caller holds a reference to it).
        unsafe {
            *buffer_out = RawPtr::new(packet.as_ptr());
            *size_out = len;
        }
        Error::OK
    }

    /// [`HandedOut::lend`] of the packet `next` gives, its own allocation lent (none:
    /// `ERR_UNAVAILABLE`).
    pub fn lend_next(
        &mut self,
        class: &str,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
        next: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Error {
        self.lend(class, r_buffer, r_buffer_size, |buffer| match next() {
            Some(packet) => {
                *buffer = packet;
                true
            }
            None => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::HandedOut;

    fn lend(peer: &mut HandedOut, packet: &[u8]) -> (*const u8, usize) {
        let got = peer
            .next_packet(|b| {
                // As the sessions do: the packet's own allocation replaces the buffer.
                *b = packet.to_vec();
                true
            })
            .unwrap();
        (got.as_ptr(), got.len())
    }

    #[test]
    fn a_lent_packet_outlives_the_next_read_of_its_peer() {
        let mut peer = HandedOut::default();
        let big = vec![7u8; 5000]; // above the packet queues' 4 KiB of recycled buffers
        let (ptr, len) = lend(&mut peer, &big);
        let (second, _) = lend(&mut peer, &[9u8; 5000]);
        assert_ne!(ptr, second);
        let lent = peer.for_this_thread().unwrap();
        assert_eq!((lent.previous.as_ptr(), lent.previous.len()), (ptr, len));
        assert_eq!(lent.previous, big, "still intact after the next get_packet");
        // None waiting: what was lent stays as it is.
        assert!(peer.next_packet(|_| false).is_none());
        assert_eq!(peer.for_this_thread().unwrap().current, vec![9u8; 5000]);
    }

    #[test]
    fn each_thread_keeps_its_own_buffer_until_its_next_read() {
        // Plain threads, joined: `join` returns once a thread has ended, its thread-locals
        // dropped (a scope can end before that, and the worker's buffer would still count).
        let in_a_thread = |mut peer: HandedOut, f: fn(&mut HandedOut)| {
            std::thread::spawn(move || {
                f(&mut peer);
                peer
            })
            .join()
            .unwrap()
        };
        let mut peer = HandedOut::default();
        let (main_ptr, _) = lend(&mut peer, b"main");
        peer = in_a_thread(peer, |peer| {
            let mine = peer.for_this_thread().unwrap();
            assert!(
                mine.current.is_empty(),
                "a new thread gets a buffer of its own"
            );
            mine.current.extend_from_slice(b"worker");
        });
        assert_eq!(peer.buffers.len(), 2);
        let main = &peer.for_this_thread().unwrap().current;
        assert_eq!((main.as_slice(), main.as_ptr()), (&b"main"[..], main_ptr));
        // The worker has ended: its buffer goes when the next thread's is made.
        peer = in_a_thread(peer, |peer| {
            if let Some(l) = peer.for_this_thread() {
                l.current.push(1);
            }
        });
        assert_eq!(peer.buffers.len(), 2, "the ended worker's buffer was freed");
    }
}
