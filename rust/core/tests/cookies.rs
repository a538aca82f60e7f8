//! The server's stateless cookie exchange: HelloVerifyRequest first, a session only for a
//! ClientHello that carries the cookie of the address it comes from.

mod common;

use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::{Accept, Server, Session, Settings, COOKIE_LEN};

const PEER_A: &[u8] = b"198.51.100.1:5000";
const PEER_B: &[u8] = b"198.51.100.2:5000";

fn server(rotation: Duration, now: Instant) -> Server {
    let mut config = server_config(ecdsa_identity(), Settings::default());
    config.cookie_rotation = rotation;
    Server::new(&config, now).unwrap()
}

fn client(now: Instant) -> Session {
    let id = ecdsa_identity();
    Session::client(
        &client_config(&id.certificate_pem, HOST, Settings::default()),
        now,
    )
    .unwrap()
}

/// The single datagram a session has queued.
fn only_datagram(session: &mut Session) -> Vec<u8> {
    let mut out = Vec::new();
    session.drain_transmit(|d| out.push(d.to_vec()));
    assert_eq!(out.len(), 1, "expected exactly one datagram");
    out.pop().unwrap()
}

/// The cookie inside a HelloVerifyRequest datagram.
fn cookie_of(hello_verify: &[u8]) -> Vec<u8> {
    let records = records(hello_verify).expect("whole records");
    assert_eq!(records.len(), 1);
    assert_eq!(
        handshake_type(records[0]),
        Some(3),
        "not a HelloVerifyRequest"
    );
    // record header 13, handshake header 12, server_version 2, cookie length 1.
    let body = &records[0][13 + 12..];
    let len = body[2] as usize;
    body[3..3 + len].to_vec()
}

fn hello_verify(accept: Accept) -> Vec<u8> {
    match accept {
        Accept::HelloVerify(d) => d,
        other => panic!("expected a HelloVerifyRequest, got {other:?}"),
    }
}

/// A client's first ClientHello, the server's HelloVerifyRequest to it for `peer`, and the
/// second ClientHello (with the cookie) the client answers with.
fn cookie_round(server: &mut Server, client: &mut Session, peer: &[u8], now: Instant) -> Vec<u8> {
    let first = only_datagram(client);
    let reply = hello_verify(server.accept(now, peer, &first));
    client.handle_datagram(now, &reply);
    only_datagram(client)
}

#[test]
fn first_client_hello_gets_hello_verify_and_leaves_no_state() {
    let now = Instant::now();
    let mut server = server(Duration::from_secs(30), now);
    let mut client = client(now);
    let first = only_datagram(&mut client);
    assert_eq!(handshake_type(records(&first).unwrap()[0]), Some(1));

    let reply = hello_verify(server.accept(now, PEER_A, &first));
    let cookie = cookie_of(&reply);
    assert_eq!(cookie.len(), COOKIE_LEN);
    // The same ClientHello again (a retransmission, or a replay): the same answer, still no
    // session. The server remembered nothing: the cookie is a function of the peer's address.
    for _ in 0..3 {
        let again = hello_verify(server.accept(now, PEER_A, &first));
        assert_eq!(cookie_of(&again), cookie);
    }
    // Another address gets another cookie.
    let other = hello_verify(server.accept(now, PEER_B, &first));
    assert_ne!(cookie_of(&other), cookie);

    // The client's answer carries the cookie and is accepted as a session, which starts with
    // the server's first flight queued.
    client.handle_datagram(now, &reply);
    let second = only_datagram(&mut client);
    assert!(second.windows(COOKIE_LEN).any(|w| w == cookie.as_slice()));
    match server.accept(now, PEER_A, &second) {
        Accept::Session(mut session) => {
            assert!(
                session.has_transmit(),
                "the ServerHello flight should be queued"
            );
            let flight = session.poll_transmit().unwrap();
            assert_eq!(handshake_type(records(&flight).unwrap()[0]), Some(2));
        }
        other => panic!("expected a session, got {other:?}"),
    }
}

