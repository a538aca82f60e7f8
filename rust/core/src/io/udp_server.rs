//! A DTLS server on one `std::net::UdpSocket`: demultiplexes datagrams by source address into
//! sessions, sends cookie replies for unknown sources. For Rust programs, tests and benchmarks;
//! the Godot server gets its per-client sockets from Godot's `UDPServer` instead.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

use crate::io::transport::is_unreachable_report;
use crate::{Accept, DtlsError, Server, ServerConfig, Session, Status};

/// Most datagrams one `poll` reads.
const MAX_DATAGRAMS_PER_POLL: usize = 4096;

/// Default cap on sessions (handshaking and connected) one `UdpServer` holds.
const DEFAULT_MAX_SESSIONS: usize = 4096;

/// A DTLS server bound to a UDP socket.
#[derive(Debug)]
pub struct UdpServer {
    socket: UdpSocket,
    server: Server,
    sessions: HashMap<SocketAddr, Session>,
    buf: Vec<u8>,
    max_sessions: usize,
    refused_sessions: u64,
}

impl UdpServer {
    /// Binds `addr` (non-blocking) and prepares the server context.
    pub fn bind(addr: SocketAddr, config: &ServerConfig) -> Result<UdpServer, DtlsError> {
        let server = Server::new(config, Instant::now())?;
        let socket = UdpSocket::bind(addr).map_err(|e| DtlsError::InvalidConfig(e.to_string()))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| DtlsError::InvalidConfig(e.to_string()))?;
        Ok(UdpServer {
            socket,
            server,
            sessions: HashMap::new(),
            buf: vec![0; 65536],
            max_sessions: DEFAULT_MAX_SESSIONS,
            refused_sessions: 0,
        })
    }

    /// Caps the sessions held, handshaking and connected (default 4096, at least 1). Sessions
    /// that ended (closed, failed, handshake or idle timeout passed) with nothing left to read
    /// are evicted at the next [`UdpServer::poll`]; when the server is still full, a new
    /// client's session (made after a valid cookie) is refused with a warning and its handshake
    /// times out on the client. Active sessions are never evicted.
    pub fn set_max_sessions(&mut self, max_sessions: usize) {
        self.max_sessions = max_sessions.max(1);
    }

    /// The session cap.
    pub fn max_sessions(&self) -> usize {
        self.max_sessions
    }

    /// How many sessions were refused because the server was full.
    pub fn refused_sessions(&self) -> u64 {
        self.refused_sessions
    }

    /// Makes room for the session of `peer`: true if it may be inserted.
    fn has_room_for(&mut self, peer: &SocketAddr) -> bool {
        if self.sessions.contains_key(peer) || self.sessions.len() < self.max_sessions {
            return true;
        }
        self.evict_ended();
        if self.sessions.len() < self.max_sessions {
            return true;
        }
        self.refused_sessions += 1;
        log::warn!(
            "DTLS server: refused a session for {peer}: {} sessions held, the maximum \
             (UdpServer::set_max_sessions)",
            self.sessions.len()
        );
        false
    }

    /// Drops the sessions that ended and have nothing left to read.
    fn evict_ended(&mut self) {
        self.sessions
            .retain(|_, s| s.status().is_active() || s.pending_packets() > 0);
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Reads waiting datagrams, runs timers, sends everything queued. Sessions that ended
    /// before this call, with nothing left to read, are dropped first (a session that ends
    /// during this call stays readable, with its status, until the next one).
    pub fn poll(&mut self, now: Instant) -> io::Result<()> {
        self.evict_ended();
        for _ in 0..MAX_DATAGRAMS_PER_POLL {
            let (n, from) = match self.socket.recv_from(&mut self.buf) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // One client's ICMP "port unreachable" (WSAECONNRESET on Windows): not fatal
                // to the server or to the other clients' sessions.
                Err(e) if is_unreachable_report(&e) => continue,
                Err(e) => return Err(e),
            };
            let datagram = &self.buf[..n];
            match self.sessions.get_mut(&from) {
                Some(session) if session.status().is_active() => {
                    session.handle_datagram(now, datagram)
                }
                _ => match self.server.accept(now, &peer_bytes(&from), datagram) {
                    Accept::HelloVerify(reply) => {
                        let _ = self.socket.send_to(&reply, from);
                        self.server.recycle(reply);
                    }
                    Accept::Session(session) => {
                        if self.has_room_for(&from) {
                            self.sessions.insert(from, *session);
                        }
                    }
                    Accept::Ignored => {}
                },
            }
        }
        for (addr, session) in &mut self.sessions {
            session.handle_timeout(now);
            let socket = &self.socket;
            session.drain_transmit(|d| {
                let _ = socket.send_to(d, *addr);
            });
        }
        Ok(())
    }

    /// Encrypts and sends one packet to the session of `peer`.
    pub fn send_to(&mut self, peer: SocketAddr, packet: &[u8]) -> Result<(), DtlsError> {
        let session = self
            .sessions
            .get_mut(&peer)
            .ok_or(DtlsError::NotConnected(Status::Disconnected))?;
        let result = session.send(packet);
        let socket = &self.socket;
        session.drain_transmit(|d| {
            let _ = socket.send_to(d, peer);
        });
        result
    }

    /// The session of `peer`, if one exists.
    pub fn session_mut(&mut self, peer: &SocketAddr) -> Option<&mut Session> {
        self.sessions.get_mut(peer)
    }

    /// Every session with its peer address.
    pub fn sessions_mut(&mut self) -> impl Iterator<Item = (&SocketAddr, &mut Session)> {
        self.sessions.iter_mut()
    }

    /// How many sessions OpenSSL's session cache holds (always 0; for the tests).
    #[doc(hidden)]
    pub fn cached_sessions(&self) -> i64 {
        self.server.cached_sessions()
    }

    /// Number of sessions held (any status).
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Closes every session (close_notify to connected peers).
    pub fn close_all(&mut self) {
        for (addr, session) in &mut self.sessions {
            session.close();
            let socket = &self.socket;
            session.drain_transmit(|d| {
                let _ = socket.send_to(d, *addr);
            });
        }
    }
}

/// The bytes that name a client to the cookie step: its address and port, without allocating
/// (IPv4 addresses as IPv4-mapped IPv6, so one layout covers both).
pub(crate) fn peer_bytes(addr: &SocketAddr) -> [u8; 18] {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        std::net::IpAddr::V6(v6) => v6,
    };
    let mut out = [0u8; 18];
    out[..16].copy_from_slice(&ip.octets());
    out[16..].copy_from_slice(&addr.port().to_be_bytes());
    out
}
