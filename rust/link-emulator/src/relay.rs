//! The relay: a socket facing the clients, one socket per client facing the server, and a scheduler
//! thread that passes every datagram through the link model (`up` client to server, `down` back) and
//! sends it when the model delivers it. Reader threads block on their sockets and hand datagrams to
//! the scheduler, which waits for the next one or the model's next deadline, whichever comes first.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use openssl_dtls_core::netsim::{Datagram, Direction, DirectionConfig};

use crate::args::Args;
use crate::trace::{Fate, Trace};

/// IPv4 and UDP headers: what a datagram takes on the link beyond its payload.
const HEADERS: usize = 28;
/// Largest datagram relayed.
const MAX_DATAGRAM: usize = 65_535;
/// Reader threads look at the stop flag this often.
const READ_TIMEOUT: Duration = Duration::from_millis(50);
/// The scheduler wakes at least this often with nothing to do.
const IDLE_WAKE: Duration = Duration::from_millis(100);

/// A datagram on the link with the client it belongs to.
#[derive(Debug, Clone)]
struct Carried {
    client: SocketAddr,
    bytes: Vec<u8>,
}

impl Datagram for Carried {
    fn wire_len(&self) -> usize {
        self.bytes.len() + HEADERS
    }
}

enum Event {
    FromClient(SocketAddr, Vec<u8>),
    FromServer(SocketAddr, Vec<u8>),
    Stats(Sender<String>),
    Stop,
}

/// A running relay.
pub struct Relay {
    local: SocketAddr,
    events: Sender<Event>,
    stop: Arc<AtomicBool>,
    scheduler: JoinHandle<()>,
}

impl Relay {
    /// Binds the client-facing socket and starts the threads.
    pub fn start(args: &Args) -> io::Result<Relay> {
        let front = UdpSocket::bind(args.listen)?;
        front.set_read_timeout(Some(READ_TIMEOUT))?;
        let local = front.local_addr()?;
        let (events, inbox) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        read_into(
            front.try_clone()?,
            events.clone(),
            stop.clone(),
            Event::FromClient,
        );
        let (up, down) = args.link.directions(args.seed);
        let trace = match &args.trace {
            Some(path) => Some(Trace::create(path, Instant::now()).map_err(|e| {
                io::Error::new(e.kind(), format!("--trace {}: {e}", path.display()))
            })?),
            None => None,
        };
        let scheduler = Scheduler {
            front,
            server: args.server,
            upstream: HashMap::new(),
            up,
            down,
            events: events.clone(),
            stop: stop.clone(),
            trace,
        };
        let scheduler = thread::spawn(move || scheduler.run(inbox));
        Ok(Relay {
            local,
            events,
            stop,
            scheduler,
        })
    }

    /// The client-facing address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// One line per direction with its counts.
    pub fn stats(&self) -> String {
        let (reply, answer) = mpsc::channel();
        if self.events.send(Event::Stats(reply)).is_err() {
            return String::new();
        }
        answer.recv().unwrap_or_default()
    }

    /// Stops the threads (what is still on the link is dropped).
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.events.send(Event::Stop);
        let _ = self.scheduler.join();
    }
}

