//! Limits a game server on the internet needs: each session's queue of received packets is
//! bounded (drops counted, the session keeps working), a silent peer ends its session after the
//! idle timeout (driven by the clock given to the session, no sleeps), the `UdpServer` evicts
//! ended and timed-out sessions so abandoned handshakes do not lock real clients out, and a
//! server's failed-session warnings are rate-limited.

mod common;

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{client_config, ecdsa_identity, rss_kib, serial, server_config, Pair, HOST};
use openssl_dtls_core::{
    Accept, Connection, Server, Session, Settings, Status, UdpServer, UdpTransport,
    DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_PACKETS, FAILURE_LOG_INTERVAL,
};

/// Sends `count` packets of `size` bytes from the server session straight into the client.
fn flood_client(pair: &mut Pair, count: usize, size: usize) {
    let packet = vec![0x5a; size];
    let now = Instant::now();
    for _ in 0..count {
        let server = pair.server_session.as_mut().expect("server session");
        server.send(&packet).expect("server sends");
        let client = &mut pair.client;
        server.drain_transmit(|d| client.handle_datagram(now, d));
    }
}

#[test]
fn an_unread_session_holds_a_bounded_queue_and_keeps_receiving() {
    let _serial = serial();
    let mut pair = Pair::ecdsa(Settings::default());
    pair.connect();
    const SENT: usize = 100_000;
    const SIZE: usize = 1000;
    let before = rss_kib();
    flood_client(&mut pair, SENT, SIZE);
    let after = rss_kib();
    let held = pair.client.pending_packets();
    let stats = *pair.client.stats();
    println!(
        "overflow: {SENT} packets of {SIZE} B sent to an unread client: {held} held, {} dropped, \
         RSS {before} -> {after} KiB",
        stats.packets_dropped
    );
    assert_eq!(pair.client.status(), Status::Connected);
    assert_eq!(
        stats.packets_received, SENT as u64,
        "every packet was decrypted"
    );
    assert!(held <= DEFAULT_MAX_QUEUED_PACKETS);
    assert!(held * SIZE <= DEFAULT_MAX_QUEUED_BYTES);
    assert_eq!(
        held,
        DEFAULT_MAX_QUEUED_BYTES / SIZE,
        "the byte bound decides for 1 kB"
    );
    assert_eq!(stats.packets_dropped, (SENT - held) as u64);
    assert!(
        after.saturating_sub(before) < 4 * 1024,
        "memory grew from {before} KiB to {after} KiB"
    );

    // The game reads again: the oldest packets come first, and new ones get in.
    let mut read = 0;
    while pair.client.recv().is_some() {
        read += 1;
    }
    assert_eq!(read, held);
    let server = pair.server_session.as_mut().unwrap();
    server.send(b"after the flood").unwrap();
    let client = &mut pair.client;
    server.drain_transmit(|d| client.handle_datagram(Instant::now(), d));
    assert_eq!(pair.client.recv().as_deref(), Some(&b"after the flood"[..]));
    assert_eq!(pair.client.status(), Status::Connected);
}

#[test]
fn the_queue_bound_is_settable_by_packets_and_by_bytes() {
    let settings = Settings {
        max_queued_packets: 5,
        ..Settings::default()
    };
    let mut pair = Pair::ecdsa(settings);
    pair.connect();
    flood_client(&mut pair, 20, 10);
    assert_eq!(pair.client.pending_packets(), 5);
    assert_eq!(pair.client.stats().packets_dropped, 15);

    let settings = Settings {
        max_queued_bytes: 1000,
        ..Settings::default()
    };
    let mut pair = Pair::ecdsa(settings);
    pair.connect();
    flood_client(&mut pair, 20, 300);
    assert_eq!(pair.client.pending_packets(), 3, "3 x 300 B fit 1000 B");
    // One packet larger than the byte bound still gets through to an empty queue.
    while pair.client.recv().is_some() {}
    flood_client(&mut pair, 1, 1100);
    assert_eq!(pair.client.pending_packets(), 1);
    assert_eq!(pair.client.stats().packets_dropped, 17);

    let zero = Settings {
        max_queued_packets: 0,
        ..Settings::default()
    };
    assert!(
        zero.validate().is_err(),
        "a queue of zero packets is refused"
    );
}

