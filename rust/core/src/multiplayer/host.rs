//! The multiplayer peer, sans-IO: a server (the cookie `Server` in front, one connection per
//! client address, unique ids, `max_clients` and refusal of new connections) or a client (one
//! connection to the server, connected once the server has given it an id). Datagrams come in
//! with their source address and go out with their destination; time comes in as `Instant`.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use super::channels::{TransferMode, MAX_CHANNEL};
use super::inbox::{Inbox, Message};
use super::link::{Link, LinkState};
use super::link_stats::PeerStats;
use super::MultiplayerConfig;
use crate::io::udp_server::peer_bytes;
use crate::{Accept, ClientConfig, DtlsError, Server, ServerConfig, Session};

/// The server's id.
pub const SERVER_ID: u32 = 1;
/// Sessions still in their handshake that a server holds beyond `max_clients`.
const HANDSHAKE_SLACK: usize = 16;

/// Godot's `MultiplayerPeer.ConnectionStatus`, with the same numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum ConnectionStatus {
    Disconnected = 0,
    Connecting = 1,
    Connected = 2,
}

/// What happened to a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerEvent {
    /// The peer with this id can exchange messages (`peer_connected`).
    Connected(u32),
    /// The peer with this id is gone (`peer_disconnected`).
    Disconnected(u32),
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Not connected (client) or not started (server).
    NotConnected,
    /// No connected peer has this id.
    UnknownPeer(i32),
    /// The message is larger than `max_message_size`.
    TooLarge { size: usize, max: usize },
    /// The channel is above [`MAX_CHANNEL`].
    InvalidChannel(u8),
    /// The connection refused it (and was closed, e.g. for exceeding `max_queued_bytes`).
    Refused(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::NotConnected => write!(f, "not connected"),
            SendError::UnknownPeer(id) => write!(f, "no connected peer has id {id}"),
            SendError::TooLarge { size, max } => {
                write!(
                    f,
                    "a packet of {size} bytes is larger than the {max} bytes allowed"
                )
            }
            SendError::InvalidChannel(c) => {
                write!(
                    f,
                    "transfer channel {c} is above the highest, {MAX_CHANNEL}"
                )
            }
            SendError::Refused(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for SendError {}

enum Kind {
    Server {
        server: Box<Server>,
        /// HelloVerifyRequests waiting to be sent.
        replies: Vec<(SocketAddr, Vec<u8>)>,
    },
    Client {
        server_addr: SocketAddr,
        /// The client was connected (so its end is a disconnection, not a failure).
        was_connected: bool,
    },
}

/// A multiplayer server or client over DTLS.
pub struct MultiplayerHost {
    kind: Kind,
    config: MultiplayerConfig,
    links: HashMap<SocketAddr, Link>,
    /// Addresses of the peers announced connected, by id.
    ids: HashMap<u32, SocketAddr>,
    inbox: Inbox,
    events: VecDeque<PeerEvent>,
    status: ConnectionStatus,
    unique_id: u32,
    refuse_new_connections: bool,
    /// Why a client's connection ended or failed.
    failure: Option<String>,
    refused: u64,
}

impl std::fmt::Debug for MultiplayerHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiplayerHost")
            .field("status", &self.status)
            .field("unique_id", &self.unique_id)
            .field("links", &self.links.len())
            .finish_non_exhaustive()
    }
}

/// A random id in 2..=2^31-1.
fn random_id() -> u32 {
    let mut b = [0u8; 4];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        // OpenSSL's generator does not fail once initialised; the clock still differs per call.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(7, |d| d.subsec_nanos());
        b = nanos.to_be_bytes();
    }
    (u32::from_be_bytes(b) & 0x7FFF_FFFF).max(2)
}

impl MultiplayerHost {
    /// A server; its settings (`config.settings`) should carry the idle timeout.
    pub fn server(
        config: &ServerConfig,
        mp: MultiplayerConfig,
        now: Instant,
    ) -> Result<MultiplayerHost, DtlsError> {
        mp.validate(&config.settings)?;
        let server = Server::new(config, now)?;
        Ok(MultiplayerHost {
            kind: Kind::Server {
                server: Box::new(server),
                replies: Vec::new(),
            },
            status: ConnectionStatus::Connected,
            unique_id: SERVER_ID,
            ..MultiplayerHost::empty(mp)
        })
    }

