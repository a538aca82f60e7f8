//! A multiplayer peer on one UDP socket ([`BatchSocket`]: many datagrams per system call): the
//! server's socket serves every client (the host demultiplexes by source address), a client's
//! talks to the server only. A server bound to every address takes IPv6 and IPv4 clients alike;
//! a client tries each address of the server's name in turn until one answers. Used by the
//! Godot class, the tests and Rust programs alike.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::io::transport::is_unreachable_report;
use crate::io::udp_batch::BatchSocket;
use crate::multiplayer::{ConnectionStatus, MultiplayerConfig, MultiplayerHost};
use crate::{ClientConfig, DtlsError, ServerConfig};

/// Most datagrams one `poll` reads, so a flood cannot stall a frame.
const MAX_DATAGRAMS_PER_POLL: usize = 4096;
/// A client waits this long for the first answer from one address of the server before it tries
/// the next (at once when the system reports the address unreachable). The first handshake
/// retransmission comes after 1 s, so an address that answers at all answers within it.
pub const ADDRESS_ATTEMPT_TIME: Duration = Duration::from_secs(1);

/// A [`MultiplayerHost`] and its socket.
#[derive(Debug)]
pub struct UdpMultiplayer {
    socket: BatchSocket,
    host: MultiplayerHost,
    /// A client's further addresses of the server, until one answers.
    fallback: Option<Fallback>,
    /// [`UdpMultiplayer::poll_for_reader`] held the channels' sends back for the reader.
    held: bool,
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
        let addresses = resolve(address, port)?;
        UdpMultiplayer::first_answering(&addresses, config, mp, &format!("{address:?}"))
    }

    /// A client of the server at the first of `addresses` that answers, tried in turn (each
    /// until it answers, for [`ADDRESS_ATTEMPT_TIME`], or until the system reports it
    /// unreachable).
    pub fn client_of(
        addresses: &[SocketAddr],
        config: &ClientConfig,
        mp: MultiplayerConfig,
    ) -> Result<UdpMultiplayer, DtlsError> {
        UdpMultiplayer::first_answering(addresses, config, mp, &format!("{addresses:?}"))
    }

    /// [`UdpMultiplayer::client_of`], with `name` naming the server in an error.
    fn first_answering(
        addresses: &[SocketAddr],
        config: &ClientConfig,
        mp: MultiplayerConfig,
        name: &str,
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
        };
        peer.transmit();
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

    /// Reads waiting datagrams, runs the timers, sends everything queued.
    pub fn poll(&mut self, now: Instant) -> io::Result<()> {
        let result = self.receive(now);
        self.host.handle_timeout(now);
        self.transmit();
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
        self.transmit();
        result
    }

    /// Reads the waiting datagrams (at most [`MAX_DATAGRAMS_PER_POLL`]) into the host.
    fn receive(&mut self, now: Instant) -> io::Result<()> {
        let mut result = Ok(());
        let (mut read, mut unreachable, mut answered) = (0, false, false);
        let host = &mut self.host;
        while read < MAX_DATAGRAMS_PER_POLL {
            match self
                .socket
                .recv(|from, d| host.handle_datagram(now, from, d))
            {
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
        self.transmit();
        true
    }

    /// Hands every datagram the host has ready to the socket.
    pub fn transmit(&mut self) {
        let socket = &mut self.socket;
        self.host.drain_transmit(|to, d| socket.send(to, d));
        socket.send_queued();
    }

    /// Closes every connection (goodbye, close_notify) and sends that out.
    pub fn close(&mut self) {
        self.host.close(Instant::now());
        self.transmit();
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
