//! A UDP socket that moves many datagrams per system call, for the multiplayer peer (which owns
//! its socket, unlike the packet peer on Godot's `PacketPeerUDP`). On Linux `quinn-udp` does it:
//! segmentation offload (one `sendmsg` carries a run of equal-sized datagrams, UDP GSO) and
//! `recvmmsg` with receive offload (GRO: one buffer holds a run of datagrams from one sender).
//! Elsewhere, and on a Linux socket quinn-udp cannot set up, one datagram per system call:
//! quinn-udp's Windows path could not be tested here (under Wine it refuses IPv4 sockets and
//! merges a run into one datagram). Dual-stack binding (IPv6 with `IPV6_V6ONLY` off, else IPv4)
//! is here too, with addresses shown to the host in their plain form (an IPv4 client on an IPv6
//! socket is `a.b.c.d`, not `::ffff:a.b.c.d`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

#[cfg(target_os = "linux")]
use quinn_udp::{RecvMeta, Transmit, UdpSockRef, UdpSocketState};
use socket2::{Domain, Protocol, Socket, Type};

/// Receive buffers per call (each holds one datagram, or a run of them under GRO).
const RECV_BUFFERS: usize = 4;
/// Bytes of one receive buffer: the largest datagram, or the longest run GRO gives (64
/// segments of up to 1500 bytes, as quinn-udp's documentation asks).
const RECV_BUFFER_LEN: usize = 64 * 1500;
/// Most bytes one send call carries (the IP layer's limit for one GSO run).
const MAX_RUN_BYTES: usize = 65000;

/// How the socket moves datagrams.
#[derive(Debug)]
enum Calls {
    /// quinn-udp's offloads: a run per `sendmsg`, `recvmmsg` with GRO.
    #[cfg(target_os = "linux")]
    Batched {
        state: UdpSocketState,
        meta: Vec<RecvMeta>,
    },
    /// One datagram per system call.
    Single,
}

/// A non-blocking UDP socket with batched sends and receives.
#[derive(Debug)]
pub(crate) struct BatchSocket {
    socket: UdpSocket,
    calls: Calls,
    /// The socket is IPv6 (dual-stack or not): IPv4 destinations go as mapped addresses.
    ipv6: bool,
    bufs: Vec<Vec<u8>>,
    /// Datagrams to one destination, all of `run_segment` bytes but the last, not sent yet.
    run: Vec<u8>,
    run_to: Option<SocketAddr>,
    run_segment: usize,
    run_count: usize,
    /// The last run's final datagram was shorter than the segment: the run is closed.
    run_closed: bool,
    /// Most datagrams one send call carries (1 without segmentation offload).
    max_segments: usize,
}

impl BatchSocket {
    /// Binds `addr` (the unspecified IPv6 address binds dual-stack where the system allows).
    pub(crate) fn bind(addr: SocketAddr) -> io::Result<BatchSocket> {
        let socket = match addr.ip() {
            IpAddr::V6(ip) if ip.is_unspecified() => dual_stack(addr.port())?,
            _ => UdpSocket::bind(addr)?,
        };
        BatchSocket::wrap(socket)
    }