#[test]
fn cookie_for_another_peer_is_not_accepted() {
    let now = Instant::now();
    let mut server = server(Duration::from_secs(30), now);
    let mut client = client(now);
    let second = cookie_round(&mut server, &mut client, PEER_A, now);

    // Replayed from another address, the ClientHello's cookie is wrong: no session, only a
    // new HelloVerifyRequest, whose cookie is B's.
    let reply = hello_verify(server.accept(now, PEER_B, &second));
    let cookie_b = cookie_of(&hello_verify(server.accept(
        now,
        PEER_B,
        &only_datagram(&mut self::client(now)),
    )));
    assert_eq!(cookie_of(&reply), cookie_b);

    // From the right address it is accepted.
    assert!(matches!(
        server.accept(now, PEER_A, &second),
        Accept::Session(_)
    ));
}

#[test]
fn forged_cookie_is_not_accepted() {
    let now = Instant::now();
    let mut server = server(Duration::from_secs(30), now);
    let mut client = client(now);
    let second = cookie_round(&mut server, &mut client, PEER_A, now);
    let records = records(&second).unwrap();
    assert_eq!(records.len(), 1);
    // Flip each bit of the cookie in turn (it sits after version 2, random 32, session id).
    let body_at = 13 + 12;
    let session_id_len = second[body_at + 2 + 32] as usize;
    let cookie_len_at = body_at + 2 + 32 + 1 + session_id_len;
    assert_eq!(second[cookie_len_at] as usize, COOKIE_LEN);
    for i in 0..COOKIE_LEN * 8 {
        let mut forged = second.clone();
        forged[cookie_len_at + 1 + i / 8] ^= 1 << (i % 8);
        match server.accept(now, PEER_A, &forged) {
            Accept::HelloVerify(_) | Accept::Ignored => {}
            Accept::Session(_) => panic!("cookie with bit {i} flipped was accepted"),
        }
    }
    assert!(matches!(
        server.accept(now, PEER_A, &second),
        Accept::Session(_)
    ));
}

#[test]
fn garbage_to_accept_is_ignored() {
    let now = Instant::now();
    let mut server = server(Duration::from_secs(30), now);
    let mut rng = Rng::new(11);
    let mut client = client(now);
    let first = only_datagram(&mut client);
    let reply = hello_verify(server.accept(now, PEER_A, &first));

    let mut garbage: Vec<Vec<u8>> = vec![Vec::new(), vec![22], vec![0; 13], vec![0xff; 1500]];
    for len in [1, 12, 13, 25, 61, 100, 200, 1200] {
        garbage.push(rng.bytes(len));
    }
    for cut in [1, 5, 13, 20, 40, first.len() - 1] {
        garbage.push(first[..cut].to_vec());
    }
    // The server's own HelloVerifyRequest reflected back, a ClientHello with a TLS (not DTLS)
    // record version, one in an application data record, and one at epoch 1.
    garbage.push(reply.clone());
    for (index, value) in [(1usize, 0x03u8), (0, 23), (4, 1)] {
        let mut d = first.clone();
        d[index] = value;
        garbage.push(d);
    }
    // A connected session's records, from somewhere else.
    let mut pair = Pair::ecdsa(Settings::default());
    pair.connect();
    pair.client.send(b"application data").unwrap();
    garbage.push(pair.client.poll_transmit().unwrap());
    garbage.extend(pair.to_client.written.iter().cloned());

    for (i, d) in garbage.iter().enumerate() {
        match server.accept(now, PEER_B, d) {
            Accept::Ignored => {}
            other => panic!("garbage {i} ({} bytes) gave {other:?}", d.len()),
        }
    }
    // The server still works after all that, for a fresh client and for the one that waited.
    let mut fresh = self::client(now);
    let second = cookie_round(&mut server, &mut fresh, PEER_B, now);
    assert!(matches!(
        server.accept(now, PEER_B, &second),
        Accept::Session(_)
    ));
    client.handle_datagram(now, &reply);
    let second = only_datagram(&mut client);
    assert!(matches!(
        server.accept(now, PEER_A, &second),
        Accept::Session(_)
    ));
}

