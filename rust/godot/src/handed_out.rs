//! The packets `get_packet` lends to Godot: one buffer per peer and per reading thread. Godot reads
//! a lent packet after the call returns (`get_var(true)` may even run script code while it decodes
//! from it, and that code may read another peer), so a buffer stays valid until the same thread's
//! next `get_packet` on the same peer, and no other thread ever writes it.

use std::sync::{Arc, Weak};

use godot::global::Error;
use godot::meta::conv::RawPtr;

use crate::misuse;

thread_local! {
    /// Lives as long as its thread: a buffer whose thread has ended has no reader left.
    static THIS_THREAD: Arc<()> = Arc::new(());
}

/// One peer's lent packets, one per thread that read from it.
#[derive(Default)]
pub struct HandedOut {
    /// (the reading thread, its last packet). Usually one entry.
    buffers: Vec<(Weak<()>, Vec<u8>)>,
}

impl HandedOut {
    /// The calling thread's buffer of this peer, to fill with the packet to lend; the buffers of
    /// threads that have ended are freed when a new thread's is made. `None` only while the thread
    /// itself is being torn down.
    pub fn for_this_thread(&mut self) -> Option<&mut Vec<u8>> {
        let me = THIS_THREAD.try_with(Arc::as_ptr).ok()?;
        let at = self.buffers.iter().position(|(t, _)| t.as_ptr() == me);
        let at = match at {
            Some(at) => at,
            None => {
                let token = THIS_THREAD.try_with(Arc::downgrade).ok()?;
                self.buffers.retain(|(thread, _)| thread.strong_count() > 0);
                self.buffers.push((token, Vec::new()));
                self.buffers.len() - 1
            }
        };
        self.buffers.get_mut(at).map(|(_, buffer)| buffer)
    }

    /// `get_packet`'s raw-pointer form for `class`: `fill` puts the next packet into the calling
    /// thread's buffer (false: none waiting, `ERR_UNAVAILABLE`), which is then lent to Godot
    /// through the two out-pointers; null out-pointers are refused with one message.
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
        let Some(current) = self.for_this_thread() else {
            return Error::ERR_UNAVAILABLE;
        };
        if !fill(current) {
            return Error::ERR_UNAVAILABLE;
        }
        let len = i32::try_from(current.len()).unwrap_or(i32::MAX);
        // SAFETY: both out-pointers are non-null (checked above) and point at Godot's locals for
        // this call. The buffer lent is this peer's for the calling thread: Godot reads it on this
        // thread after we return, and only this thread's next get_packet on this peer writes or
        // frees it (other threads get buffers of their own; the peer outlives Godot's read, as the
        // caller holds a reference to it).
        unsafe {
            *buffer_out = RawPtr::new(current.as_ptr());
            *size_out = len;
        }
        Error::OK
    }
}

#[cfg(test)]
mod tests {
    use super::HandedOut;

    #[test]
    fn each_thread_keeps_its_own_buffer_until_its_next_read() {
        let mut peer = HandedOut::default();
        peer.for_this_thread().unwrap().extend_from_slice(b"main");
        let main_ptr = peer.for_this_thread().unwrap().as_ptr();
        std::thread::scope(|s| {
            s.spawn(|| {
                let mine = peer.for_this_thread().unwrap();
                assert!(mine.is_empty(), "a new thread gets a buffer of its own");
                mine.extend_from_slice(b"worker");
            });
        });
        assert_eq!(peer.buffers.len(), 2);
        let main = peer.for_this_thread().unwrap();
        assert_eq!((main.as_slice(), main.as_ptr()), (&b"main"[..], main_ptr));
        // The worker has ended: its buffer goes when the next thread's is made.
        std::thread::scope(|s| {
            s.spawn(|| peer.for_this_thread().map(|b| b.push(1)));
        });
        assert_eq!(peer.buffers.len(), 2, "the ended worker's buffer was freed");
    }
}
