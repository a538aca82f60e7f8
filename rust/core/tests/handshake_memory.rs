//! What a client can make a server hold while handshaking (issue 25, defect 3): OpenSSL buffers
//! protected records that arrive before the peer's ChangeCipherSpec, each with a read buffer of
//! its own (about 16.7 KiB), up to 100 per connection, until the handshake ends; the session
//! hands it only a few. Memory is measured with glibc's `mallinfo2` (OpenSSL and Rust both
//! allocate through malloc here), so the test runs on glibc Linux only, alone in its binary.
#![cfg(all(target_os = "linux", target_env = "gnu"))]

mod common;

use std::time::Instant;

use common::*;
use openssl_dtls_core::{Accept, ClientConfig, Server, Session, Settings, Status};

/// Bytes malloc has handed out and not taken back (small chunks and mmapped ones).
fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    info.uordblks + info.hblkhd
}

const SESSIONS: usize = 1000;
const RECORDS_EACH: usize = 100;
/// What the records may make each handshaking session hold.
const BOUND: usize = 64 * 1024;

/// A protected (epoch 1) record of the least length the screen lets through (an AES-GCM
/// explicit nonce and tag: 24 bytes), as a client that passed the cookie can send any number of.
fn epoch1_record(content_type: u8, seq: u16) -> Vec<u8> {
    let [hi, lo] = seq.to_be_bytes();
    let mut r = vec![content_type, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, hi, lo, 0, 24];
    r.extend_from_slice(&[0xa5; 24]);
    r
}

/// A server session that took the client's second ClientHello and sent its first flight.
fn handshaking(server: &mut Server, config: &ClientConfig, i: usize, now: Instant) -> Session {
    let mut client = Session::client(config, now).unwrap();
    let peer = format!("192.0.2.7:{}", 1024 + i);
    loop {
        let mut hellos = Vec::new();
        client.drain_transmit(|d| hellos.push(d.to_vec()));
        assert!(!hellos.is_empty(), "the client sent nothing");
        for d in hellos {
            match server.accept(now, peer.as_bytes(), &d) {
                Accept::HelloVerify(r) => client.handle_datagram(now, &r),
                Accept::Session(s) => {
                    assert_eq!(s.status(), Status::Handshaking);
                    return *s;
                }
                Accept::Ignored => {}
            }
        }
    }
}

/// 1,000 handshaking sessions that each received 100 minimum-size protected records hold less
/// than 64 KiB more each for them (before the fix: about 1.7 MB each). The session itself,
/// mid-handshake, holds about 84 KiB more (OpenSSL's handshake state and buffers): printed, not
/// bounded here.
#[test]
fn handshake_epoch1_records_bounded() {
    let _serial = serial();
    let id = ecdsa_identity();
    let settings = Settings::default();
    let now = Instant::now();
    let mut server = Server::new(&server_config(id, settings.clone()), now).unwrap();
    let config = client_config(&id.certificate_pem, HOST, settings);
    // One session first, so what is allocated once (OpenSSL's tables, the server's listening
    // SSL, the client context cache, thread-local buffers) is not counted.
    let mut warm_up = handshaking(&mut server, &config, SESSIONS, now);
    for n in 0..RECORDS_EACH {
        warm_up.handle_datagram(now, &epoch1_record(22, n as u16));
    }
    let mut sessions: Vec<Session> = Vec::with_capacity(SESSIONS);
    let before = heap_in_use();
    let mut for_records = 0;
    for i in 0..SESSIONS {
        let mut session = handshaking(&mut server, &config, i, now);
        let without_records = heap_in_use();
        for n in 0..RECORDS_EACH {
            let content_type = [22, 23, 21][n % 3];
            session.handle_datagram(now, &epoch1_record(content_type, n as u16));
        }
        for_records += heap_in_use().saturating_sub(without_records);
        assert_eq!(session.status(), Status::Handshaking);
        sessions.push(session);
        if (i + 1) % 100 == 0 {
            // Checked as it grows, so a regression fails early instead of taking gigabytes.
            let records = for_records / (i + 1);
            assert!(
                records < BOUND,
                "after {} sessions: the {RECORDS_EACH} protected records each received made it \
                 hold {records} bytes more (bound {BOUND})",
                i + 1
            );
        }
    }
    let held = heap_in_use().saturating_sub(before) / SESSIONS;
    let records = for_records / SESSIONS;
    eprintln!(
        "{SESSIONS} handshaking sessions that each received {RECORDS_EACH} epoch-1 records: \
         {held} bytes held each, {records} of them for the records"
    );
    assert!(
        records < BOUND,
        "{records} bytes per session for the records"
    );
    drop(warm_up);
}