#[test]
fn cookie_stays_valid_for_one_rotation_not_two() {
    let t0 = Instant::now();
    let rotation = Duration::from_secs(30);

    let mut server = self::server(rotation, t0);
    let mut client = self::client(t0);
    let second = cookie_round(&mut server, &mut client, PEER_A, t0);
    // 45 s later the secret has rotated once: the cookie is from the previous one, accepted.
    let session = match server.accept(t0 + Duration::from_secs(45), PEER_A, &second) {
        Accept::Session(s) => s,
        other => panic!("cookie of the previous secret refused: {other:?}"),
    };
    // ...and that session completes its handshake.
    let id = ecdsa_identity();
    let mut pair = Pair::new(
        &client_config(&id.certificate_pem, HOST, Settings::default()),
        &server_config(id, Settings::default()),
    );
    pair.client = client;
    pair.server_session = Some(*session);
    pair.connect();

    let mut server = self::server(rotation, t0);
    let mut client = self::client(t0);
    let second = cookie_round(&mut server, &mut client, PEER_A, t0);
    // 61 s later, two periods: the secret that made the cookie is gone. (The client cannot
    // recover from this: OpenSSL's HelloVerifyRequest always has message_seq 0, which a client
    // that already sent its second ClientHello ignores; a fresh client is needed.)
    let later = t0 + Duration::from_secs(61);
    hello_verify(server.accept(later, PEER_A, &second));
    let mut fresh = self::client(later);
    let second = cookie_round(&mut server, &mut fresh, PEER_A, later);
    assert!(matches!(
        server.accept(later, PEER_A, &second),
        Accept::Session(_)
    ));
}

#[test]
fn lost_hello_verify_is_answered_again() {
    let now = Instant::now();
    let mut server = server(Duration::from_secs(30), now);
    let id = ecdsa_identity();
    let mut client = Session::client(
        &client_config(&id.certificate_pem, HOST, fast_settings()),
        Instant::now(),
    )
    .unwrap();
    let first = only_datagram(&mut client);
    let lost = hello_verify(server.accept(now, PEER_A, &first));
    // The HelloVerifyRequest is lost: the client's own timer resends the ClientHello. Wait for
    // the deadline the session reports and run its timer (again if OpenSSL's clock, which
    // decides, was not quite there yet).
    for _ in 0..10 {
        let deadline = client.poll_timeout().expect("a retransmission timer");
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        client.handle_timeout(Instant::now());
        if client.has_transmit() {
            break;
        }
    }
    let resent = only_datagram(&mut client);
    assert_eq!(client.stats().retransmissions, 1);
    let again = hello_verify(server.accept(Instant::now(), PEER_A, &resent));
    // Same cookie; the record number of each HelloVerifyRequest is that of its ClientHello.
    assert_eq!(cookie_of(&again), cookie_of(&lost));
    assert_eq!(again[3..11], resent[3..11]);
    assert_eq!(lost[3..11], first[3..11]);
    client.handle_datagram(Instant::now(), &again);
    let second = only_datagram(&mut client);
    assert!(matches!(
        server.accept(Instant::now(), PEER_A, &second),
        Accept::Session(_)
    ));
}

#[test]
fn two_clients_interleaved_through_one_server() {
    let now = Instant::now();
    let mut server = server(Duration::from_secs(30), now);
    let mut a = client(now);
    let mut b = client(now);
    let a1 = only_datagram(&mut a);
    let b1 = only_datagram(&mut b);
    let ra = hello_verify(server.accept(now, PEER_A, &a1));
    let rb = hello_verify(server.accept(now, PEER_B, &b1));
    a.handle_datagram(now, &ra);
    b.handle_datagram(now, &rb);
    let a2 = only_datagram(&mut a);
    let b2 = only_datagram(&mut b);
    // Each hello only from its own address.
    assert!(!matches!(
        server.accept(now, PEER_A, &b2),
        Accept::Session(_)
    ));
    assert!(!matches!(
        server.accept(now, PEER_B, &a2),
        Accept::Session(_)
    ));
    let sb = match server.accept(now, PEER_B, &b2) {
        Accept::Session(s) => s,
        other => panic!("{other:?}"),
    };
    let sa = match server.accept(now, PEER_A, &a2) {
        Accept::Session(s) => s,
        other => panic!("{other:?}"),
    };
    let id = ecdsa_identity();
    for (client, session, tag) in [(a, sa, "a"), (b, sb, "b")] {
        let mut pair = Pair::new(
            &client_config(&id.certificate_pem, HOST, Settings::default()),
            &server_config(id, Settings::default()),
        );
        pair.client = client;
        pair.server_session = Some(*session);
        pair.connect();
        pair.client.send(tag.as_bytes()).unwrap();
        assert!(pair.run_until(Duration::from_secs(5), |p| p
            .server_session()
            .pending_packets()
            == 1));
        assert_eq!(pair.server_session().recv().unwrap(), tag.as_bytes());
    }
}
