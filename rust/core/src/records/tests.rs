//! The record layer against OpenSSL's: keys derived here open what OpenSSL sealed and OpenSSL
//! opens what we sealed, for every suite we run; keying export gives OpenSSL's bytes; the
//! write sequence continues after OpenSSL's and ends rather than wrap; alerts, renegotiation
//! and late handshake messages; a lost last flight is answered.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use openssl::ssl::SslRef;

use super::epoch::EpochCipher;
use super::header::{records, Header, ALERT, APPLICATION_DATA, HANDSHAKE, SEQ_MAX};
use super::keys::SessionSecrets;
use super::suite::{protected_overhead, Suite};
use crate::{
    self_signed, Accept, ClientConfig, KeyType, Psk, PskKeys, RecordLayer, Server, ServerConfig,
    Session, Settings, Status, Verification,
};

/// Datagrams each side wrote, in order.
#[derive(Default)]
struct Wire {
    from_client: Vec<Vec<u8>>,
    from_server: Vec<Vec<u8>>,
}

fn drain(from: &mut Session, log: &mut Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    from.drain_transmit(|d| out.push(d.to_vec()));
    log.extend(out.iter().cloned());
    out
}

/// A client and a server session handshaken through memory, and what each wrote.
fn connect(server_config: &ServerConfig, client_config: &ClientConfig) -> (Session, Session, Wire) {
    let now = Instant::now();
    let mut wire = Wire::default();
    let mut server = Server::new(server_config, now).expect("server");
    let mut client = Session::client(client_config, now).expect("client");
    let mut srv = 'accepted: loop {
        for d in drain(&mut client, &mut wire.from_client) {
            match server.accept(now, b"c", &d) {
                Accept::HelloVerify(r) => client.handle_datagram(now, &r),
                Accept::Session(s) => break 'accepted *s,
                Accept::Ignored => {}
            }
        }
    };
    for _ in 0..20 {
        for d in drain(&mut srv, &mut wire.from_server) {
            client.handle_datagram(now, &d);
        }
        for d in drain(&mut client, &mut wire.from_client) {
            srv.handle_datagram(now, &d);
        }
        if client.status() == Status::Connected && srv.status() == Status::Connected {
            return (client, srv, wire);
        }
    }
    panic!("no handshake: {:?} {:?}", client.failure(), srv.failure());
}

fn settings(layer: RecordLayer, ciphers: &str) -> Settings {
    Settings {
        record_layer: layer,
        cipher_list: ciphers.to_string(),
        ..Settings::default()
    }
}

/// A certificate pair negotiating `cipher`, each side on the record layer given.
fn certificate_pair(
    cipher: &str,
    client: RecordLayer,
    server: RecordLayer,
) -> (Session, Session, Wire) {
    let id = self_signed(
        &["localhost".into()],
        KeyType::EcdsaP256,
        Duration::from_secs(3600),
    )
    .expect("certificate");
    let mut sc = ServerConfig::new(id.certificate_pem.clone(), id.private_key_pem);
    sc.settings = settings(server, cipher);
    let cc = ClientConfig {
        verification: Verification::TrustedPem(id.certificate_pem),
        hostname: Some("localhost".into()),
        settings: settings(client, cipher),
        ..ClientConfig::default()
    };
    connect(&sc, &cc)
}

fn psk_pair(client: RecordLayer, server: RecordLayer) -> (Session, Session, Wire) {
    let key = b"a pre-shared key of 32 bytes....".to_vec();
    let mut sc = ServerConfig::new("", "");
    sc.settings.record_layer = server;
    sc.psk = Some(PskKeys {
        hint: String::new(),
        keys: BTreeMap::from([("player".to_string(), key.clone())]),
    });
    let mut cc = ClientConfig {
        verification: Verification::Off,
        psk: Some(Psk {
            identity: "player".into(),
            key,
        }),
        ..ClientConfig::default()
    };
    cc.settings.record_layer = client;
    connect(&sc, &cc)
}

fn only_record(datagram: &[u8]) -> (Header, &[u8]) {
    let mut all = records(datagram);
    let (_, header, body) = all.next().expect("a record");
    assert!(all.next().is_none(), "one record");
    (header, body)
}

