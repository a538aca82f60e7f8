//! A multiplayer server (`MultiplayerHost`) connected to a hostile client, which sends the fuzz
//! input as the decrypted packets of the connection: our frames, renet's packets. Nothing may
//! panic, and what the host holds stays within its bounds (rust/core/tests/mp_harness/mod.rs,
//! shared with the regression replay in rust/core/tests/fuzz_regressions.rs).
#![no_main]

mod common;
#[path = "../../rust/core/tests/mp_harness/mod.rs"]
mod mp_harness;

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static HEAP: mp_harness::Counting = mp_harness::Counting;

fuzz_target!(|data: &[u8]| {
    let (server, client) = common::multiplayer_configs();
    mp_harness::run(mp_harness::Side::Server, data, &server, &client);
});
