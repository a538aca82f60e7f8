//! Records and datagrams: garbage and truncation are dropped without harm, replays are dropped,
//! packet size limits, the MTU is never exceeded and datagram boundaries are preserved.

mod common;

use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::{
    Accept, DtlsError, KeyType, RecordLayer, Server, Session, Settings, Status, IDLE_BUFFER_RELEASE,
};

/// Sends `packet` from the client and returns the single datagram it produced, undelivered.
fn seal(client: &mut Session, packet: &[u8]) -> Vec<u8> {
    client.send(packet).unwrap();
    let mut out = Vec::new();
    client.drain_transmit(|d| out.push(d.to_vec()));
    assert_eq!(out.len(), 1, "one packet, one datagram");
    out.pop().unwrap()
}

/// Checks that a connected pair still carries data both ways.
fn still_works(pair: &mut Pair, tag: &str) {
    pair.client.send(tag.as_bytes()).unwrap();
    pair.server_session().send(tag.as_bytes()).unwrap();
    assert!(
        pair.run_until(Duration::from_secs(5), |p| {
            p.client.pending_packets() >= 1 && p.server_session().pending_packets() >= 1
        }),
        "{tag}: data stopped flowing"
    );
    assert_eq!(
        pair.server_session().recv().unwrap(),
        tag.as_bytes(),
        "{tag}"
    );
    assert_eq!(pair.client.recv().unwrap(), tag.as_bytes(), "{tag}");
    assert_eq!(
        pair.server_session().pending_packets(),
        0,
        "{tag}: extra packets"
    );
    assert_eq!(pair.client.pending_packets(), 0, "{tag}: extra packets");
}

/// Datagrams that are not valid records of this session: random bytes of many lengths,
/// truncated and bit-flipped copies of real records, wrong epochs and versions, empty.
fn garbage_for(real: &[u8], rng: &mut Rng) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new(), vec![0], vec![23], vec![0xff; 13]];
    for len in [1, 5, 12, 13, 14, 40, 100, 1199, 1200, 1500, 4000] {
        out.push(rng.bytes(len));
    }
    // Random bytes behind a plausible application-data header of epoch 1.
    for len in [0usize, 8, 24, 37, 200] {
        let mut d = real[..11].to_vec();
        d.extend_from_slice(&(len as u16).to_be_bytes());
        d.extend(rng.bytes(len));
        out.push(d);
    }
    // Every truncation of a real record.
    for cut in 1..real.len() {
        out.push(real[..cut].to_vec());
    }
    // A real record with one bit flipped anywhere (header, nonce, ciphertext, tag).
    for i in 0..real.len() {
        let mut d = real.to_vec();
        d[i] ^= 1 << (i % 8);
        out.push(d);
    }
    // The record's length field larger and smaller than the bytes that follow.
    for delta in [-1i32, 1, 100] {
        let mut d = real.to_vec();
        let len = (u16::from_be_bytes([d[11], d[12]]) as i32 + delta) as u16;
        d[11..13].copy_from_slice(&len.to_be_bytes());
        out.push(d);
    }
    // A record longer than any DTLS record may be, whole.
    let mut d = real[..11].to_vec();
    d.extend_from_slice(&20000u16.to_be_bytes());
    d.extend(rng.bytes(20000));
    out.push(d);
    // Epoch 0 and epoch 2, DTLS 1.0 version, unknown content type.
    for (index, value) in [(4usize, 0u8), (4, 2), (2, 0xff), (0, 99)] {
        let mut d = real.to_vec();
        d[index] = value;
        out.push(d);
    }
    out
}

