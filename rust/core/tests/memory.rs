//! Memory per idle connected pair must not depend on how the handshakes were scheduled (issue
//! 26, item 2). In Godot, pairs made one at a time held 78 KiB each against 43 KiB when 32
//! handshook at once, though malloc had the same bytes in use either way (measured with
//! `mallinfo2` in the Godot process): what differed was which pages were resident (see
//! `handshake_pages.rs`). Here the heap in use per pair, by `mallinfo2`, in both schedules;
//! glibc Linux only.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

mod common;
#[path = "memory/pairs.rs"]
mod pairs;

use common::serial;
use pairs::{make_pairs, setup};

const PAIRS: usize = 1000;

/// Bytes malloc has handed out and not taken back (small chunks and mmapped ones).
fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}

/// Pairs made one at a time and 32 at a time hold about the same heap, and little of it: about
/// 5.3 KiB per pair (two sessions: mostly their keys, the record layers' state and the client's
/// copy of the server's certificate); 6.4 KiB before the handshake's spare datagram buffers were
/// freed when our record layer takes over, which the 6 KiB bound catches.
#[test]
fn heap_per_idle_pair_does_not_depend_on_the_handshake_schedule() {
    let _serial = serial();
    let (mut server, config) = setup();
    // Room for every pair from the start: its growth would be counted as theirs.
    let mut held = Vec::with_capacity(32 + 2 * PAIRS);
    // What is allocated once (OpenSSL's tables, the listening SSL, the client context cache).
    make_pairs(&mut server, &config, 32, 32, &mut held);
    let mut per_pair = |batch: usize| {
        let before = heap_in_use();
        make_pairs(&mut server, &config, PAIRS, batch, &mut held);
        let each = heap_in_use().saturating_sub(before) / PAIRS;
        eprintln!("{PAIRS} pairs, {batch} handshaking at a time: {each} B of heap per pair");
        each
    };
    let alone = per_pair(1);
    let together = per_pair(32);
    assert!(
        alone <= together + together / 8 && together <= alone + alone / 8,
        "one at a time: {alone} B per pair, 32 at a time: {together} B"
    );
    assert!(alone <= 6 * 1024, "{alone} B per pair");
    assert!(together <= 6 * 1024, "{together} B per pair");
}
