//! Loss, reordering and duplication: the handshake recovers through retransmission, and
//! application data arrives at most once and intact.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::{KeyType, Settings, Status};

/// Initial retransmission timeout of the single-loss tests: long enough that no timer runs out
/// while a loaded machine is still busy with a clean flight.
const RTO: Duration = Duration::from_millis(100);
/// OpenSSL counts a timer with less than 15 ms left as expired (`dtls1_get_timeout`).
const OPENSSL_TIMER_SLACK: Duration = Duration::from_millis(15);

fn rto_settings() -> Settings {
    Settings {
        initial_retransmit: RTO,
        ..fast_settings()
    }
}

/// The clean handshake's flights (indices of written datagrams) in each direction.
fn clean_flights(make: &dyn Fn() -> Pair) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut pair = make();
    pair.connect();
    assert_eq!(pair.client.stats().retransmissions, 0);
    assert_eq!(pair.server_session().stats().retransmissions, 0);
    (pair.to_server.flights(), pair.to_client.flights())
}

/// Drops exactly the datagrams `lost` (indices written in direction `dir`) and checks that the
/// handshake completes anyway, through the first retransmission of whichever side's timer runs
/// out, and that data then flows.
fn recovers_from(make: &dyn Fn() -> Pair, dir: Dir, lost: Vec<usize>) {
    let what = format!("losing {dir:?} datagrams {lost:?}");
    let dropped = lost.clone();
    let started = Instant::now();
    let mut pair = make().with_filter(move |d, i, _| !(d == dir && dropped.contains(&i)));
    pair.connect();
    let elapsed = started.elapsed();
    let client = pair.client.stats().retransmissions;
    let server = pair.server_session().stats().retransmissions;
    assert!(
        client + server >= 1,
        "{what}: connected without a retransmission"
    );
    // One timer expiry repairs one loss: a second round would mean a repaired flight was
    // rejected (as happened to the ServerHello after a resent ClientHello, see below).
    assert!(
        client <= 1 && server <= 1,
        "{what}: client {client} and server {server} retransmissions"
    );
    // Recovery waited for the retransmission timer (the pump never resends by itself).
    assert!(
        elapsed >= RTO - OPENSSL_TIMER_SLACK,
        "{what}: connected after {elapsed:?}, before the {RTO:?} timer"
    );
    pair.client.send(b"after loss").unwrap();
    pair.server_session().send(b"after loss too").unwrap();
    assert!(
        pair.run_until(Duration::from_secs(5), |p| {
            p.client.pending_packets() == 1 && p.server_session().pending_packets() == 1
        }),
        "{what}: no data after the handshake"
    );
}

fn record_seq(record: &[u8]) -> u64 {
    u64::from_be_bytes([
        0, 0, record[5], record[6], record[7], record[8], record[9], record[10],
    ])
}

/// The first ClientHello is lost: the client resends it when its timer runs out, and the
/// handshake then completes without a second timeout. The ServerHello must continue the record
/// sequence from the ClientHello it answers (RFC 6347 4.2.1): OpenSSL 3.2-3.6 restart it at 1,
/// the number the HelloVerifyRequest to the resent ClientHello already used, and the client
/// dropped the ServerHello as a replay until the core renumbered it.
#[test]
fn first_client_hello_dropped_is_retransmitted() {
    let started = Instant::now();
    let mut pair = Pair::ecdsa(rto_settings())
        .with_filter(|dir, index, _| !(dir == Dir::ToServer && index == 0));
    pair.connect();
    assert!(started.elapsed() >= RTO - OPENSSL_TIMER_SLACK);
    assert_eq!(pair.client.stats().retransmissions, 1);
    assert_eq!(pair.server_session().stats().retransmissions, 0);
    // The first and the resent datagram are both a ClientHello without cookie; only the second
    // reached the server, which answered it with a HelloVerifyRequest.
    for d in &pair.to_server.written[..2] {
        assert_eq!(
            handshake_type(records(d).unwrap()[0]),
            Some(1),
            "not a ClientHello"
        );
    }
    assert_eq!(pair.hello_verifies, 1);

    let hello_verify = records(&pair.to_client.written[0]).unwrap()[0];
    let server_hello = records(&pair.to_client.written[1]).unwrap()[0];
    let resent_hello = records(&pair.to_server.written[1]).unwrap()[0];
    let cookie_hello = records(&pair.to_server.written[2]).unwrap()[0];
    assert_eq!(handshake_type(hello_verify), Some(3));
    assert_eq!(handshake_type(server_hello), Some(2));
    assert_eq!(record_seq(hello_verify), record_seq(resent_hello));
    assert_eq!(record_seq(server_hello), record_seq(cookie_hello));
    assert!(record_seq(server_hello) > record_seq(hello_verify));
}

#[test]
fn each_lost_handshake_flight_is_retransmitted() {
    let make = || Pair::ecdsa(rto_settings());
    let (to_server, to_client) = clean_flights(&make);
    // ClientHello, ClientHello+cookie, key exchange+Finished; and HelloVerifyRequest,
    // ServerHello..ServerHelloDone, ChangeCipherSpec+Finished.
    assert_eq!(to_server.len(), 3, "client flights {to_server:?}");
    assert_eq!(to_client.len(), 3, "server flights {to_client:?}");
    for flight in to_server {
        recovers_from(&make, Dir::ToServer, flight);
    }
    for flight in to_client {
        recovers_from(&make, Dir::ToClient, flight);
    }
}

