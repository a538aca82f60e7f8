//! The multiplayer fuzz harness, shared by the cargo-fuzz targets `multiplayer_server`,
//! `multiplayer_client` and `multiplayer_client_waiting` (fuzz/fuzz_targets/, which include this
//! file by path) and by
//! tests/fuzz_regressions.rs: a `MultiplayerHost` connected (real handshake, in memory) to a
//! hostile peer of our own making, a bare DTLS session, which sends the fuzz input as the
//! decrypted packets of the connection (what goes to our frame parser and renet's
//! `process_packet`). The host must never panic, and what it holds must stay within bounds: its
//! own count of the peer's bytes within `max_queued_bytes`, and the heap (counted by
//! [`Counting`] on this thread) within [`HEAP_BOUND`] of what it was once connected. A panic
//! counts even when caught (the host catches renet's): a hook counts them on this thread, as
//! libFuzzer aborts on any.
//!
//! Input: chunks, each a 2-byte big-endian length then that many bytes; a chunk's first byte
//! says what it is: 0 time passes (the next byte × 8 ms) and the host runs its timers, 1 the game
//! reads every message, 2 the rest is a renet packet (sent after the channel frame's tag), any
//! other the rest is sent as a whole frame.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use openssl_dtls_core::multiplayer::{
    ConnectionStatus, MultiplayerConfig, MultiplayerHost, SERVER_ID,
};
use openssl_dtls_core::{Accept, ClientConfig, Server, ServerConfig, Session, Status};

/// The peer's `max_queued_bytes`.
pub const MAX_QUEUED: usize = 256 * 1024;
/// Most the heap may grow by while the peer sends: what it sent (`MAX_QUEUED`), what the host
/// sends (acknowledgements, little), and fixed costs (renet's and DTLS's buffers).
pub const HEAP_BOUND: i64 = (MAX_QUEUED + 512 * 1024) as i64;

const CLIENT_ADDR: ([u8; 4], u16) = ([192, 0, 2, 7], 40000);
const SERVER_ADDR: ([u8; 4], u16) = ([192, 0, 2, 1], 4433);

/// Counts this thread's live heap bytes and their peak.
pub struct Counting;

thread_local! {
    static PANICS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn count(delta: i64) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: forwards to the system allocator unchanged; only counts bytes on this thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as i64 - layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as i64));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// This thread's live heap bytes now.
pub fn live_bytes() -> i64 {
    LIVE.with(Cell::get)
}

/// Starts a new peak measurement; returns the live bytes now.
pub fn reset_peak() -> i64 {
    let now = live_bytes();
    PEAK.with(|p| p.set(now));
    now
}

/// This thread's highest live heap bytes since [`reset_peak`].
pub fn peak_bytes() -> i64 {
    PEAK.with(Cell::get)
}

/// The peer's configuration.
pub fn mp_config() -> MultiplayerConfig {
    MultiplayerConfig {
        max_clients: 2,
        max_message_size: 64 * 1024,
        max_queued_bytes: MAX_QUEUED,
        ..MultiplayerConfig::default()
    }
}

/// Which end the host is: the fuzz input comes from the other one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
    /// A client whose DTLS session is connected and that waits for its id: the input comes
    /// before (and may carry) the id assignment, goodbyes, channel packets.
    ClientWaitingForItsId,
}

/// The host and the hostile peer's session, connected, on a driven clock.
struct Rig {
    host: MultiplayerHost,
    peer: Session,
    now: Instant,
    peer_id: u32,
    addr: SocketAddr,
}

impl Rig {
    /// Delivers what each side has to send to the other, runs the host's timers.
    fn pump(&mut self) {
        let (host, now, addr) = (&mut self.host, self.now, self.addr);
        self.peer
            .drain_transmit(|d| host.handle_datagram(now, addr, d));
        self.host.handle_timeout(self.now);
        let peer = &mut self.peer;
        self.host
            .drain_transmit(|_, d| peer.handle_datagram(now, d));
        while self.peer.recv().is_some() {}
    }

    /// The host's events so far must make sense; returns whether the peer is still connected.
    fn check(&mut self) -> bool {
        while let Some(_event) = self.host.poll_event() {}
        if self.host.status() == ConnectionStatus::Connecting {
            // Still waiting for its id: nothing is readable yet, the heap bound holds it.
            return true;
        }
        match self.host.received_bytes_held(self.peer_id) {
            Some(held) => {
                assert!(
                    held <= MAX_QUEUED,
                    "{held} bytes held for the peer, above max_queued_bytes {MAX_QUEUED}"
                );
                true
            }
            None => false,
        }
    }
}

