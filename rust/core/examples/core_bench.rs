//! Core benchmark over real UDP sockets on 127.0.0.1, one thread polling both ends (the shape of
//! a game loop): echo round trips per second, DTLS against plain UDP, at 64 B and 1 KiB with 32
//! packets in flight; and server handshakes per second including the cookie round.
//! Prints medians of several rounds. Run: cargo run --release -p openssl-dtls-core --example core_bench
//! Our sessions run on our record layer and, to compare, on OpenSSL's (`impl=openssl_records`).
//! An argument `plain`, `ours`, `cpu` (the echo without sockets), `cpu_openssl` or `handshake`
//! runs only that part (for profilers), and a second argument `64` or `1024` only that size.
//! `CORE_BENCH_ROUND_TRIPS=N` makes each in-memory echo round exactly N round trips (for
//! callgrind: instructions per round trip no matter how loaded the machine is), and
//! `CORE_BENCH_CIPHERS=LIST` sets the OpenSSL cipher list of the in-memory echo (for example
//! `ECDHE-ECDSA-CHACHA20-POLY1305`).

#[path = "support/in_memory.rs"]
mod in_memory;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use openssl_dtls_core::{
    self_signed, Accept, ClientConfig, Connection, Identity, KeyType, RecordLayer, Server,
    ServerConfig, Session, Settings, Status, Transport, UdpTransport, Verification,
};

