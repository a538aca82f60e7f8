//! A client session in the handshake (ClientHello sent) receives the fuzz input as datagrams.
#![no_main]

mod common;

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use openssl_dtls_core::Session;

fuzz_target!(|data: &[u8]| {
    let mut client = Session::client(&common::client_config(), Instant::now()).expect("client");
    let _ = common::outgoing(&mut client);
    common::feed(&mut client, &common::datagrams(data));
});
