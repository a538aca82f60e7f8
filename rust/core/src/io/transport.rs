//! The transport seam: "send one datagram / receive one datagram without blocking", and its
//! implementation on `std::net::UdpSocket` (used by tests, benchmarks and Rust programs).

use std::cell::RefCell;
use std::io;
use std::net::{SocketAddr, UdpSocket};

/// Largest UDP payload.
const RECV_BUFFER_SIZE: usize = 65536;

thread_local! {
    /// The buffer [`Transport::recv_each`] reads into by default: one per thread, not per session.
    static RECV_BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0; RECV_BUFFER_SIZE]);
}

/// A connected datagram channel to one peer.
pub trait Transport {
    /// Sends one datagram. A DTLS session tolerates loss, so a failed send is not fatal to it.
    fn send(&mut self, datagram: &[u8]) -> io::Result<()>;
    /// Receives one waiting datagram into `buf` and returns its length; `None` when nothing waits.
    /// Never blocks.
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>>;

    /// Receives the datagrams waiting now, at most `max`, lending each to `handle`, and returns
    /// how many there were. Never blocks. A transport that holds its datagrams already (Godot's
    /// `PacketPeerUDP` returns each in an array of its own) lends them without a copy and without
    /// a last call that finds nothing; by default they are read with [`Transport::recv`] into a
    /// buffer of this thread.
    fn recv_each(&mut self, max: usize, handle: &mut dyn FnMut(&[u8])) -> io::Result<usize> {
        RECV_BUFFER.with(|buf| {
            let mut buf = buf.borrow_mut();
            let mut count = 0;
            while count < max {
                match self.recv(&mut buf)? {
                    Some(n) => handle(&buf[..n]),
                    None => break,
                }
                count += 1;
            }
            Ok(count)
        })
    }
}

/// A non-blocking UDP socket connected to one peer.
#[derive(Debug)]
pub struct UdpTransport {
    socket: UdpSocket,
}

impl UdpTransport {
    /// Binds `local`, connects to `remote` and makes the socket non-blocking.
    pub fn connect(local: SocketAddr, remote: SocketAddr) -> io::Result<UdpTransport> {
        let socket = UdpSocket::bind(local)?;
        socket.connect(remote)?;
        UdpTransport::from_socket(socket)
    }

    /// Wraps an already connected socket (made non-blocking here).
    pub fn from_socket(socket: UdpSocket) -> io::Result<UdpTransport> {
        socket.set_nonblocking(true)?;
        Ok(UdpTransport { socket })
    }

    /// The socket underneath.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }
}

impl Transport for UdpTransport {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        self.socket.send(datagram).map(|_| ())
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        match self.socket.recv(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(e) if is_unreachable_report(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// True for the error a UDP receive returns when an ICMP "port unreachable" answered an earlier
/// send: nothing to read, and not fatal to a datagram session (the peer may come back). Linux
/// reports it as `ECONNREFUSED` on connected sockets; Windows as `WSAECONNRESET` (and
/// `WSAENETRESET` for "TTL expired"), on connected and unconnected sockets alike, so a
/// `UdpServer`'s one socket would otherwise fail for every client when one of them vanished.
pub(crate) fn is_unreachable_report(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    ) || is_windows_net_reset(e)
}

/// `WSAENETRESET` (10052), which the standard library maps to no specific `ErrorKind`.
fn is_windows_net_reset(e: &io::Error) -> bool {
    cfg!(windows) && e.raw_os_error() == Some(10052)
}