#[test]
fn garbage_and_truncated_datagrams_are_dropped_when_connected() {
    let mut pair = Pair::ecdsa(Settings::default());
    pair.connect();
    let mut rng = Rng::new(42);
    // A real sealed record from each side, never delivered: its corruptions are the garbage.
    let real_to_server = seal(&mut pair.client, b"never delivered to the server");
    let real_to_client = seal(pair.server_session(), b"never delivered to the client");
    let at_server = garbage_for(&real_to_server, &mut rng);
    let at_client = garbage_for(&real_to_client, &mut rng);
    let now = std::time::Instant::now();
    let received_before = pair.server_session().stats().datagrams_received;
    for d in &at_server {
        pair.server_session().handle_datagram(now, d);
    }
    for d in &at_client {
        pair.client.handle_datagram(now, d);
    }
    assert_eq!(
        pair.client.status(),
        Status::Connected,
        "{:?}",
        pair.client.failure()
    );
    assert_eq!(pair.server_status(), Some(Status::Connected));
    assert_eq!(
        pair.server_session().pending_packets(),
        0,
        "garbage became a packet"
    );
    assert_eq!(pair.client.pending_packets(), 0, "garbage became a packet");
    // Nothing was answered (no alert for a bad record: RFC 6347 4.1.2.7).
    assert!(!pair.client.has_transmit());
    assert!(!pair.server_session().has_transmit());
    assert_eq!(
        pair.server_session().stats().datagrams_received - received_before,
        at_server.len() as u64,
        "every datagram counts as received, dropped or not"
    );
    still_works(&mut pair, "after garbage");

    // The original records still decrypt after all that: their sequence numbers were never
    // marked as seen by the forgeries.
    pair.server_session().handle_datagram(now, &real_to_server);
    assert_eq!(
        pair.server_session().recv().unwrap(),
        b"never delivered to the server"
    );
    pair.client.handle_datagram(now, &real_to_client);
    assert_eq!(
        pair.client.recv().unwrap(),
        b"never delivered to the client"
    );
}

#[test]
fn valid_record_followed_by_garbage_in_one_datagram() {
    let mut pair = Pair::ecdsa(Settings::default());
    pair.connect();
    let mut d = seal(&mut pair.client, b"first record");
    d.extend_from_slice(&[0x17, 0xfe, 0xfd, 0, 1, 0, 0]); // a truncated second record header
    pair.server_session()
        .handle_datagram(std::time::Instant::now(), &d);
    assert_eq!(pair.server_session().recv().unwrap(), b"first record");
    assert_eq!(pair.server_status(), Some(Status::Connected));
    still_works(&mut pair, "after trailing garbage");
}

/// Records built to trip OpenSSL's fatal paths: protected records shorter than an AEAD
/// nonce and tag, malformed ChangeCipherSpec and alerts, handshake fragments whose lengths do
/// not add up, unknown content types, plaintext application data, an empty datagram.
fn nasty_datagrams() -> Vec<Vec<u8>> {
    let record = |content_type: u8, epoch: u16, seq: u8, body: &[u8]| {
        let mut r = vec![content_type, 0xfe, 0xfd];
        r.extend_from_slice(&epoch.to_be_bytes());
        r.extend_from_slice(&[0, 0, 0, 0, 0, seq]);
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    };
    let mut out = vec![Vec::new()];
    for seq in [0u8, 1, 2, 3, 40] {
        for epoch in [1u16, 2] {
            for len in [0, 1, 8, 15, 16, 23] {
                out.push(record(
                    CONTENT_APPLICATION_DATA,
                    epoch,
                    seq,
                    &vec![0x5a; len],
                ));
                out.push(record(CONTENT_HANDSHAKE, epoch, seq, &vec![0x5a; len]));
                out.push(record(CONTENT_ALERT, epoch, seq, &vec![0x5a; len]));
            }
        }
        out.push(record(CONTENT_CHANGE_CIPHER_SPEC, 0, seq, &[2]));
        out.push(record(CONTENT_CHANGE_CIPHER_SPEC, 0, seq, &[1, 1]));
        out.push(record(CONTENT_CHANGE_CIPHER_SPEC, 0, seq, &[]));
        out.push(record(CONTENT_ALERT, 0, seq, &[2]));
        out.push(record(CONTENT_ALERT, 0, seq, &[2, 40, 0]));
        out.push(record(CONTENT_APPLICATION_DATA, 0, seq, b"plaintext"));
        out.push(record(99, 0, seq, &[0; 20]));
        out.push(record(CONTENT_HANDSHAKE, 0, seq, &[]));
        out.push(record(CONTENT_HANDSHAKE, 0, seq, &[2, 0, 0, 10, 0, seq]));
        for message_seq in 0..6u8 {
            for (msg_type, message_len, offset, fragment_len, body_len) in [
                (2u8, 10u32, 0u32, 20u32, 20usize), // fragment beyond the message
                (11, 100, 95, 10, 10),              // fragment ends beyond the message
                (12, 10, 0, 10, 4),                 // fewer bytes than the fragment says
                (14, 0x00ff_ffff, 0, 8, 8),         // absurd message length
                (20, 12, 0, 12, 13),                // a stray byte after the fragment
            ] {
                let mut body = vec![msg_type];
                body.extend_from_slice(&message_len.to_be_bytes()[1..]);
                body.extend_from_slice(&[0, message_seq]);
                body.extend_from_slice(&offset.to_be_bytes()[1..]);
                body.extend_from_slice(&fragment_len.to_be_bytes()[1..]);
                body.extend(vec![0x33; body_len]);
                out.push(record(CONTENT_HANDSHAKE, 0, seq, &body));
            }
        }
    }
    out
}

