//! The multiplayer peer's network simulation over real UDP on 127.0.0.1 with real handshakes:
//! 50 ms added each way makes a message's round trip at least 100 ms (and not much more), a
//! datagram held by the simulation is the peer's next deadline and leaves at the first poll
//! once due, simulated loss drops the share set of what a peer sends, the other end sees it as
//! loss and the reliable channel still delivers everything in order; bad figures are refused.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::multiplayer::{
    multiplayer_settings, ConnectionStatus, Message, MultiplayerConfig, PeerEvent, TransferMode,
    SERVER_ID,
};
use openssl_dtls_core::{
    ClientConfig, DtlsError, NetworkSimulation, ServerConfig, Settings, UdpMultiplayer,
    Verification,
};

/// Longest a test waits (real time) for something to happen.
const LIMIT: Duration = Duration::from_secs(20);

fn settings() -> Settings {
    Settings {
        initial_retransmit: Duration::from_millis(100),
        ..multiplayer_settings()
    }
}

fn server(simulation: &NetworkSimulation) -> UdpMultiplayer {
    let id = ecdsa_identity();
    let config = ServerConfig {
        settings: settings(),
        ..ServerConfig::new(id.certificate_pem.clone(), id.private_key_pem.clone())
    };
    let ip = Some(IpAddr::from([127, 0, 0, 1]));
    UdpMultiplayer::server_simulated(ip, 0, &config, MultiplayerConfig::default(), simulation)
        .expect("server")
}

fn client(server: &UdpMultiplayer, simulation: &NetworkSimulation) -> UdpMultiplayer {
    let config = ClientConfig {
        verification: Verification::TrustedPem(ecdsa_identity().certificate_pem.clone()),
        hostname: Some(HOST.into()),
        settings: settings(),
        ..ClientConfig::default()
    };
    let port = server.local_addr().expect("local address").port();
    let mp = MultiplayerConfig::default();
    UdpMultiplayer::client_simulated("127.0.0.1", port, &config, mp, simulation).expect("client")
}

/// `latency_ms` and `loss_percent` on what a peer sends (`send`) or reads.
fn simulation(send: (f64, f64), receive: (f64, f64)) -> NetworkSimulation {
    NetworkSimulation {
        send: NetworkSimulation::direction("send", send.0, 0.0, send.1).expect("send figures"),
        receive: NetworkSimulation::direction("receive", receive.0, 0.0, receive.1)
            .expect("receive figures"),
        seed: 42,
    }
}

/// Datagrams a peer's simulation holds, both ways.
fn in_flight(peer: &UdpMultiplayer) -> u64 {
    let counters = peer.simulation_counters().expect("a simulation");
    counters
        .iter()
        .map(|c| c.offered + c.duplicated - c.queue_drops - c.random_drops - c.delivered)
        .sum()
}

