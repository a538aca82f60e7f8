//! Spoofed-ClientHello floods: ClientHellos from many fake addresses, none of which comes back
//! with its cookie, leave no per-client state (no session, memory flat), are each answered by a
//! HelloVerifyRequest no larger than the ClientHello (no amplification), and do not keep a real
//! client from connecting meanwhile. Also the `UdpServer` session cap.
//!
//! The tests here run one at a time (a lock) so that the process's memory figures are theirs.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::{
    Accept, Connection, Server, Session, Settings, Status, UdpServer, UdpTransport,
};

const FLOOD: usize = 50_000;
const MAX_RSS_GROWTH_KIB: u64 = 2048;
const HANDSHAKE_TYPE_HELLO_VERIFY_REQUEST: u8 = 3;

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Genuine first ClientHellos (no cookie) of `n` fresh clients.
fn client_hellos(n: usize) -> Vec<Vec<u8>> {
    let id = ecdsa_identity();
    (0..n)
        .map(|_| {
            let config = client_config(&id.certificate_pem, HOST, Settings::default());
            let mut client = Session::client(&config, Instant::now()).unwrap();
            let hello = client.poll_transmit().expect("ClientHello");
            assert_eq!(handshake_type(&hello), Some(1));
            hello
        })
        .collect()
}

fn fake_peer(i: usize) -> String {
    format!(
        "10.{}.{}.{}:{}",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff,
        1024 + i % 60000
    )
}

/// A HelloVerifyRequest no larger than the ClientHello it answers.
fn assert_hello_verify(reply: &[u8], hello: &[u8]) {
    assert_eq!(
        handshake_type(reply),
        Some(HANDSHAKE_TYPE_HELLO_VERIFY_REQUEST),
        "{}",
        describe_datagram(reply)
    );
    assert!(
        reply.len() <= hello.len(),
        "amplification: {} byte answer to a {} byte ClientHello",
        reply.len(),
        hello.len()
    );
}

/// A real client talking to `server` through `accept` as peer "real", in memory, one step at a
/// time between flood bursts.
struct RealClient {
    client: Session,
    session: Option<Session>,
    to_client: Vec<Vec<u8>>,
}

impl RealClient {
    fn new() -> RealClient {
        let id = ecdsa_identity();
        let config = client_config(&id.certificate_pem, HOST, Settings::default());
        RealClient {
            client: Session::client(&config, Instant::now()).unwrap(),
            session: None,
            to_client: Vec::new(),
        }
    }

    fn step(&mut self, server: &mut Server) {
        let now = Instant::now();
        let mut to_server = Vec::new();
        self.client.drain_transmit(|d| to_server.push(d.to_vec()));
        for d in to_server {
            match self.session.as_mut() {
                Some(s) => s.handle_datagram(now, &d),
                None => match server.accept(now, b"203.0.113.9:5000", &d) {
                    Accept::HelloVerify(reply) => self.to_client.push(reply),
                    Accept::Session(s) => self.session = Some(*s),
                    Accept::Ignored => panic!("the real ClientHello was ignored"),
                },
            }
        }
        if let Some(s) = self.session.as_mut() {
            s.drain_transmit(|d| self.to_client.push(d.to_vec()));
        }
        for d in self.to_client.drain(..) {
            self.client.handle_datagram(now, &d);
        }
    }

    fn connected(&self) -> bool {
        self.client.status() == Status::Connected
            && self.session.as_ref().map(Session::status) == Some(Status::Connected)
    }
}

