//! A server session (cookie exchange done, its first flight written) receives the fuzz input.
#![no_main]

mod common;

use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use openssl_dtls_core::Server;

static SERVER: Mutex<Option<Server>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let mut guard = SERVER.lock().unwrap();
    let server = guard.get_or_insert_with(|| {
        Server::new(&common::server_config(), std::time::Instant::now()).expect("server")
    });
    let (_client, mut session, _) = common::handshaking_pair(server);
    let _ = common::outgoing(&mut session);
    common::feed(&mut session, &common::datagrams(data));
});