#[test]
fn nasty_records_are_dropped_when_connected() {
    let mut pair = Pair::ecdsa(Settings::default());
    pair.connect();
    let now = std::time::Instant::now();
    for d in nasty_datagrams() {
        pair.client.handle_datagram(now, &d);
        pair.server_session().handle_datagram(now, &d);
        assert!(
            pair.both_connected(),
            "{d:02x?}: {:?}",
            pair.client.failure()
        );
    }
    still_works(&mut pair, "after nasty records");
}

#[test]
fn random_and_nasty_datagrams_during_the_handshake_are_ignored() {
    let mut rng = Rng::new(7);
    let nasty = nasty_datagrams();
    let mut pair = Pair::ecdsa(fast_settings());
    // Before anything: garbage to the client and to the server's cookie stage.
    for len in [0, 1, 13, 60, 300, 1500] {
        pair.inject(Dir::ToClient, &rng.bytes(len));
        pair.inject(Dir::ToServer, &rng.bytes(len));
    }
    // Then, in each direction at every step of the handshake, a random datagram (half of them
    // disguised as DTLS 1.2 handshake records of epoch 0) and a batch of the nasty ones.
    let mut steps = 0;
    let mut next_nasty = 0;
    let connected = pair.run_until(Duration::from_secs(10), |p| {
        steps += 1;
        for dir in [Dir::ToClient, Dir::ToServer] {
            let len = 13 + rng.below(200);
            let mut d = rng.bytes(len);
            if rng.chance(0.5) {
                d[..5].copy_from_slice(&[22, 0xfe, 0xfd, 0, 0]);
                let len = (d.len() - 13) as u16;
                d[11..13].copy_from_slice(&len.to_be_bytes());
            }
            p.inject(dir, &d);
            for _ in 0..40 {
                p.inject(dir, &nasty[next_nasty % nasty.len()]);
                next_nasty += 1;
            }
        }
        p.both_connected()
    });
    assert!(
        connected,
        "client {:?} {:?}, server {:?} {:?}",
        pair.client.status(),
        pair.client.failure(),
        pair.server_status(),
        pair.server_session.as_ref().and_then(Session::failure),
    );
    assert!(steps > 5);
    assert!(
        next_nasty >= nasty.len(),
        "only {next_nasty} of {} sent",
        nasty.len()
    );
    assert!(
        pair.ignored >= 6,
        "the cookie stage ignored only {} datagrams",
        pair.ignored
    );
    still_works(&mut pair, "after a noisy handshake");
}

