//! Replays fuzz inputs kept in `tests/fuzz_regressions/<target>/` through the same steps as the
//! cargo-fuzz target of that name (`fuzz/fuzz_targets/`), so that every crash the fuzzer ever
//! found stays fixed: copy `fuzz/artifacts/<target>/crash-*` there. The inputs kept now are the
//! record shapes that made OpenSSL fail a session before `screen.rs` dropped them.
//!
//! Input format (as in the fuzz targets): datagrams, each a 2-byte big-endian length then that
//! many bytes; `server_accept` takes one byte of peer-id length, the peer id, then one datagram;
//! `multiplayer_server` and `multiplayer_client` run the same harness as their targets
//! (`mp_harness/mod.rs`, whose heap count is this binary's allocator).

mod common;
mod mp_harness;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::multiplayer::multiplayer_settings;
use openssl_dtls_core::{pem, Accept, Server, Session, Settings, Status};

#[global_allocator]
static HEAP: mp_harness::Counting = mp_harness::Counting;

fn feed(session: &mut Session, input: &[u8]) {
    let now = Instant::now();
    for d in mp_harness::chunks(input) {
        session.handle_datagram(now, d);
        session.drain_transmit(|_| {});
        while session.recv().is_some() {}
        if matches!(
            session.status(),
            Status::Error | Status::ErrorHostnameMismatch
        ) {
            assert!(session.failure().is_some());
        }
    }
}

fn settings() -> Settings {
    Settings {
        initial_retransmit: Duration::from_millis(100),
        ..Settings::default()
    }
}

fn replay(target: &str, input: &[u8]) {
    match target {
        "client_handshake" => {
            let mut pair = Pair::ecdsa(settings());
            pair.client.drain_transmit(|_| {});
            feed(&mut pair.client, input);
        }
        "client_connected" | "server_connected" => {
            let mut pair = Pair::ecdsa(settings());
            pair.connect();
            let client_side = target == "client_connected";
            let session = if client_side {
                &mut pair.client
            } else {
                pair.server_session()
            };
            feed(session, input);
            // Kept inputs are garbage to a connected session: it must drop them and go on.
            assert_eq!(
                session.status(),
                Status::Connected,
                "{:?}",
                session.failure()
            );
            pair.client.send(b"still alive").unwrap();
            assert!(pair.run_until(Duration::from_secs(5), |p| p
                .server_session()
                .pending_packets()
                == 1));
        }
        "server_session" => {
            let mut pair = Pair::ecdsa(settings());
            pair.run_until(Duration::from_secs(5), |p| p.server_session.is_some());
            feed(pair.server_session(), input);
        }
        "server_accept" => {
            let id = ecdsa_identity();
            let mut server = Server::new(&server_config(id, settings()), Instant::now()).unwrap();
            let (peer, datagram) = match input.split_first() {
                Some((&n, rest)) => rest.split_at(usize::from(n).min(rest.len())),
                None => (&[][..], input),
            };
            if let Accept::HelloVerify(reply) = server.accept(Instant::now(), peer, datagram) {
                assert!(reply.len() <= datagram.len());
            }
        }
        "pem" => {
            let text = String::from_utf8_lossy(input);
            let _ = pem::certificates_from_pem(&text);
            let _ = pem::private_key_from_pem(&text);
        }
        "multiplayer_server" | "multiplayer_client" | "multiplayer_client_waiting" => {
            let id = ecdsa_identity();
            let server = server_config(id, multiplayer_settings());
            let client = client_config(&id.certificate_pem, HOST, multiplayer_settings());
            let side = match target {
                "multiplayer_server" => mp_harness::Side::Server,
                "multiplayer_client" => mp_harness::Side::Client,
                _ => mp_harness::Side::ClientWaitingForItsId,
            };
            mp_harness::run(side, input, &server, &client);
        }
        other => panic!("unknown fuzz target directory {other:?}"),
    }
}

#[test]
fn kept_fuzz_inputs_replay_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut replayed = 0;
    for target in std::fs::read_dir(&root).expect("tests/fuzz_regressions") {
        let target = target.unwrap().path();
        if !target.is_dir() {
            continue;
        }
        let name = target.file_name().unwrap().to_string_lossy().to_string();
        for input in std::fs::read_dir(&target).unwrap() {
            let input = input.unwrap().path();
            let bytes = std::fs::read(&input).unwrap();
            println!(
                "replaying {name}/{}",
                input.file_name().unwrap().to_string_lossy()
            );
            replay(&name, &bytes);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no kept fuzz inputs under {}", root.display());
    println!("replayed {replayed} kept fuzz inputs");
}
