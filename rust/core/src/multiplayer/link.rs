//! One multiplayer connection: a DTLS session and, once it is connected, the renet channels
//! inside it (each renet packet in one DTLS packet, the packets of one flush sharing datagrams
//! where they fit, one acknowledgement per flush and none answering an acknowledgement alone);
//! the id assignment on the control channel,
//! the ping every second (the keepalive, and the round trip that sets renet's resend time) and
//! the goodbye of `frame.rs`; the per-connection memory bounds:
//! what we send is held to `max_queued_bytes`, and so is what the peer sent that is not read yet
//! (the inbox) together with what renet holds for it (`guard.rs` counts it, over all channels).

use std::cell::RefCell;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use bytes::Bytes;
use renet::{ChannelConfig, ConnectionConfig, RenetClient, SendType};

use super::channels::{self, Sequencer, TransferMode, CONTROL_CHANNEL, SEQUENCE_LEN};
use super::congestion::{Congestion, PACKET_OVERHEAD};
use super::frame::{self, Frame};
use super::guard::{self, ChannelKind, Guard, Refusal};
use super::inbox::{Inbox, Message};
use super::link_stats::{PeerStats, Rates, RoundTrip};
use super::MultiplayerConfig;
use super::SLICE_SIZE;
use crate::{Role, Session, Status};

/// A ping goes out this often (it is the keepalive too; its pong measures the round trip).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(1);
/// renet retransmits an unacknowledged reliable message after this long on its clock, which the
/// link runs faster or slower than real time (see [`Channels::clock_rate`]) so that in real time
/// the resend comes after [`resend_after`] the round trip the pings measure.
const RESEND_TIME: Duration = Duration::from_millis(200);
/// The real resend time before a round trip was measured (a peer of an earlier version answers
/// no ping: it stays).
const INITIAL_RESEND: Duration = Duration::from_millis(200);
/// Shortest real resend time, whatever the round trip (a poll or two of a game at 60 frames/s).
const MIN_RESEND: Duration = Duration::from_millis(30);
/// Longest real resend time.
const MAX_RESEND: Duration = Duration::from_secs(1);
/// Bytes renet hands out per call: a burst the receiver's socket buffer takes whole.
const BYTES_PER_CALL: u64 = 64 * 1024;
/// A flush asks renet once per this much time since the previous flush (at least once, at most
/// [`MAX_CALLS_PER_FLUSH`] times): polled in a tight loop, 32 KiB per poll; polled once a frame,
/// 8 MB/s, up to 192 KiB per frame. (renet itself has no congestion control.)
const TIME_PER_CALL: Duration = Duration::from_millis(4);
const MAX_CALLS_PER_FLUSH: u32 = 6;
/// While connected, renet is given a chance to retransmit at least this often.
const IDLE_FLUSH_INTERVAL: Duration = Duration::from_millis(10);
/// Most bytes an unreliable channel holds (its largest message).
const UNRELIABLE_CHANNEL_MEMORY: usize = 256 * 1024;
/// Most buffers of sealed channel packets kept for renet to serialise the next ones into.
const MAX_SPARE_PACKETS: usize = 64;