#[test]
fn replayed_records_are_delivered_once() {
    let mut pair = Pair::ecdsa(Settings::default());
    pair.connect();
    let now = std::time::Instant::now();
    let first = seal(&mut pair.client, b"one");
    let second = seal(&mut pair.client, b"two");
    let server = pair.server_session();
    server.handle_datagram(now, &first);
    server.handle_datagram(now, &first);
    server.handle_datagram(now, &second);
    server.handle_datagram(now, &first); // older than the newest: still a replay
    server.handle_datagram(now, &second);
    assert_eq!(
        drain_packets(server),
        vec![b"one".to_vec(), b"two".to_vec()]
    );

    // Out of order within the window is fine, once.
    let late: Vec<Vec<u8>> = (0..10u8).map(|i| seal(&mut pair.client, &[i])).collect();
    let server = pair.server_session();
    for d in late.iter().rev().chain(late.iter()) {
        server.handle_datagram(now, d);
    }
    let got = drain_packets(server);
    assert_eq!(got, (0..10u8).rev().map(|i| vec![i]).collect::<Vec<_>>());
    assert_eq!(server.status(), Status::Connected);
}

#[test]
fn oversize_packet_is_refused_and_nothing_is_sent() {
    for record_layer in [RecordLayer::Own, RecordLayer::OpenSsl] {
        let mut pair = Pair::ecdsa(Settings {
            record_layer,
            ..Settings::default()
        });
        pair.connect();
        for session in [&mut pair.client, pair.server_session.as_mut().unwrap()] {
            // One record's 2^14 bytes on our record layer; one datagram of the MTU on OpenSSL's.
            let max = session.largest_packet();
            let expected = match record_layer {
                RecordLayer::Own => 16384,
                RecordLayer::OpenSsl => session.max_packet_size(),
            };
            assert_eq!(max, expected, "{record_layer:?}");
            let sent_before = *session.stats();
            for size in [max + 1, max + 100, 65_536] {
                assert_eq!(
                    session.send(&vec![0; size]),
                    Err(DtlsError::PacketTooLarge { size, max })
                );
            }
            assert!(!session.has_transmit(), "a refused packet was sent");
            assert_eq!(*session.stats(), sent_before);
            assert_eq!(
                session.status(),
                Status::Connected,
                "refusal must not end the session"
            );
        }
        still_works(&mut pair, "after refusals");
    }
}

#[test]
fn packets_above_the_mtu_go_as_one_record_in_one_datagram() {
    let mut pair = Pair::ecdsa(Settings::default());
    pair.connect();
    let mtu = pair.client.mtu();
    let now = std::time::Instant::now();
    for size in [pair.client.max_packet_size() + 1, 1400, 4000, 8000, 16384] {
        let packet: Vec<u8> = (0..size).map(|i| (i * 13 + size) as u8).collect();
        // Both ways, each a single datagram larger than the MTU (IP fragments it on the way).
        let datagram = seal(&mut pair.client, &packet);
        assert!(datagram.len() > mtu, "{size} bytes in {} B", datagram.len());
        pair.server_session().handle_datagram(now, &datagram);
        assert_eq!(pair.server_session().recv().as_deref(), Some(&packet[..]));
        let datagram = seal(pair.server_session(), &packet);
        pair.client.handle_datagram(now, &datagram);
        assert_eq!(pair.client.recv().as_deref(), Some(&packet[..]));
    }
    // Packed sends never add to a datagram above the MTU, and small ones still share.
    pair.client.send(&vec![1; 3000]).expect("send");
    pair.client.send_packed(&[2; 10]).expect("send");
    pair.client.send_packed(&[3; 10]).expect("send");
    let mut sizes = Vec::new();
    pair.client.drain_transmit(|d| sizes.push(d.len()));
    assert_eq!(sizes.len(), 2, "{sizes:?}");
    assert!(sizes[1] <= mtu);
    still_works(&mut pair, "after large packets");
}