/// Calls `step` with the time until it returns true, at most [`LIMIT`] of real time.
fn until(what: &str, mut step: impl FnMut(Instant) -> bool) {
    let started = Instant::now();
    while !step(Instant::now()) {
        assert!(started.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

fn messages(peer: &mut UdpMultiplayer) -> Vec<Message> {
    std::iter::from_fn(|| peer.host_mut().recv()).collect()
}

/// Polls both until the client is connected and the server has seen it: the client's id.
fn connect(server: &mut UdpMultiplayer, client: &mut UdpMultiplayer) -> u32 {
    let mut server_connected = false;
    until("the connection", |now| {
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        while let Some(event) = server.host_mut().poll_event() {
            server_connected |= matches!(event, PeerEvent::Connected(_));
        }
        while client.host_mut().poll_event().is_some() {}
        assert_ne!(client.host().status(), ConnectionStatus::Disconnected);
        server_connected && client.host().status() == ConnectionStatus::Connected
    });
    client.host().unique_id()
}

/// The time a message from the client takes to come back from the server, which answers it as
/// soon as it reads it.
fn round_trip(server: &mut UdpMultiplayer, client: &mut UdpMultiplayer, id: u32) -> Duration {
    let sent = Instant::now();
    client
        .host_mut()
        .send(sent, SERVER_ID as i32, 0, TransferMode::Reliable, b"ping")
        .expect("send");
    let mut back = false;
    until("the answer", |now| {
        client.poll(now).expect("poll");
        server.poll(now).expect("poll");
        for m in messages(server) {
            assert_eq!(m.data, b"ping");
            server
                .host_mut()
                .send(now, id as i32, 0, TransferMode::Reliable, b"pong")
                .expect("answer");
            server.send_queued(now);
        }
        back = !messages(client).is_empty();
        back
    });
    sent.elapsed()
}

#[test]
fn fifty_ms_added_each_way_makes_round_trips_of_a_hundred_ms() {
    let _serial = serial();
    let mut server = server(&NetworkSimulation::default());
    let mut client = client(&server, &simulation((50.0, 0.0), (50.0, 0.0)));
    let id = connect(&mut server, &mut client);
    for _ in 0..3 {
        let rtt = round_trip(&mut server, &mut client, id);
        assert!(rtt >= Duration::from_millis(100), "round trip {rtt:?}");
        assert!(rtt < Duration::from_millis(200), "round trip {rtt:?}");
    }
    // The same pair without simulation: well under the added 100 ms.
    let mut client = self::client(&server, &NetworkSimulation::default());
    let id = connect(&mut server, &mut client);
    let rtt = round_trip(&mut server, &mut client, id);
    assert!(rtt < Duration::from_millis(50), "round trip {rtt:?}");
}

#[test]
fn the_simulation_splits_between_the_ends_and_sets_the_deadline() {
    let _serial = serial();
    // 30 ms on the server's sends, 70 ms on the client's reads: 100 ms for the way back.
    let mut server = server(&simulation((30.0, 0.0), (0.0, 0.0)));
    let mut client = client(&server, &simulation((0.0, 0.0), (70.0, 0.0)));
    let id = connect(&mut server, &mut client);
    let rtt = round_trip(&mut server, &mut client, id);
    assert!(rtt >= Duration::from_millis(100), "round trip {rtt:?}");
    // A message queued now waits in the server's simulation: the peer's deadline is when it is
    // due (or the host's own, when sooner).
    until("nothing on its way", |now| {
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        messages(&mut client);
        [&server, &client].iter().all(|p| in_flight(p) == 0)
    });
    let sent = Instant::now();
    server
        .host_mut()
        .send(sent, id as i32, 0, TransferMode::Reliable, b"later")
        .expect("send");
    server.send_queued(sent);
    assert_eq!(in_flight(&server), 1);
    let due = sent + Duration::from_millis(30);
    let host_deadline = server.host().poll_timeout();
    assert_eq!(
        server.poll_timeout(),
        Some(host_deadline.map_or(due, |h| h.min(due)))
    );
    server.poll(sent).expect("poll");
    let mut got = Vec::new();
    until("the message", |now| {
        server.poll(now).expect("poll");
        client.poll(now).expect("poll");
        got.extend(messages(&mut client));
        !got.is_empty()
    });
    assert!(
        sent.elapsed() >= Duration::from_millis(100),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(got[0].data, b"later");
}

#[test]
fn simulated_loss_is_loss_to_the_other_end_and_reliable_messages_still_arrive() {
    let _serial = serial();
    let mut server = server(&NetworkSimulation::default());
    let mut client = client(&server, &simulation((0.0, 20.0), (0.0, 0.0)));
    let id = connect(&mut server, &mut client);
    let sent_by_client = |c: &UdpMultiplayer| c.simulation_counters().expect("simulation")[0];
    let received_by_server = |s: &UdpMultiplayer| {
        s.host()
            .peer_stats(id)
            .expect("stats")
            .session
            .datagrams_received
    };
    let (before, received_before) = (sent_by_client(&client), received_by_server(&server));
    for i in 0..400u32 {
        client
            .host_mut()
            .send(
                Instant::now(),
                1,
                0,
                TransferMode::Reliable,
                &i.to_le_bytes(),
            )
            .expect("send");
        // One datagram per message: each its own flush; the server reads as they come (400 at
        // once would overflow its socket's receive buffer: loss that is not the simulation's).
        client.send_queued(Instant::now());
        server.poll(Instant::now()).expect("poll");
    }
    let mut got = messages(&mut server)
        .into_iter()
        .map(|m| m.data)
        .collect::<Vec<_>>();
    until("400 messages", |now| {
        client.poll(now).expect("poll");
        server.poll(now).expect("poll");
        got.extend(messages(&mut server).into_iter().map(|m| m.data));
        got.len() == 400
    });
    let expected: Vec<Vec<u8>> = (0..400u32).map(|i| i.to_le_bytes().to_vec()).collect();
    assert_eq!(got, expected);
    // What the simulation let through reaches the server, and only that: a dropped datagram
    // arriving would make the server's count pass it. (Within 2: the counts start from a
    // snapshot, with a datagram or two that may be on the socket then.)
    let let_through = sent_by_client(&client).delivered - before.delivered;
    until(
        "the server to read what the simulation let through",
        |now| {
            server.poll(now).expect("poll");
            received_by_server(&server) - received_before + 2 >= let_through
        },
    );
    let received = received_by_server(&server) - received_before;
    assert!(received <= let_through + 2, "{received} > {let_through}");
    let after = sent_by_client(&client);
    let offered = after.offered - before.offered;
    let dropped = after.random_drops - before.random_drops;
    assert!(offered >= 400, "{offered}");
    let share = dropped as f64 / offered as f64;
    assert!(
        (0.14..0.26).contains(&share),
        "{dropped} of {offered} dropped"
    );
    // The server's figure counts records (a datagram may hold several): it sees loss too.
    let loss = server
        .host()
        .peer_stats(id)
        .and_then(|s| s.packet_loss)
        .expect("the server's loss figure");
    assert!(loss > 0.1, "loss seen {loss}");
}

#[test]
fn bad_figures_are_refused_in_words() {
    let refused = |r: Result<_, DtlsError>| match r {
        Err(DtlsError::InvalidConfig(why)) => why,
        other => panic!("accepted: {other:?}"),
    };
    assert!(
        refused(NetworkSimulation::direction("send", -1.0, 0.0, 0.0))
            .contains("simulated send latency must be within 0..=10000 ms, not -1")
    );
    assert!(
        refused(NetworkSimulation::direction("receive", 0.0, 0.0, 150.0))
            .contains("simulated receive loss must be within 0..=100 percent, not 150")
    );
    assert!(refused(NetworkSimulation::direction(
        "receive",
        0.0,
        f64::INFINITY,
        0.0
    ))
    .contains("simulated receive jitter"));
}
