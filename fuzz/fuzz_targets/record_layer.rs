//! Our record layer on a connected client: each fuzz datagram is either raw garbage, or (first
//! byte odd) a record of any content type and payload sealed with the server's real keys, so
//! the input reaches what lies behind authentication: alerts, handshake messages, data. Raw
//! garbage and sealed non-alerts never end the session.
#![no_main]

mod common;

use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use openssl_dtls_core::{Server, Status};

static SERVER: Mutex<Option<Server>> = Mutex::new(None);

const ALERT: u8 = 21;

fuzz_target!(|data: &[u8]| {
    let mut guard = SERVER.lock().unwrap();
    let server = guard.get_or_insert_with(|| {
        Server::new(&common::server_config(), std::time::Instant::now()).expect("server")
    });
    let (mut client, mut server_session) = common::connected_pair(server);
    assert!(client.uses_own_record_layer() && server_session.uses_own_record_layer());
    let now = std::time::Instant::now();
    let mut may_end = false;
    for d in common::datagrams(data) {
        match d {
            [mode, content_type, payload @ ..] if mode & 1 == 1 => {
                may_end |= *content_type == ALERT;
                if !server_session.seal_record_for_fuzzing(*content_type, payload) {
                    continue;
                }
                for sealed in common::outgoing(&mut server_session) {
                    client.handle_datagram(now, &sealed);
                }
            }
            raw => client.handle_datagram(now, raw),
        }
        let _ = common::outgoing(&mut client);
        while client.recv().is_some() {}
        common::check(&client);
        if !may_end {
            assert_eq!(client.status(), Status::Connected, "{:?}", client.failure());
        }
    }
    if client.status() == Status::Connected {
        client
            .send(b"still alive")
            .expect("send on a connected session");
        // The server opens it: what the client was fed left its keys and sequence numbers usable.
        for d in common::outgoing(&mut client) {
            server_session.handle_datagram(now, &d);
        }
        assert_eq!(
            server_session.recv().as_deref(),
            Some(&b"still alive"[..]),
            "the server did not get the packet the client sent"
        );
    }
});