    /// A client of the server at `server_addr`; the ClientHello is ready to send.
    pub fn client(
        config: &ClientConfig,
        server_addr: SocketAddr,
        mp: MultiplayerConfig,
        now: Instant,
    ) -> Result<MultiplayerHost, DtlsError> {
        mp.validate(&config.settings)?;
        let session = Session::client(config, now)?;
        let mut host = MultiplayerHost {
            kind: Kind::Client {
                server_addr,
                was_connected: false,
            },
            status: ConnectionStatus::Connecting,
            ..MultiplayerHost::empty(mp)
        };
        let link = Link::new(session, server_addr, SERVER_ID, &host.config);
        host.links.insert(server_addr, link);
        Ok(host)
    }

    fn empty(config: MultiplayerConfig) -> MultiplayerHost {
        MultiplayerHost {
            kind: Kind::Client {
                server_addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                was_connected: false,
            },
            config,
            links: HashMap::new(),
            ids: HashMap::new(),
            inbox: Inbox::default(),
            events: VecDeque::new(),
            status: ConnectionStatus::Disconnected,
            unique_id: 0,
            refuse_new_connections: false,
            failure: None,
            refused: 0,
        }
    }

    /// True for a server.
    pub fn is_server(&self) -> bool {
        matches!(self.kind, Kind::Server { .. })
    }

    /// This peer's id: 1 on a server; on a client the one the server gave (0 before).
    pub fn unique_id(&self) -> u32 {
        self.unique_id
    }

    /// Connecting, connected or disconnected (a server is connected while it runs).
    pub fn status(&self) -> ConnectionStatus {
        self.status
    }

    /// Why a client's connection failed or ended, in words.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// How many clients a server turned away (full, refusing, or too many handshakes).
    pub fn refused_connections(&self) -> u64 {
        self.refused
    }

    /// The ids of the connected peers.
    pub fn peer_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.ids.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The DTLS session of the connected peer `id`.
    pub fn session(&self, id: u32) -> Option<&Session> {
        let addr = self.ids.get(&id)?;
        self.links.get(addr).map(|l| &l.session)
    }

    /// Bytes held for what the connected peer `id` sent: its messages not read yet and what the
    /// channels hold for it (messages waiting for an earlier one or being reassembled), each
    /// counted with an overhead. The peer is disconnected before this exceeds
    /// `max_queued_bytes`.
    pub fn received_bytes_held(&self, id: u32) -> Option<usize> {
        let addr = self.ids.get(&id)?;
        let link = self.links.get(addr)?;
        Some(self.inbox.bytes_from(id) + link.channels_held())
    }

    /// Whether a server turns new clients away (they get a goodbye saying so).
    pub fn set_refuse_new_connections(&mut self, refuse: bool) {
        self.refuse_new_connections = refuse;
    }

    pub fn is_refusing_new_connections(&self) -> bool {
        self.refuse_new_connections
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<PeerEvent> {
        self.events.pop_front()
    }

    /// The next received message, oldest first (a client's wait until it is connected).
    pub fn recv(&mut self) -> Option<Message> {
        self.readable().then(|| self.inbox.pop())?
    }

    /// The next received message, left in place.
    pub fn peek(&self) -> Option<&Message> {
        self.readable().then(|| self.inbox.front())?
    }

    /// How many received messages wait.
    pub fn pending_messages(&self) -> usize {
        if self.readable() {
            self.inbox.len()
        } else {
            0
        }
    }

    fn readable(&self) -> bool {
        self.is_server() || self.status == ConnectionStatus::Connected
    }

    /// Largest message `send` takes.
    pub fn max_message_size(&self) -> usize {
        self.config.max_message_size
    }

    /// [`MultiplayerHost::handle_datagram`] of datagrams that came one after the other from one
    /// source (a GRO run): the connection is looked up once for the run, not per datagram.
    pub fn handle_datagrams<'a>(
        &mut self,
        now: Instant,
        from: SocketAddr,
        mut datagrams: impl Iterator<Item = &'a [u8]>,
    ) {
        let mut changed = false;
        if let Some(link) = self.links.get_mut(&from) {
            let before = link.state();
            if before != LinkState::Over {
                for datagram in datagrams.by_ref() {
                    link.handle_datagram(now, datagram, &mut self.inbox);
                    if link.state() != before || link.awaits_admission() {
                        changed = true;
                        break;
                    }
                }
            }
        }
        if changed {
            self.update(now);
        }
        // A connection that changed state, or none: each of the rest as if it came alone.
        for datagram in datagrams {
            self.handle_datagram(now, from, datagram);
        }
    }

