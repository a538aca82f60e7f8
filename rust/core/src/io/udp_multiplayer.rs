//! A multiplayer peer on one `std::net::UdpSocket`: the server's socket serves every client (the
//! host demultiplexes by source address), a client's talks to the server only. Used by the Godot
//! class, the tests and Rust programs alike.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Instant;

use crate::io::transport::is_unreachable_report;
use crate::multiplayer::{MultiplayerConfig, MultiplayerHost};
use crate::{ClientConfig, DtlsError, ServerConfig};

/// Most datagrams one `poll` reads, so a flood cannot stall a frame.
const MAX_DATAGRAMS_PER_POLL: usize = 4096;

/// A [`MultiplayerHost`] and its socket.
#[derive(Debug)]
pub struct UdpMultiplayer {
    socket: UdpSocket,
    host: MultiplayerHost,
    buf: Vec<u8>,
}

fn config_error(what: &str, e: io::Error) -> DtlsError {
    DtlsError::InvalidConfig(format!("{what}: {e}"))
}

impl UdpMultiplayer {
    /// A server listening on `addr` (port 0: one the system picks).
    pub fn server(
        addr: SocketAddr,
        config: &ServerConfig,
        mp: MultiplayerConfig,
    ) -> Result<UdpMultiplayer, DtlsError> {
        let host = MultiplayerHost::server(config, mp, Instant::now())?;
        let socket = UdpSocket::bind(addr).map_err(|e| config_error(&format!("bind {addr}"), e))?;
        UdpMultiplayer::with(socket, host)
    }

    /// A client of the server at `address:port` (a name is resolved here, IPv4 first).
    pub fn client(
        address: &str,
        port: u16,
        config: &ClientConfig,
        mp: MultiplayerConfig,
    ) -> Result<UdpMultiplayer, DtlsError> {
        let server = resolve(address, port)?;
        let local: SocketAddr = if server.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
        };
        let socket = UdpSocket::bind(local).map_err(|e| config_error("bind", e))?;
        let host = MultiplayerHost::client(config, server, mp, Instant::now())?;
        let mut peer = UdpMultiplayer::with(socket, host)?;
        peer.flush();
        Ok(peer)
    }

    fn with(socket: UdpSocket, host: MultiplayerHost) -> Result<UdpMultiplayer, DtlsError> {
        socket
            .set_nonblocking(true)
            .map_err(|e| config_error("set_nonblocking", e))?;
        Ok(UdpMultiplayer {
            socket,
            host,
            buf: vec![0; 65536],
        })
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
        let mut result = Ok(());
        for _ in 0..MAX_DATAGRAMS_PER_POLL {
            match self.socket.recv_from(&mut self.buf) {
                Ok((n, from)) => self.host.handle_datagram(now, from, &self.buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // One peer's ICMP "port unreachable": not fatal to the others.
                Err(e) if is_unreachable_report(&e) => continue,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.host.handle_timeout(now);
        self.flush();
        result
    }

    /// Sends every datagram the peer has queued.
    pub fn flush(&mut self) {
        let socket = &self.socket;
        self.host.drain_transmit(|to, d| {
            if let Err(e) = socket.send_to(d, to) {
                log::debug!(
                    "DTLS multiplayer: datagram of {} bytes to {to} not sent: {e}",
                    d.len()
                );
            }
        });
    }

    /// Closes every connection (goodbye, close_notify) and sends that out.
    pub fn close(&mut self) {
        self.host.close(Instant::now());
        self.flush();
    }
}

/// `address:port` as a socket address: IPv4 addresses first.
fn resolve(address: &str, port: u16) -> Result<SocketAddr, DtlsError> {
    let all: Vec<SocketAddr> = (address, port)
        .to_socket_addrs()
        .map_err(|e| DtlsError::InvalidConfig(format!("cannot resolve {address:?}: {e}")))?
        .collect();
    all.iter()
        .find(|a| a.is_ipv4())
        .or_else(|| all.first())
        .copied()
        .ok_or_else(|| DtlsError::InvalidConfig(format!("{address:?} has no address")))
}
