//! Which reliability library carries the multiplayer peer's channels: `sctp-proto` (the SCTP of
//! WebRTC data channels) against `renet` 2 (a game networking library's channels), both sans-IO,
//! two endpoints of each joined by an in-memory link that drops 15% of datagrams, duplicates 3%,
//! delays 20-40 ms (so reorders) and holds 5% back 40 ms more. No DTLS and no sockets: only the
//! libraries and the link, on a simulated clock polled like a game loop (every 1 ms and every
//! 16 ms frame). Prints, for each library: simulated time until 200 and 1000 reliable ordered
//! messages of 100 bytes (sent at once) have all arrived in order, until one 1 MiB message has
//! arrived intact, the datagrams used, and the CPU time per message (real time of the run).
//! Run: cargo run --release -p openssl-dtls-core --example mp_channels_compare

use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The DTLS payload one datagram carries at the default 1200-byte MTU (AES-GCM).
const DTLS_PAYLOAD: usize = 1163;
/// Give up on a run after this much simulated time.
const SIM_LIMIT: Duration = Duration::from_secs(120);

/// xorshift64*: deterministic losses, so each library meets the same kind of link.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One direction of the lossy link: datagrams with their arrival time.
struct Link {
    rng: Rng,
    queue: BinaryHeap<std::cmp::Reverse<(Duration, u64, Vec<u8>)>>,
    order: u64,
    sent: u64,
    largest: usize,
}

impl Link {
    fn new(seed: u64) -> Link {
        Link {
            rng: Rng(seed),
            queue: BinaryHeap::new(),
            order: 0,
            sent: 0,
            largest: 0,
        }
    }
    fn send(&mut self, now: Duration, datagram: Vec<u8>) {
        assert!(datagram.len() <= 65507);
        self.sent += 1;
        self.largest = self.largest.max(datagram.len());
        if self.rng.chance(15) {
            return;
        }
        let copies = if self.rng.chance(3) { 2 } else { 1 };
        for _ in 0..copies {
            let mut delay = 20 + self.rng.below(20);
            if self.rng.chance(5) {
                delay += 40;
            }
            self.order += 1;
            let at = now + Duration::from_millis(delay);
            self.queue
                .push(std::cmp::Reverse((at, self.order, datagram.clone())));
        }
    }
    fn arrived(&mut self, now: Duration) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while self.queue.peek().is_some_and(|e| e.0 .0 <= now) {
            if let Some(e) = self.queue.pop() {
                out.push(e.0 .2);
            }
        }
        out
    }
}

/// What one run measured.
struct Outcome {
    sim: Option<Duration>,
    datagrams: u64,
    largest: usize,
    too_large: u64,
    cpu: Duration,
}

/// The messages a workload sends, each starting with its index.
fn workload(count: usize, size: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut m = vec![(i % 251) as u8; size];
            m[..4].copy_from_slice(&(i as u32).to_be_bytes());
            m
        })
        .collect()
}

/// Checks that `got` is `sent`'s next message.
fn check(sent: &[Vec<u8>], next: &mut usize, got: &[u8]) {
    assert!(*next < sent.len(), "more messages than were sent");
    assert_eq!(
        got,
        &sent[*next][..],
        "message {} out of order or damaged",
        next
    );
    *next += 1;
}

mod sctp {
    use super::*;
    use bytes::Bytes;
    use sctp_proto::{
        Association, AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig,
        Event, Payload, PayloadProtocolIdentifier, ServerConfig, StreamEvent, TransportConfig,
    };

    fn transport() -> TransportConfig {
        TransportConfig::default()
            .with_max_send_message_size(2 << 20)
            .with_max_receive_message_size(2 << 20)
            .with_max_receive_buffer_size(4 << 20)
            // RFC 4960's 1 s floor and 3 s start are for the open internet; a game wants less.
            .with_rto_initial_ms(500)
            .with_rto_min_ms(200)
            .with_rto_max_ms(2000)
    }

    struct Side {
        endpoint: Endpoint,
        assoc: Option<(AssociationHandle, Association)>,
    }