/// Our epoch-1 protection for `ssl`'s side of its session, writing from `next_seq`.
fn our_epoch(ssl: &SslRef, is_client: bool, next_seq: u64) -> EpochCipher {
    let suite = Suite::of(ssl.current_cipher().unwrap()).expect("a suite we run");
    let secrets = SessionSecrets::from_ssl(ssl, &suite).expect("secrets");
    let keys = secrets.record_keys(suite.aead, is_client).expect("keys");
    EpochCipher::new(suite.aead, &keys, 1, next_seq).expect("cipher")
}

fn seal_one(session: &mut Session, packet: &[u8]) -> Vec<u8> {
    session.send(packet).unwrap();
    let mut out = Vec::new();
    session.drain_transmit(|d| out.push(d.to_vec()));
    assert_eq!(out.len(), 1);
    out.pop().unwrap()
}

/// Both directions between OpenSSL's record layer and ours, and keying export, for a pair of
/// OpenSSL-layer sessions that negotiated `expect_cipher`.
fn cross_open(
    (mut client, mut server, _): (Session, Session, Wire),
    expect_cipher: &str,
    overhead: usize,
) {
    assert_eq!(client.cipher(), Some(expect_cipher));
    assert!(!client.uses_own_record_layer() && !server.uses_own_record_layer());
    let client_ssl = client.tls_ssl().unwrap();
    assert_eq!(
        protected_overhead(client_ssl.current_cipher().unwrap()),
        overhead
    );
    let mut ours_as_client = our_epoch(client_ssl, true, 1000);
    let mut ours_as_server = our_epoch(server.tls_ssl().unwrap(), false, 1000);

    // OpenSSL sealed, we open (both directions).
    for (from_client, packet) in [
        (true, &b"from OpenSSL's client"[..]),
        (false, b"from OpenSSL's server"),
    ] {
        let datagram = if from_client {
            seal_one(&mut client, packet)
        } else {
            seal_one(&mut server, packet)
        };
        let (header, body) = only_record(&datagram);
        assert_eq!(body.len(), packet.len() + overhead);
        let ours = if from_client {
            &mut ours_as_server
        } else {
            &mut ours_as_client
        };
        let mut out = Vec::new();
        assert!(ours.open(&header, body, &mut out), "{expect_cipher}");
        assert_eq!(out, packet);
        assert!(!ours.open(&header, body, &mut out), "a replay opens once");
    }
    // We seal, OpenSSL opens (both directions).
    let now = Instant::now();
    for (to_server, packet) in [
        (true, &b"ours to OpenSSL's server"[..]),
        (false, b"ours to OpenSSL's client"),
    ] {
        let mut datagram = Vec::new();
        let (ours, to) = if to_server {
            (&mut ours_as_client, &mut server)
        } else {
            (&mut ours_as_server, &mut client)
        };
        ours.seal(APPLICATION_DATA, &[packet], &mut datagram)
            .unwrap();
        assert_eq!(datagram.len(), 13 + packet.len() + overhead);
        to.handle_datagram(now, &datagram);
        assert_eq!(to.recv().as_deref(), Some(packet), "{expect_cipher}");
        // A bit flipped anywhere: OpenSSL drops it, the session goes on.
        let mut bad = Vec::new();
        ours.seal(APPLICATION_DATA, &[packet], &mut bad).unwrap();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        to.handle_datagram(now, &bad);
        assert_eq!(to.recv(), None);
        assert_eq!(to.status(), Status::Connected);
    }
    // RFC 5705 export: our PRF gives OpenSSL's bytes.
    let client_ssl = client.tls_ssl().unwrap();
    let suite = Suite::of(client_ssl.current_cipher().unwrap()).unwrap();
    let secrets = SessionSecrets::from_ssl(client_ssl, &suite).unwrap();
    for (label, context, len) in [
        ("EXTRACTOR-dtls_srtp", None, 60),
        ("EXPORTER-game", Some(&b"ctx"[..]), 32),
        ("EXPORTER-game", Some(&b""[..]), 17),
        ("x", None, 1000),
    ] {
        let mut ours = vec![0; len];
        secrets.export(label, context, &mut ours).unwrap();
        let mut openssl = vec![0; len];
        client_ssl
            .export_keying_material(&mut openssl, label, context)
            .unwrap();
        assert_eq!(ours, openssl, "{label} {context:?}");
    }
    assert!(secrets.export("key expansion", None, &mut [0; 8]).is_err());
}

#[test]
fn aes_128_gcm_records_cross_open() {
    let c = "ECDHE-ECDSA-AES128-GCM-SHA256";
    cross_open(
        certificate_pair(c, RecordLayer::OpenSsl, RecordLayer::OpenSsl),
        c,
        24,
    );
}