/// Exchanges an empty packet, a one-byte one and one of exactly `max_packet_size()`.
fn size_limits(mtu: usize, key: KeyType) {
    let id = identity_for(key, &[HOST]);
    let settings = Settings {
        mtu,
        ..Settings::default()
    };
    let mut pair = Pair::new(
        &client_config(&id.certificate_pem, HOST, settings.clone()),
        &server_config(&id, settings),
    );
    pair.connect();
    let max = pair.client.max_packet_size();
    assert_eq!(max, pair.server_session().max_packet_size());
    // AES-128-GCM: 13 header + 8 explicit nonce + 16 tag. No record carries more than 2^14.
    assert_eq!(max, (mtu - 37).min(16384), "MTU {mtu}");

    // Empty packets are accepted and send nothing (as Godot's put_packet with no bytes).
    let before = pair.client.stats().datagrams_sent;
    assert_eq!(pair.client.send(&[]), Ok(()));
    pair.client.drain_transmit(|_| {});
    assert_eq!(pair.client.stats().datagrams_sent, before);

    let full: Vec<u8> = (0..max).map(|i| (i * 7 + 3) as u8).collect();
    for (from_client, packet) in [
        (true, vec![9u8]),
        (true, full.clone()),
        (false, full.clone()),
    ] {
        let datagram = if from_client {
            seal(&mut pair.client, &packet)
        } else {
            seal(pair.server_session(), &packet)
        };
        assert!(
            datagram.len() <= mtu,
            "{} byte datagram at MTU {mtu}",
            datagram.len()
        );
        if packet.len() == max && max < 16384 {
            assert_eq!(datagram.len(), mtu, "a full packet fills the MTU exactly");
        }
        let now = std::time::Instant::now();
        let got = if from_client {
            pair.server_session().handle_datagram(now, &datagram);
            pair.server_session().recv()
        } else {
            pair.client.handle_datagram(now, &datagram);
            pair.client.recv()
        };
        assert_eq!(
            got.as_deref(),
            Some(&packet[..]),
            "MTU {mtu}: {} bytes",
            packet.len()
        );
    }
    assert!(pair.both_connected());
}

#[test]
fn empty_and_exactly_max_size_packets_at_default_mtu() {
    size_limits(1200, KeyType::EcdsaP256);
}

#[test]
fn empty_and_exactly_max_size_packets_at_small_mtu() {
    size_limits(300, KeyType::EcdsaP256);
}

#[test]
fn max_size_packets_at_the_largest_mtu() {
    // At an MTU of 65507 a record could hold more than DTLS allows (2^14 bytes of plaintext):
    // the limit is then the record's, not the datagram's.
    size_limits(openssl_dtls_core::MAX_MTU, KeyType::EcdsaP256);
}

#[test]
fn every_datagram_fits_the_mtu_and_the_handshake_fragments() {
    const MTU: usize = 300;
    let chain = make_chain(KeyType::Rsa(2048), true);
    let settings = Settings {
        mtu: MTU,
        ..Settings::default()
    };
    let mut config = server_config(&chain.leaf, settings.clone());
    config.chain_pem = chain.intermediate_pem.clone();
    let mut pair = Pair::new(&client_config(&chain.root_pem, HOST, settings), &config);
    pair.connect();

    // The certificate chain alone is far larger than one datagram: the server's flight had to
    // be fragmented into many datagrams, none above the MTU.
    let certificate_bytes =
        chain.leaf.certificate_pem.len() + chain.intermediate_pem.unwrap().len();
    let server_flight = &pair.to_client.flights()[1];
    assert!(server_flight.len() * MTU > certificate_bytes * 3 / 4);
    assert!(
        server_flight.len() >= 6,
        "{} datagrams",
        server_flight.len()
    );

    let max = pair.client.max_packet_size();
    for size in [0, 1, 100, max - 1, max] {
        let packet = vec![size as u8; size];
        pair.client.send(&packet).unwrap();
        pair.server_session().send(&packet).unwrap();
    }
    pair.client.close();
    pair.settle(Duration::from_secs(5));
    assert_eq!(pair.server_status(), Some(Status::Disconnected));

    let mut count = 0;
    for d in pair.all_written() {
        assert!(d.len() <= MTU, "a {} byte datagram at MTU {MTU}", d.len());
        assert!(records(d).is_some(), "a datagram that is not whole records");
        count += 1;
    }
    assert!(count > 15);
    assert_eq!(
        pair.to_client.largest(),
        MTU,
        "the fragments should fill the MTU"
    );
}