    /// Binds every address of the machine on `port`: IPv6 and IPv4 at once where the system
    /// allows (`IPV6_V6ONLY` off), else IPv4 only.
    pub(crate) fn bind_any(port: u16) -> io::Result<BatchSocket> {
        let socket = match dual_stack(port) {
            Ok(s) => s,
            Err(e) => {
                log::debug!("DTLS multiplayer: no dual-stack socket ({e}), IPv4 only");
                UdpSocket::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)))?
            }
        };
        BatchSocket::wrap(socket)
    }

    fn wrap(socket: UdpSocket) -> io::Result<BatchSocket> {
        let (calls, max_segments, buffers) = offloads(&socket);
        socket.set_nonblocking(true)?;
        let ipv6 = socket.local_addr()?.is_ipv6();
        Ok(BatchSocket {
            socket,
            calls,
            ipv6,
            bufs: vec![vec![0; RECV_BUFFER_LEN]; buffers],
            run: Vec::new(),
            run_to: None,
            run_segment: 0,
            run_count: 0,
            run_closed: false,
            max_segments,
        })
    }

    /// The bound address.
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr().map(plain)
    }

    /// Sets the peer address: receives come from it only, and an ICMP "port unreachable" for
    /// it shows as an error of the next receive (a client's socket). Once only: the system fixes
    /// the local address at the first connect, which may not reach the next peer.
    pub(crate) fn connect(&self, to: SocketAddr) -> io::Result<()> {
        self.socket.connect(self.wire(to))
    }

    /// Receives what waits (at most one batch of buffers), handing each run of datagrams from
    /// one source (one datagram, or a GRO run) with that source to `handle`; returns how many
    /// datagrams, 0 when nothing waits.
    pub(crate) fn recv(
        &mut self,
        mut handle: impl FnMut(SocketAddr, Received<'_>),
    ) -> io::Result<usize> {
        #[cfg(target_os = "linux")]
        if let Calls::Batched { state, meta } = &mut self.calls {
            return recv_batched(&self.socket, state, meta, &mut self.bufs, handle);
        }
        // One datagram per call, at most RECV_BUFFERS calls.
        let mut count = 0;
        for _ in 0..RECV_BUFFERS {
            let Some(buf) = self.bufs.first_mut() else {
                break;
            };
            match self.socket.recv_from(buf) {
                Ok((n, from)) => handle(
                    plain(from),
                    Received {
                        data: &buf[..n],
                        stride: n.max(1),
                    },
                ),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // What came before counts; the error shows at the next call.
                Err(_) if count > 0 => break,
                Err(e) => return Err(e),
            }
            count += 1;
        }
        Ok(count)
    }

    /// Queues one datagram to `to`: consecutive datagrams to one destination of one size (the
    /// last may be shorter) leave in one system call at [`BatchSocket::send_queued`] or when the
    /// run cannot grow.
    pub(crate) fn send(&mut self, to: SocketAddr, datagram: &[u8]) {
        let joins = self.run_to == Some(to)
            && !self.run_closed
            && datagram.len() <= self.run_segment
            && self.run_count < self.max_segments
            && self.run.len() + datagram.len() <= MAX_RUN_BYTES;
        if !joins {
            self.send_queued();
            self.run_to = Some(to);
            self.run_segment = datagram.len();
        }
        self.run.extend_from_slice(datagram);
        self.run_count += 1;
        self.run_closed = datagram.len() < self.run_segment;
    }

    /// Sends the datagrams [`BatchSocket::send`] queued.
    pub(crate) fn send_queued(&mut self) {
        let Some(to) = self.run_to.take() else {
            return;
        };
        let destination = self.wire(to);
        let sent = match &self.calls {
            #[cfg(target_os = "linux")]
            Calls::Batched { state, .. } => state.try_send(
                UdpSockRef::from(&self.socket),
                &Transmit {
                    destination,
                    ecn: None,
                    contents: &self.run,
                    segment_size: (self.run_count > 1).then_some(self.run_segment),
                    src_ip: None,
                },
            ),
            // A run is one datagram here (`max_segments` is 1).
            Calls::Single => self.socket.send_to(&self.run, destination).map(|_| ()),
        };
        if let Err(e) = sent {
            // A datagram protocol tolerates loss: the channels retransmit what matters.
            log::debug!(
                "DTLS multiplayer: {} datagram(s), {} bytes, to {to} not sent: {e}",
                self.run_count,
                self.run.len()
            );
        }
        self.run.clear();
        self.run_count = 0;
        self.run_closed = false;
    }

    /// `to` as the socket takes it: an IPv4 address mapped into IPv6 on an IPv6 socket.
    fn wire(&self, to: SocketAddr) -> SocketAddr {
        match to {
            SocketAddr::V4(v4) if self.ipv6 => {
                SocketAddr::new(IpAddr::V6(v4.ip().to_ipv6_mapped()), v4.port())
            }
            other => other,
        }
    }
}

/// How `socket` moves datagrams, the most datagrams a send carries and how many receive buffers
/// it needs: quinn-udp's offloads on Linux when it can set the socket up, else one per call.
fn offloads(socket: &UdpSocket) -> (Calls, usize, usize) {
    #[cfg(target_os = "linux")]
    match UdpSocketState::new(UdpSockRef::from(socket)) {
        Ok(state) => {
            let max_segments = state.max_gso_segments().max(1);
            let buffers = RECV_BUFFERS.min(quinn_udp::BATCH_SIZE.max(1));
            let meta = vec![RecvMeta::default(); buffers];
            return (Calls::Batched { state, meta }, max_segments, buffers);
        }
        Err(e) => log::debug!("DTLS multiplayer: one datagram per system call ({e})"),
    }
    let _ = socket;
    (Calls::Single, 1, 1)
}

/// Datagrams received from one source: one, or a GRO run of them, each `stride` bytes but the
/// last (which may be shorter).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received<'a> {
    data: &'a [u8],
    stride: usize,
}

impl<'a> Received<'a> {
    /// The datagrams, in the order they came.
    pub(crate) fn datagrams(self) -> std::slice::Chunks<'a, u8> {
        self.data.chunks(self.stride)
    }
}