#[test]
fn aes_256_gcm_records_cross_open() {
    let c = "ECDHE-ECDSA-AES256-GCM-SHA384";
    cross_open(
        certificate_pair(c, RecordLayer::OpenSsl, RecordLayer::OpenSsl),
        c,
        24,
    );
}

#[test]
fn chacha20_poly1305_records_cross_open() {
    let c = "ECDHE-ECDSA-CHACHA20-POLY1305";
    cross_open(
        certificate_pair(c, RecordLayer::OpenSsl, RecordLayer::OpenSsl),
        c,
        16,
    );
}

#[test]
fn psk_records_cross_open() {
    cross_open(
        psk_pair(RecordLayer::OpenSsl, RecordLayer::OpenSsl),
        "PSK-AES128-GCM-SHA256",
        24,
    );
}

/// Each side's sequence numbers and nonces in epoch 1 as written on the wire.
fn epoch1_seqs(datagrams: &[Vec<u8>]) -> Vec<u64> {
    datagrams
        .iter()
        .flat_map(|d| records(d).map(|(_, h, _)| h).collect::<Vec<_>>())
        .filter(|h| h.epoch == 1)
        .map(|h| h.seq)
        .collect()
}

#[test]
fn our_layer_takes_over_continues_the_sequence_and_frees_openssl() {
    for (client_layer, server_layer) in [
        (RecordLayer::Own, RecordLayer::Own),
        (RecordLayer::Own, RecordLayer::OpenSsl),
        (RecordLayer::OpenSsl, RecordLayer::Own),
    ] {
        let (mut client, mut server, mut wire) =
            certificate_pair("ECDHE-ECDSA-AES128-GCM-SHA256", client_layer, server_layer);
        assert_eq!(
            client.uses_own_record_layer(),
            client_layer == RecordLayer::Own
        );
        assert_eq!(
            server.uses_own_record_layer(),
            server_layer == RecordLayer::Own
        );
        for s in [&client, &server] {
            assert_eq!(
                s.tls_ssl().is_none(),
                s.uses_own_record_layer(),
                "SSL freed"
            );
            assert_eq!(s.cipher(), Some("ECDHE-ECDSA-AES128-GCM-SHA256"));
            assert_eq!(s.protocol_version(), Some("DTLSv1.2"));
        }
        assert!(client
            .peer_certificate_pem()
            .unwrap()
            .contains("BEGIN CERTIFICATE"));
        assert_eq!(
            client
                .export_keying_material("EXPORTER-x", Some(b"c"), 40)
                .unwrap(),
            server
                .export_keying_material("EXPORTER-x", Some(b"c"), 40)
                .unwrap()
        );
        // Everything the client sent during the handshake, again: its Finished was accepted by
        // OpenSSL, so after the switch it is a replay (else the server would resend its last
        // flight), and the rest is epoch 0.
        if server.uses_own_record_layer() {
            for d in wire.from_client.clone() {
                server.handle_datagram(Instant::now(), &d);
            }
            assert!(
                !server.has_transmit(),
                "a record OpenSSL accepted was taken again"
            );
            assert_eq!(server.status(), Status::Connected);
        }
        // Many packets each way: every record's sequence number (its nonce) is new, and the
        // first follows the last OpenSSL wrote in the handshake.
        let now = Instant::now();
        let handshake_client = epoch1_seqs(&wire.from_client);
        let handshake_server = epoch1_seqs(&wire.from_server);
        for i in 0..300u32 {
            client.send(&i.to_be_bytes()).unwrap();
            for d in drain(&mut client, &mut wire.from_client) {
                server.handle_datagram(now, &d);
            }
            assert_eq!(server.recv(), Some(i.to_be_bytes().to_vec()));
            server.send(&i.to_le_bytes()).unwrap();
            for d in drain(&mut server, &mut wire.from_server) {
                client.handle_datagram(now, &d);
            }
            assert_eq!(client.recv(), Some(i.to_le_bytes().to_vec()));
        }
        for (handshake, all) in [
            (handshake_client, epoch1_seqs(&wire.from_client)),
            (handshake_server, epoch1_seqs(&wire.from_server)),
        ] {
            let last = *handshake.last().expect("a Finished in epoch 1");
            assert_eq!(
                all[handshake.len()],
                last + 1,
                "continues after OpenSSL's last"
            );
            let mut unique = all.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(
                unique.len(),
                all.len(),
                "a sequence number (nonce) used twice"
            );
        }
        // close_notify both ways.
        client.close();
        for d in drain(&mut client, &mut wire.from_client) {
            server.handle_datagram(now, &d);
        }
        assert_eq!(server.status(), Status::Disconnected);
        assert!(server.has_transmit(), "close_notify answered");
    }
}

