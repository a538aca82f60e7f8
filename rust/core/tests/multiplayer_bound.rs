//! The multiplayer peer's one memory bound per connection against a hostile peer, over real UDP
//! on 127.0.0.1 with a real handshake: a client of our own making (a bare DTLS session speaking
//! renet's wire format by hand) opens a message on every channel at once, reliable and
//! unreliable, and never completes any (slice 0 never comes), and sends runs of empty messages
//! far ahead on the reliable ones. Before the guard renet held up to 17 × (max_queued_bytes +
//! 64 KiB) plus 32 × 256 KiB for such a peer; now the server holds at most max_queued_bytes for
//! what it sent (counted here on the heap, this thread's allocations) and disconnects it with one
//! message that says so.

mod common;
mod mp_harness;

use std::net::{IpAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::multiplayer::{
    multiplayer_settings, MultiplayerConfig, PeerEvent, SLICE_SIZE,
};
use openssl_dtls_core::{Session, Status, UdpMultiplayer};

#[global_allocator]
static HEAP: mp_harness::Counting = mp_harness::Counting;

const MAX_QUEUED: usize = 1 << 20;
/// The heap may grow by what the peer sent (`MAX_QUEUED`) and fixed costs of the two ends (DTLS
/// and renet buffers, the client's own queues).
const HEAP_BOUND: i64 = MAX_QUEUED as i64 + 512 * 1024;
const SLICES: u64 = 16;
const LIMIT: Duration = Duration::from_secs(20);

fn varint(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=63 => out.push(v as u8),
        64..=16383 => out.extend_from_slice(&(v as u16 | 0x4000).to_be_bytes()),
        _ => out.extend_from_slice(&(v as u32 | 0x8000_0000).to_be_bytes()),
    }
}

/// A channel frame (tag 1) holding renet slice `index` of `SLICES` of message 0 on `channel`.
fn slice_frame(reliable: bool, sequence: u64, channel: u8, index: u64) -> Vec<u8> {
    let mut f = vec![1, if reliable { 2 } else { 3 }];
    varint(&mut f, sequence);
    f.push(channel);
    for v in [0, index, SLICES, SLICE_SIZE as u64] {
        varint(&mut f, v);
    }
    f.resize(f.len() + SLICE_SIZE, 0x5A);
    f
}

/// A channel frame of 200 empty reliable messages with ids from `first`.
fn empties_frame(sequence: u64, channel: u8, first: u64) -> Vec<u8> {
    let mut f = vec![1, 0];
    varint(&mut f, sequence);
    f.push(channel);
    f.extend_from_slice(&200u16.to_be_bytes());
    for id in first..first + 200 {
        varint(&mut f, id);
        varint(&mut f, 0);
    }
    f
}

struct Hostile {
    socket: UdpSocket,
    session: Session,
    goodbyes: Vec<String>,
}

impl Hostile {
    fn send(&mut self, frame: &[u8]) {
        self.session.send(frame).expect("a frame within the MTU");
        self.flush();
    }

    fn flush(&mut self) {
        let socket = &self.socket;
        self.session.drain_transmit(|d| {
            let _ = socket.send(d);
        });
    }

    fn poll(&mut self, now: Instant) {
        let mut buf = vec![0; 2048];
        while let Ok(n) = self.socket.recv(&mut buf) {
            self.session.handle_datagram(now, &buf[..n]);
        }
        self.session.handle_timeout(now);
        while let Some(packet) = self.session.recv() {
            if let Some((4, reason)) = packet.split_first() {
                self.goodbyes
                    .push(String::from_utf8_lossy(reason).into_owned());
            }
        }
        self.flush();
    }
}

