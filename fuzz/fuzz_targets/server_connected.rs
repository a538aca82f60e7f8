//! A connected server session receives the fuzz input as datagrams: garbage to it (no one else
//! has its keys), so it must still be connected afterwards, and still send.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::garbage_into_connected(data, true);
});
