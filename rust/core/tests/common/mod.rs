//! Shared test helpers: a seeded PRNG, certificates (self-signed and CA-signed chains), and an
//! in-memory link between one client [`Session`] and one [`Server`] that can drop, delay
//! (reorder) and duplicate datagrams and records everything each side writes.
//!
//! Time is real: OpenSSL's retransmission timer runs on the system clock, so when the link is
//! quiet (nothing in flight, nothing queued) the pump waits until the earliest deadline the
//! sessions report (`poll_timeout`), which is the protocol's own timer, and runs that side's
//! `handle_timeout`. Timers run only when the link is quiet and one side at a time, so a seeded
//! impairment replays the same way unless the machine stalls for most of a timeout. (OpenSSL
//! also resends by itself when it reads with less than 15 ms left on its timer: a short
//! `initial_retransmit` makes runs on a loaded machine diverge sooner.)
//!
//! `Pair::trace` records every delivered datagram's records, for debugging a failing test.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use openssl_dtls_core::rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyUsagePurpose,
};
use openssl_dtls_core::{
    generate_key, params_for, self_signed, Accept, ClientConfig, Identity, KeyType, Server,
    ServerConfig, Session, Settings, Status, Verification,
};

// ---------------------------------------------------------------------------------------------
// Randomness

/// SplitMix64: tiny, seeded, reproducible, and statistically sound for simulation.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates

pub const HOST: &str = "localhost";
const VALIDITY: Duration = Duration::from_secs(24 * 3600);

/// A fresh self-signed identity for `names`.
pub fn identity_for(key: KeyType, names: &[&str]) -> Identity {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    self_signed(&names, key, VALIDITY).expect("self-signed certificate")
}

/// Self-signed ECDSA P-256 identity for "localhost", made once per test binary.
pub fn ecdsa_identity() -> &'static Identity {
    static ID: OnceLock<Identity> = OnceLock::new();
    ID.get_or_init(|| identity_for(KeyType::EcdsaP256, &[HOST]))
}

/// Self-signed RSA-2048 identity for "localhost", made once per test binary.
pub fn rsa_identity() -> &'static Identity {
    static ID: OnceLock<Identity> = OnceLock::new();
    ID.get_or_init(|| identity_for(KeyType::Rsa(2048), &[HOST]))
}

/// A certificate chain: root CA -> (optional intermediate CA) -> leaf for "localhost".
#[derive(Debug, Clone)]
pub struct Chain {
    /// The root CA certificate (what a client should trust).
    pub root_pem: String,
    /// The intermediate CA certificate, if the chain has one.
    pub intermediate_pem: Option<String>,
    /// The leaf certificate and its key.
    pub leaf: Identity,
}

impl Chain {
    /// Leaf first, then the intermediate: what a server sends.
    pub fn leaf_and_intermediate_pem(&self) -> String {
        let mut pem = self.leaf.certificate_pem.clone();
        if let Some(i) = &self.intermediate_pem {
            pem.push_str(i);
        }
        pem
    }
}

