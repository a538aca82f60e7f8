//! The multiplayer peer over real UDP on 127.0.0.1 with real handshakes: ids, the three transfer
//! modes, channels, 1,000 reliable messages in order, 1 MiB intact, the same through a lossy
//! relay, a vanished peer timing out (on a driven clock), max_clients, refuse_new_connections,
//! disconnect_peer, and the per-peer memory bound; a server on every address taking IPv4 and IPv6
//! clients, and a client moving on from server addresses that do not answer.

mod common;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::multiplayer::{
    multiplayer_settings, ConnectionStatus, Message, MultiplayerConfig, PeerEvent, TransferMode,
    SERVER_ID,
};
use openssl_dtls_core::{
    ClientConfig, ServerConfig, Settings, UdpMultiplayer, Verification, ADDRESS_ATTEMPT_TIME,
};

/// Longest a test waits (real time) for something to happen.
const LIMIT: Duration = Duration::from_secs(20);

fn settings() -> Settings {
    Settings {
        initial_retransmit: Duration::from_millis(100),
        ..multiplayer_settings()
    }
}

fn server_on(settings: Settings, mp: MultiplayerConfig) -> UdpMultiplayer {
    server_at(Some(IpAddr::from([127, 0, 0, 1])), settings, mp)
}

/// A server on `ip` (`None`: every address).
fn server_at(ip: Option<IpAddr>, settings: Settings, mp: MultiplayerConfig) -> UdpMultiplayer {
    let id = ecdsa_identity();
    let config = ServerConfig {
        settings,
        ..ServerConfig::new(id.certificate_pem.clone(), id.private_key_pem.clone())
    };
    UdpMultiplayer::server(ip, 0, &config, mp).expect("server")
}

fn server_with(mp: MultiplayerConfig) -> UdpMultiplayer {
    server_on(settings(), mp)
}

fn server() -> UdpMultiplayer {
    server_with(MultiplayerConfig::default())
}

fn client_config(settings: Settings) -> ClientConfig {
    ClientConfig {
        verification: Verification::TrustedPem(ecdsa_identity().certificate_pem.clone()),
        hostname: Some(HOST.into()),
        settings,
        ..ClientConfig::default()
    }
}

fn client_on(port: u16, settings: Settings) -> UdpMultiplayer {
    UdpMultiplayer::client(
        "127.0.0.1",
        port,
        &client_config(settings),
        MultiplayerConfig::default(),
    )
    .expect("client")
}

/// A client trying `addresses` in turn.
fn client_of(addresses: &[SocketAddr]) -> UdpMultiplayer {
    UdpMultiplayer::client_of(
        addresses,
        &client_config(settings()),
        MultiplayerConfig::default(),
    )
    .expect("client")
}

fn client_to(port: u16) -> UdpMultiplayer {
    client_on(port, settings())
}

fn port(peer: &UdpMultiplayer) -> u16 {
    peer.local_addr().expect("local address").port()
}

