//! What a finished handshake wrote and freed does not stay resident (issue 26, item 2). In
//! Godot, pairs made one at a time held 70 KiB each against 44 KiB when 32 handshook at once,
//! though malloc had the same bytes in use either way (`mallinfo2` in the Godot process): a
//! finished handshake frees what it wrote (OpenSSL's `SSL`, buffers, certificates, keys), glibc
//! kept those pages resident, and the next pair's sockets (`PacketPeerUDP`, about 192 KiB each,
//! almost none of it ever written) were carved out of them. Measured with `mincore` over the
//! heap this test allocates from and `mallinfo2`; glibc Linux only, the only test of its binary
//! (`mallinfo2` sums every arena: no other test may allocate meanwhile).
#![cfg(all(target_os = "linux", target_env = "gnu"))]

mod common;
#[path = "memory/pairs.rs"]
mod pairs;

use pairs::{make_pairs, setup};

const PAGE: usize = 4096;

/// Bytes resident of the heap malloc serves this thread from (the main heap, or the mapping
/// of a thread's arena: tests run on threads of their own), by `mincore`.
fn heap_resident() -> usize {
    let probe = Box::new(0u64);
    let at = &*probe as *const u64 as usize;
    let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
    let (start, end) = maps
        .lines()
        .filter_map(|l| {
            let (start, end) = l.split_whitespace().next()?.split_once('-')?;
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            (start..end).contains(&at).then_some((start, end))
        })
        .next()
        .expect("the mapping of a heap allocation");
    let mut pages = vec![0u8; (end - start) / PAGE];
    // SAFETY: [start, end) is the mapping /proc/self/maps shows holding a live allocation,
    // page-aligned, and nothing unmaps a heap in use; `pages` has one byte per page, as mincore
    // writes.
    let r = unsafe { libc::mincore(start as *mut libc::c_void, end - start, pages.as_mut_ptr()) };
    assert_eq!(r, 0, "mincore failed");
    pages.iter().filter(|p| **p & 1 == 1).count() * PAGE
}

/// The heap's pages that a finished handshake wrote and freed are given back: right after a
/// pair made alone is connected (its `SSL` objects freed), the resident heap holds at most
/// 128 KiB more than what malloc has in use (about 95 KiB here: free bits of pages that small
/// live chunks share). Before the fix, about 190 KiB stayed resident, free, for whatever was
/// allocated next (in Godot: the next pair's sockets).
#[test]
fn a_finished_handshake_leaves_no_resident_free_heap() {
    let (mut server, config) = setup();
    let mut held = Vec::new();
    let mut worst = 0;
    for _ in 0..20 {
        make_pairs(&mut server, &config, 1, 1, &mut held);
        let resident = heap_resident();
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        let info = unsafe { libc::mallinfo2() };
        // Resident pages beyond the bytes in use: free memory kept resident (partly-used
        // pages of small chunks make some of it).
        worst = worst.max(resident.saturating_sub(info.uordblks));
    }
    eprintln!("resident free heap after a handshake made alone: at most {worst} B");
    assert!(
        worst <= 128 * 1024,
        "{worst} B of free heap stayed resident after a handshake"
    );
}