const IN_FLIGHT: usize = 32;
const ROUND: Duration = Duration::from_millis(1500);
const ROUNDS: usize = 5;

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Two non-blocking UDP sockets connected to each other.
fn socket_pair() -> (UdpTransport, UdpTransport) {
    let a = UdpSocket::bind(loopback()).expect("bind");
    let b = UdpSocket::bind(loopback()).expect("bind");
    a.connect(b.local_addr().expect("addr")).expect("connect");
    b.connect(a.local_addr().expect("addr")).expect("connect");
    (
        UdpTransport::from_socket(a).expect("nonblocking"),
        UdpTransport::from_socket(b).expect("nonblocking"),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Plain UDP: client keeps IN_FLIGHT packets out, server echoes. Round trips per second.
fn plain_echo(size: usize) -> f64 {
    let (mut client, mut server) = socket_pair();
    let payload = vec![7u8; size];
    let mut buf = vec![0u8; 65536];
    let (mut in_flight, mut done) = (0usize, 0u64);
    let start = Instant::now();
    while start.elapsed() < ROUND {
        while in_flight < IN_FLIGHT {
            client.send(&payload).expect("send");
            in_flight += 1;
        }
        while let Some(n) = server.recv(&mut buf).expect("recv") {
            server.send(&buf[..n]).expect("send");
        }
        while client.recv(&mut buf).expect("recv").is_some() {
            in_flight -= 1;
            done += 1;
        }
    }
    done as f64 / start.elapsed().as_secs_f64()
}

/// A server of ours for `id`.
fn new_server(id: &Identity, settings: &Settings) -> Server {
    let mut config = ServerConfig::new(id.certificate_pem.clone(), id.private_key_pem.clone());
    config.settings = settings.clone();
    Server::new(&config, Instant::now()).expect("server")
}

/// A client that trusts `id` and checks the name "localhost".
fn client_config(id: &Identity, settings: &Settings) -> ClientConfig {
    ClientConfig {
        verification: Verification::TrustedPem(id.certificate_pem.clone()),
        hostname: Some("localhost".into()),
        settings: settings.clone(),
        ..ClientConfig::default()
    }
}

/// A connected client/server pair of ours over two connected sockets.
fn dtls_pair(
    server: &mut Server,
    id: &Identity,
    settings: &Settings,
) -> (Connection<UdpTransport>, Connection<UdpTransport>) {
    let (client_t, mut server_t) = socket_pair();
    let client_config = client_config(id, settings);
    let mut client = Connection::new(
        Session::client(&client_config, Instant::now()).expect("client"),
        client_t,
    );
    let peer = b"client";
    let mut buf = vec![0u8; 65536];
    let server_session = loop {
        client.poll(Instant::now()).expect("poll");
        if let Some(n) = server_t.recv(&mut buf).expect("recv") {
            match server.accept(Instant::now(), peer, &buf[..n]) {
                Accept::HelloVerify(reply) => server_t.send(&reply).expect("send"),
                Accept::Session(s) => break *s,
                Accept::Ignored => {}
            }
        }
    };
    let mut server_conn = Connection::new(server_session, server_t);
    while client.session().status() != Status::Connected
        || server_conn.session().status() != Status::Connected
    {
        client.poll(Instant::now()).expect("poll");
        server_conn.poll(Instant::now()).expect("poll");
        assert!(
            client.session().status().is_active(),
            "{:?}",
            client.session().failure()
        );
    }
    (client, server_conn)
}

/// DTLS echo through our sessions: round trips per second.
fn dtls_echo(id: &Identity, size: usize, record_layer: RecordLayer) -> f64 {
    let settings = Settings {
        record_layer,
        ..Settings::default()
    };
    let (mut client, mut server) = dtls_pair(&mut new_server(id, &settings), id, &settings);
    let payload = vec![7u8; size];
    let mut packet = Vec::new();
    let (mut in_flight, mut done) = (0usize, 0u64);
    let start = Instant::now();
    while start.elapsed() < ROUND {
        while in_flight < IN_FLIGHT {
            client.send(&payload).expect("send");
            in_flight += 1;
        }
        let now = Instant::now();
        server.poll(now).expect("poll");
        while server.session_mut().recv_into(&mut packet) {
            server.send(&packet).expect("echo");
        }
        client.poll(now).expect("poll");
        while client.session_mut().recv_into(&mut packet) {
            in_flight -= 1;
            done += 1;
        }
    }
    done as f64 / start.elapsed().as_secs_f64()
}

/// The same echo with the datagrams handed over in memory (no sockets): the CPU the DTLS layer
/// costs per round trip (two records sealed, two opened), in nanoseconds.
fn in_memory_echo_ns(id: &Identity, size: usize, record_layer: RecordLayer) -> f64 {
    let mut settings = Settings {
        record_layer,
        ..Settings::default()
    };
    if let Ok(ciphers) = std::env::var("CORE_BENCH_CIPHERS") {
        settings.cipher_list = ciphers;
    }
    let mut server = new_server(id, &settings);
    let client_config = client_config(id, &settings);
    let (mut client, mut srv) = in_memory::connected_pair(&mut server, &client_config);
    // The datagrams in flight, copied as a socket would copy them, in buffers reused from
    // round to round (the harness allocates nothing per datagram either).
    let mut wire: Vec<Vec<u8>> = Vec::new();
    let payload = vec![7u8; size];
    let mut packet = Vec::new();
    let mut datagram = Vec::new();
    let fixed: Option<u64> = std::env::var("CORE_BENCH_ROUND_TRIPS")
        .ok()
        .and_then(|n| n.parse().ok());
    let (mut done, start) = (0u64, Instant::now());
    while fixed.map_or(start.elapsed() < ROUND, |n| done < n) {
        for _ in 0..IN_FLIGHT {
            client.send(&payload).expect("send");
        }
        let now = Instant::now();
        let mut on_wire = 0;
        client.drain_transmit(|d| {
            if on_wire == wire.len() {
                wire.push(Vec::new());
            }
            wire[on_wire].clear();
            wire[on_wire].extend_from_slice(d);
            on_wire += 1;
        });
        for d in &wire[..on_wire] {
            srv.handle_datagram(now, d);
        }
        while srv.recv_into(&mut packet) {
            srv.send(&packet).expect("echo");
        }
        srv.drain_transmit(|d| {
            datagram.clear();
            datagram.extend_from_slice(d);
            client.handle_datagram(now, &datagram);
        });
        while client.recv_into(&mut packet) {
            done += 1;
        }
    }
    start.elapsed().as_nanos() as f64 / done as f64
}

/// Full handshakes (cookie round included) one after another with one server: ms each.
fn handshake_ms(id: &Identity, count: usize) -> f64 {
    let settings = Settings::default();
    let mut server = new_server(id, &settings);
    let start = Instant::now();
    for _ in 0..count {
        let _ = dtls_pair(&mut server, id, &settings);
    }
    start.elapsed().as_secs_f64() * 1000.0 / count as f64
}

fn main() {
    let names = vec!["localhost".to_string()];
    let ecdsa = self_signed(&names, KeyType::EcdsaP256, Duration::from_secs(3600)).expect("cert");
    println!("core benchmark: 127.0.0.1, one thread, {IN_FLIGHT} in flight, median of {ROUNDS} rounds of {ROUND:?}");
    let only = std::env::args().nth(1).unwrap_or_default();
    let part = |name: &str| only.is_empty() || only == name;
    let size_filter: Option<usize> = std::env::args().nth(2).and_then(|s| s.parse().ok());
    for size in [64usize, 1024] {
        if size_filter.is_some_and(|only_size| only_size != size) {
            continue;
        }
        let plain = part("plain").then(|| median((0..ROUNDS).map(|_| plain_echo(size)).collect()));
        let ours = part("ours").then(|| {
            median(
                (0..ROUNDS)
                    .map(|_| dtls_echo(&ecdsa, size, RecordLayer::Own))
                    .collect(),
            )
        });
        let cpu = |layer| {
            median(
                (0..ROUNDS)
                    .map(|_| in_memory_echo_ns(&ecdsa, size, layer))
                    .collect(),
            )
        };
        let cpu_ns = part("cpu").then(|| cpu(RecordLayer::Own));
        let cpu_openssl_ns = part("cpu_openssl").then(|| cpu(RecordLayer::OpenSsl));
        if let Some(plain) = plain {
            println!("echo {size:>5} B: plain UDP {plain:>9.0} rt/s");
            println!("BENCH name=core_echo_{size} impl=plain value={plain:.0} unit=rt/s");
        }
        if let Some(ours) = ours {
            println!("echo {size:>5} B: DTLS (ours) {ours:>9.0} rt/s");
            println!("BENCH name=core_echo_{size} impl=ours value={ours:.0} unit=rt/s");
        }
        if let (Some(plain), Some(ours)) = (plain, ours) {
            println!("echo {size:>5} B: ours/plain {:.2}", ours / plain);
        }
        if let Some(ns) = cpu_ns {
            println!("echo {size:>5} B without sockets: {ns:.0} ns of CPU per round trip (2 records sealed, 2 opened), our record layer");
            println!("BENCH name=core_echo_cpu_{size} impl=ours value={ns:.0} unit=ns");
        }
        if let Some(ns) = cpu_openssl_ns {
            println!("echo {size:>5} B without sockets: {ns:.0} ns of CPU per round trip, OpenSSL's record layer");
            println!("BENCH name=core_echo_cpu_{size} impl=openssl_records value={ns:.0} unit=ns");
        }
    }
    if !part("handshake") {
        return;
    }
    let rsa = self_signed(&names, KeyType::Rsa(2048), Duration::from_secs(3600)).expect("cert");
    for (label, id) in [("ecdsa_p256", &ecdsa), ("rsa_2048", &rsa)] {
        let ms = median((0..ROUNDS).map(|_| handshake_ms(id, 40)).collect());
        println!(
            "handshake {label}: {ms:.3} ms each incl. cookie round ({:.0} handshakes/s, client and server in one thread)",
            1000.0 / ms
        );
        println!("BENCH name=core_handshake_{label} impl=ours value={ms:.3} unit=ms");
    }
}