    /// A datagram from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        if let Some(link) = self.links.get_mut(&from) {
            let before = link.state();
            if before != LinkState::Over {
                link.handle_datagram(now, datagram, &mut self.inbox);
                // What `update` acts on (admissions, events) follows a change of state: the
                // datagrams of a busy connection do not walk every connection.
                if link.state() != before || link.awaits_admission() {
                    self.update(now);
                }
                return;
            }
        }
        let Kind::Server { server, replies } = &mut self.kind else {
            return;
        };
        match server.accept(now, &peer_bytes(&from), datagram) {
            Accept::HelloVerify(reply) => replies.push((from, reply)),
            Accept::Session(session) => {
                let holding = self.links.len();
                if holding >= self.config.max_clients + HANDSHAKE_SLACK {
                    self.refused += 1;
                    log::warn!(
                        "DTLS multiplayer server: dropped a handshake from {from}: {holding} \
                         connections held (max_clients {} and {HANDSHAKE_SLACK} handshakes)",
                        self.config.max_clients
                    );
                    return;
                }
                let mut id = random_id();
                while self.ids.contains_key(&id) || self.links.values().any(|l| l.peer_id == id) {
                    id = random_id();
                }
                let link = Link::new(*session, from, id, &self.config);
                self.links.insert(from, link);
            }
            Accept::Ignored => {}
        }
    }

    /// Runs every timer (handshakes, retransmissions, keepalives, idle timeouts).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.run_timers(now, true);
    }

    /// Runs every timer as [`MultiplayerHost::handle_timeout`] does, but while received messages
    /// wait to be read the channels send nothing (acknowledgements, retransmissions, queued
    /// messages) until [`MultiplayerHost::send_queued`]: a game that reads and answers sends its
    /// answers and the acknowledgements in one batch. True when it held them back.
    pub fn handle_timeout_for_reader(&mut self, now: Instant) -> bool {
        let hold = self.pending_messages() > 0;
        self.run_timers(now, !hold);
        hold
    }

    fn run_timers(&mut self, now: Instant, send: bool) {
        // Connections that ended and have said all they had to say go.
        self.links
            .retain(|_, l| l.state() != LinkState::Over || l.session.has_transmit());
        for link in self.links.values_mut() {
            link.handle_timeout(now, &mut self.inbox, send);
        }
        self.update(now);
    }

    /// The earliest time `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.links.values().filter_map(Link::poll_timeout).min()
    }

    /// True when messages were queued (or answers are due) that [`MultiplayerHost::send_queued`]
    /// would send now.
    pub fn has_unsent(&self) -> bool {
        matches!(&self.kind, Kind::Server { replies, .. } if !replies.is_empty())
            || self.links.values().any(Link::has_unsent)
    }

    /// Turns what was queued since the last poll into datagrams (ready in
    /// [`MultiplayerHost::drain_transmit`]) without running the timers: a game's messages leave
    /// when it says, not at its next poll, and the messages of one call share datagrams.
    pub fn send_queued(&mut self, now: Instant) {
        for link in self.links.values_mut() {
            link.send_queued(now);
        }
    }

    /// The figures of the connection to peer `id` (round trip, loss, rates, what is queued).
    pub fn peer_stats(&self, id: u32) -> Option<PeerStats> {
        let addr = self.ids.get(&id)?;
        self.links.get(addr).map(Link::stats)
    }

    /// Hands every datagram waiting to be sent to `send`, with its destination.
    pub fn drain_transmit(&mut self, mut send: impl FnMut(SocketAddr, &[u8])) {
        if let Kind::Server { server, replies } = &mut self.kind {
            for (to, reply) in replies.drain(..) {
                send(to, &reply);
                server.recycle(reply);
            }
        }
        for link in self.links.values_mut() {
            link.drain_transmit(&mut send);
        }
    }

    /// Sends `data` to `target` (0: every peer; a negative id: every peer but that one; a
    /// client always sends to the server) on `channel` in `mode`.
    pub fn send(
        &mut self,
        now: Instant,
        target: i32,
        channel: u8,
        mode: TransferMode,
        data: &[u8],
    ) -> Result<(), SendError> {
        if self.status != ConnectionStatus::Connected {
            return Err(SendError::NotConnected);
        }
        let max = self.config.max_message_size;
        if data.len() > max {
            return Err(SendError::TooLarge {
                size: data.len(),
                max,
            });
        }
        if channel > MAX_CHANNEL {
            return Err(SendError::InvalidChannel(channel));
        }
        let result = match &self.kind {
            Kind::Client { server_addr, .. } => {
                let addr = *server_addr;
                match self.links.get_mut(&addr) {
                    Some(link) => link
                        .send(now, channel, mode, data)
                        .map_err(SendError::Refused),
                    None => Err(SendError::NotConnected),
                }
            }
            Kind::Server { .. } if target > 0 => {
                let addr = u32::try_from(target)
                    .ok()
                    .and_then(|id| self.ids.get(&id).copied())
                    .ok_or(SendError::UnknownPeer(target))?;
                match self.links.get_mut(&addr) {
                    Some(link) => link
                        .send(now, channel, mode, data)
                        .map_err(SendError::Refused),
                    None => Err(SendError::UnknownPeer(target)),
                }
            }
            Kind::Server { .. } => {
                let except = target.unsigned_abs();
                for (&id, addr) in &self.ids {
                    if id == except {
                        continue;
                    }
                    if let Some(link) = self.links.get_mut(addr) {
                        if let Err(why) = link.send(now, channel, mode, data) {
                            log::debug!("DTLS multiplayer: not sent to peer {id}: {why}");
                        }
                    }
                }
                Ok(())
            }
        };
        self.update(now);
        result
    }

    /// Disconnects peer `id` (a client: the server, id 1): it gets a goodbye and close_notify.
    /// With `force`, no `Disconnected` event follows. False for an unknown id.
    pub fn disconnect_peer(&mut self, now: Instant, id: u32, force: bool) -> bool {
        let Some(&addr) = self.ids.get(&id) else {
            return false;
        };
        if let Some(link) = self.links.get_mut(&addr) {
            link.close(now, "disconnected by the other side");
        }
        if force {
            self.ids.remove(&id);
            self.inbox.remove_from(id);
            if !self.is_server() {
                self.status = ConnectionStatus::Disconnected;
            }
        }
        self.update(now);
        true
    }

    /// Closes every connection (goodbye and close_notify, ready in `drain_transmit`) and stops:
    /// no events follow, received messages are dropped.
    pub fn close(&mut self, now: Instant) {
        for link in self.links.values_mut() {
            if link.state() != LinkState::Over {
                link.close(now, "the peer closed");
            }
        }
        self.ids.clear();
        self.inbox.clear();
        self.events.clear();
        self.status = ConnectionStatus::Disconnected;
    }

    /// Turns connections that opened into `Connected` events (or refusals), and those that
    /// ended into `Disconnected` events.
    fn update(&mut self, now: Instant) {
        let is_server = self.is_server();
        for link in self.links.values_mut() {
            if link.awaits_admission() {
                let refusal = if self.refuse_new_connections {
                    Some("the server refuses new connections".to_string())
                } else if self.ids.len() >= self.config.max_clients {
                    Some(format!(
                        "the server is full ({} clients, max_clients)",
                        self.config.max_clients
                    ))
                } else {
                    None
                };
                match refusal {
                    Some(why) => {
                        self.refused += 1;
                        log::info!("DTLS multiplayer server: turned {} away: {why}", link.addr);
                        link.close(now, &why);
                        continue;
                    }
                    None => link.admit(),
                }
            }
            let announced = self.ids.get(&link.peer_id) == Some(&link.addr);
            match link.state() {
                LinkState::Open if !announced => {
                    if let (Some(id), Kind::Client { was_connected, .. }) =
                        (link.assigned_id, &mut self.kind)
                    {
                        self.unique_id = id;
                        *was_connected = true;
                        self.status = ConnectionStatus::Connected;
                    }
                    self.ids.insert(link.peer_id, link.addr);
                    self.events.push_back(PeerEvent::Connected(link.peer_id));
                }
                LinkState::Over if announced => {
                    self.ids.remove(&link.peer_id);
                    self.inbox.remove_from(link.peer_id);
                    self.events.push_back(PeerEvent::Disconnected(link.peer_id));
                    if !is_server {
                        self.failure = link.failure.clone();
                        self.status = ConnectionStatus::Disconnected;
                    }
                }
                LinkState::Over if !is_server && self.status != ConnectionStatus::Disconnected => {
                    // Ended before it was connected: the connection failed.
                    self.failure = link.failure.clone();
                    self.status = ConnectionStatus::Disconnected;
                }
                _ => {}
            }
        }
    }
}