#[test]
fn datagram_boundaries_are_preserved() {
    // All 200 packets wait unread at once: above the default 64 KiB receive queue.
    let mut pair = Pair::ecdsa(Settings {
        max_queued_bytes: 1 << 20,
        ..Settings::default()
    });
    pair.connect();
    let mut rng = Rng::new(3);
    let max = pair.client.max_packet_size();
    let packets: Vec<Vec<u8>> = (0..200)
        .map(|_| {
            let len = 1 + rng.below(max);
            rng.bytes(len)
        })
        .collect();
    let written_before = pair.to_server.written.len();
    for p in &packets {
        pair.client.send(p).unwrap();
    }
    assert!(pair.run_until(Duration::from_secs(5), |p| {
        p.server_session().pending_packets() == packets.len()
    }));
    // One packet in, one datagram out, one packet at the other end, same bytes.
    assert_eq!(pair.to_server.written.len() - written_before, packets.len());
    assert_eq!(drain_packets(pair.server_session()), packets);
    for d in &pair.to_server.written[written_before..] {
        assert_eq!(
            records(d).map(|r| r.len()),
            Some(1),
            "one record per datagram"
        );
        assert_eq!(
            record_type_and_epoch(d),
            Some((CONTENT_APPLICATION_DATA, 1))
        );
    }
}

#[test]
fn max_packet_size_before_the_handshake_is_an_estimate_that_holds() {
    let pair = Pair::ecdsa(Settings::default());
    let estimate = pair.client.max_packet_size();
    let mut pair = pair;
    pair.connect();
    assert!(pair.client.max_packet_size() >= estimate);
    assert_eq!(pair.client.mtu(), 1200);
}

#[test]
fn idle_sessions_release_their_buffers_and_keep_working() {
    // Without the idle timeout, whose deadline would otherwise stay after the release; on
    // OpenSSL's record layer, which keeps buffers until a quiet spell (ours keeps none).
    let mut pair = Pair::ecdsa(Settings {
        idle_timeout: Duration::ZERO,
        record_layer: RecordLayer::OpenSsl,
        ..Settings::default()
    });
    pair.connect();
    still_works(&mut pair, "before idling");
    let now = std::time::Instant::now();
    // Traffic schedules the release: the next deadline is at most IDLE_BUFFER_RELEASE away.
    let check_deadline = |session: &Session| {
        let at = session
            .poll_timeout()
            .expect("a release deadline after traffic");
        assert!(at <= now + IDLE_BUFFER_RELEASE, "{at:?}");
    };
    check_deadline(&pair.client);
    check_deadline(pair.server_session());
    // A poll past it releases them: nothing is left to wake up for.
    let later = now + IDLE_BUFFER_RELEASE + Duration::from_millis(1);
    let release = |session: &mut Session| {
        session.handle_timeout(later);
        assert_eq!(session.poll_timeout(), None);
        assert_eq!(session.status(), Status::Connected);
    };
    release(&mut pair.client);
    release(pair.server_session());
    // Buffers come back on demand, in both directions, many times over.
    for round in 0..3 {
        still_works(&mut pair, &format!("after idle release {round}"));
        let later = std::time::Instant::now() + IDLE_BUFFER_RELEASE;
        pair.client.handle_timeout(later);
        pair.server_session().handle_timeout(later);
    }
}

/// A client and a server session with the server connected and the client waiting for the
/// server's last flight, which is returned undelivered.
fn server_connected_client_waiting() -> (Session, Session, Vec<Vec<u8>>) {
    let id = ecdsa_identity();
    let now = Instant::now();
    let settings = Settings::default();
    let mut server = Server::new(&server_config(id, settings.clone()), now).unwrap();
    let mut client =
        Session::client(&client_config(&id.certificate_pem, HOST, settings), now).unwrap();
    let drain = |s: &mut Session| {
        let mut out = Vec::new();
        s.drain_transmit(|d| out.push(d.to_vec()));
        out
    };
    let mut srv = 'accepted: loop {
        for d in drain(&mut client) {
            match server.accept(now, b"c", &d) {
                Accept::HelloVerify(r) => client.handle_datagram(now, &r),
                Accept::Session(s) => break 'accepted *s,
                Accept::Ignored => {}
            }
        }
    };
    for _ in 0..20 {
        let from_server = drain(&mut srv);
        if srv.status() == Status::Connected {
            assert!(srv.uses_own_record_layer());
            return (client, srv, from_server);
        }
        for d in from_server {
            client.handle_datagram(now, &d);
        }
        for d in drain(&mut client) {
            srv.handle_datagram(now, &d);
        }
    }
    panic!("no handshake: {:?} {:?}", client.failure(), srv.failure());
}