#[test]
fn a_peer_flooding_every_channel_at_once_is_held_to_max_queued_bytes_and_disconnected() {
    let id = ecdsa_identity();
    let settings = multiplayer_settings();
    let mut server = UdpMultiplayer::server(
        Some(IpAddr::from([127, 0, 0, 1])),
        0,
        &server_config(id, settings.clone()),
        MultiplayerConfig {
            max_queued_bytes: MAX_QUEUED,
            max_message_size: 256 * 1024,
            ..MultiplayerConfig::default()
        },
    )
    .expect("server");
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .connect(server.local_addr().expect("server address"))
        .expect("connect");
    socket.set_nonblocking(true).expect("nonblocking");
    let config = client_config(&id.certificate_pem, HOST, settings);
    let mut peer = Hostile {
        socket,
        session: Session::client(&config, Instant::now()).expect("client"),
        goodbyes: Vec::new(),
    };
    peer.flush();

    let started = Instant::now();
    let mut events = Vec::new();
    while peer.session.status() != Status::Connected || events.is_empty() {
        let now = Instant::now();
        server.poll(now).expect("poll");
        peer.poll(now);
        events.extend(std::iter::from_fn(|| server.host_mut().poll_event()));
        assert!(started.elapsed() < LIMIT, "timed out connecting");
    }
    let &[PeerEvent::Connected(client_id)] = events.as_slice() else {
        panic!("events {events:?}");
    };
    events.clear();

    // Every renet channel: 16 transfer channels × 3 modes, and the control channel (48).
    let reliable: Vec<u8> = (0..16).map(|c| c * 3 + 2).chain([48]).collect();
    let unreliable: Vec<u8> = (0..16).flat_map(|c| [c * 3, c * 3 + 1]).collect();
    let baseline = mp_harness::reset_peak();
    let mut sequence = 0;
    let mut most_held = 0;
    'flood: for index in 1..SLICES {
        let mut frames = Vec::new();
        for &ch in &reliable {
            sequence += 1;
            frames.push(slice_frame(true, sequence, ch, index));
            if index % 4 == 1 {
                sequence += 1;
                frames.push(empties_frame(sequence, ch, 1000 + index * 200));
            }
        }
        for &ch in &unreliable {
            sequence += 1;
            frames.push(slice_frame(false, sequence, ch, index));
        }
        for batch in frames.chunks(4) {
            for f in batch {
                peer.send(f);
            }
            let now = Instant::now();
            server.poll(now).expect("poll");
            peer.poll(now);
            if let Some(held) = server.host().received_bytes_held(client_id) {
                most_held = most_held.max(held);
            }
            events.extend(std::iter::from_fn(|| server.host_mut().poll_event()));
            if !events.is_empty() {
                break 'flood;
            }
        }
    }
    let started = Instant::now();
    while events.is_empty() || peer.goodbyes.is_empty() {
        let now = Instant::now();
        server.poll(now).expect("poll");
        peer.poll(now);
        events.extend(std::iter::from_fn(|| server.host_mut().poll_event()));
        assert!(
            started.elapsed() < LIMIT,
            "the flooding peer was not disconnected ({} bytes held for it, events {events:?})",
            server.host().received_bytes_held(client_id).unwrap_or(0)
        );
    }
    let grown = mp_harness::peak_bytes() - baseline;
    println!(
        "flood: {sequence} packets offered, at most {most_held} bytes held by the server's count, \
         heap grew by at most {grown} bytes (bound {HEAP_BOUND}); the peer was told: {:?}",
        peer.goodbyes
    );
    assert_eq!(events, vec![PeerEvent::Disconnected(client_id)]);
    assert!(
        (MAX_QUEUED * 3 / 4..=MAX_QUEUED).contains(&most_held),
        "{most_held} bytes held: the flood should fill the budget, not pass it"
    );
    assert!(grown <= HEAP_BOUND, "the heap grew by {grown} bytes");
    assert_eq!(peer.goodbyes.len(), 1, "{:?}", peer.goodbyes);
    assert!(
        peer.goodbyes[0].contains("max_queued_bytes")
            && peer.goodbyes[0].contains("all its channels"),
        "{}",
        peer.goodbyes[0]
    );
}