/// A thread reading `socket` until `stop`, each datagram made an event by `wrap`.
fn read_into(
    socket: UdpSocket,
    events: Sender<Event>,
    stop: Arc<AtomicBool>,
    wrap: impl Fn(SocketAddr, Vec<u8>) -> Event + Send + 'static,
) {
    thread::spawn(move || {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        while !stop.load(Ordering::Relaxed) {
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    if events.send(wrap(from, buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                // ICMP errors (a peer gone) show here on some systems: keep reading.
                Err(_) => {}
            }
        }
    });
}

struct Scheduler {
    front: UdpSocket,
    server: SocketAddr,
    /// Per client, the socket that talks to the server for it (so the server tells clients apart).
    upstream: HashMap<SocketAddr, UdpSocket>,
    up: Direction<Carried>,
    down: Direction<Carried>,
    events: Sender<Event>,
    stop: Arc<AtomicBool>,
    trace: Option<Trace>,
}

impl Scheduler {
    fn run(mut self, inbox: Receiver<Event>) {
        loop {
            let now = Instant::now();
            let wait = [self.up.next_deadline(), self.down.next_deadline()]
                .into_iter()
                .flatten()
                .min()
                .map_or(IDLE_WAKE, |due| due.saturating_duration_since(now));
            let event = match inbox.recv_timeout(wait) {
                Ok(event) => Some(event),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let now = Instant::now();
            match event {
                Some(Event::FromClient(client, bytes)) => {
                    self.ensure_upstream(client);
                    self.offer(now, true, Carried { client, bytes });
                }
                Some(Event::FromServer(client, bytes)) => {
                    self.offer(now, false, Carried { client, bytes });
                }
                Some(Event::Stats(reply)) => {
                    let _ = reply.send(self.report(now));
                }
                Some(Event::Stop) => break,
                None => {}
            }
            self.deliver(Instant::now());
        }
        if let Some(trace) = self.trace.as_mut() {
            if let Err(e) = trace.flush() {
                eprintln!("link-emulator: the trace was not written out: {e}");
            }
        }
    }

    /// Puts a datagram on the link, `up` (client to server) or down; traced if asked.
    fn offer(&mut self, now: Instant, up: bool, datagram: Carried) {
        let bytes = datagram.wire_len();
        let (name, direction) = if up {
            ("up", &mut self.up)
        } else {
            ("down", &mut self.down)
        };
        let Some(trace) = self.trace.as_mut() else {
            direction.offer(now, datagram);
            return;
        };
        let before = direction.counters();
        direction.offer(now, datagram);
        let fate = Fate::of(&before, &direction.counters());
        let queued = direction.queued_bytes(now);
        if let Err(e) = trace.offered(now, name, bytes, queued, fate) {
            eprintln!("link-emulator: tracing stopped: {e}");
            self.trace = None;
        }
    }

    fn ensure_upstream(&mut self, client: SocketAddr) {
        if self.upstream.contains_key(&client) {
            return;
        }
        let local: SocketAddr = if self.server.is_ipv4() {
            ([127, 0, 0, 1], 0).into()
        } else {
            (std::net::Ipv6Addr::LOCALHOST, 0).into()
        };
        let made = UdpSocket::bind(local).and_then(|s| {
            s.connect(self.server)?;
            s.set_read_timeout(Some(READ_TIMEOUT))?;
            Ok(s)
        });
        match made.and_then(|s| Ok((s.try_clone()?, s))) {
            Ok((reader, sender)) => {
                read_into(
                    reader,
                    self.events.clone(),
                    self.stop.clone(),
                    move |_, bytes| Event::FromServer(client, bytes),
                );
                self.upstream.insert(client, sender);
            }
            Err(e) => eprintln!("link-emulator: no socket towards the server for {client}: {e}"),
        }
    }

    fn deliver(&mut self, now: Instant) {
        while let Some(d) = self.up.poll_deliver(now) {
            if let Some(socket) = self.upstream.get(&d.client) {
                let _ = socket.send(&d.bytes);
            }
        }
        while let Some(d) = self.down.poll_deliver(now) {
            let _ = self.front.send_to(&d.bytes, d.client);
        }
    }

    fn report(&mut self, now: Instant) -> String {
        let mut out = String::new();
        for (name, direction) in [("up", &mut self.up), ("down", &mut self.down)] {
            let c = direction.counters();
            let config: &DirectionConfig = direction.config();
            let rate = config.rate_bps;
            let queue = config.queue_bytes;
            let _ = writeln!(
                out,
                "{name} offered={} offered_bytes={} queue_drops={} random_drops={} duplicated={} \
                 reordered={} delivered={} delivered_bytes={} rate_bps={rate} queue_bytes={queue} \
                 queued_now={}",
                c.offered,
                c.offered_bytes,
                c.queue_drops,
                c.random_drops,
                c.duplicated,
                c.reordered,
                c.delivered,
                c.delivered_bytes,
                direction.queued_bytes(now),
            );
        }
        out
    }
}
