//! Gives the heap pages a finished handshake wrote and freed back to the system (glibc only).
//!
//! A handshake allocates and writes about 100 KiB per session (OpenSSL's `SSL`, its buffers,
//! certificates, keys, handshake hashes), all freed once our record layer takes over. glibc keeps
//! those free pages resident, and the next large allocation of the process is carved out of
//! them: in Godot, the next pair's sockets (`PacketPeerUDP`, about 192 KiB each, almost none of
//! it ever written), which then count as resident in full. So memory per idle pair depended on
//! how the handshakes were scheduled: 70 KiB one at a time against 44 KiB with 32 at once (issue
//! 26), with the same bytes in use either way. `malloc_trim(0)` advises the kernel that the
//! whole free pages are unneeded (their contents go; they are mapped again, zeroed, when next
//! written), so what a handshake wrote does not outlive it. It costs tens of microseconds with a
//! heap of hundreds of MB (about 75 µs per call in the Godot benchmark with 1,000 pairs), once
//! per session per handshake. Other allocators and systems give such pages back on their own or
//! keep them; there it is a no-op.

/// After a session's handshake state is freed.
pub(crate) fn handshake_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer; it only walks glibc's free lists (under their locks)
    // and tells the kernel whole free pages are unneeded.
    unsafe {
        libc::malloc_trim(0);
    }
}
