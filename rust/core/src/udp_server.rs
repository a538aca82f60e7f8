//! A DTLS server on one `std::net::UdpSocket`: demultiplexes datagrams by source address into
//! sessions, sends cookie replies for unknown sources. For Rust programs, tests and benchmarks;
//! the Godot server gets its per-client sockets from Godot's `UDPServer` instead.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

use crate::{Accept, DtlsError, Server, ServerConfig, Session, Status};

/// Most datagrams one `poll` reads.
const MAX_DATAGRAMS_PER_POLL: usize = 4096;

/// A DTLS server bound to a UDP socket.
#[derive(Debug)]
pub struct UdpServer {
    socket: UdpSocket,
    server: Server,
    sessions: HashMap<SocketAddr, Session>,
    buf: Vec<u8>,
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
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Reads waiting datagrams, runs timers, sends everything queued.
    pub fn poll(&mut self, now: Instant) -> io::Result<()> {
        for _ in 0..MAX_DATAGRAMS_PER_POLL {
            let (n, from) = match self.socket.recv_from(&mut self.buf) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => continue,
                Err(e) => return Err(e),
            };
            let datagram = &self.buf[..n];
            match self.sessions.get_mut(&from) {
                Some(session) if session.status().is_active() => {
                    session.handle_datagram(now, datagram)
                }
                _ => match self
                    .server
                    .accept(now, from.to_string().as_bytes(), datagram)
                {
                    Accept::HelloVerify(reply) => {
                        let _ = self.socket.send_to(&reply, from);
                    }
                    Accept::Session(session) => {
                        self.sessions.insert(from, *session);
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
