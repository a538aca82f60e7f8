//! A multiplayer peer on one UDP socket ([`BatchSocket`]: many datagrams per system call): the
//! server's socket serves every client (the host demultiplexes by source address), a client's
//! talks to the server only. A server bound to every address takes IPv6 and IPv4 clients alike;
//! a client tries each address of the server's name in turn until one answers. Optionally a delay
//! line simulates a bad network between the socket and the host (`simulation.rs`). Used by the
//! Godot class, the tests and Rust programs alike.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::io::simulation::{DelayLine, NetworkSimulation};
use crate::io::transport::is_unreachable_report;
use crate::io::udp_batch::BatchSocket;
use crate::multiplayer::{ConnectionStatus, MultiplayerConfig, MultiplayerHost};
use crate::netsim::Counters;
use crate::{ClientConfig, DtlsError, ServerConfig};

/// Most datagrams one `poll` reads, so a flood cannot stall a frame.
const MAX_DATAGRAMS_PER_POLL: usize = 4096;
/// A client waits this long for the first answer from one address of the server before it tries
/// the next (at once when the system reports the address unreachable). The first handshake
/// retransmission comes after 1 s, so an address that answers at all answers within it.
pub const ADDRESS_ATTEMPT_TIME: Duration = Duration::from_secs(1);
/// Later than anything the simulated network holds (its delays are at most seconds): what is due
/// by then is everything.
const FAR: Duration = Duration::from_secs(24 * 3600);

/// A [`MultiplayerHost`] and its socket.
#[derive(Debug)]
pub struct UdpMultiplayer {
    socket: BatchSocket,
    host: MultiplayerHost,
    /// A client's further addresses of the server, until one answers.
    fallback: Option<Fallback>,
    /// [`UdpMultiplayer::poll_for_reader`] held the channels' sends back for the reader.
    held: bool,
    /// The simulated network between the socket and the host, when one is set.
    delay: Option<Box<DelayLine>>,
}

/// What a client needs to try the server's next address.
#[derive(Debug)]
struct Fallback {
    config: ClientConfig,
    mp: MultiplayerConfig,
    remaining: VecDeque<SocketAddr>,
    started: Instant,
}

fn config_error(what: &str, e: io::Error) -> DtlsError {
    DtlsError::InvalidConfig(format!("{what}: {e}"))
}

impl UdpMultiplayer {
    /// A server listening on `ip` (`None`: every address, IPv6 and IPv4 where the system
    /// allows, else IPv4) and `port` (0: one the system picks).
    pub fn server(
        ip: Option<IpAddr>,
        port: u16,
        config: &ServerConfig,
        mp: MultiplayerConfig,
    ) -> Result<UdpMultiplayer, DtlsError> {
        UdpMultiplayer::server_simulated(ip, port, config, mp, &NetworkSimulation::default())
    }

    /// [`UdpMultiplayer::server`] on a simulated network.
    pub fn server_simulated(
        ip: Option<IpAddr>,
        port: u16,
        config: &ServerConfig,
        mp: MultiplayerConfig,
        simulation: &NetworkSimulation,
    ) -> Result<UdpMultiplayer, DtlsError> {
        let host = MultiplayerHost::server(config, mp, Instant::now())?;
        let socket = match ip {
            Some(ip) => BatchSocket::bind(SocketAddr::new(ip, port)),
            None => BatchSocket::bind_any(port),
        };
        let what = match ip {
            Some(ip) => format!("bind {}", SocketAddr::new(ip, port)),
            None => format!("bind *:{port}"),
        };
        let socket = socket.map_err(|e| config_error(&what, e))?;
        Ok(UdpMultiplayer {
            socket,
            host,
            fallback: None,
            held: false,
            delay: DelayLine::new(simulation),
        })
    }

    /// A client of the server at `address:port`: an IP address, or a name resolved here (a
    /// blocking look-up) whose addresses are tried in the order the system gives them.
    pub fn client(
        address: &str,
        port: u16,
        config: &ClientConfig,
        mp: MultiplayerConfig,
    ) -> Result<UdpMultiplayer, DtlsError> {
        UdpMultiplayer::client_simulated(address, port, config, mp, &NetworkSimulation::default())
    }

    /// [`UdpMultiplayer::client`] on a simulated network.
    pub fn client_simulated(
        address: &str,
        port: u16,
        config: &ClientConfig,
        mp: MultiplayerConfig,
        simulation: &NetworkSimulation,
    ) -> Result<UdpMultiplayer, DtlsError> {
        let addresses = resolve(address, port)?;
        let name = format!("{address:?}");
        UdpMultiplayer::first_answering(&addresses, config, mp, &name, simulation)
    }