/// Calls `step` with the time until it returns true, at most [`LIMIT`] of real time.
fn until(what: &str, mut step: impl FnMut(Instant) -> bool) {
    let started = Instant::now();
    while !step(Instant::now()) {
        assert!(started.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

fn events(peer: &mut UdpMultiplayer) -> Vec<PeerEvent> {
    std::iter::from_fn(|| peer.host_mut().poll_event()).collect()
}

fn messages(peer: &mut UdpMultiplayer) -> Vec<Message> {
    std::iter::from_fn(|| peer.host_mut().recv()).collect()
}

/// Connects `client` to `server`: returns the client's id (checked on both sides).
fn connect(server: &mut UdpMultiplayer, client: &mut UdpMultiplayer) -> u32 {
    let mut server_events = Vec::new();
    let mut client_events = Vec::new();
    let started = Instant::now();
    while client.host().status() != ConnectionStatus::Connected || server_events.is_empty() {
        let now = Instant::now();
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        server_events.extend(events(server));
        client_events.extend(events(client));
        assert!(
            client.host().status() != ConnectionStatus::Disconnected,
            "client failed: {:?}",
            client.host().failure()
        );
        assert!(started.elapsed() < LIMIT, "timed out connecting");
    }
    let id = client.host().unique_id();
    assert!((2..=i32::MAX as u32).contains(&id), "id {id}");
    assert_eq!(server_events, vec![PeerEvent::Connected(id)]);
    assert_eq!(client_events, vec![PeerEvent::Connected(SERVER_ID)]);
    id
}

#[test]
fn clients_get_unique_ids_and_both_sides_see_each_other() {
    let mut server = server();
    assert!(server.host().is_server());
    assert_eq!(server.host().unique_id(), SERVER_ID);
    let mut a = client_to(port(&server));
    let mut b = client_to(port(&server));
    assert_eq!(a.host().status(), ConnectionStatus::Connecting);
    assert_eq!(a.host().unique_id(), 0, "no id before the server gives one");
    let id_a = connect(&mut server, &mut a);
    let id_b = connect(&mut server, &mut b);
    assert_ne!(id_a, id_b);
    let mut ids = vec![id_a, id_b];
    ids.sort_unstable();
    assert_eq!(server.host().peer_ids(), ids);
    assert_eq!(a.host().peer_ids(), vec![SERVER_ID]);
    assert!(server.host().session(id_a).is_some());
}

/// `from` sends `data` reliably to `target`; polls both until `to` has it.
fn exchange(from: &mut UdpMultiplayer, to: &mut UdpMultiplayer, target: i32, data: &[u8]) {
    from.host_mut()
        .send(Instant::now(), target, 0, TransferMode::Reliable, data)
        .expect("send");
    let mut got = Vec::new();
    until("the message", |now| {
        from.poll(now).expect("poll");
        to.poll(now).expect("poll");
        got.extend(messages(to));
        !got.is_empty()
    });
    assert_eq!(got[0].data, data);
}

#[test]
fn a_server_on_every_address_takes_ipv4_and_ipv6_clients() {
    let mut server = server_at(None, settings(), MultiplayerConfig::default());
    let port = port(&server);
    let mut v4 = client_of(&[SocketAddr::from(([127, 0, 0, 1], port))]);
    let mut v6 = client_of(&[SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port))]);
    let id4 = connect(&mut server, &mut v4);
    let id6 = connect(&mut server, &mut v6);
    assert_ne!(id4, id6);
    for (client, id) in [(&mut v4, id4), (&mut v6, id6)] {
        exchange(client, &mut server, SERVER_ID as i32, b"up");
        exchange(&mut server, client, id as i32, b"down");
    }
}

#[test]
fn a_server_bound_to_one_address_serves_it() {
    for ip in [
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    ] {
        let mut server = server_at(Some(ip), settings(), MultiplayerConfig::default());
        assert_eq!(server.local_addr().expect("address").ip(), ip);
        let mut client = client_of(&[SocketAddr::new(ip, port(&server))]);
        let id = connect(&mut server, &mut client);
        exchange(&mut server, &mut client, id as i32, b"hello");
    }
}

#[test]
fn a_client_moves_on_from_server_addresses_that_do_not_answer() {
    let mut server = server();
    // Nothing listens here: the system reports it unreachable, and the client moves on at once.
    let closed = UdpSocket::bind("[::1]:0")
        .and_then(|s| s.local_addr())
        .expect("a free port");
    // A socket that reads and never answers: the client moves on after ADDRESS_ATTEMPT_TIME.
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    silent.set_nonblocking(true).expect("nonblocking");
    let started = Instant::now();
    let mut client = client_of(&[
        closed,
        silent.local_addr().expect("address"),
        SocketAddr::from(([127, 0, 0, 1], port(&server))),
    ]);
    connect(&mut server, &mut client);
    let took = started.elapsed();
    let mut buf = [0u8; 2048];
    assert!(
        silent.recv(&mut buf).is_ok(),
        "the silent address got a ClientHello"
    );
    assert!(
        took >= ADDRESS_ATTEMPT_TIME,
        "waited for the silent address ({took:?})"
    );
    assert!(
        took < 2 * ADDRESS_ATTEMPT_TIME,
        "did not wait for the unreachable one ({took:?})"
    );
}

/// Sends `count` messages of `mode` on `channel` from `from` to `target`, numbered.
fn send_numbered(
    peer: &mut UdpMultiplayer,
    target: i32,
    channel: u8,
    mode: TransferMode,
    count: u32,
) {
    for i in 0..count {
        let mut m = vec![channel; 40];
        m[..4].copy_from_slice(&i.to_be_bytes());
        peer.host_mut()
            .send(Instant::now(), target, channel, mode, &m)
            .expect("send");
    }
}

fn number(m: &Message) -> u32 {
    u32::from_be_bytes([m.data[0], m.data[1], m.data[2], m.data[3]])
}

const MODES: [TransferMode; 3] = [
    TransferMode::Reliable,
    TransferMode::UnreliableOrdered,
    TransferMode::Unreliable,
];

#[test]
fn every_mode_and_channel_arrives_with_its_sender_channel_and_mode() {
    let mut server = server();
    let mut client = client_to(port(&server));
    let id = connect(&mut server, &mut client);
    let channels = [0u8, 1, 3, 15];
    for channel in channels {
        for mode in MODES {
            send_numbered(&mut client, 1, channel, mode, 5);
        }
    }
    // And back, to that client by id.
    send_numbered(&mut server, id as i32, 2, TransferMode::Reliable, 5);
    let mut got: HashMap<(u8, TransferMode), Vec<u32>> = HashMap::new();
    let mut back = Vec::new();
    until("every message", |now| {
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        for m in messages(&mut server) {
            assert_eq!(m.from, id);
            assert_eq!(m.data[4..], [m.channel; 36]);
            got.entry((m.channel, m.mode)).or_default().push(number(&m));
        }
        back.extend(messages(&mut client));
        got.values().map(Vec::len).sum::<usize>() == channels.len() * 3 * 5 && back.len() == 5
    });
    for channel in channels {
        for mode in MODES {
            assert_eq!(
                got[&(channel, mode)],
                vec![0, 1, 2, 3, 4],
                "{channel} {mode:?}"
            );
        }
    }
    assert!(back
        .iter()
        .all(|m| m.from == SERVER_ID && m.channel == 2 && m.mode == TransferMode::Reliable));
    // Invalid channel and unknown peer are refused.
    let now = Instant::now();
    let host = server.host_mut();
    assert!(host
        .send(now, 1234, 0, TransferMode::Reliable, b"x")
        .is_err());
    assert!(host
        .send(now, id as i32, 16, TransferMode::Reliable, b"x")
        .is_err());
}

#[test]
fn a_thousand_reliable_messages_arrive_in_order_and_a_mebibyte_intact() {
    let mut server = server();
    let mut client = client_to(port(&server));
    connect(&mut server, &mut client);
    send_numbered(&mut client, 1, 0, TransferMode::Reliable, 1000);
    let mut rng = Rng::new(7);
    let big = rng.bytes(1 << 20);
    client
        .host_mut()
        .send(Instant::now(), 1, 1, TransferMode::Reliable, &big)
        .expect("send 1 MiB");
    server
        .host_mut()
        .send(Instant::now(), 0, 1, TransferMode::Reliable, &big)
        .expect("broadcast 1 MiB");
    let (mut numbers, mut big_in, mut big_back) = (Vec::new(), None, None);
    until("1000 messages and 1 MiB both ways", |now| {
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        for m in messages(&mut server) {
            match m.channel {
                0 => numbers.push(number(&m)),
                _ => big_in = Some(m.data),
            }
        }
        if let Some(m) = messages(&mut client).pop() {
            big_back = Some(m.data);
        }
        numbers.len() == 1000 && big_in.is_some() && big_back.is_some()
    });
    assert_eq!(numbers, (0..1000).collect::<Vec<u32>>());
    assert!(big_in.as_deref() == Some(&big[..]), "1 MiB damaged");
    assert!(
        big_back.as_deref() == Some(&big[..]),
        "1 MiB damaged on the way back"
    );
}

/// A UDP relay between one client and the server that drops, duplicates and reorders.
struct Relay {
    front: UdpSocket,
    back: UdpSocket,
    client: Option<SocketAddr>,
    rng: Rng,
    held: VecDeque<(Instant, bool, Vec<u8>)>,
    drop_percent: usize,
    dropped: u64,
}

impl Relay {
    fn to(server_port: u16, seed: u64, drop_percent: usize) -> Relay {
        let front = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let back = UdpSocket::bind("127.0.0.1:0").expect("bind");
        back.connect(("127.0.0.1", server_port)).expect("connect");
        front.set_nonblocking(true).expect("nonblocking");
        back.set_nonblocking(true).expect("nonblocking");
        Relay {
            front,
            back,
            client: None,
            rng: Rng::new(seed),
            held: VecDeque::new(),
            drop_percent,
            dropped: 0,
        }
    }

    fn port(&self) -> u16 {
        self.front.local_addr().expect("address").port()
    }

    fn pass(&mut self, now: Instant, to_server: bool, d: Vec<u8>) {
        if self.rng.below(100) < self.drop_percent {
            self.dropped += 1;
            return;
        }
        let copies = if self.rng.below(100) < 3 { 2 } else { 1 };
        for _ in 0..copies {
            // One in ten is held back 5-25 ms: it arrives after later ones.
            let delay = if self.rng.below(10) == 0 {
                Duration::from_millis(5 + self.rng.below(20) as u64)
            } else {
                Duration::ZERO
            };
            self.held.push_back((now + delay, to_server, d.clone()));
        }
    }

    fn poll(&mut self, now: Instant) {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = self.front.recv_from(&mut buf) {
            self.client = Some(from);
            self.pass(now, true, buf[..n].to_vec());
        }
        while let Ok(n) = self.back.recv(&mut buf) {
            self.pass(now, false, buf[..n].to_vec());
        }
        let mut keep = VecDeque::new();
        while let Some((at, to_server, d)) = self.held.pop_front() {
            if at > now {
                keep.push_back((at, to_server, d));
            } else if to_server {
                let _ = self.back.send(&d);
            } else if let Some(client) = self.client {
                let _ = self.front.send_to(&d, client);
            }
        }
        self.held = keep;
    }
}

#[test]
fn through_a_lossy_relay_every_reliable_message_arrives_once_in_order() {
    let mut server = server();
    let mut relay = Relay::to(port(&server), 0x5EED, 18);
    let mut client = client_to(relay.port());
    let (mut server_events, mut connected) = (Vec::new(), false);
    until("connected through the relay", |now| {
        relay.poll(now);
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        server_events.extend(events(&mut server));
        connected |= client.host().status() == ConnectionStatus::Connected;
        assert_ne!(client.host().status(), ConnectionStatus::Disconnected);
        connected && !server_events.is_empty()
    });
    // Reliable on channels 0 and 1 interleaved, and unreliable-ordered alongside.
    for i in 0..1000u32 {
        for channel in [0u8, 1] {
            let mut m = vec![channel; 30];
            m[..4].copy_from_slice(&i.to_be_bytes());
            client
                .host_mut()
                .send(Instant::now(), 1, channel, TransferMode::Reliable, &m)
                .expect("send");
        }
        let seq = i.to_be_bytes();
        client
            .host_mut()
            .send(Instant::now(), 1, 2, TransferMode::UnreliableOrdered, &seq)
            .expect("send");
    }
    let big = Rng::new(9).bytes(1 << 20);
    client
        .host_mut()
        .send(Instant::now(), 1, 3, TransferMode::Reliable, &big)
        .expect("send");
    let mut got: HashMap<u8, Vec<u32>> = HashMap::new();
    let mut big_in = None;
    until(
        "2000 reliable messages and 1 MiB through the relay",
        |now| {
            relay.poll(now);
            server.poll(now).expect("poll");
            client.poll(now).expect("poll");
            for m in messages(&mut server) {
                if m.channel == 3 {
                    big_in = Some(m.data);
                } else {
                    got.entry(m.channel).or_default().push(number(&m));
                }
            }
            got.get(&0).map_or(0, Vec::len) >= 1000
                && got.get(&1).map_or(0, Vec::len) >= 1000
                && big_in.is_some()
        },
    );
    // Let duplicates and retransmissions settle, then check nothing came twice.
    let settle = Instant::now() + Duration::from_millis(300);
    until("settling", |now| {
        relay.poll(now);
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        for m in messages(&mut server) {
            got.entry(m.channel).or_default().push(number(&m));
        }
        now >= settle
    });
    let all: Vec<u32> = (0..1000).collect();
    assert_eq!(got[&0], all, "channel 0");
    assert_eq!(got[&1], all, "channel 1");
    assert!(big_in.as_deref() == Some(&big[..]), "1 MiB damaged");
    // Unreliable-ordered: some lost, none stale or repeated.
    let ordered = got.get(&2).cloned().unwrap_or_default();
    assert!(ordered.windows(2).all(|w| w[0] < w[1]), "stale delivered");
    assert!(ordered.len() < 1000, "nothing lost at 18% loss?");
    assert!(relay.dropped > 100, "the relay dropped {}", relay.dropped);
}

/// Polls `peer` on the real clock for a moment, so what was in flight has arrived.
fn absorb(peer: &mut UdpMultiplayer) {
    let until_at = Instant::now() + Duration::from_millis(100);
    until("in-flight datagrams", |now| {
        peer.poll(now).expect("poll");
        now >= until_at
    });
}

#[test]
fn a_vanished_peer_is_reported_disconnected_after_the_idle_timeout() {
    let mut server = server();
    let mut client = client_to(port(&server));
    let id = connect(&mut server, &mut client);
    // The client vanishes (its socket closes, nothing said). Drive the server's clock instead of
    // waiting: idle_timeout is 5 s.
    drop(client);
    absorb(&mut server);
    let start = Instant::now();
    server.poll(start + Duration::from_secs(4)).expect("poll");
    assert!(
        events(&mut server).is_empty(),
        "dropped before idle_timeout"
    );
    server.poll(start + Duration::from_secs(6)).expect("poll");
    assert_eq!(events(&mut server), vec![PeerEvent::Disconnected(id)]);
    assert!(server.host().peer_ids().is_empty());

    // A client whose server vanishes.
    let mut server = self::server();
    let mut client = client_to(port(&server));
    connect(&mut server, &mut client);
    drop(server);
    absorb(&mut client);
    let start = Instant::now();
    client.poll(start + Duration::from_secs(6)).expect("poll");
    assert_eq!(
        events(&mut client),
        vec![PeerEvent::Disconnected(SERVER_ID)]
    );
    assert_eq!(client.host().status(), ConnectionStatus::Disconnected);
    let why = client.host().failure().unwrap_or_default().to_string();
    assert!(why.contains("idle_timeout"), "{why}");
}

/// Polls until `client` has failed or connected; returns whether it connected.
fn outcome(server: &mut UdpMultiplayer, client: &mut UdpMultiplayer) -> bool {
    until("the client's outcome", |now| {
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        client.host().status() != ConnectionStatus::Connecting
    });
    client.host().status() == ConnectionStatus::Connected
}

#[test]
fn max_clients_and_refuse_new_connections_turn_clients_away_with_a_reason() {
    let mut server = server_with(MultiplayerConfig {
        max_clients: 1,
        ..MultiplayerConfig::default()
    });
    let mut first = client_to(port(&server));
    let id = connect(&mut server, &mut first);
    let mut second = client_to(port(&server));
    assert!(!outcome(&mut server, &mut second), "a second client got in");
    let why = second.host().failure().unwrap_or_default().to_string();
    assert!(why.contains("full"), "{why}");
    assert!(
        events(&mut second).is_empty(),
        "no peer_connected for a refused client"
    );

    server.host_mut().set_refuse_new_connections(true);
    let mut third = client_to(port(&server));
    assert!(!outcome(&mut server, &mut third));
    let why = third.host().failure().unwrap_or_default().to_string();
    assert!(why.contains("refuses"), "{why}");
    assert!(
        events(&mut server).is_empty(),
        "no event on the server for refused ones"
    );
    assert_eq!(server.host().peer_ids(), vec![id]);
    assert_eq!(server.host().refused_connections(), 2);
    // The first client is still there.
    first
        .host_mut()
        .send(Instant::now(), 1, 0, TransferMode::Reliable, b"still here")
        .expect("send");
    let mut got = Vec::new();
    until("the first client's message", |now| {
        server.poll(now).expect("poll");
        first.poll(now).expect("poll");
        got.extend(messages(&mut server));
        !got.is_empty()
    });
    assert_eq!(got[0].data, b"still here");
}

#[test]
fn disconnect_peer_tells_the_client_and_force_skips_the_event() {
    let mut server = server();
    let mut a = client_to(port(&server));
    let mut b = client_to(port(&server));
    let id_a = connect(&mut server, &mut a);
    let id_b = connect(&mut server, &mut b);
    // Messages from a that the server's game has not read yet: they go with a.
    send_numbered(&mut a, 1, 0, TransferMode::Reliable, 5);
    until("a's messages queued on the server", |now| {
        server.poll(now).expect("poll");
        a.poll(now).expect("poll");
        server.host().pending_messages() == 5
    });
    let now = Instant::now();
    assert!(server.host_mut().disconnect_peer(now, id_a, false));
    assert!(server.host_mut().disconnect_peer(now, id_b, true));
    assert!(!server.host_mut().disconnect_peer(now, 12345, false));
    let mut server_events = Vec::new();
    until("both clients disconnected", |now| {
        server.poll(now).expect("poll");
        a.poll(now).expect("poll");
        b.poll(now).expect("poll");
        server_events.extend(events(&mut server));
        a.host().status() == ConnectionStatus::Disconnected
            && b.host().status() == ConnectionStatus::Disconnected
    });
    assert_eq!(server_events, vec![PeerEvent::Disconnected(id_a)]);
    assert!(
        server.host_mut().recv().is_none(),
        "nothing from a peer after it is gone"
    );
    assert_eq!(
        events(&mut a).last(),
        Some(&PeerEvent::Disconnected(SERVER_ID))
    );
    let why = a.host().failure().unwrap_or_default().to_string();
    assert!(why.contains("closed the connection"), "{why}");
}

#[test]
fn a_peer_that_floods_more_than_max_queued_bytes_unread_is_disconnected() {
    let mut server = server_with(MultiplayerConfig {
        max_queued_bytes: 256 * 1024,
        max_message_size: 64 * 1024,
        ..MultiplayerConfig::default()
    });
    let mut client = client_to(port(&server));
    let id = connect(&mut server, &mut client);
    let chunk = vec![7u8; 60 * 1024];
    for _ in 0..8 {
        client
            .host_mut()
            .send(Instant::now(), 1, 0, TransferMode::Reliable, &chunk)
            .expect("send");
    }
    // The server's game never reads.
    let mut server_events = Vec::new();
    until("the flooding client dropped", |now| {
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        server_events.extend(events(&mut server));
        server_events.contains(&PeerEvent::Disconnected(id))
    });
    assert!(server.host().peer_ids().is_empty());
}

/// Datagrams each side has sent so far: (server's, client's).
fn datagrams_sent(server: &UdpMultiplayer, client: &UdpMultiplayer, id: u32) -> (u64, u64) {
    let count = |peer: &UdpMultiplayer, id| {
        peer.host()
            .session(id)
            .expect("a connected peer")
            .stats()
            .datagrams_sent
    };
    (count(server, id), count(client, SERVER_ID))
}

#[test]
fn an_idle_connection_sends_only_its_keepalive_and_acknowledgements_are_not_answered() {
    let mut server = server();
    let mut client = client_to(port(&server));
    let id = connect(&mut server, &mut client);
    // Reliable messages both ways, then 0.9 s of polls every 5 ms on a driven clock: each side sends its
    // ping and answers the other's, and nothing else once the messages are acknowledged (each
    // side acknowledging the other's acknowledgements would be a datagram every poll).
    send_numbered(&mut client, SERVER_ID as i32, 0, TransferMode::Reliable, 10);
    send_numbered(&mut server, id as i32, 0, TransferMode::Reliable, 10);
    let start = Instant::now();
    let mut at = start;
    let mut step = |server: &mut UdpMultiplayer, client: &mut UdpMultiplayer, until: Duration| {
        while at < start + until {
            at += Duration::from_millis(5);
            server.poll(at).expect("poll");
            client.poll(at).expect("poll");
        }
    };
    step(&mut server, &mut client, Duration::from_millis(200));
    assert_eq!(messages(&mut server).len(), 10);
    assert_eq!(messages(&mut client).len(), 10);
    let before = datagrams_sent(&server, &client, id);
    step(&mut server, &mut client, Duration::from_millis(1100));
    let after = datagrams_sent(&server, &client, id);
    let sent = (after.0 - before.0, after.1 - before.1);
    assert!(
        sent.0 <= 2 && sent.1 <= 2,
        "datagrams sent in 0.9 idle seconds (server, client): {sent:?}"
    );
    assert_eq!(client.host().status(), ConnectionStatus::Connected);
    assert_eq!(server.host().peer_ids(), vec![id]);
}

#[test]
fn a_cipher_that_leaves_no_room_for_the_channels_at_the_mtu_fails_with_a_reason() {
    // AES-256-CBC with SHA-384 adds up to 93 bytes to a record: at the 1400-byte MTU a packet gets
    // about 1300 bytes, fewer than renet's largest packet and its frame tag.
    let cbc = Settings {
        cipher_list: "ECDHE-ECDSA-AES256-SHA384".into(),
        ..settings()
    };
    let mut server = server_on(cbc.clone(), MultiplayerConfig::default());
    let mut client = client_on(port(&server), cbc);
    assert!(!outcome(&mut server, &mut client), "connected over CBC");
    let why = client.host().failure().unwrap_or_default().to_string();
    assert!(
        why.contains("the negotiated cipher (ECDHE-ECDSA-AES256-SHA384)")
            && why.contains("at MTU 1400, and the channels need 1329: raise the MTU"),
        "{why}"
    );
}

#[test]
fn a_reader_that_answers_sends_its_answers_and_acknowledgements_in_one_batch() {
    let mut server = server();
    let mut client = client_to(port(&server));
    let id = connect(&mut server, &mut client);
    // The first pings are answered (the next ones are a second away): from here on the server
    // sends only what the channels send.
    until("both round trips measured", |now| {
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        client
            .host()
            .peer_stats(SERVER_ID)
            .is_some_and(|s| s.rtt.is_some())
            && server
                .host()
                .peer_stats(id)
                .is_some_and(|s| s.rtt.is_some())
    });
    send_numbered(&mut client, SERVER_ID as i32, 0, TransferMode::Reliable, 50);
    client.poll(Instant::now()).expect("poll");
    let mut got = 0;
    until("the 50 messages", |now| {
        let at_poll = datagrams_sent(&server, &client, id).0;
        server.poll_for_reader(now).expect("poll");
        let read = messages(&mut server);
        let after_poll = datagrams_sent(&server, &client, id).0;
        if !read.is_empty() {
            // The acknowledgement of what arrived waits for the reader...
            assert_eq!(
                after_poll, at_poll,
                "nothing sent while messages wait unread"
            );
            for _ in &read {
                server
                    .host_mut()
                    .send(now, id as i32, 0, TransferMode::Reliable, &[1])
                    .expect("answer");
            }
            // ... and goes with the answers, in one datagram.
            assert!(server.send_queued(now), "the answers were queued");
            let sent = datagrams_sent(&server, &client, id).0 - after_poll;
            assert_eq!(sent, 1, "{} answers and the acknowledgement", read.len());
        }
        got += read.len();
        client.poll(now).expect("poll");
        got >= 50
    });
}

#[test]
fn a_reader_that_does_not_read_still_acknowledges_at_its_next_poll() {
    let mut server = server();
    let mut client = client_to(port(&server));
    let id = connect(&mut server, &mut client);
    send_numbered(&mut client, SERVER_ID as i32, 0, TransferMode::Reliable, 20);
    until("the client's messages acknowledged", |now| {
        client.poll(now).expect("poll");
        server.poll_for_reader(now).expect("poll"); // never reads
        client
            .host()
            .peer_stats(SERVER_ID)
            .is_some_and(|s| s.queued_bytes == 0)
    });
    assert_eq!(server.host().pending_messages(), 20);
    assert!(server.host().peer_stats(id).is_some());
}
