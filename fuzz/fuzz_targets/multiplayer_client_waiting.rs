//! A multiplayer client (`MultiplayerHost`) whose DTLS session is connected and that waits for
//! its id, fed by a hostile server that sends the fuzz input as the connection's decrypted
//! packets: id assignments (none, several, out of range, after others), goodbyes, channel packets
//! before the id, pings. Nothing may panic, and the heap stays within its bound
//! (rust/core/tests/mp_harness/mod.rs).
#![no_main]

mod common;
#[path = "../../rust/core/tests/mp_harness/mod.rs"]
mod mp_harness;

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static HEAP: mp_harness::Counting = mp_harness::Counting;

fuzz_target!(|data: &[u8]| {
    let (server, client) = common::multiplayer_configs();
    mp_harness::run(
        mp_harness::Side::ClientWaitingForItsId,
        data,
        &server,
        &client,
    );
});