    /// A client of the server at the first of `addresses` that answers, tried in turn (each
    /// until it answers, for [`ADDRESS_ATTEMPT_TIME`], or until the system reports it
    /// unreachable).
    pub fn client_of(
        addresses: &[SocketAddr],
        config: &ClientConfig,
        mp: MultiplayerConfig,
    ) -> Result<UdpMultiplayer, DtlsError> {
        let name = format!("{addresses:?}");
        UdpMultiplayer::first_answering(addresses, config, mp, &name, &NetworkSimulation::default())
    }

    /// [`UdpMultiplayer::client_of`], with `name` naming the server in an error.
    fn first_answering(
        addresses: &[SocketAddr],
        config: &ClientConfig,
        mp: MultiplayerConfig,
        name: &str,
        simulation: &NetworkSimulation,
    ) -> Result<UdpMultiplayer, DtlsError> {
        let mut remaining: VecDeque<SocketAddr> = addresses.iter().copied().collect();
        let (socket, first) = loop {
            let Some(next) = remaining.pop_front() else {
                return Err(DtlsError::InvalidConfig(format!(
                    "{name} has no address this system can reach"
                )));
            };
            match client_socket(next) {
                Ok(socket) => break (socket, next),
                // No route of that family (an IPv4-only system and an IPv6 address...).
                Err(e) => log::debug!("DTLS multiplayer client: {next} left out: {e}"),
            }
        };
        let now = Instant::now();
        let host = MultiplayerHost::client(config, first, mp.clone(), now)?;
        let mut peer = UdpMultiplayer {
            socket,
            host,
            fallback: (!remaining.is_empty()).then(|| Fallback {
                config: config.clone(),
                mp,
                remaining,
                started: now,
            }),
            held: false,
            delay: DelayLine::new(simulation),
        };
        peer.transmit_at(now);
        Ok(peer)
    }

    /// The bound address (the server's port after binding port 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// The peer.
    pub fn host(&self) -> &MultiplayerHost {
        &self.host
    }

    /// The peer, to send, receive, read events.
    pub fn host_mut(&mut self) -> &mut MultiplayerHost {
        &mut self.host
    }

    /// The earliest time [`UdpMultiplayer::poll`] has work to do without a datagram arriving:
    /// the host's timers, and the simulated network's next datagram.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let host = self.host.poll_timeout();
        match (host, self.delay.as_ref().and_then(|d| d.next_deadline())) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// What the simulated network did, sending and receiving (`None` when nothing is simulated).
    pub fn simulation_counters(&self) -> Option<[Counters; 2]> {
        let line = self.delay.as_ref()?;
        Some([line.send.counters(), line.receive.counters()])
    }

    /// Reads waiting datagrams, runs the timers, sends everything queued.
    pub fn poll(&mut self, now: Instant) -> io::Result<()> {
        let result = self.receive(now);
        self.host.handle_timeout(now);
        self.transmit_at(now);
        result
    }

    /// [`UdpMultiplayer::poll`] for a reader that reads every message and answers some (Godot's
    /// `SceneMultiplayer`): while messages wait to be read, what the channels would send
    /// (acknowledgements, queued messages) waits for [`UdpMultiplayer::send_queued`], which the
    /// reader calls once it has read everything, so answers and acknowledgements share
    /// datagrams. Held back at most until the next poll.
    pub fn poll_for_reader(&mut self, now: Instant) -> io::Result<()> {
        if self.held {
            self.send_queued(now);
        }
        let result = self.receive(now);
        self.held = self.host.handle_timeout_for_reader(now);
        self.transmit_at(now);
        result
    }

