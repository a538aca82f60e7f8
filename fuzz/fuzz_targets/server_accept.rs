//! `Server::accept` on arbitrary datagrams from arbitrary peers: the first byte is the peer id
//! length. A HelloVerifyRequest is never larger than what it answers; a session only comes from
//! a valid cookie, which a fuzzer cannot forge.
#![no_main]

mod common;

use std::sync::Mutex;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use openssl_dtls_core::{Accept, Server};

static SERVER: Mutex<Option<Server>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let mut guard = SERVER.lock().unwrap();
    let server = guard.get_or_insert_with(|| {
        Server::new(&common::server_config(), Instant::now()).expect("server")
    });
    let (peer, datagram) = match data.split_first() {
        Some((&n, rest)) => rest.split_at(usize::from(n).min(rest.len())),
        None => (&[][..], data),
    };
    match server.accept(Instant::now(), peer, datagram) {
        Accept::HelloVerify(reply) => assert!(
            reply.len() <= datagram.len(),
            "amplification: {} byte reply to {} bytes",
            reply.len(),
            datagram.len()
        ),
        Accept::Session(mut s) => common::feed(&mut s, &[]),
        Accept::Ignored => {}
    }
});