#[test]
fn the_session_ends_rather_than_wrap_the_sequence_number() {
    let (mut client, mut server, _) = certificate_pair(
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        RecordLayer::Own,
        RecordLayer::Own,
    );
    client
        .own_records_mut()
        .unwrap()
        .epoch_mut()
        .set_next_write_seq(SEQ_MAX);
    let last = seal_one(&mut client, b"the last nonce");
    assert_eq!(only_record(&last).0.seq, SEQ_MAX);
    server.handle_datagram(Instant::now(), &last);
    assert_eq!(server.recv().as_deref(), Some(&b"the last nonce"[..]));
    assert!(client.send(b"one too many").is_err());
    assert_eq!(client.status(), Status::Error);
    assert!(
        client.failure().unwrap().contains("2^48"),
        "{:?}",
        client.failure()
    );
    assert!(!client.has_transmit());
}

/// A connected pair where `victim_is_client` says which side runs our layer, and the other
/// side's keys as our EpochCipher (to forge authentic records of any kind).
fn victim_and_forger(victim_is_client: bool) -> (Session, EpochCipher) {
    let c = "ECDHE-ECDSA-AES256-GCM-SHA384";
    if victim_is_client {
        let (client, server, _) = certificate_pair(c, RecordLayer::Own, RecordLayer::OpenSsl);
        let forger = our_epoch(server.tls_ssl().unwrap(), false, 500);
        (client, forger)
    } else {
        let (client, server, _) = certificate_pair(c, RecordLayer::OpenSsl, RecordLayer::Own);
        let forger = our_epoch(client.tls_ssl().unwrap(), true, 500);
        (server, forger)
    }
}

fn deliver(
    victim: &mut Session,
    forger: &mut EpochCipher,
    content_type: u8,
    payload: &[u8],
) -> Vec<Vec<u8>> {
    let mut d = Vec::new();
    forger.seal(content_type, &[payload], &mut d).unwrap();
    victim.handle_datagram(Instant::now(), &d);
    let mut out = Vec::new();
    victim.drain_transmit(|d| out.push(d.to_vec()));
    out
}

/// The alert (level, description) in a datagram from the victim, opened with the forger's keys.
fn alert_in(forger: &mut EpochCipher, datagram: &[u8]) -> Vec<u8> {
    let (header, body) = only_record(datagram);
    assert_eq!(header.content_type, ALERT);
    let mut out = Vec::new();
    assert!(forger.open(&header, body, &mut out));
    out
}

#[test]
fn renegotiation_is_refused_and_the_session_goes_on() {
    for victim_is_client in [true, false] {
        let (mut victim, mut forger) = victim_and_forger(victim_is_client);
        let hello = if victim_is_client { 0u8 } else { 1u8 }; // HelloRequest / ClientHello
        let out = deliver(
            &mut victim,
            &mut forger,
            HANDSHAKE,
            &[hello, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0],
        );
        assert_eq!(out.len(), 1);
        assert_eq!(
            alert_in(&mut forger, &out[0]),
            vec![1, 100],
            "warning no_renegotiation"
        );
        assert_eq!(victim.status(), Status::Connected);
        assert!(deliver(&mut victim, &mut forger, APPLICATION_DATA, b"still here").is_empty());
        assert_eq!(victim.recv().as_deref(), Some(&b"still here"[..]));
    }
}

#[test]
fn a_late_finished_is_dropped_without_a_word() {
    // The client sent no last flight: a late server Finished gets no answer.
    let (mut victim, mut forger) = victim_and_forger(true);
    let finished = [
        20u8, 0, 0, 12, 0, 1, 0, 0, 0, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ];
    assert!(deliver(&mut victim, &mut forger, HANDSHAKE, &finished).is_empty());
    assert!(deliver(&mut victim, &mut forger, HANDSHAKE, &[11, 0, 0]).is_empty());
    assert_eq!(victim.status(), Status::Connected);
    // A warning other than close_notify changes nothing either.
    assert!(deliver(&mut victim, &mut forger, ALERT, &[1, 90]).is_empty());
    assert_eq!(victim.status(), Status::Connected);
}