    impl Side {
        fn feed(&mut self, now: Instant, from: SocketAddr, d: Vec<u8>) {
            match self.endpoint.handle(now, from, None, None, Bytes::from(d)) {
                Some((h, DatagramEvent::NewAssociation(a))) => self.assoc = Some((h, a)),
                Some((_, DatagramEvent::AssociationEvent(e))) => {
                    if let Some((_, a)) = self.assoc.as_mut() {
                        a.handle_event(e)
                    }
                }
                None => {}
            }
        }
        fn run(&mut self, now: Instant, link: &mut Link, t: Duration, too_large: &mut u64) {
            let Some((h, a)) = self.assoc.as_mut() else {
                return;
            };
            if a.poll_timeout().is_some_and(|d| d <= now) {
                a.handle_timeout(now);
            }
            while let Some(e) = a.poll_endpoint_event() {
                let _ = self.endpoint.handle_event(*h, e);
            }
            while let Some(tx) = a.poll_transmit(now) {
                if let Payload::RawEncode(packets) = tx.payload {
                    for p in packets {
                        if p.len() > DTLS_PAYLOAD {
                            *too_large += 1;
                        }
                        link.send(t, p.to_vec());
                    }
                }
            }
        }
    }

    pub fn run(messages: &[Vec<u8>], tick: Duration, seed: u64) -> Outcome {
        let started = Instant::now();
        let base = Instant::now();
        let (ca, sa): (SocketAddr, SocketAddr) =
            ("10.0.0.1:1".parse().unwrap(), "10.0.0.2:1".parse().unwrap());
        let mut ecfg = EndpointConfig::new();
        // SCTP packets sized to fit one DTLS record at the default MTU.
        // (Its bundling leaves the next chunk's 16-byte header out of the size check: margin.)
        ecfg.max_payload_size((DTLS_PAYLOAD - 28 - 20) as u32);
        let ecfg = Arc::new(ecfg);
        let mut scfg = ServerConfig::new();
        scfg.transport = Arc::new(transport());
        let mut client = Side {
            endpoint: Endpoint::new(ecfg.clone(), None),
            assoc: None,
        };
        let mut server = Side {
            endpoint: Endpoint::new(ecfg, Some(Arc::new(scfg))),
            assoc: None,
        };
        let mut ccfg = ClientConfig::new();
        ccfg.transport = Arc::new(transport());
        client.assoc = Some(client.endpoint.connect(ccfg, sa).expect("connect"));
        let (mut up, mut down) = (Link::new(seed), Link::new(seed ^ 0x9E37));
        let (mut t, mut connected, mut sent, mut next) = (Duration::ZERO, false, false, 0);
        let mut too_large = 0;
        let mut done_at = None;
        let mut buf = vec![0u8; 4 << 20];
        let mut start = Duration::ZERO;
        while t < SIM_LIMIT && done_at.is_none() {
            let now = base + t;
            for d in down.arrived(t) {
                client.feed(now, sa, d);
            }
            for d in up.arrived(t) {
                server.feed(now, ca, d);
            }
            if let Some((_, a)) = client.assoc.as_mut() {
                while let Some(e) = a.poll() {
                    if matches!(e, Event::Connected) {
                        connected = true;
                    }
                }
                if connected && !sent {
                    sent = true;
                    start = t;
                    let mut s = a
                        .open_stream(0, PayloadProtocolIdentifier::Binary)
                        .expect("stream");
                    for m in messages {
                        s.write(m).expect("write");
                    }
                }
            }
            if let Some((_, a)) = server.assoc.as_mut() {
                while let Some(e) = a.poll() {
                    if let Event::Stream(StreamEvent::Readable { id }) = e {
                        let mut s = a.stream(id).expect("stream");
                        while let Ok(Some(chunks)) = s.read_sctp() {
                            let n = chunks.read(&mut buf).expect("read");
                            check(messages, &mut next, &buf[..n]);
                        }
                    }
                }
                while a.accept_stream().is_some() {}
                if next == messages.len() {
                    done_at = Some(t - start);
                }
            }
            client.run(now, &mut up, t, &mut too_large);
            server.run(now, &mut down, t, &mut too_large);
            t += tick;
        }
        Outcome {
            sim: done_at,
            datagrams: up.sent + down.sent,
            largest: up.largest.max(down.largest),
            too_large,
            cpu: started.elapsed(),
        }
    }
}