/// One application packet sent by `session`, as the one datagram it wrote.
fn sealed(session: &mut Session, packet: &[u8]) -> Vec<u8> {
    session.send(packet).unwrap();
    let mut out = Vec::new();
    session.drain_transmit(|d| out.push(d.to_vec()));
    assert_eq!(out.len(), 1);
    out.pop().unwrap()
}

/// Fails when a payload (each is unique) was delivered twice.
fn assert_each_once(got: &[Vec<u8>], what: &str) {
    let mut seen = std::collections::BTreeSet::new();
    for p in got {
        assert!(seen.insert(p.clone()), "{what}: {p:?} delivered twice");
    }
}

/// Issue 25, defect 1: records OpenSSL delivered before our record layer took over must be
/// replays for it. (a) The server's Finished is late while its application data comes: OpenSSL
/// buffers what arrives between the ChangeCipherSpec and the Finished and delivers it after;
/// (b) one early record arrives before the last flight, then eight forged 37-byte epoch-1
/// records. Then every captured datagram is replayed: no payload may come out twice.
#[test]
fn replay_of_records_openssl_delivered_is_refused() {
    let now = Instant::now();
    // (a) The last flight's ChangeCipherSpec arrives, its Finished only after 12 packets.
    let (mut client, mut server, last_flight) = server_connected_client_waiting();
    let sent: Vec<Vec<u8>> = (0..12u8).map(|i| sealed(&mut server, &[b'a', i])).collect();
    let (mut plain, mut protected) = (Vec::new(), Vec::new());
    for d in &last_flight {
        for r in records(d).unwrap() {
            match record_type_and_epoch(r) {
                Some((_, 0)) => plain.extend_from_slice(r),
                _ => protected.extend_from_slice(r),
            }
        }
    }
    assert!(
        !plain.is_empty() && !protected.is_empty(),
        "CCS and Finished"
    );
    client.handle_datagram(now, &plain);
    for d in &sent {
        client.handle_datagram(now, d);
    }
    assert_eq!(client.status(), Status::Handshaking);
    client.handle_datagram(now, &protected);
    assert_eq!(client.status(), Status::Connected, "{:?}", client.failure());
    assert!(client.uses_own_record_layer());
    let mut got = drain_packets(&mut client);
    // All of them: OpenSSL had read the ChangeCipherSpec, so none was held back.
    assert_eq!(got.len(), sent.len(), "OpenSSL delivered the early packets");
    for d in sent.iter().chain(&last_flight) {
        client.handle_datagram(now, d);
        got.extend(drain_packets(&mut client));
    }
    assert_each_once(&got, "late Finished");
    assert_eq!(client.status(), Status::Connected);

    // (b) An early record, forgeries, then the whole last flight.
    let (mut client, mut server, last_flight) = server_connected_client_waiting();
    let early = sealed(&mut server, b"early");
    client.handle_datagram(now, &early);
    for i in 0..8u8 {
        let mut forged = vec![23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 1, i, 0, 24];
        forged.extend_from_slice(&[0; 24]);
        client.handle_datagram(now, &forged);
    }
    for d in &last_flight {
        client.handle_datagram(now, d);
    }
    assert_eq!(client.status(), Status::Connected, "{:?}", client.failure());
    assert!(client.uses_own_record_layer());
    let mut got = drain_packets(&mut client);
    for _ in 0..3 {
        client.handle_datagram(now, &early);
        got.extend(drain_packets(&mut client));
    }
    assert_eq!(got, vec![b"early".to_vec()], "delivered once");
    // The session still works.
    let late = sealed(&mut server, b"late");
    client.handle_datagram(now, &late);
    assert_eq!(drain_packets(&mut client), vec![b"late".to_vec()]);
}
