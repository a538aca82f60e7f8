//! A connected client session receives the fuzz input as datagrams: garbage to it (no one else
//! has its keys), so it must still be connected afterwards, and still send.
#![no_main]

mod common;

use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use openssl_dtls_core::{Server, Status};

static SERVER: Mutex<Option<Server>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let mut guard = SERVER.lock().unwrap();
    let server = guard.get_or_insert_with(|| {
        Server::new(&common::server_config(), std::time::Instant::now()).expect("server")
    });
    let (mut client, mut server_session) = common::connected_pair(server);
    common::feed(&mut client, &common::datagrams(data));
    assert_eq!(
        client.status(),
        Status::Connected,
        "garbage ended a connected session: {:?}",
        client.failure()
    );
    client
        .send(b"still alive")
        .expect("send on a connected session");
    common::feed(&mut server_session, &[]);
});