#[test]
fn a_silent_peer_ends_the_session_after_the_idle_timeout() {
    let settings = Settings {
        idle_timeout: Duration::from_secs(30),
        ..Settings::default()
    };
    let mut pair = Pair::ecdsa(settings);
    pair.connect();
    let start = Instant::now();
    let client = &mut pair.client;
    assert!(
        client.poll_timeout().is_some(),
        "a connected session has a deadline"
    );

    // Traffic from the peer restarts the countdown.
    client.handle_timeout(start + Duration::from_secs(20));
    assert_eq!(client.status(), Status::Connected);
    let at = start + Duration::from_secs(20);
    let server = pair.server_session.as_mut().unwrap();
    server.send(b"still here").unwrap();
    server.drain_transmit(|d| pair.client.handle_datagram(at, d));
    assert_eq!(pair.client.recv().as_deref(), Some(&b"still here"[..]));
    pair.client.handle_timeout(start + Duration::from_secs(45));
    assert_eq!(
        pair.client.status(),
        Status::Connected,
        "20 s + 25 s of silence"
    );

    // Garbage does not count as the peer talking.
    pair.client
        .handle_datagram(start + Duration::from_secs(46), &[23, 0xfe, 0xfd, 0, 1]);
    pair.client.handle_timeout(start + Duration::from_secs(51));
    assert_eq!(pair.client.status(), Status::Error);
    let why = pair.client.failure().unwrap_or_default().to_string();
    assert!(why.contains("sent nothing for 30s"), "{why}");
    assert_eq!(pair.client.poll_timeout(), None);

    // Zero disables it.
    let mut pair = Pair::ecdsa(Settings {
        idle_timeout: Duration::ZERO,
        ..Settings::default()
    });
    pair.connect();
    let later = Instant::now() + Duration::from_secs(365 * 86_400);
    pair.client.handle_timeout(later);
    assert_eq!(pair.client.status(), Status::Connected);
}

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A client over real UDP towards `server`.
fn udp_client(server: &UdpServer, settings: &Settings) -> Connection<UdpTransport> {
    let id = ecdsa_identity();
    let config = client_config(&id.certificate_pem, HOST, settings.clone());
    Connection::new(
        Session::client(&config, Instant::now()).unwrap(),
        UdpTransport::connect(localhost(), server.local_addr().unwrap()).unwrap(),
    )
}

/// Polls a client and the server (at `offset` past the real clock) until `done`, at most 10 s.
fn poll_until(
    server: &mut UdpServer,
    client: &mut Connection<UdpTransport>,
    offset: Duration,
    what: &str,
    mut done: impl FnMut(&mut UdpServer, &mut Connection<UdpTransport>) -> bool,
) {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let now = Instant::now();
        client.poll(now).unwrap();
        server.poll(now + offset).unwrap();
        if done(server, client) {
            return;
        }
        assert!(now < end, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

#[test]
fn abandoned_handshakes_and_silent_peers_are_evicted() {
    let _serial = serial();
    let settings = Settings {
        handshake_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(120),
        ..Settings::default()
    };
    let id = ecdsa_identity();
    let mut server = UdpServer::bind(localhost(), &server_config(id, settings.clone())).unwrap();
    const ABANDONED: usize = 4096;
    assert_eq!(server.max_sessions(), ABANDONED);

    // One client connects and then goes silent (its process died).
    let mut silent = udp_client(&server, &settings);
    poll_until(
        &mut server,
        &mut silent,
        Duration::ZERO,
        "the first client",
        |_, c| c.session().status() == Status::Connected,
    );
    // Every vanished client's port stays bound (a clone of its socket), so that no later
    // client reuses it and lands in its session.
    let mut ports = vec![silent.transport().socket().try_clone().unwrap()];
    drop(silent);

    // 4,095 more clients get through the cookie exchange (so the server holds a session for
    // each) and vanish: the server is full.
    let started = Instant::now();
    let mut client_id = 1;
    while server.session_count() < ABANDONED {
        let mut c = udp_client(&server, &settings);
        let before = server.session_count();
        poll_until(
            &mut server,
            &mut c,
            Duration::ZERO,
            &format!("a handshaking session for client {client_id} ({before} held)"),
            |s, _| s.session_count() > before,
        );
        ports.push(c.transport().socket().try_clone().unwrap());
        client_id += 1;
    }
    println!(
        "{ABANDONED} sessions held after {client_id} clients in {:?}",
        started.elapsed()
    );
    let mut late = udp_client(&server, &settings);
    let refused = server.refused_sessions();
    poll_until(
        &mut server,
        &mut late,
        Duration::ZERO,
        "a refusal",
        |s, _| s.refused_sessions() > refused,
    );
    assert_eq!(
        server.session_count(),
        ABANDONED,
        "full: the late client is refused"
    );
    assert!(late.session().status().is_active());
    // It gives up; what it already sent is refused again.
    drop(late);
    server.poll(Instant::now()).unwrap();
    assert_eq!(server.session_count(), ABANDONED);

    // Past the handshake timeout the abandoned handshakes have ended: evicted at the next poll.
    server
        .poll(Instant::now() + Duration::from_secs(61))
        .unwrap();
    server
        .poll(Instant::now() + Duration::from_secs(61))
        .unwrap();
    assert_eq!(
        server.session_count(),
        1,
        "only the silent but connected session is left"
    );
    // Past the idle timeout the silent peer's session ends too, and goes.
    server
        .poll(Instant::now() + Duration::from_secs(121))
        .unwrap();
    let failures: Vec<String> = server
        .sessions_mut()
        .map(|(_, s)| s.failure().unwrap_or_default().to_string())
        .collect();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].contains("sent nothing for 120s"),
        "{failures:?}"
    );
    server
        .poll(Instant::now() + Duration::from_secs(121))
        .unwrap();
    assert_eq!(server.session_count(), 0);
    drop(ports);

    // A real client now gets in.
    let mut real = udp_client(&server, &settings);
    poll_until(
        &mut server,
        &mut real,
        Duration::from_secs(121),
        "a real client",
        |_, c| c.session().status() == Status::Connected,
    );
}