/// At an MTU of 300 an RSA-2048 chain needs many fragments: losing any single one is repaired.
#[test]
fn each_lost_fragment_is_retransmitted() {
    let chain = make_chain(KeyType::Rsa(2048), true);
    let settings = Settings {
        mtu: 300,
        ..rto_settings()
    };
    let make = || {
        let mut config = server_config(&chain.leaf, settings.clone());
        config.chain_pem = chain.intermediate_pem.clone();
        Pair::new(
            &client_config(&chain.root_pem, HOST, settings.clone()),
            &config,
        )
    };
    let (to_server, to_client) = clean_flights(&make);
    let certificate_flight = &to_client[1];
    assert!(
        certificate_flight.len() >= 8,
        "server flight of {} datagrams",
        certificate_flight.len()
    );
    for &i in certificate_flight {
        recovers_from(&make, Dir::ToClient, vec![i]);
    }
    for i in to_server.into_iter().flatten() {
        recovers_from(&make, Dir::ToServer, vec![i]);
    }
}

/// 30% loss, 30% of datagrams held back (reordered), 10% duplicated, in both directions, for
/// twelve seeds: every handshake completes and data arrives at most once, intact.
#[test]
fn handshake_survives_30_percent_loss_with_reordering_and_duplication() {
    let impairment = Impairment {
        loss: 0.3,
        reorder: 0.3,
        duplicate: 0.1,
    };
    let threads: Vec<_> = (1..=12u64)
        .map(|seed| {
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut pair = Pair::ecdsa(fast_settings()).with_impairment(impairment, seed);
                pair.connect();
                let handshake = started.elapsed();
                let retransmissions = pair.client.stats().retransmissions;
                let outcome = lossy_data(&mut pair, 200);
                (seed, handshake, retransmissions, outcome)
            })
        })
        .collect();
    let mut any_out_of_order = false;
    let mut any_retransmission = false;
    for t in threads {
        let (seed, handshake, retransmissions, (at_server, at_client, out_of_order)) = t
            .join()
            .expect("a handshake under impairment failed (see its panic above)");
        eprintln!(
            "seed {seed}: handshake {handshake:?} ({retransmissions} client retransmissions), \
             {at_server}/200 and {at_client}/200 packets arrived, out of order: {out_of_order}"
        );
        // About 70% arrive (binomial: 140 +- 6.5); each at most once (checked in lossy_data).
        for arrived in [at_server, at_client] {
            assert!(
                (100..=180).contains(&arrived),
                "seed {seed}: {arrived}/200 arrived"
            );
        }
        any_out_of_order |= out_of_order;
        any_retransmission |= retransmissions > 0;
    }
    assert!(
        any_out_of_order,
        "the link never reordered application data"
    );
    assert!(
        any_retransmission,
        "the link never made a handshake retransmit"
    );
}

/// Sends `n` distinct packets each way over the impaired link; returns how many arrived at
/// each side and whether any arrived out of order. Checks nothing arrives twice or corrupted.
fn lossy_data(pair: &mut Pair, n: u32) -> (usize, usize, bool) {
    for i in 0..n {
        pair.client.send(format!("c{i}").as_bytes()).unwrap();
        pair.server_session()
            .send(format!("s{i}").as_bytes())
            .unwrap();
        if i % 8 == 7 {
            pair.step();
        }
    }
    pair.settle(Duration::from_secs(5));
    let check = |packets: Vec<Vec<u8>>, prefix: char| {
        let numbers: Vec<u32> = packets
            .iter()
            .map(|p| {
                let s = std::str::from_utf8(p).expect("corrupted packet");
                assert!(s.starts_with(prefix), "foreign packet {s:?}");
                s[1..].parse().expect("corrupted packet")
            })
            .collect();
        let unique: HashSet<_> = numbers.iter().collect();
        assert_eq!(
            unique.len(),
            numbers.len(),
            "a packet was delivered twice: {numbers:?}"
        );
        assert!(numbers.iter().all(|&i| i < n));
        let out_of_order = numbers.windows(2).any(|w| w[0] > w[1]);
        (numbers.len(), out_of_order)
    };
    let (at_server, ooo_server) = check(drain_packets(pair.server_session()), 'c');
    let (at_client, ooo_client) = check(drain_packets(&mut pair.client), 's');
    assert_eq!(pair.client.status(), Status::Connected);
    assert_eq!(pair.server_status(), Some(Status::Connected));
    (at_server, at_client, ooo_server || ooo_client)
}

#[test]
fn heavy_duplication_delivers_each_packet_once() {
    let impairment = Impairment {
        loss: 0.0,
        reorder: 0.0,
        duplicate: 0.5,
    };
    let mut pair = Pair::ecdsa(fast_settings()).with_impairment(impairment, 7);
    pair.connect();
    for i in 0..100u32 {
        pair.client.send(&i.to_be_bytes()).unwrap();
    }
    pair.settle(Duration::from_secs(5));
    let got = drain_packets(pair.server_session());
    let expected: Vec<Vec<u8>> = (0..100u32).map(|i| i.to_be_bytes().to_vec()).collect();
    assert!(
        pair.to_server.delivered > pair.to_server.written.len(),
        "the link duplicated nothing"
    );
    // No loss, no reordering (the copies come later): exactly the packets sent, in order.
    assert_eq!(got, expected);
    assert_eq!(pair.client.status(), Status::Connected);
}