#[test]
fn close_notify_and_fatal_alerts_end_the_session() {
    let (mut victim, mut forger) = victim_and_forger(false);
    let out = deliver(&mut victim, &mut forger, ALERT, &[1, 0]);
    assert_eq!(victim.status(), Status::Disconnected);
    assert_eq!(
        alert_in(&mut forger, &out[0]),
        vec![1, 0],
        "close_notify answered"
    );
    assert!(
        victim.own_records_mut().is_none(),
        "keys dropped (and wiped) at the end"
    );

    let (mut victim, mut forger) = victim_and_forger(true);
    assert!(deliver(&mut victim, &mut forger, ALERT, &[2, 40]).is_empty());
    assert_eq!(victim.status(), Status::Error);
    let why = victim.failure().unwrap();
    assert!(why.contains("fatal alert: handshake failure"), "{why}");
}

#[test]
fn a_lost_last_flight_is_sent_again() {
    // The server's ChangeCipherSpec+Finished is lost once: the client sends its flight again
    // when its timer runs out, and the server, already on our layer, answers with its flight.
    let id = self_signed(
        &["localhost".into()],
        KeyType::EcdsaP256,
        Duration::from_secs(3600),
    )
    .unwrap();
    let sc = ServerConfig::new(id.certificate_pem.clone(), id.private_key_pem);
    let cc = ClientConfig {
        verification: Verification::TrustedPem(id.certificate_pem),
        hostname: Some("localhost".into()),
        settings: Settings {
            // OpenSSL's retransmission timer runs on the real clock: keep the wait short.
            initial_retransmit: Duration::from_millis(5),
            ..Settings::default()
        },
        ..ClientConfig::default()
    };
    let now = Instant::now();
    let mut log = Vec::new();
    let mut server = Server::new(&sc, now).unwrap();
    let mut client = Session::client(&cc, now).unwrap();
    let mut srv = 'accepted: loop {
        for d in drain(&mut client, &mut log) {
            match server.accept(now, b"c", &d) {
                Accept::HelloVerify(r) => client.handle_datagram(now, &r),
                Accept::Session(s) => break 'accepted *s,
                Accept::Ignored => {}
            }
        }
    };
    let mut dropped = 0;
    // Waits on the condition, bounded: the client's timer must run out once in real time.
    while client.status() != Status::Connected && now.elapsed() < Duration::from_secs(10) {
        let server_out = drain(&mut srv, &mut log);
        if srv.status() == Status::Connected && dropped == 0 && !server_out.is_empty() {
            assert!(srv.uses_own_record_layer());
            dropped = server_out.len();
        } else {
            for d in server_out {
                client.handle_datagram(Instant::now(), &d);
            }
        }
        client.handle_timeout(Instant::now());
        for d in drain(&mut client, &mut log) {
            srv.handle_datagram(Instant::now(), &d);
        }
    }
    assert!(dropped > 0, "the server's last flight was never seen");
    assert_eq!(client.status(), Status::Connected, "{:?}", client.failure());
    assert_eq!(srv.status(), Status::Connected);
    assert!(client.uses_own_record_layer());
    assert!(client.stats().retransmissions >= 1);
    client.send(b"after the lost flight").unwrap();
    for d in drain(&mut client, &mut log) {
        srv.handle_datagram(now, &d);
    }
    assert_eq!(srv.recv().as_deref(), Some(&b"after the lost flight"[..]));
}

#[test]
fn packed_packets_share_datagrams_within_the_mtu_and_open_one_by_one() {
    // The receiver on each record layer: ours, and OpenSSL's (which must read several records
    // in one datagram as any DTLS peer does).
    for receiver_layer in [RecordLayer::Own, RecordLayer::OpenSsl] {
        let (mut client, mut server, _) = certificate_pair(
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            RecordLayer::Own,
            receiver_layer,
        );
        assert!(client.uses_own_record_layer());
        let mtu = client.mtu();
        let big = vec![7u8; mtu - 100];
        let packets: [&[u8]; 5] = [b"one", b"two", &big, b"three", &big];
        for p in packets {
            client.send_packed(p).unwrap();
        }
        let mut datagrams = Vec::new();
        client.drain_transmit(|d| datagrams.push(d.to_vec()));
        // "one" and "two" share the first; the big one does not fit there; "three" fits after
        // it; the second big one needs a datagram of its own.
        let counts: Vec<usize> = datagrams.iter().map(|d| records(d).count()).collect();
        assert_eq!(counts, [2, 2, 1], "{receiver_layer:?}");
        assert!(datagrams.iter().all(|d| d.len() <= mtu));
        let now = Instant::now();
        for d in &datagrams {
            server.handle_datagram(now, d);
        }
        for p in packets {
            assert_eq!(server.recv().as_deref(), Some(p), "{receiver_layer:?}");
        }
        assert_eq!(server.recv(), None);
        // Unpacked sends keep a datagram each.
        client.send(b"alone").unwrap();
        client.send(b"alone too").unwrap();
        let mut n = 0;
        client.drain_transmit(|_| n += 1);
        assert_eq!(n, 2);
    }
}