// ---------------------------------------------------------------------------------------------
// The log

/// Every warning logged in this test binary.
struct Capture;

static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Warn
    }

    fn log(&self, r: &log::Record) {
        if r.level() <= log::Level::Warn {
            WARNINGS.lock().unwrap().push(r.args().to_string());
        }
    }

    fn flush(&self) {}
}

fn capture_warnings() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        log::set_logger(&Capture).expect("logger");
        log::set_max_level(log::LevelFilter::Warn);
    });
    WARNINGS.lock().unwrap().clear();
}

fn handshake_warnings() -> Vec<String> {
    WARNINGS
        .lock()
        .unwrap()
        .iter()
        .filter(|w| w.contains("DTLS Server session"))
        .cloned()
        .collect()
}

/// A server session for a fresh client (cookie exchange done in memory), left handshaking.
fn handshaking_session(server: &mut Server, now: Instant, i: usize) -> Session {
    let id = ecdsa_identity();
    let config = client_config(&id.certificate_pem, HOST, Settings::default());
    let mut client = Session::client(&config, now).unwrap();
    let peer = format!("198.51.100.{}:{}", i % 250, 1000 + i);
    for _ in 0..3 {
        let hello = client.poll_transmit().expect("ClientHello");
        match server.accept(now, peer.as_bytes(), &hello) {
            Accept::HelloVerify(reply) => client.handle_datagram(now, &reply),
            Accept::Session(session) => return *session,
            Accept::Ignored => panic!("ClientHello ignored"),
        }
    }
    panic!("no session after the cookie exchange")
}

#[test]
fn failed_handshake_warnings_are_rate_limited_per_server() {
    let _serial = serial();
    capture_warnings();
    let settings = Settings {
        handshake_timeout: Duration::from_secs(5),
        ..Settings::default()
    };
    let start = Instant::now();
    let mut server = Server::new(&server_config(ecdsa_identity(), settings), start).unwrap();
    const FAILED: usize = 200;
    let mut sessions: Vec<Session> = (0..FAILED)
        .map(|i| handshaking_session(&mut server, start, i))
        .collect();
    // All their handshakes time out within one second.
    let timeout = start + Duration::from_secs(6);
    for s in &mut sessions {
        s.handle_timeout(timeout);
        assert_eq!(s.status(), Status::Error);
        // Each peer keeps its own message.
        assert_eq!(s.failure(), Some("handshake did not finish within 5s"));
    }
    let lines = handshake_warnings();
    assert_eq!(
        lines,
        ["DTLS Server session: handshake did not finish within 5s"]
    );

    // The next failure after the interval says how many were not shown.
    let mut next = handshaking_session(&mut server, timeout, FAILED);
    next.handle_timeout(timeout + FAILURE_LOG_INTERVAL + Duration::from_secs(5));
    let lines = handshake_warnings();
    println!(
        "log rate: {} failed handshakes in 1 s -> {} warning lines; then: {}",
        FAILED, 1, lines[1]
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[1]
            .starts_with("DTLS Server session: handshake did not finish within 5s (and 199 more"),
        "{}",
        lines[1]
    );

    // Another server has its own budget; a client session logs as before.
    let mut other = Server::new(
        &server_config(ecdsa_identity(), Settings::default()),
        timeout,
    )
    .unwrap();
    let mut s = handshaking_session(&mut other, timeout, 0);
    s.handle_timeout(timeout + Duration::from_secs(61));
    assert_eq!(handshake_warnings().len(), 3);
}