thread_local! {
    /// Buffers of channel packets already sealed, for renet to serialise the next ones into (no
    /// allocation per packet): one pool per thread, not per connection, so an idle connection
    /// keeps none, and at most [`MAX_SPARE_PACKETS`] of about 1.4 KB.
    static SPARE_PACKETS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// `f` of this thread's spare packet buffers; `None` while they are in use (a nested flush) or
/// the thread is ending.
fn with_spare_packets<R>(f: impl FnOnce(&mut Vec<Vec<u8>>) -> R) -> Option<R> {
    SPARE_PACKETS
        .try_with(|spare| spare.try_borrow_mut().ok().map(|mut spare| f(&mut spare)))
        .ok()
        .flatten()
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkState {
    /// DTLS handshake, or (client) the id assignment, under way.
    Opening,
    /// Both ends can exchange messages.
    Open,
    /// Ended: closed by either side, failed, timed out.
    Over,
}

/// The renet channels of one connection and when they last ran.
struct Channels {
    renet: RenetClient,
    /// Checks each packet before renet and counts what renet holds.
    guard: Guard,
    /// renet's clock: the sum of the durations it was advanced by.
    renet_time: Duration,
    /// renet seconds per real second: `RESEND_TIME` / the real resend time wanted. renet's
    /// resend time is fixed per channel at its creation; this makes it follow the round trip.
    /// (renet's other timers scale with it: sent packets are forgotten, and unreliable messages
    /// missing a slice dropped, after 15 resend times instead of 3 s.)
    clock_rate: f64,
    last_update: Instant,
    last_flush: Option<Instant>,
    /// Messages were queued or packets arrived since the last flush.
    dirty: bool,
    /// A packet other than an acknowledgement arrived since the last flush: the next one
    /// acknowledges it, alone if nothing else goes (an acknowledgement alone is never answered,
    /// or the two ends would acknowledge each other's acknowledgements at every poll).
    ack_due: bool,
    /// What the reliable channels may send, from renet's acknowledgements.
    congestion: Congestion,
    /// The last flush left reliable data unsent (the window or the pacer held it back).
    backlogged: bool,
    /// Scratch for an acknowledgement's ranges.
    ranges: Vec<std::ops::RangeInclusive<u64>>,
}

/// One connection to one peer.
pub(crate) struct Link {
    pub(crate) session: Session,
    pub(crate) addr: SocketAddr,
    /// The peer's id: a client's (on the server), 1 (on a client).
    pub(crate) peer_id: u32,
    /// The client's id, once the server gave it (on a server: once it admitted the client).
    pub(crate) assigned_id: Option<u32>,
    channels: Option<Channels>,
    state: LinkState,
    /// Why the connection ended, in words, once it has.
    pub(crate) failure: Option<String>,
    /// When the next ping goes.
    keepalive_at: Option<Instant>,
    /// The ping waiting for its pong: its token, when it went.
    ping_sent: Option<(u32, Instant)>,
    /// The round trip the pongs measured.
    round_trip: RoundTrip,
    /// Bytes per second each way, once connected.
    rates: Option<Rates>,
    sequencer: Sequencer,
    /// Data channels we sent on (their queued bytes count against `max_queued_bytes`).
    used: Vec<u8>,
    config: MultiplayerConfig,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("addr", &self.addr)
            .field("peer_id", &self.peer_id)
            .field("state", &self.state)
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

/// The renet channels, the same both ways: every data channel and the control channel.
fn connection_config(config: &MultiplayerConfig) -> ConnectionConfig {
    let reliable_memory = reliable_channel_memory(config);
    // renet fills a flush's packets channel by channel in this order: the unreliable channels
    // (a game's state updates), then the control channel, then the reliable data channels, so
    // a bulk transfer takes what is left of the budget, not the place of the small messages.
    let rank = |mode: Option<TransferMode>| match mode {
        Some(TransferMode::Reliable) => 2,
        None => 1,
        Some(_) => 0,
    };
    let mut order: Vec<(u8, Option<TransferMode>)> = channels::all().collect();
    order.sort_by_key(|&(id, mode)| (rank(mode), id));
    let list: Vec<ChannelConfig> = order
        .into_iter()
        .map(|(channel_id, mode)| match mode {
            Some(TransferMode::Reliable) | None => ChannelConfig {
                channel_id,
                max_memory_usage_bytes: reliable_memory,
                send_type: SendType::ReliableOrdered {
                    resend_time: RESEND_TIME,
                },
            },
            Some(_) => ChannelConfig {
                channel_id,
                max_memory_usage_bytes: UNRELIABLE_CHANNEL_MEMORY.min(reliable_memory),
                send_type: SendType::Unreliable,
            },
        })
        .collect();
    ConnectionConfig {
        available_bytes_per_tick: BYTES_PER_CALL,
        server_channels_config: list.clone(),
        client_channels_config: list,
    }
}

/// Most bytes a reliable channel holds, either way: `max_queued_bytes` and a little, so our own
/// bound (with its message) is met before renet's (which disconnects silently). Several large
/// messages may be in flight on one channel.
fn reliable_channel_memory(config: &MultiplayerConfig) -> usize {
    config.max_queued_bytes + 64 * 1024
}

/// The real time after which an unacknowledged reliable message is resent, for a smoothed round
/// trip of `rtt` seconds (0: not measured yet): twice the round trip and a margin, within
/// [`MIN_RESEND`]..=[`MAX_RESEND`].
fn resend_after(rtt: f64) -> Duration {
    if rtt <= 0.0 || !rtt.is_finite() {
        return INITIAL_RESEND;
    }
    Duration::from_secs_f64((2.0 * rtt + 0.005).min(MAX_RESEND.as_secs_f64())).max(MIN_RESEND)
}

/// renet's clock rate for a real resend time following a smoothed round trip of `rtt`.
fn clock_rate(rtt: Duration) -> f64 {
    RESEND_TIME.as_secs_f64() / resend_after(rtt.as_secs_f64()).as_secs_f64()
}

/// The largest channel packet on the wire (a full slice): the congestion control's unit.
const MAX_PACKET_ON_WIRE: u64 = guard::MAX_RENET_PACKET as u64 + PACKET_OVERHEAD;

/// When a backlogged connection (`last` flushed) may send again: when the pacer releases the
/// next datagram, or a call's time after the last flush when the window holds it back (an
/// acknowledgement also makes the connection flush).
fn release_at(c: &Channels, last: Instant) -> Option<Instant> {
    if !c.backlogged {
        return None;
    }
    Some(
        c.congestion
            .next_release()
            .unwrap_or(last + TIME_PER_CALL)
            .max(last),
    )
}

/// Largest unreliable message.
pub(crate) fn max_unreliable_message(config: &MultiplayerConfig) -> usize {
    UNRELIABLE_CHANNEL_MEMORY.min(config.max_message_size) - SEQUENCE_LEN
}

impl Link {
    pub(crate) fn new(
        session: Session,
        addr: SocketAddr,
        peer_id: u32,
        config: &MultiplayerConfig,
    ) -> Link {
        Link {
            session,
            addr,
            peer_id,
            assigned_id: None,
            channels: None,
            state: LinkState::Opening,
            failure: None,
            keepalive_at: None,
            ping_sent: None,
            round_trip: RoundTrip::default(),
            rates: None,
            sequencer: Sequencer::default(),
            used: Vec::new(),
            config: config.clone(),
            scratch: Vec::new(),
        }
    }

    pub(crate) fn state(&self) -> LinkState {
        self.state
    }

    /// A datagram from the peer, then whatever it makes happen (sending waits for the next
    /// [`Link::handle_timeout`], so a burst of datagrams gets one answer).
    pub(crate) fn handle_datagram(&mut self, now: Instant, datagram: &[u8], inbox: &mut Inbox) {
        self.session.handle_datagram(now, datagram);
        self.process(now, inbox);
    }

    /// Runs the timers: the session's (handshake, idle timeout), the channels' retransmissions,
    /// the keepalive; sends what the channels have (unless `send` is false: then it waits for
    /// [`Link::send_queued`]).
    pub(crate) fn handle_timeout(&mut self, now: Instant, inbox: &mut Inbox, send: bool) {
        self.session.handle_timeout(now);
        self.process(now, inbox);
        if self.state != LinkState::Over {
            if send {
                self.flush(now, false);
            }
            if let Some(rates) = self.rates.as_mut() {
                rates.update(now, self.session.stats());
            }
            if self.session.status() == Status::Connected
                && self.keepalive_at.is_some_and(|at| now >= at)
            {
                let token = self.ping_sent.map_or(1, |(t, _)| t.wrapping_add(1));
                if self.session.send(&frame::ping(token)).is_ok() {
                    self.ping_sent = Some((token, now));
                }
                self.keepalive_at = Some(now + KEEPALIVE_INTERVAL);
            }
        }
        self.update_state();
    }

    /// The earliest time [`Link::handle_timeout`] has work to do.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        if self.state == LinkState::Over {
            return None;
        }
        let flush = self.channels.as_ref().map(|c| match c.last_flush {
            None => c.last_update,
            Some(last) if c.dirty => last,
            Some(last) => match release_at(c, last) {
                Some(release) => release.min(last + IDLE_FLUSH_INTERVAL),
                None => last + IDLE_FLUSH_INTERVAL,
            },
        });
        [self.session.poll_timeout(), flush, self.keepalive_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Hands every datagram waiting to be sent to `send`.
    pub(crate) fn drain_transmit(&mut self, mut send: impl FnMut(SocketAddr, &[u8])) {
        let addr = self.addr;
        self.session.drain_transmit(|d| send(addr, d));
    }

    /// Queues one message on `channel` in `mode` (sent at the next flush).
    pub(crate) fn send(
        &mut self,
        now: Instant,
        channel: u8,
        mode: TransferMode,
        data: &[u8],
    ) -> Result<(), String> {
        if self.state != LinkState::Open {
            return Err("the connection is not open".into());
        }
        if mode != TransferMode::Reliable && data.len() > max_unreliable_message(&self.config) {
            return Err(format!(
                "an unreliable packet of {} bytes is larger than the {} bytes allowed",
                data.len(),
                max_unreliable_message(&self.config)
            ));
        }
        let queued = self.queued_out();
        let max = self.config.max_queued_bytes;
        if queued + data.len() > max {
            let why = format!(
                "{queued} bytes wait to be sent to peer {} and {} more were offered, above \
                 max_queued_bytes ({max}): the peer does not keep up, it is disconnected",
                self.peer_id,
                data.len(),
            );
            log::warn!("DTLS multiplayer: {why}");
            self.close(now, &why);
            self.failure = Some(why.clone());
            return Err(why);
        }
        let id = channels::stream_id(channel, mode);
        let message = if mode == TransferMode::UnreliableOrdered {
            let mut m = Vec::with_capacity(SEQUENCE_LEN + data.len());
            m.extend_from_slice(&self.sequencer.next(id).to_be_bytes());
            m.extend_from_slice(data);
            Bytes::from(m)
        } else {
            Bytes::copy_from_slice(data)
        };
        if !self.used.contains(&id) {
            self.used.push(id);
        }
        self.send_message(id, message)
    }

    fn send_message(&mut self, id: u8, message: Bytes) -> Result<(), String> {
        let Some(c) = self.channels.as_mut() else {
            return Err("the connection is not open".into());
        };
        if catch_unwind(AssertUnwindSafe(|| c.renet.send_message(id, message))).is_err() {
            self.fail("the channel layer failed (internal error)".into());
            return Err("the channel layer failed".into());
        }
        c.dirty = true;
        Ok(())
    }

    /// Messages were queued (or packets arrived) since the channels last sent.
    pub(crate) fn has_unsent(&self) -> bool {
        self.state != LinkState::Over
            && (self.channels.as_ref().is_some_and(|c| c.dirty) || self.session.has_transmit())
    }

    /// Sends what the channels have now (queued messages, acknowledgements), without running
    /// the timers: what a game put in this frame leaves in this frame.
    pub(crate) fn send_queued(&mut self, now: Instant) {
        if self.state != LinkState::Over {
            self.flush(now, false);
        }
    }

    /// The connection's figures for a game to show.
    pub(crate) fn stats(&self) -> PeerStats {
        let rates = self.rates.as_ref();
        PeerStats {
            rtt: self.round_trip.smoothed,
            rtt_variance: self.round_trip.variance,
            packet_loss: self.session.receive_loss(),
            bytes_sent_per_second: rates.map_or(0.0, |r| r.sent_per_second),
            bytes_received_per_second: rates.map_or(0.0, |r| r.received_per_second),
            queued_bytes: self.queued_out(),
            session: *self.session.stats(),
        }
    }

    /// Bytes renet holds of what the peer sent, by the guard's count.
    pub(crate) fn channels_held(&self) -> usize {
        self.channels.as_ref().map_or(0, |c| c.guard.held())
    }

    /// Bytes queued to be sent and not yet acknowledged, over every channel we sent on.
    fn queued_out(&self) -> usize {
        let Some(c) = self.channels.as_ref() else {
            return 0;
        };
        let reliable_memory = reliable_channel_memory(&self.config);
        self.used
            .iter()
            .map(|&id| {
                let limit = match channels::of_stream(id) {
                    Some((_, TransferMode::Reliable)) => reliable_memory,
                    _ => UNRELIABLE_CHANNEL_MEMORY.min(reliable_memory),
                };
                limit.saturating_sub(c.renet.channel_available_memory(id))
            })
            .sum()
    }

    /// Sends what is queued, says goodbye with `reason` and closes the DTLS session.
    pub(crate) fn close(&mut self, now: Instant, reason: &str) {
        if self.session.status() == Status::Connected {
            self.flush(now, true);
            let _ = self.session.send(&frame::goodbye(reason));
        }
        self.session.close();
        self.state = LinkState::Over;
    }

    fn fail(&mut self, why: String) {
        log::warn!("DTLS multiplayer: connection to {} ended: {why}", self.addr);
        if self.failure.is_none() {
            self.failure = Some(why);
        }
        self.session.close();
        self.state = LinkState::Over;
    }

    /// Reads what the session decrypted: channel packets go to renet, whose messages go to
    /// `inbox`; control frames are acted on.
    fn process(&mut self, now: Instant, inbox: &mut Inbox) {
        if self.state == LinkState::Over {
            return;
        }
        if self.session.status() == Status::Connected && self.channels.is_none() {
            let room = self.session.max_packet_size();
            let needed = frame::MAX_CHANNELS_FRAME;
            if room < needed {
                self.fail(format!(
                    "the negotiated cipher ({}) leaves {room} bytes per packet at MTU {}, and the \
                     channels need {needed}: raise the MTU or allow an AEAD cipher",
                    self.session.cipher().unwrap_or("?"),
                    self.session.mtu(),
                ));
                return;
            }
            self.start_channels(now);
        }
        if let Some(c) = self.channels.as_mut() {
            // Once per point in time: the datagrams of one poll share it, and renet's update
            // walks its channels and sent packets.
            let elapsed = now.saturating_duration_since(c.last_update);
            if !elapsed.is_zero() {
                c.last_update = now;
                let elapsed = elapsed.mul_f64(c.clock_rate);
                c.renet.update(elapsed);
                c.renet_time += elapsed;
                c.guard.advance(c.renet_time);
            }
        }
        let mut packet = std::mem::take(&mut self.scratch);
        while self.session.recv_into(&mut packet) {
            match Frame::parse(&packet) {
                Frame::Channels(p) => {
                    let Some(c) = self.channels.as_mut() else {
                        continue;
                    };
                    let unread = inbox.bytes_from(self.peer_id);
                    let budget = self.config.max_queued_bytes;
                    let channel = match c.guard.admit(p, c.renet_time, unread, budget) {
                        Ok(admitted) => admitted.channel,
                        Err(refusal) => {
                            self.scratch = packet;
                            self.refuse(now, refusal);
                            return;
                        }
                    };
                    let renet = &mut c.renet;
                    if catch_unwind(AssertUnwindSafe(|| renet.process_packet(p))).is_err() {
                        self.scratch = packet;
                        self.fail("the channel layer failed on a packet (internal error)".into());
                        return;
                    }
                    // An acknowledgement may let renet send more: a flush either way.
                    c.dirty = true;
                    if let Some(channel) = channel {
                        c.ack_due = true;
                        self.collect(channel, inbox);
                    } else if guard::ack_ranges(p, &mut c.ranges).is_ok() {
                        c.congestion.on_ack(now, &c.ranges);
                        let controlled = self.config.congestion_control;
                        let renet = &mut c.renet;
                        c.congestion.take_lost(|seq| {
                            if controlled {
                                renet.packet_lost(seq);
                            }
                        });
                        if let Some(rtt) = c.congestion.smoothed_rtt().filter(|_| controlled) {
                            c.clock_rate = clock_rate(rtt);
                        }
                    }
                }
                Frame::Keepalive | Frame::Unknown | Frame::AssignId(_) => {}
                Frame::Ping(token) => {
                    let _ = self.session.send(&frame::pong(token));
                }
                Frame::Pong(token) => self.measured(now, token),
                Frame::Goodbye(reason) => {
                    // The peer's words, on one line.
                    let reason: String = reason
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect();
                    let why = if reason.is_empty() {
                        "the peer closed the connection".to_string()
                    } else {
                        format!("the peer closed the connection: {reason}")
                    };
                    self.failure.get_or_insert(why);
                    self.session.close();
                }
            }
        }
        self.scratch = packet;
        self.update_state();
    }

    /// The pong of `token` came: a round trip sample, and renet's clock rate from it.
    fn measured(&mut self, now: Instant, token: u32) {
        let Some((sent_token, sent_at)) = self.ping_sent else {
            return;
        };
        if sent_token != token {
            return;
        }
        self.ping_sent = None;
        self.round_trip
            .sample(now.saturating_duration_since(sent_at));
        let rtt = self.round_trip.smoothed.unwrap_or_default();
        if let Some(c) = self.channels.as_mut() {
            // The acknowledgements' round trip, once known, is the fresher one (a sample per
            // acknowledgement, the wait in the receiver's frame included).
            let acks = c.congestion.smoothed_rtt();
            let acks = acks.filter(|_| self.config.congestion_control);
            c.clock_rate = clock_rate(acks.unwrap_or(rtt));
        }
    }

    /// Ends the connection over a packet the guard refused, saying why (to the log, the peer and
    /// [`Link::failure`]).
    fn refuse(&mut self, now: Instant, refusal: Refusal) {
        let (peer, max) = (self.peer_id, self.config.max_queued_bytes);
        let why = match refusal {
            Refusal::OverBudget { held, wanted } => format!(
                "peer {peer} sent more than max_queued_bytes ({max}) that is not read or still \
                 being reassembled ({held} bytes held over all its channels, {wanted} more \
                 arrived): it is disconnected"
            ),
            Refusal::Malformed(what) => {
                format!("peer {peer} sent {what}: it is disconnected")
            }
        };
        log::warn!("DTLS multiplayer: {why}");
        self.close(now, &why);
        self.failure = Some(why);
    }

    /// Moves the messages renet has assembled on renet channel `id` into `inbox`, in order.
    fn collect(&mut self, id: u8, inbox: &mut Inbox) {
        let Some(c) = self.channels.as_mut() else {
            return;
        };
        let mode = channels::of_stream(id).map(|(_, mode)| mode);
        let reliable = matches!(mode, Some(TransferMode::Reliable) | None);
        while let Some(message) = c.renet.receive_message(id) {
            if reliable {
                c.guard.delivered(id);
            }
            let Some(mode) = mode else {
                if let Frame::AssignId(assigned) = Frame::parse(&message) {
                    if self.session.role() == Role::Client && self.assigned_id.is_none() {
                        self.assigned_id = Some(assigned);
                    }
                }
                continue;
            };
            let mut data = Vec::from(message);
            if mode == TransferMode::UnreliableOrdered {
                let Some(seq) = data.get(..SEQUENCE_LEN) else {
                    continue;
                };
                let seq = u32::from_be_bytes([seq[0], seq[1], seq[2], seq[3]]);
                if !self.sequencer.accept(id, seq) {
                    continue;
                }
                data.drain(..SEQUENCE_LEN);
            }
            inbox.push(Message {
                from: self.peer_id,
                channel: id / 3,
                mode,
                data,
            });
        }
    }

    fn update_state(&mut self) {
        if self.state == LinkState::Over {
            return;
        }
        let renet_gone = self
            .channels
            .as_ref()
            .and_then(|c| c.renet.disconnect_reason());
        if let Some(reason) = renet_gone {
            self.fail(format!("the channels failed: {reason}"));
            return;
        }
        if !self.session.status().is_active() {
            if self.failure.is_none() {
                self.failure = Some(match self.session.failure() {
                    Some(why) => why.to_string(),
                    None => "the peer closed the connection".to_string(),
                });
            }
            self.state = LinkState::Over;
            return;
        }
        if self.state == LinkState::Opening && self.channels.is_some() && self.assigned_id.is_some()
        {
            self.state = LinkState::Open;
        }
    }

    /// On a server: the client's DTLS session is connected and waits to be admitted.
    pub(crate) fn awaits_admission(&self) -> bool {
        self.session.role() == Role::Server
            && self.state == LinkState::Opening
            && self.channels.is_some()
            && self.assigned_id.is_none()
    }

    /// On a server: admits the client, telling it its id (first thing on the control channel).
    pub(crate) fn admit(&mut self) {
        let assign = Bytes::copy_from_slice(&frame::assign_id(self.peer_id));
        if self.send_message(CONTROL_CHANNEL, assign).is_ok() {
            self.assigned_id = Some(self.peer_id);
            self.update_state();
        }
    }

    /// Sets up the channels once DTLS is connected.
    fn start_channels(&mut self, now: Instant) {
        let mut renet = RenetClient::new(connection_config(&self.config));
        renet.set_connected();
        let kinds = channels::all().map(|(id, mode)| match mode {
            Some(TransferMode::Reliable) | None => (id, ChannelKind::ReliableOrdered),
            Some(_) => (id, ChannelKind::Unreliable),
        });
        let unreliable_limit = UNRELIABLE_CHANNEL_MEMORY.min(reliable_channel_memory(&self.config));
        self.channels = Some(Channels {
            renet,
            guard: Guard::new(kinds, unreliable_limit),
            renet_time: Duration::ZERO,
            clock_rate: RESEND_TIME.as_secs_f64() / INITIAL_RESEND.as_secs_f64(),
            last_update: now,
            last_flush: None,
            dirty: true,
            ack_due: false,
            congestion: Congestion::new(now, MAX_PACKET_ON_WIRE),
            backlogged: false,
            ranges: Vec::new(),
        });
        // The first ping at once: the round trip is known about when the id is.
        self.keepalive_at = Some(now);
        self.rates = Some(Rates::new(now, self.session.stats()));
    }

    /// Sends what renet has (new messages, retransmissions, one acknowledgement), each packet in
    /// one DTLS packet: whenever something happened since the last flush (or `force`), else every
    /// [`IDLE_FLUSH_INTERVAL`] for retransmissions.
    fn flush(&mut self, now: Instant, force: bool) {
        let Some(c) = self.channels.as_mut() else {
            return;
        };
        let (due, calls) = match c.last_flush {
            None => (true, 1),
            Some(last) => {
                let since = now.saturating_duration_since(last);
                let calls = (since.as_micros() / TIME_PER_CALL.as_micros())
                    .clamp(1, u128::from(MAX_CALLS_PER_FLUSH));
                let released = release_at(c, last).is_some_and(|at| now >= at);
                (
                    c.dirty || released || since >= IDLE_FLUSH_INTERVAL,
                    calls as u32,
                )
            }
        };
        if !due && !force {
            return;
        }
        c.last_flush = Some(now);
        c.dirty = false;
        let ack_due = std::mem::take(&mut c.ack_due);
        let (renet, cc) = (&mut c.renet, &mut c.congestion);
        let controlled = self.config.congestion_control;
        cc.on_timeout(now);
        cc.take_lost(|seq| {
            if controlled {
                renet.packet_lost(seq);
            }
        });
        let mut backlogged = c.backlogged;
        let gathered = catch_unwind(AssertUnwindSafe(|| {
            let mut packets = Vec::new();
            for _ in 0..calls {
                // The reliable channels get what the window and the pacer allow (in renet's
                // bytes: a full packet's allowance is one slice), the unreliable ones the fixed
                // budget (they are the game's own rate; what does not fit is dropped).
                let allowance = cc.allowance(now).min(BYTES_PER_CALL);
                let reliable = if !controlled {
                    BYTES_PER_CALL
                } else if allowance >= MAX_PACKET_ON_WIRE {
                    allowance * SLICE_SIZE as u64 / MAX_PACKET_ON_WIRE
                } else {
                    0
                };
                renet.set_send_budget(reliable, BYTES_PER_CALL);
                let more = with_spare_packets(|spare| renet.get_packets_to_send_reusing(spare))
                    .unwrap_or_else(|| renet.get_packets_to_send());
                let mut data = 0;
                let mut any = false;
                for p in more.iter().filter(|p| !guard::is_ack(p)) {
                    if let Some(seq) = guard::sequence(p) {
                        cc.on_sent(now, seq, p.len() as u64 + PACKET_OVERHEAD);
                    }
                    any = true;
                    if guard::is_reliable(p) {
                        data += p.len() as u64;
                    }
                }
                packets.extend(more);
                if reliable == 0 {
                    break; // held back: `backlogged` stays as the last call left it
                }
                // The reliable channels took about all they were given: there is likely more.
                backlogged = controlled && data + SLICE_SIZE as u64 > reliable;
                // Nothing, or only an acknowledgement: renet has no more data to send now.
                if !any {
                    backlogged = false;
                    break;
                }
            }
            packets
        }));
        let mut packets = match gathered {
            Ok(p) => p,
            Err(_) => {
                self.fail("the channel layer failed (internal error)".into());
                return;
            }
        };
        let Some(c) = self.channels.as_mut() else {
            return;
        };
        c.backlogged = backlogged;
        c.congestion.set_app_limited(!backlogged);
        // renet adds an acknowledgement of everything pending to each call's packets: the last
        // one says all the others do, and alone it goes only when something asked for it.
        if let Some(last) = packets.iter().rposition(|p| guard::is_ack(p)) {
            let ack = packets.remove(last);
            packets.retain(|p| !guard::is_ack(p));
            if packets.is_empty() && !ack_due {
                return;
            }
            packets.push(ack);
        }
        if packets.is_empty() {
            return;
        }
        for p in &packets {
            if let Err(e) = self.session.send_packed_parts(&[&frame::CHANNELS_HEAD, p]) {
                log::warn!("DTLS multiplayer: a channel packet was not sent: {e}");
            }
        }
        with_spare_packets(|spare| {
            let room = MAX_SPARE_PACKETS.saturating_sub(spare.len());
            spare.extend(packets.into_iter().take(room));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resend_time_follows_the_round_trip_within_its_bounds() {
        assert_eq!(resend_after(0.0), INITIAL_RESEND, "not measured yet");
        assert_eq!(resend_after(f64::NAN), INITIAL_RESEND);
        assert_eq!(resend_after(0.001), MIN_RESEND, "loopback: the floor");
        assert_eq!(resend_after(0.1), Duration::from_millis(205));
        assert_eq!(resend_after(3.0), MAX_RESEND);
    }
}