/// One `recvmmsg` into `bufs`, each buffer's run of datagrams (one, or a GRO run) to `handle`;
/// returns how many datagrams.
#[cfg(target_os = "linux")]
fn recv_batched(
    socket: &UdpSocket,
    state: &UdpSocketState,
    meta: &mut [RecvMeta],
    bufs: &mut [Vec<u8>],
    mut handle: impl FnMut(SocketAddr, Received<'_>),
) -> io::Result<usize> {
    let mut slices: Vec<std::io::IoSliceMut<'_>> = bufs
        .iter_mut()
        .map(|b| std::io::IoSliceMut::new(b))
        .collect();
    let n = match state.recv(UdpSockRef::from(socket), &mut slices, meta) {
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
        Err(e) => return Err(e),
    };
    drop(slices);
    let mut count = 0;
    for (meta, buf) in meta.iter().zip(bufs.iter()).take(n) {
        let from = plain(meta.addr);
        let data = &buf[..meta.len.min(buf.len())];
        let stride = if meta.stride == 0 {
            data.len().max(1)
        } else {
            meta.stride
        };
        let run = Received { data, stride };
        count += run.datagrams().len();
        handle(from, run);
    }
    Ok(count)
}

/// `addr` in its plain form: an IPv4-mapped IPv6 address as IPv4.
fn plain(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// An IPv6 socket on `port` of every address that takes IPv4 too.
fn dual_stack(port: u16) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_only_v6(false)?;
    socket.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)).into())?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Everything `to` receives until `count` datagrams came (or 5 s passed).
    fn receive(to: &mut BatchSocket, count: usize) -> Vec<(SocketAddr, Vec<u8>)> {
        let mut got = Vec::new();
        let started = Instant::now();
        while got.len() < count && started.elapsed() < Duration::from_secs(5) {
            to.recv(|from, run| got.extend(run.datagrams().map(|d| (from, d.to_vec()))))
                .expect("receive");
            std::thread::yield_now();
        }
        got
    }

    #[test]
    fn runs_of_datagrams_arrive_one_by_one_intact_and_in_order() {
        let mut a = BatchSocket::bind_any(0).expect("bind a");
        let mut b = BatchSocket::bind_any(0).expect("bind b");
        let to = SocketAddr::from(([127, 0, 0, 1], b.local_addr().expect("b").port()));
        let from = SocketAddr::from(([127, 0, 0, 1], a.local_addr().expect("a").port()));
        // Runs of equal sizes with a shorter last one, a size change, single datagrams; each
        // group is received before the next is sent, so no group overflows a small socket
        // buffer (Wine's drops datagrams of a 100 KB burst).
        let groups: Vec<Vec<usize>> = vec![
            vec![1200; 30],
            [vec![1200; 30], vec![700]].concat(),
            vec![1300, 1300, 5, 1, 1400],
            vec![1000; 25],
        ];
        let mut seed = 0usize;
        for sizes in groups {
            let sent: Vec<Vec<u8>> = sizes
                .iter()
                .map(|&n| {
                    seed += 1;
                    (0..n).map(|j| (seed * 31 + j) as u8).collect()
                })
                .collect();
            for d in &sent {
                a.send(to, d);
            }
            a.send_queued();
            let got = receive(&mut b, sent.len());
            assert!(got.iter().all(|(f, _)| *f == from), "from {from}");
            let got: Vec<Vec<u8>> = got.into_iter().map(|(_, d)| d).collect();
            assert_eq!(got.len(), sent.len(), "sizes {sizes:?}");
            assert!(got == sent, "datagrams differ");
        }
    }

    #[test]
    fn an_ipv6_and_an_ipv4_peer_reach_a_socket_on_every_address() {
        let mut server = BatchSocket::bind_any(0).expect("bind");
        let port = server.local_addr().expect("server").port();
        let mut v4 = BatchSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("v4");
        let mut v6 = BatchSocket::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, 0))).expect("v6");
        v4.send(SocketAddr::from(([127, 0, 0, 1], port)), b"four");
        v4.send_queued();
        v6.send(SocketAddr::from((Ipv6Addr::LOCALHOST, port)), b"six");
        v6.send_queued();
        let mut got = receive(&mut server, 2);
        got.sort_by_key(|(_, d)| d.clone());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, b"four");
        assert!(got[0].0.is_ipv4(), "shown as IPv4: {}", got[0].0);
        assert_eq!(got[1].1, b"six");
        assert_eq!(got[1].0.ip(), IpAddr::V6(Ipv6Addr::LOCALHOST));
        // Answers reach both.
        for (from, _) in &got {
            server.send(*from, b"back");
        }
        server.send_queued();
        assert_eq!(receive(&mut v4, 1).len(), 1);
        assert_eq!(receive(&mut v6, 1).len(), 1);
    }
}