fn server_rig(server: &ServerConfig, client: &ClientConfig) -> Rig {
    let now = Instant::now();
    let host = MultiplayerHost::server(server, mp_config(), now).expect("server host");
    let peer = Session::client(client, now).expect("client session");
    let mut rig = Rig {
        host,
        peer,
        now,
        peer_id: 0,
        addr: SocketAddr::from(CLIENT_ADDR),
    };
    for _ in 0..20 {
        rig.pump();
        if let (Status::Connected, Some(&id)) = (rig.peer.status(), rig.host.peer_ids().first()) {
            rig.peer_id = id;
            return rig;
        }
    }
    panic!("the peer did not connect: {:?}", rig.peer.failure());
}

/// The frame that gives a client id 0x1234_5678: the control channel's first reliable message
/// (renet: small reliable packet, sequence 0, channel 48, 1 message, id 0, 5 bytes).
const ASSIGN_ID: [u8; 13] = [1, 0, 0, 48, 0, 1, 0, 5, 2, 0x12, 0x34, 0x56, 0x78];

fn client_rig(server: &ServerConfig, client: &ClientConfig, assign: bool) -> Rig {
    let now = Instant::now();
    let mut cookie_server = Server::new(server, now).expect("server");
    let addr = SocketAddr::from(SERVER_ADDR);
    let mut host = MultiplayerHost::client(client, addr, mp_config(), now).expect("client host");
    let mut session = None;
    for _ in 0..4 {
        let mut replies = Vec::new();
        host.drain_transmit(
            |_, d| match cookie_server.accept(now, b"192.0.2.7:40000", d) {
                Accept::HelloVerify(reply) => replies.push(reply),
                Accept::Session(s) => session = Some(*s),
                Accept::Ignored => {}
            },
        );
        for r in replies {
            host.handle_datagram(now, addr, &r);
        }
        if session.is_some() {
            break;
        }
    }
    let peer = session.expect("a server session after the cookie exchange");
    let mut rig = Rig {
        host,
        peer,
        now,
        peer_id: SERVER_ID,
        addr,
    };
    for _ in 0..20 {
        rig.pump();
        if rig.peer.status() == Status::Connected {
            break;
        }
    }
    if !assign {
        assert_eq!(rig.host.status(), ConnectionStatus::Connecting);
        return rig;
    }
    rig.peer.send(&ASSIGN_ID).expect("the id assignment");
    for _ in 0..5 {
        rig.pump();
    }
    assert_eq!(rig.host.status(), ConnectionStatus::Connected);
    rig
}

/// Splits the input into chunks (see the top of this file); also how the regression replay splits
/// its inputs into datagrams.
pub fn chunks(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]])).min(data.len() - 2);
        out.push(&data[2..2 + len]);
        data = &data[2 + len..];
    }
    if !data.is_empty() {
        out.push(data);
    }
    out
}

/// Counts panics on this thread (then reports them as before).
fn count_panics() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = PANICS.try_with(|p| p.set(p.get() + 1));
            previous(info);
        }));
    });
}

/// Runs one input against a host on `side`.
pub fn run(side: Side, data: &[u8], server: &ServerConfig, client: &ClientConfig) {
    count_panics();
    let panics = PANICS.with(Cell::get);
    let mut rig = match side {
        Side::Server => server_rig(server, client),
        Side::Client => client_rig(server, client, true),
        Side::ClientWaitingForItsId => client_rig(server, client, false),
    };
    let baseline = reset_peak();
    let mut frame = Vec::new();
    for chunk in chunks(data) {
        match chunk.split_first() {
            Some((0, rest)) => {
                let ms = rest.first().copied().unwrap_or(1);
                rig.now += Duration::from_millis(8 * u64::from(ms));
            }
            Some((1, _)) => while rig.host.recv().is_some() {},
            Some((2, packet)) => {
                frame.clear();
                frame.push(1);
                frame.extend_from_slice(packet);
                let _ = rig.peer.send(&frame);
            }
            Some((_, whole)) => {
                let _ = rig.peer.send(whole);
            }
            None => continue,
        }
        rig.pump();
        let connected = rig.check();
        let grown = peak_bytes() - baseline;
        assert!(
            grown <= HEAP_BOUND,
            "the heap grew by {grown} bytes (bound {HEAP_BOUND})"
        );
        if !connected {
            break;
        }
    }
    rig.now += Duration::from_secs(1);
    rig.pump();
    rig.check();
    assert_eq!(PANICS.with(Cell::get), panics, "a panic, even if caught");
}