mod renet_run {
    use super::*;
    use ::renet::{ConnectionConfig, DefaultChannel, RenetClient, RenetServer};

    pub fn run(messages: &[Vec<u8>], tick: Duration, seed: u64) -> Outcome {
        let started = Instant::now();
        let mut config = ConnectionConfig::default();
        for c in config
            .client_channels_config
            .iter_mut()
            .chain(config.server_channels_config.iter_mut())
        {
            c.max_memory_usage_bytes = 4 << 20;
        }
        let mut server = RenetServer::new(config.clone());
        let mut client = RenetClient::new(config);
        client.set_connected();
        server.add_connection(1);
        let (mut up, mut down) = (Link::new(seed), Link::new(seed ^ 0x9E37));
        for m in messages {
            client.send_message(DefaultChannel::ReliableOrdered, m.clone());
        }
        let (mut t, mut next, mut done_at, mut too_large) = (Duration::ZERO, 0, None, 0);
        while t < SIM_LIMIT && done_at.is_none() {
            for d in down.arrived(t) {
                client.process_packet(&d);
            }
            for d in up.arrived(t) {
                let _ = server.process_packet_from(&d, 1);
            }
            while let Some(m) = server.receive_message(1, DefaultChannel::ReliableOrdered) {
                check(messages, &mut next, &m);
            }
            if next == messages.len() {
                done_at = Some(t);
            }
            client.update(tick);
            server.update(tick);
            for p in client.get_packets_to_send() {
                too_large += u64::from(p.len() > DTLS_PAYLOAD);
                up.send(t, p);
            }
            for p in server.get_packets_to_send(1).unwrap_or_default() {
                too_large += u64::from(p.len() > DTLS_PAYLOAD);
                down.send(t, p);
            }
            t += tick;
        }
        Outcome {
            sim: done_at,
            datagrams: up.sent + down.sent,
            largest: up.largest.max(down.largest),
            too_large,
            cpu: started.elapsed(),
        }
    }
}

fn main() {
    let cases = [
        ("200 x 100 B", workload(200, 100)),
        ("1000 x 100 B", workload(1000, 100)),
        ("1 x 1 MiB", workload(1, 1 << 20)),
    ];
    type Runner = fn(&[Vec<u8>], Duration, u64) -> Outcome;
    let libs: [(&str, Runner); 2] = [
        ("sctp-proto 0.10", sctp::run),
        ("renet 2.0", renet_run::run),
    ];
    println!(
        "link: 15% loss, 3% duplicated, 20-40 ms delay, 5% held 40 ms more; median of 5 seeds"
    );
    for tick_ms in [1u64, 16] {
        let tick = Duration::from_millis(tick_ms);
        for (case, messages) in &cases {
            for (lib, run) in libs {
                let mut results: Vec<Outcome> =
                    (1..=5).map(|s| run(messages, tick, s * 7919)).collect();
                results.sort_by_key(|o| o.sim.unwrap_or(Duration::MAX));
                let o = &results[2];
                let sim = o.sim.map_or("not done".to_string(), |d| {
                    format!("{:.0} ms", d.as_secs_f64() * 1e3)
                });
                let cpu_per_msg = o.cpu.as_secs_f64() * 1e6 / messages.len() as f64;
                println!(
                    "tick {tick_ms:>2} ms  {case:<13} {lib:<16} done in {sim:>9}  datagrams {:>5} \
                     (largest {:>4} B, over {DTLS_PAYLOAD} B: {:>4})  cpu {:>8.2} us/msg",
                    o.datagrams, o.largest, o.too_large, cpu_per_msg
                );
            }
        }
    }
}