fn ca_params(name: &str) -> CertificateParams {
    let mut params = params_for(&[name.to_string()], VALIDITY).expect("CA certificate parameters");
    params.subject_alt_names.clear();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

/// Builds a chain with keys of type `key`; `with_intermediate` adds an intermediate CA.
pub fn make_chain(key: KeyType, with_intermediate: bool) -> Chain {
    let root_key = generate_key(key).expect("root key");
    let root_params = ca_params("Test Root CA");
    let root_cert = root_params
        .self_signed(&root_key)
        .expect("root certificate");
    let root = Issuer::new(root_params, &root_key);

    let leaf_key = generate_key(key).expect("leaf key");
    let leaf_params = params_for(&[HOST.to_string()], VALIDITY).expect("leaf parameters");
    let (leaf_cert, intermediate_pem) = if with_intermediate {
        let int_key = generate_key(key).expect("intermediate key");
        let int_params = ca_params("Test Intermediate CA");
        let int_cert = int_params
            .signed_by(&int_key, &root)
            .expect("intermediate certificate");
        let intermediate = Issuer::new(int_params, &int_key);
        let leaf = leaf_params
            .signed_by(&leaf_key, &intermediate)
            .expect("leaf certificate");
        (leaf, Some(int_cert.pem()))
    } else {
        let leaf = leaf_params
            .signed_by(&leaf_key, &root)
            .expect("leaf certificate");
        (leaf, None)
    };
    Chain {
        root_pem: root_cert.pem(),
        intermediate_pem,
        leaf: Identity {
            certificate_pem: leaf_cert.pem(),
            private_key_pem: leaf_key.serialize_pem().into(),
        },
    }
}

/// A client that trusts exactly `trusted_pem` and checks `hostname`.
pub fn client_config(trusted_pem: &str, hostname: &str, settings: Settings) -> ClientConfig {
    ClientConfig {
        verification: Verification::TrustedPem(trusted_pem.to_string()),
        hostname: Some(hostname.to_string()),
        settings,
        ..ClientConfig::default()
    }
}

/// A server config for `identity` with `settings`.
pub fn server_config(identity: &Identity, settings: Settings) -> ServerConfig {
    ServerConfig {
        settings,
        ..ServerConfig::new(
            identity.certificate_pem.clone(),
            identity.private_key_pem.clone(),
        )
    }
}

/// Settings with fast retransmissions (so loss costs milliseconds, not seconds).
pub fn fast_settings() -> Settings {
    Settings {
        initial_retransmit: Duration::from_millis(20),
        handshake_timeout: Duration::from_secs(20),
        ..Settings::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The in-memory link

/// Direction of a datagram on the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// Random impairment applied to every datagram written (both directions).
#[derive(Debug, Clone, Copy, Default)]
pub struct Impairment {
    /// Probability a datagram is lost.
    pub loss: f64,
    /// Probability a datagram is held back 1..=3 pump steps (so later ones overtake it).
    pub reorder: f64,
    /// Probability a datagram is delivered twice (the copy at a random later step).
    pub duplicate: f64,
}

/// Decides the fate of one written datagram: `true` to put it on the wire. Gets the direction
/// and the datagram's index among everything that side wrote (0-based).
pub type Filter = Box<dyn FnMut(Dir, usize, &[u8]) -> bool>;

/// One direction of the link.
#[derive(Default)]
pub struct Wire {
    /// (step at which it is delivered, datagram), in delivery order among equal steps.
    in_flight: VecDeque<(u64, Vec<u8>)>,
    /// Every datagram the sending side wrote, in order, before any impairment.
    pub written: Vec<Vec<u8>>,
    /// The pump step in which each datagram of `written` was written.
    pub written_at: Vec<u64>,
    /// How many datagrams were delivered to the receiving side.
    pub delivered: usize,
}

impl Wire {
    pub fn is_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// Indices into `written`, grouped by the handshake flight their first record belongs to
    /// (RFC 6347 4.2.4), in the order the flights started; not by when they were written, so
    /// the grouping does not depend on how the pump's steps fell. From the client: each
    /// ClientHello is a flight of its own, then Certificate..Finished; from the server:
    /// HelloVerifyRequest, ServerHello..ServerHelloDone, ChangeCipherSpec and Finished.
    /// Datagrams after the handshake (application data, alerts) are left out.
    pub fn flights(&self) -> Vec<Vec<usize>> {
        let first_records: Vec<Option<&[u8]>> = self
            .written
            .iter()
            .map(|d| records(d).and_then(|r| r.first().copied()))
            .collect();
        let from_client = first_records
            .iter()
            .any(|r| r.and_then(handshake_type) == Some(1));
        let mut out: Vec<(u32, Vec<usize>)> = Vec::new();
        let mut hellos = 0;
        for (i, first) in first_records.into_iter().enumerate() {
            let Some(first) = first else { continue };
            let last_flight = match record_type_and_epoch(first) {
                Some((CONTENT_CHANGE_CIPHER_SPEC, 0)) => true,
                Some((CONTENT_HANDSHAKE, epoch)) => epoch > 0,
                _ => false,
            };
            let flight = match (from_client, handshake_type(first)) {
                (true, Some(1)) => {
                    hellos += 1;
                    hellos
                }
                (true, Some(11 | 15 | 16)) => 100,
                (false, Some(3)) => 200,
                (false, Some(2 | 11 | 12 | 13 | 14)) => 201,
                _ if last_flight => 300,
                _ => continue,
            };
            match out.iter_mut().find(|(f, _)| *f == flight) {
                Some((_, group)) => group.push(i),
                None => out.push((flight, vec![i])),
            }
        }
        // The client's ChangeCipherSpec and Finished end the flight of its key exchange.
        if from_client {
            if let Some(at) = out.iter().position(|(f, _)| *f == 300) {
                let (_, tail) = out.remove(at);
                match out.iter_mut().find(|(f, _)| *f == 100) {
                    Some((_, group)) => group.extend(tail),
                    None => out.push((100, tail)),
                }
            }
        }
        out.into_iter().map(|(_, group)| group).collect()
    }

    /// Largest datagram written so far.
    pub fn largest(&self) -> usize {
        self.written.iter().map(Vec::len).max().unwrap_or(0)
    }

    fn take_due(&mut self, step: u64) -> Vec<Vec<u8>> {
        let mut due = Vec::new();
        let mut keep = VecDeque::new();
        for (at, d) in self.in_flight.drain(..) {
            if at <= step {
                due.push(d);
            } else {
                keep.push_back((at, d));
            }
        }
        self.in_flight = keep;
        due
    }
}

/// Puts a written datagram on a wire, through the filter and the impairment.
#[allow(clippy::too_many_arguments)]
fn transmit(
    wire: &mut Wire,
    dir: Dir,
    datagram: &[u8],
    step: u64,
    filter: &mut Option<Filter>,
    impairment: Impairment,
    rng: &mut Rng,
) {
    let index = wire.written.len();
    wire.written.push(datagram.to_vec());
    wire.written_at.push(step);
    if let Some(f) = filter.as_mut() {
        if !f(dir, index, datagram) {
            return;
        }
    }
    if rng.chance(impairment.loss) {
        return;
    }
    let delay = if rng.chance(impairment.reorder) {
        1 + rng.below(3) as u64
    } else {
        0
    };
    wire.in_flight
        .push_back((step + 1 + delay, datagram.to_vec()));
    if rng.chance(impairment.duplicate) {
        wire.in_flight
            .push_back((step + 1 + rng.below(4) as u64, datagram.to_vec()));
    }
}

/// A client session and a server (cookie exchange, then one server session) joined by an
/// in-memory link.
pub struct Pair {
    pub client: Session,
    pub server: Server,
    pub server_session: Option<Session>,
    /// The client's address as the server sees it.
    pub peer: Vec<u8>,
    pub to_server: Wire,
    pub to_client: Wire,
    pub impairment: Impairment,
    pub filter: Option<Filter>,
    pub rng: Rng,
    /// HelloVerifyRequests the server sent.
    pub hello_verifies: usize,
    /// Datagrams `Server::accept` ignored.
    pub ignored: usize,
    /// Sessions `Server::accept` created.
    pub accepted: usize,
    /// When set, every delivered datagram is described here (for debugging a failing test).
    pub trace: Option<Vec<String>>,
    step: u64,
}

impl Pair {
    /// Starts a client handshake towards a new server.
    pub fn new(client: &ClientConfig, server: &ServerConfig) -> Pair {
        let now = Instant::now();
        Pair {
            client: Session::client(client, now).expect("client session"),
            server: Server::new(server, now).expect("server"),
            server_session: None,
            peer: b"192.0.2.1:40000".to_vec(),
            to_server: Wire::default(),
            to_client: Wire::default(),
            impairment: Impairment::default(),
            filter: None,
            rng: Rng::new(1),
            hello_verifies: 0,
            ignored: 0,
            accepted: 0,
            trace: None,
            step: 0,
        }
    }

    /// A pair with a self-signed ECDSA identity, a verifying client and these settings.
    pub fn ecdsa(settings: Settings) -> Pair {
        let id = ecdsa_identity();
        Pair::new(
            &client_config(&id.certificate_pem, HOST, settings.clone()),
            &server_config(id, settings),
        )
    }

    pub fn with_impairment(mut self, impairment: Impairment, seed: u64) -> Pair {
        self.impairment = impairment;
        self.rng = Rng::new(seed);
        self
    }

    pub fn with_filter(mut self, filter: impl FnMut(Dir, usize, &[u8]) -> bool + 'static) -> Pair {
        self.filter = Some(Box::new(filter));
        self
    }

    /// The server session; panics when the cookie round has not produced one.
    pub fn server_session(&mut self) -> &mut Session {
        self.server_session.as_mut().expect("no server session yet")
    }

    pub fn server_status(&self) -> Option<Status> {
        self.server_session.as_ref().map(Session::status)
    }

    pub fn both_connected(&self) -> bool {
        self.client.status() == Status::Connected && self.server_status() == Some(Status::Connected)
    }

    /// Puts a datagram straight on a wire (no filter, no impairment, not recorded as written).
    pub fn inject(&mut self, dir: Dir, datagram: &[u8]) {
        let wire = match dir {
            Dir::ToServer => &mut self.to_server,
            Dir::ToClient => &mut self.to_client,
        };
        wire.in_flight.push_back((self.step + 1, datagram.to_vec()));
    }

    /// One round: timers, then each side's output onto the wires, then delivery of what is due.
    /// Returns true if any datagram was written or delivered.
    pub fn step(&mut self) -> bool {
        let now = Instant::now();
        self.step += 1;
        let step = self.step;
        let written_before = self.to_server.written.len() + self.to_client.written.len();
        {
            let (wire, filter, imp, rng) = (
                &mut self.to_server,
                &mut self.filter,
                self.impairment,
                &mut self.rng,
            );
            self.client
                .drain_transmit(|d| transmit(wire, Dir::ToServer, d, step, filter, imp, rng));
        }
        if let Some(s) = self.server_session.as_mut() {
            let (wire, filter, imp, rng) = (
                &mut self.to_client,
                &mut self.filter,
                self.impairment,
                &mut self.rng,
            );
            s.drain_transmit(|d| transmit(wire, Dir::ToClient, d, step, filter, imp, rng));
        }
        let mut moved =
            self.to_server.written.len() + self.to_client.written.len() > written_before;

        for d in self.to_server.take_due(step) {
            if let Some(t) = self.trace.as_mut() {
                t.push(format!("step {step} -> server: {}", describe_datagram(&d)));
            }
            moved = true;
            self.to_server.delivered += 1;
            match self.server_session.as_mut() {
                Some(s) if s.status().is_active() => s.handle_datagram(now, &d),
                _ => match self.server.accept(now, &self.peer, &d) {
                    Accept::HelloVerify(reply) => {
                        self.hello_verifies += 1;
                        transmit(
                            &mut self.to_client,
                            Dir::ToClient,
                            &reply,
                            step,
                            &mut self.filter,
                            self.impairment,
                            &mut self.rng,
                        );
                    }
                    Accept::Session(s) => {
                        self.accepted += 1;
                        self.server_session = Some(*s);
                    }
                    Accept::Ignored => self.ignored += 1,
                },
            }
        }
        for d in self.to_client.take_due(step) {
            if let Some(t) = self.trace.as_mut() {
                t.push(format!("step {step} -> client: {}", describe_datagram(&d)));
            }
            moved = true;
            self.to_client.delivered += 1;
            self.client.handle_datagram(now, &d);
        }
        moved
    }

    /// The earliest deadline either session reports.
    pub fn next_deadline(&self) -> Option<Instant> {
        let server = self.server_session.as_ref().and_then(Session::poll_timeout);
        match (self.client.poll_timeout(), server) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// True when nothing is in flight and neither side has anything to send.
    pub fn is_quiet(&self) -> bool {
        self.to_server.is_empty()
            && self.to_client.is_empty()
            && !self.client.has_transmit()
            && !self
                .server_session
                .as_ref()
                .is_some_and(Session::has_transmit)
    }

    /// Runs the timer of the side whose deadline comes first, if it has passed. One side at a
    /// time, earliest first, and only when the link is quiet: so the order of events depends on
    /// the protocol's deadlines, not on how fast this machine runs the steps, and a seeded
    /// impairment gives the same run every time.
    pub fn fire_due_timer(&mut self) -> bool {
        let now = Instant::now();
        let client = self.client.poll_timeout();
        let server = self.server_session.as_ref().and_then(Session::poll_timeout);
        let client_first = match (client, server) {
            (Some(c), Some(s)) => c <= s,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return false,
        };
        let due = if client_first { client } else { server };
        if due.is_some_and(|at| at <= now) {
            if client_first {
                self.client.handle_timeout(now);
            } else if let Some(s) = self.server_session.as_mut() {
                s.handle_timeout(now);
            }
            return true;
        }
        false
    }

    /// Steps until `done` holds or `budget` runs out; returns whether `done` held. When the link
    /// is quiet it waits for the sessions' own deadline (retransmission or handshake timer) and
    /// runs that timer.
    pub fn run_until(&mut self, budget: Duration, mut done: impl FnMut(&mut Pair) -> bool) -> bool {
        let end = Instant::now() + budget;
        loop {
            if done(self) {
                return true;
            }
            let now = Instant::now();
            if now >= end {
                return false;
            }
            if self.step() || !self.is_quiet() {
                continue;
            }
            match self.next_deadline() {
                Some(at) if at > now => std::thread::sleep(at.min(end) - now),
                Some(_) => {
                    self.fire_due_timer();
                }
                // Nothing in flight and no timer: nothing can change any more.
                None => return done(self),
            }
        }
    }

    /// Runs the handshake to completion on both sides or panics with both sides' state.
    pub fn connect(&mut self) {
        let ok = self.run_until(Duration::from_secs(20), |p| p.both_connected());
        assert!(
            ok,
            "handshake did not complete: client {:?} ({:?}), server {:?} ({:?})",
            self.client.status(),
            self.client.failure(),
            self.server_status(),
            self.server_session.as_ref().and_then(Session::failure),
        );
    }

    /// Runs until both sessions are idle (nothing in flight, nothing queued), at most `budget`.
    pub fn settle(&mut self, budget: Duration) {
        let end = Instant::now() + budget;
        while Instant::now() < end {
            let moved = self.step();
            if !moved && self.to_server.is_empty() && self.to_client.is_empty() {
                return;
            }
        }
    }

    /// Every datagram written by either side (including HelloVerifyRequests).
    pub fn all_written(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.to_server
            .written
            .iter()
            .chain(self.to_client.written.iter())
    }
}

/// All packets waiting in a session, oldest first.
pub fn drain_packets(session: &mut Session) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| session.recv()).collect()
}

/// A DTLS record header's content type and epoch (first record of a datagram).
pub fn record_type_and_epoch(datagram: &[u8]) -> Option<(u8, u16)> {
    if datagram.len() < 13 {
        return None;
    }
    Some((datagram[0], u16::from_be_bytes([datagram[3], datagram[4]])))
}

/// DTLS content types.
pub const CONTENT_HANDSHAKE: u8 = 22;
pub const CONTENT_APPLICATION_DATA: u8 = 23;
pub const CONTENT_ALERT: u8 = 21;
pub const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;

/// Splits a datagram into its DTLS records (header + body each); None if malformed.
pub fn records(datagram: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while !rest.is_empty() {
        if rest.len() < 13 {
            return None;
        }
        let len = u16::from_be_bytes([rest[11], rest[12]]) as usize;
        if rest.len() < 13 + len {
            return None;
        }
        out.push(&rest[..13 + len]);
        rest = &rest[13 + len..];
    }
    Some(out)
}

/// Handshake message type of a plaintext (epoch 0) handshake record, e.g. 1 = ClientHello,
/// 3 = HelloVerifyRequest.
pub fn handshake_type(record: &[u8]) -> Option<u8> {
    (record.len() > 13 && record[0] == CONTENT_HANDSHAKE && record[3..5] == [0, 0])
        .then(|| record[13])
}

/// One line per datagram: each record's type, epoch, sequence number and handshake type.
pub fn describe_datagram(datagram: &[u8]) -> String {
    let Some(records) = records(datagram) else {
        return format!("malformed ({} bytes)", datagram.len());
    };
    records
        .iter()
        .map(|r| {
            let seq = u64::from_be_bytes([0, 0, r[5], r[6], r[7], r[8], r[9], r[10]]);
            let epoch = u16::from_be_bytes([r[3], r[4]]);
            match handshake_type(r) {
                Some(t) => format!("hs{t} e{epoch} s{seq} ({}B)", r.len()),
                None => format!("type{} e{epoch} s{seq} ({}B)", r[0], r.len()),
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// Held by the tests of one binary that measure memory or capture the log, so they run one at
/// a time.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The process's resident set size, KiB (Linux `/proc/self/status`).
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}