    /// Reads the waiting datagrams (at most [`MAX_DATAGRAMS_PER_POLL`]) into the host, or into
    /// the simulated network, which hands the host those due.
    fn receive(&mut self, now: Instant) -> io::Result<()> {
        let mut result = Ok(());
        let (mut read, mut unreachable, mut answered) = (0, false, false);
        let host = &mut self.host;
        let mut delay = self.delay.as_deref_mut();
        while read < MAX_DATAGRAMS_PER_POLL {
            match self.socket.recv(|from, run| match delay.as_mut() {
                Some(line) => {
                    for d in run.datagrams() {
                        line.receive.offer(now, (from, d.to_vec()));
                    }
                }
                None => host.handle_datagrams(now, from, run.datagrams()),
            }) {
                Ok(0) => break,
                Ok(n) => {
                    read += n;
                    answered = true;
                }
                // One peer's ICMP "port unreachable": not fatal to the others.
                Err(e) if is_unreachable_report(&e) => {
                    unreachable = true;
                    read += 1;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if let Some(line) = delay {
            while let Some((from, d)) = line.receive.poll_deliver(now) {
                host.handle_datagram(now, from, &d);
            }
        }
        self.next_address(now, answered, unreachable);
        result
    }

    /// A client whose current address of the server has not answered within
    /// [`ADDRESS_ATTEMPT_TIME`] (or is unreachable) starts over with the next one.
    fn next_address(&mut self, now: Instant, answered: bool, unreachable: bool) {
        let Some(fallback) = self.fallback.as_mut() else {
            return;
        };
        if answered || self.host.status() != ConnectionStatus::Connecting {
            self.fallback = None;
            return;
        }
        if !unreachable && now.saturating_duration_since(fallback.started) < ADDRESS_ATTEMPT_TIME {
            return;
        }
        let Some(next) = fallback.remaining.pop_front() else {
            return;
        };
        log::debug!("DTLS multiplayer client: no answer from the server's address, trying {next}");
        match (
            MultiplayerHost::client(&fallback.config, next, fallback.mp.clone(), now),
            client_socket(next),
        ) {
            (Ok(host), Ok(socket)) => {
                self.host = host;
                self.socket = socket;
                fallback.started = now;
                // What the simulated network held was for the address left behind.
                if let Some(line) = self.delay.as_mut() {
                    while line.send.poll_deliver(Instant::now() + FAR).is_some() {}
                    while line.receive.poll_deliver(Instant::now() + FAR).is_some() {}
                }
            }
            (Err(e), _) => log::debug!("DTLS multiplayer client: {next} left out: {e}"),
            (_, Err(e)) => log::debug!("DTLS multiplayer client: {next} left out: {e}"),
        }
        if fallback.remaining.is_empty() {
            self.fallback = None;
        }
    }

    /// Sends what the game queued since the last poll, now (see
    /// [`MultiplayerHost::send_queued`]); false when there was nothing.
    pub fn send_queued(&mut self, now: Instant) -> bool {
        self.held = false;
        if !self.host.has_unsent() {
            return false;
        }
        self.host.send_queued(now);
        self.transmit_at(now);
        true
    }

    /// Hands every datagram the host has ready to the socket (through the simulated network,
    /// which sends those due).
    pub fn transmit(&mut self) {
        self.transmit_at(Instant::now());
    }

    fn transmit_at(&mut self, now: Instant) {
        let socket = &mut self.socket;
        match self.delay.as_deref_mut() {
            None => self.host.drain_transmit(|to, d| socket.send(to, d)),
            Some(line) => {
                self.host
                    .drain_transmit(|to, d| line.send.offer(now, (to, d.to_vec())));
                while let Some((to, d)) = line.send.poll_deliver(now) {
                    socket.send(to, &d);
                }
            }
        }
        socket.send_queued();
    }

    /// Closes every connection (goodbye, close_notify) and sends that out, with what the
    /// simulated network still held (at once: the peer is going).
    pub fn close(&mut self) {
        let now = Instant::now();
        self.host.close(now);
        self.transmit_at(now);
        if let Some(line) = self.delay.as_deref_mut() {
            while let Some((to, d)) = line.send.poll_deliver(now + FAR) {
                self.socket.send(to, &d);
            }
            self.socket.send_queued();
        }
    }
}

/// A client's socket for the server address `to`, connected to it (a new one per address: the
/// system fixes the local address at the first connect).
fn client_socket(to: SocketAddr) -> io::Result<BatchSocket> {
    let socket = BatchSocket::bind_any(0)?;
    socket.connect(to)?;
    Ok(socket)
}

/// Every address of `address:port`, in the order the system gives them.
fn resolve(address: &str, port: u16) -> Result<Vec<SocketAddr>, DtlsError> {
    let all: Vec<SocketAddr> = (address, port)
        .to_socket_addrs()
        .map_err(|e| DtlsError::InvalidConfig(format!("cannot resolve {address:?}: {e}")))?
        .map(|a| SocketAddr::new(a.ip().to_canonical(), a.port()))
        .collect();
    if all.is_empty() {
        return Err(DtlsError::InvalidConfig(format!(
            "{address:?} has no address"
        )));
    }
    Ok(all)
}