/// Defect 2 of issue 25: OpenSSL reads a UTF-8 OSSL_PARAM's buffer as a C string, so the digest
/// name must end with a NUL inside its buffer. The buffer is placed at the very end of a readable
/// page followed by an inaccessible one: reading past it faults.
#[test]
fn prf_digest_name_is_nul_terminated() {
    use openssl::hash::MessageDigest;

    #[cfg(unix)]
    use super::keys::tls1_prf_named;
    use super::keys::{digest_name_param, tls1_prf};

    for digest in [MessageDigest::sha256(), MessageDigest::sha384()] {
        let name = digest_name_param(digest).expect("digest name");
        assert_eq!(name.last(), Some(&0), "the name's buffer ends with a NUL");
        let mut expected = [0u8; 40];
        tls1_prf(digest, b"secret", b"seed", &mut expected).expect("prf");
        // Windows (the Wine run) has no mmap: the check of the buffer above stands alone there.
        #[cfg(unix)]
        // SAFETY: two fresh anonymous pages are mapped and the second made inaccessible; the
        // name is copied into the end of the first, the slice over it lives only while the
        // mapping does, and the mapping is unmapped once at the end.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
            let map = libc::mmap(
                std::ptr::null_mut(),
                2 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(map, libc::MAP_FAILED);
            assert_eq!(
                libc::mprotect(map.cast::<u8>().add(page).cast(), page, libc::PROT_NONE),
                0
            );
            // Non-zero bytes before the name, so only its own NUL can end it.
            std::ptr::write_bytes(map.cast::<u8>(), b'x', page);
            let at = map.cast::<u8>().add(page - name.len());
            std::ptr::copy_nonoverlapping(name.as_ptr(), at, name.len());
            let placed = std::slice::from_raw_parts_mut(at, name.len());
            let mut out = [0u8; 40];
            tls1_prf_named(placed, b"secret", b"seed", &mut out).expect("prf");
            assert_eq!(out, expected);
            libc::munmap(map, 2 * page);
        }
    }
}

/// Issue 25, defect 5: the master secret is made in one place and stays there while the record
/// layer holding it is built, returned and boxed, so wiping that place wipes it all.
#[test]
fn the_master_secret_stays_where_it_was_made() {
    let (client, server, _wire) = certificate_pair(
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        RecordLayer::Own,
        RecordLayer::Own,
    );
    let made = super::keys::masters_made_here();
    for session in [&client, &server] {
        let own = session.own_records().expect("our record layer");
        let at = own.secrets().master_at() as usize;
        assert!(
            made.contains(&at),
            "the master secret moved from where it was made"
        );
    }
}

/// A packet sent as parts (`send_packed_parts`) is one record whose plaintext is the parts joined:
/// the peer reads exactly the joined bytes, for our record layer sending to OpenSSL's and to ours,
/// and for OpenSSL's sending (which joins them first).
#[test]
fn a_packet_sent_in_parts_arrives_joined() {
    for (client_layer, server_layer) in [
        (RecordLayer::Own, RecordLayer::OpenSsl),
        (RecordLayer::Own, RecordLayer::Own),
        (RecordLayer::OpenSsl, RecordLayer::Own),
    ] {
        let (mut client, mut server, _) =
            certificate_pair("ECDHE-ECDSA-AES128-GCM-SHA256", client_layer, server_layer);
        client
            .send_packed_parts(&[b"head", b"", b"-and-body"])
            .expect("send");
        let mut datagrams = Vec::new();
        client.drain_transmit(|d| datagrams.push(d.to_vec()));
        assert_eq!(datagrams.len(), 1, "{client_layer:?}");
        server.handle_datagram(Instant::now(), &datagrams[0]);
        assert_eq!(server.recv().as_deref(), Some(&b"head-and-body"[..]));
        assert_eq!(server.recv(), None);
    }
}