#[test]
fn fifty_thousand_spoofed_client_hellos_through_accept() {
    let _serial = serial();
    let id = ecdsa_identity();
    let mut server = Server::new(&server_config(id, Settings::default()), Instant::now()).unwrap();
    let hellos = client_hellos(16);
    // Warm up (allocator, OpenSSL's lazily made tables, the listening SSL object).
    for (i, hello) in hellos.iter().enumerate().take(1000) {
        server.accept(Instant::now(), fake_peer(FLOOD + i).as_bytes(), hello);
    }
    let before = rss_kib();
    let started = Instant::now();
    let mut real = RealClient::new();
    let mut connected_after = None;
    let (mut answered, mut largest_answer) = (0usize, 0usize);
    for i in 0..FLOOD {
        let hello = &hellos[i % hellos.len()];
        match server.accept(Instant::now(), fake_peer(i).as_bytes(), hello) {
            Accept::HelloVerify(reply) => {
                assert_hello_verify(&reply, hello);
                largest_answer = largest_answer.max(reply.len());
                answered += 1;
            }
            other => panic!("spoofed ClientHello {i} gave {other:?}"),
        }
        if i % 100 == 0 && connected_after.is_none() {
            real.step(&mut server);
            if real.connected() {
                connected_after = Some(i);
            }
        }
    }
    let elapsed = started.elapsed();
    let after = rss_kib();
    let connected_after =
        connected_after.expect("the real client did not connect during the flood");
    println!(
        "flood (Server::accept): {FLOOD} spoofed ClientHellos ({} bytes) from {FLOOD} addresses in \
         {elapsed:?} ({:.0}/s): {answered} HelloVerifyRequests of at most {largest_answer} bytes, \
         0 sessions; real client connected after {connected_after} flood datagrams; \
         RSS {before} KiB before, {after} KiB after",
        hellos[0].len(),
        FLOOD as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(answered, FLOOD);
    assert!(
        after.saturating_sub(before) < MAX_RSS_GROWTH_KIB,
        "memory grew from {before} KiB to {after} KiB"
    );
    // The real session works.
    let session = real.session.as_mut().unwrap();
    session.send(b"hello through the flood").unwrap();
    session.drain_transmit(|d| real.client.handle_datagram(Instant::now(), d));
    assert_eq!(real.client.recv().unwrap(), b"hello through the flood");
}

#[test]
fn spoofed_client_hellos_over_udp_from_many_sockets() {
    let _serial = serial();
    const SOCKETS: usize = 500;
    const ROUNDS: usize = 20;
    const BURST: usize = 100;
    let id = ecdsa_identity();
    let mut server = UdpServer::bind(localhost(), &server_config(id, Settings::default())).unwrap();
    let server_addr = server.local_addr().unwrap();
    let hellos = client_hellos(8);
    let sockets: Vec<UdpSocket> = (0..SOCKETS)
        .map(|_| {
            let s = UdpSocket::bind(localhost()).unwrap();
            s.connect(server_addr).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            s
        })
        .collect();
    let config = client_config(&id.certificate_pem, HOST, Settings::default());
    let mut real = Connection::new(
        Session::client(&config, Instant::now()).unwrap(),
        UdpTransport::connect(localhost(), server_addr).unwrap(),
    );
    let real_addr = real.transport().socket().local_addr().unwrap();

    let mut buf = vec![0; 2048];
    let (mut sent, mut answered, mut largest_answer) = (0usize, 0usize, 0usize);
    let mut before = None;
    let mut connected_in_round = None;
    let started = Instant::now();
    for round in 0..ROUNDS {
        if round == 1 {
            // After a warm-up round.
            before = Some(rss_kib());
        }
        for (b, burst) in sockets.chunks(BURST).enumerate() {
            for (i, s) in burst.iter().enumerate() {
                s.send(&hellos[(b + i + round) % hellos.len()]).unwrap();
                sent += 1;
            }
            let now = Instant::now();
            server.poll(now).unwrap();
            real.poll(now).unwrap();
            server.poll(Instant::now()).unwrap();
            for (i, s) in burst.iter().enumerate() {
                let hello = &hellos[(b + i + round) % hellos.len()];
                // The answer is on loopback already: the read timeout only bounds a lost one.
                if let Ok(n) = s.recv(&mut buf) {
                    assert_hello_verify(&buf[..n], hello);
                    largest_answer = largest_answer.max(n);
                    answered += 1;
                }
            }
            let sessions: Vec<SocketAddr> = server.sessions_mut().map(|(a, _)| *a).collect();
            assert!(
                sessions.iter().all(|a| *a == real_addr),
                "sessions for spoofed clients: {sessions:?}"
            );
            if connected_in_round.is_none()
                && real.session().status() == Status::Connected
                && server.session_mut(&real_addr).map(|s| s.status()) == Some(Status::Connected)
            {
                connected_in_round = Some(round);
            }
        }
    }
    let elapsed = started.elapsed();
    let after = rss_kib();
    let before = before.unwrap();
    println!(
        "flood (UdpServer over 127.0.0.1): {sent} spoofed ClientHellos from {SOCKETS} sockets in \
         {elapsed:?}: {answered} HelloVerifyRequests of at most {largest_answer} bytes, \
         sessions held {} (the real client's); real client connected in round {connected_in_round:?}; \
         RSS {before} KiB before, {after} KiB after",
        server.session_count()
    );
    assert!(
        answered * 100 >= sent * 99,
        "only {answered} of {sent} ClientHellos answered"
    );
    assert!(
        connected_in_round.is_some(),
        "the real client did not connect during the flood"
    );
    assert_eq!(server.session_count(), 1);
    assert!(
        after.saturating_sub(before) < MAX_RSS_GROWTH_KIB,
        "memory grew from {before} KiB to {after} KiB"
    );
}

/// Polls clients and server until `done`, at most 10 s.
fn poll_until(
    server: &mut UdpServer,
    clients: &mut [Connection<UdpTransport>],
    what: &str,
    mut done: impl FnMut(&mut UdpServer, &mut [Connection<UdpTransport>]) -> bool,
) {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let now = Instant::now();
        for c in clients.iter_mut() {
            c.poll(now).unwrap();
        }
        server.poll(now).unwrap();
        if done(server, clients) {
            return;
        }
        assert!(now < end, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

fn udp_client(server: &UdpServer, settings: Settings) -> Connection<UdpTransport> {
    let id = ecdsa_identity();
    let config = client_config(&id.certificate_pem, HOST, settings);
    Connection::new(
        Session::client(&config, Instant::now()).unwrap(),
        UdpTransport::connect(localhost(), server.local_addr().unwrap()).unwrap(),
    )
}

#[test]
fn udp_server_caps_its_sessions() {
    let _serial = serial();
    let settings = Settings {
        handshake_timeout: Duration::from_secs(1),
        initial_retransmit: Duration::from_millis(100),
        ..Settings::default()
    };
    let id = ecdsa_identity();
    let mut server = UdpServer::bind(localhost(), &server_config(id, settings.clone())).unwrap();
    assert_eq!(server.max_sessions(), 4096);
    server.set_max_sessions(0);
    assert_eq!(server.max_sessions(), 1, "the cap is at least one");
    server.set_max_sessions(2);

    let mut clients = vec![
        udp_client(&server, settings.clone()),
        udp_client(&server, settings.clone()),
    ];
    poll_until(&mut server, &mut clients, "two clients", |_, c| {
        c.iter().all(|c| c.session().status() == Status::Connected)
    });
    assert_eq!(server.session_count(), 2);

    // A third client completes the cookie exchange but gets no session: its handshake fails by
    // its own deadline.
    clients.push(udp_client(&server, settings.clone()));
    poll_until(
        &mut server,
        &mut clients,
        "the third client's failure",
        |_, c| !c[2].session().status().is_active(),
    );
    assert_eq!(clients[2].session().status(), Status::Error);
    assert!(server.refused_sessions() >= 1);
    assert_eq!(server.session_count(), 2);
    assert!(clients[..2]
        .iter()
        .all(|c| c.session().status() == Status::Connected));
    let refused = server.refused_sessions();
    println!(
        "session cap 2: third client refused {refused} times, failed with {:?}",
        clients[2].session().failure()
    );

    // The first client leaves: its ended session makes room for a new one.
    let first = clients[0].transport().socket().local_addr().unwrap();
    clients[0].close();
    poll_until(
        &mut server,
        &mut clients,
        "the server to see the close",
        |s, _| s.session_mut(&first).map(|s| s.status()) == Some(Status::Disconnected),
    );
    clients.push(udp_client(&server, settings));
    poll_until(
        &mut server,
        &mut clients,
        "a client in the freed place",
        |s, c| c[3].session().status() == Status::Connected && s.session_count() == 2,
    );
    assert!(server.session_mut(&first).is_none());
    assert!(clients[1].session().status() == Status::Connected);
}
