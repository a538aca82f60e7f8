//! The relay: a socket facing the client (`--listen`) and one facing the server, a thread reading
//! each (and one waiting for standard input to close), and the main thread feeding what they read
//! into the two directions of the link model and sending what is due, waking at the model's next
//! deadline. The client is whoever sent the last datagram to the listening socket.

use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

use openssl_dtls_core::netsim::Direction;

use crate::args::Args;
use crate::stats;

/// How often the stats file is rewritten.
const STATS_INTERVAL: Duration = Duration::from_secs(1);

/// What the threads tell the main thread.
enum Event {
    /// A datagram from the client side, its source, and when it was read.
    FromClient(SocketAddr, Vec<u8>, Instant),
    /// A datagram from the server, and when it was read.
    FromServer(Vec<u8>, Instant),
    /// Standard input closed: time to write the counters and go.
    InputClosed,
    /// A socket failed for good.
    Failed(io::Error),
}

/// Relays until standard input closes.
pub fn run(args: &Args) -> io::Result<()> {
    let front = UdpSocket::bind(args.listen)?;
    let back = UdpSocket::bind(SocketAddr::new(args.server.ip(), 0))?;
    back.connect(args.server)?;
    println!("listening {}", front.local_addr()?);
    io::stdout().flush()?;

    let (tx, rx) = mpsc::channel();
    let tx_front = tx.clone();
    read_loop(front.try_clone()?, tx.clone(), move |from, d, at| {
        Event::FromClient(from, d, at)
    });
    read_loop(back.try_clone()?, tx_front, |_, d, at| {
        Event::FromServer(d, at)
    });
    thread::spawn(move || {
        // Whatever comes on standard input is ignored; its end ends the relay.
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        let _ = tx.send(Event::InputClosed);
    });

    let (mut up, mut down): (Direction, Direction) = args.link.directions(args.seed);
    let mut client: Option<SocketAddr> = None;
    let mut next_stats = Instant::now() + STATS_INTERVAL;
    let write_stats = |up: &Direction, down: &Direction| match &args.stats {
        Some(path) => stats::write(path, &up.counters(), &down.counters()),
        None => Ok(()),
    };
    loop {
        let now = Instant::now();
        while let Some(d) = up.poll_deliver(now) {
            // The server may be gone for a moment (a port unreachable): the link lost it.
            let _ = back.send(&d);
        }
        while let Some(d) = down.poll_deliver(now) {
            if let Some(to) = client {
                let _ = front.send_to(&d, to);
            }
        }
        if now >= next_stats {
            write_stats(&up, &down)?;
            next_stats = now + STATS_INTERVAL;
        }
        let wake = [up.next_deadline(), down.next_deadline(), Some(next_stats)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(next_stats);
        match rx.recv_timeout(wake.saturating_duration_since(now)) {
            Ok(Event::FromClient(from, d, at)) => {
                client = Some(from);
                up.offer(at, d);
            }
            Ok(Event::FromServer(d, at)) => down.offer(at, d),
            Ok(Event::Failed(e)) => {
                write_stats(&up, &down)?;
                return Err(e);
            }
            Ok(Event::InputClosed) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    write_stats(&up, &down)
}

/// A thread reading `socket` until it fails for good, each datagram sent on as `event` says.
fn read_loop(
    socket: UdpSocket,
    tx: Sender<Event>,
    event: impl Fn(SocketAddr, Vec<u8>, Instant) -> Event + Send + 'static,
) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        loop {
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    if tx
                        .send(event(from, buf[..n].to_vec(), Instant::now()))
                        .is_err()
                    {
                        return;
                    }
                }
                // An ICMP report about an earlier send (the server's port closed for a moment).
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    let _ = tx.send(Event::Failed(e));
                    return;
                }
            }
        }
    });
}
