//! A sans-IO DTLS session (client or server): datagrams and the time go in; datagrams to send,
//! decrypted application packets, the next deadline and a status come out. OpenSSL does the
//! handshake; once connected with an AEAD suite, our record layer (`records/`) takes over and
//! the `SSL` object is freed (unless the settings leave records to OpenSSL).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::ssl::{ErrorCode, SslRef, SslStream};

use crate::config::contexts;
use crate::config::settings::{max_packet_size_estimate, MAX_RECORD_PAYLOAD};
use crate::records::screen;
use crate::records::{Handover, Outcome, OwnRecords};
use crate::server::failure_log::FailureLog;
use crate::session::datagram_io::DatagramIo;
use crate::session::heap_release;
use crate::session::info::ConnectedInfo;
use crate::{ffi, ClientConfig, DtlsError, PacketQueue, RecordLayer, Settings, Stats, Status};

/// Largest plaintext of one DTLS record (2^14) plus slack: the read buffer size.
const MAX_RECORD_PLAINTEXT: usize = 16 * 1024 + 256;
/// A connected session that has neither sent nor received for this long gives OpenSSL's record
/// buffers (about 35 KiB) back; busy sessions keep them, so no record costs an allocation.
pub const IDLE_BUFFER_RELEASE: Duration = Duration::from_secs(1);

thread_local! {
    /// Decryption buffer shared by every session on this thread (keeps idle sessions small).
    static READ_BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0; MAX_RECORD_PLAINTEXT]);
}

/// Which side of the handshake a session plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
    Server,
}

/// One DTLS association with one peer. Feed it with [`Session::handle_datagram`] and
/// [`Session::handle_timeout`]; take its output with [`Session::drain_transmit`] and
/// [`Session::recv`]. It never touches a socket or the clock by itself, except that OpenSSL's own
/// retransmission timer runs on the system's clock, so `now` should be `Instant::now()`.
pub struct Session {
    /// OpenSSL: the handshake, and the records of suites our layer does not run. `None` once
    /// our record layer has taken over.
    tls: Option<SslStream<DatagramIo>>,
    /// Our record layer, once it has taken over.
    own: Option<Box<OwnRecords>>,
    /// Datagrams our record layer wrote (OpenSSL's go to its [`DatagramIo`]).
    outgoing: PacketQueue,
    /// What the API reads about the connected session, copied out of OpenSSL.
    info: Option<Box<ConnectedInfo>>,
    record_layer: RecordLayer,
    role: Role,
    status: Status,
    handshake_deadline: Option<Instant>,
    handshake_timeout: Duration,
    retransmit_at: Option<Instant>,
    received: PacketQueue,
    mtu: usize,
    max_packet: usize,
    failure: Option<String>,
    stats: Stats,
    /// The screening length for protected records, fixed once connected (no renegotiation), so
    /// the cipher name is not matched again for every datagram.
    connected_min_protected: Option<usize>,
    /// When a connected session with record buffers allocated gives them back if it stays idle
    /// (see [`IDLE_BUFFER_RELEASE`]); `None` while they are released.
    release_buffers_at: Option<Instant>,
    /// When a connected session that received nothing authentic since ends (idle timeout).
    idle: IdleDeadline,
    /// Most packets and bytes `received` holds; beyond, packets are dropped and counted.
    max_queued_packets: usize,
    max_queued_bytes: usize,
    /// The latest `now` given to the session (the time its failures are logged at).
    clock: Instant,
    /// A server's shared, rate-limited log of failed sessions; `None`: each failure is logged.
    failure_log: Option<Arc<FailureLog>>,
}

/// The idle timeout of a connected session: how long it may go without receiving an
/// authenticated record, and when that runs out.
#[derive(Debug, Clone, Copy)]
struct IdleDeadline {
    timeout: Duration,
    at: Option<Instant>,
}

impl IdleDeadline {
    /// Restarts the countdown (zero timeout: never).
    fn restart(&mut self, now: Instant) {
        self.at = if self.timeout.is_zero() {
            None
        } else {
            now.checked_add(self.timeout)
        };
    }

    fn passed(&self, now: Instant) -> bool {
        self.at.is_some_and(|at| now >= at)
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .field("status", &self.status)
            .field("failure", &self.failure)
            .finish_non_exhaustive()
    }
}

/// The reasons OpenSSL put on its error stack, joined; or the error's own text.
fn describe(e: &openssl::ssl::Error) -> String {
    if let Some(stack) = e.ssl_error() {
        let reasons: Vec<&str> = stack.errors().iter().filter_map(|e| e.reason()).collect();
        if !reasons.is_empty() {
            return reasons.join("; ");
        }
    }
    if let Some(io) = e.io_error() {
        return io.to_string();
    }
    match e.code() {
        ErrorCode::SYSCALL => "the peer closed the connection".to_string(),
        _ => e.to_string(),
    }
}

fn is_retry(e: &openssl::ssl::Error) -> bool {
    matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE)
}

impl Session {
    /// Starts a client handshake; the ClientHello is ready in [`Session::drain_transmit`].
    pub fn client(config: &ClientConfig, now: Instant) -> Result<Session, DtlsError> {
        let ctx = contexts::client_context(config)?;
        let mut ssl = contexts::new_ssl(&ctx, &config.settings)?;
        if let Some(host) = config.hostname() {
            match host.parse::<std::net::IpAddr>() {
                Ok(ip) => ssl.param_mut().set_ip(ip)?,
                Err(_) => {
                    ssl.param_mut().set_host(host)?;
                    ssl.set_hostname(host)?;
                }
            }
        }
        ssl.set_connect_state();
        let stream = SslStream::new(ssl, DatagramIo::default())?;
        let mut session = Session::new(stream, Role::Client, &config.settings, now);
        session.drive_handshake(now);
        Ok(session)
    }

    /// A server session whose ClientHello (with a valid cookie), a datagram of
    /// `client_hello_len` bytes, `DTLSv1_listen` already took: counted as received.
    pub(crate) fn accepted(
        stream: SslStream<DatagramIo>,
        settings: &Settings,
        now: Instant,
        failure_log: Arc<FailureLog>,
        client_hello_len: usize,
    ) -> Session {
        let mut session = Session::new(stream, Role::Server, settings, now);
        session.failure_log = Some(failure_log);
        session.stats.datagrams_received = 1;
        session.stats.bytes_received = client_hello_len as u64;
        session.drive_handshake(now);
        session
    }

    fn new(
        mut stream: SslStream<DatagramIo>,
        role: Role,
        settings: &Settings,
        now: Instant,
    ) -> Self {
        // Its record layers so far (unencrypted, made by SSL_new, set_connect_state or
        // DTLSv1_listen) keep releasing their buffers; the encrypted ones made later keep them.
        ffi::clear_release_buffers_mode(stream.ssl());
        stream.get_mut().start_recording();
        Session {
            tls: Some(stream),
            own: None,
            outgoing: PacketQueue::default(),
            info: None,
            record_layer: settings.record_layer,
            role,
            status: Status::Handshaking,
            handshake_deadline: Some(now + settings.handshake_timeout),
            handshake_timeout: settings.handshake_timeout,
            retransmit_at: None,
            received: PacketQueue::default(),
            mtu: settings.mtu,
            max_packet: max_packet_size_estimate(settings.mtu),
            failure: None,
            stats: Stats::default(),
            connected_min_protected: None,
            release_buffers_at: None,
            idle: IdleDeadline {
                timeout: settings.idle_timeout,
                at: None,
            },
            max_queued_packets: settings.max_queued_packets.max(1),
            max_queued_bytes: settings.max_queued_bytes,
            clock: now,
            failure_log: None,
        }
    }

    /// The OpenSSL session object, while there is one (for `session_info.rs`).
    pub(crate) fn tls_ssl(&self) -> Option<&SslRef> {
        self.tls.as_ref().map(SslStream::ssl)
    }

    /// What was copied out of OpenSSL when the handshake finished.
    pub(crate) fn info(&self) -> Option<&ConnectedInfo> {
        self.info.as_deref()
    }

    /// Our record layer, once it has taken over.
    pub(crate) fn own_records(&self) -> Option<&OwnRecords> {
        self.own.as_deref()
    }

    #[cfg(test)]
    pub(crate) fn own_records_mut(&mut self) -> Option<&mut OwnRecords> {
        self.own.as_deref_mut()
    }

    /// Seals a record of any content type with this session's keys (our record layer only), for
    /// the fuzz targets: it lets them reach what lies behind authentication.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn seal_record_for_fuzzing(&mut self, content_type: u8, payload: &[u8]) -> bool {
        match &mut self.own {
            Some(own) => own.seal(content_type, payload, &mut self.outgoing).is_ok(),
            None => false,
        }
    }

    /// True when our record layer carries this session's records (OpenSSL's `SSL` is gone).
    pub fn uses_own_record_layer(&self) -> bool {
        self.own.is_some()
    }

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Current status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Why the session ended in an error status, in words.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Traffic counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The fraction (0.0 to 1.0) of the peer's recent records that were lost on the way, from
    /// the sequence numbers of those that arrived (the last thousand or so); `None` before one
    /// arrived or while OpenSSL's record layer runs the session (it does not show them).
    pub fn receive_loss(&self) -> Option<f64> {
        self.own.as_ref()?.receive_loss()
    }

    /// The UDP payload limit this session writes to.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Largest application packet that fits one record in one datagram of the MTU with the
    /// negotiated cipher (an AEAD estimate before the handshake ends).
    pub fn max_packet_size(&self) -> usize {
        self.max_packet
    }

    /// Largest application packet [`Session::send`] accepts: once our record layer runs, one
    /// record's 2^14 bytes, as Godot's built-in DTLS takes (a packet above
    /// [`Session::max_packet_size`] goes as one record in one datagram larger than the MTU, which
    /// IP fragments on the way); on OpenSSL's record layer, [`Session::max_packet_size`].
    pub fn largest_packet(&self) -> usize {
        if self.own.is_some() {
            MAX_RECORD_PAYLOAD
        } else {
            self.max_packet
        }
    }

    /// Negotiated cipher suite name, once connected.
    pub fn cipher(&self) -> Option<&'static str> {
        match &self.info {
            Some(info) => info.cipher,
            None => self.tls_ssl()?.current_cipher().map(|c| c.name()),
        }
    }

    /// Negotiated protocol version ("DTLSv1.2"), once connected.
    pub fn protocol_version(&self) -> Option<&'static str> {
        (self.status == Status::Connected).then(|| self.info.as_ref().map(|i| i.version))?
    }

    /// The earliest time [`Session::handle_timeout`] has work to do, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.status.is_active() {
            return None;
        }
        [
            self.retransmit_at,
            self.handshake_deadline,
            self.release_buffers_at,
            self.idle.at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Processes one received datagram (whole, as it came off the wire). Datagrams that are not
    /// valid DTLS for this session are dropped by OpenSSL without ending it.
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) {
        if !self.status.is_active() {
            return;
        }
        self.clock = now;
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += datagram.len() as u64;
        if let Some(own) = &mut self.own {
            let bounds = (self.max_queued_packets, self.max_queued_bytes);
            let delivered =
                own.handle_datagram(datagram, &mut self.received, bounds, &mut self.outgoing);
            self.stats.packets_received += delivered.packets;
            self.stats.packets_dropped += delivered.dropped;
            if delivered.packets > 0 {
                // Only authentic records keep a session alive.
                self.idle.restart(now);
            }
            let outcome = delivered.outcome;
            match outcome {
                Outcome::Open => {}
                Outcome::Closed => self.closed_by_peer(),
                Outcome::Failed(why) => {
                    self.fail(Status::Error, format!("connection failed: {why}"))
                }
            }
            return;
        }
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        let min_protected = match self.connected_min_protected {
            Some(len) => len,
            None => screen::min_protected_len(tls.ssl().current_cipher()),
        };
        if !screen::acceptable(datagram, min_protected) {
            log::debug!(
                "DTLS {:?} session dropped a malformed datagram of {} bytes",
                self.role,
                datagram.len()
            );
            return;
        }
        // While handshaking, what OpenSSL gets of the peer's protected records depends on
        // whether it has read the peer's ChangeCipherSpec (datagram_io.rs).
        let peer_ccs_read =
            self.status == Status::Handshaking && ffi::peer_change_cipher_spec_read(tls.ssl());
        tls.get_mut().deliver(datagram, peer_ccs_read);
        match self.status {
            Status::Handshaking => self.drive_handshake(now),
            Status::Connected => {
                let authentic_before = self.stats.packets_received;
                self.read_application();
                if self.stats.packets_received > authentic_before {
                    self.idle.restart(now);
                }
                self.note_activity(now);
            }
            _ => {}
        }
        if let Some(tls) = self.tls.as_mut() {
            tls.get_mut().discard_unread();
        }
        self.update_timer(now);
    }

    /// Runs the timers: fails a handshake past its limit, retransmits a flight whose timer ran out.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.status.is_active() {
            return;
        }
        self.clock = now;
        if self.status == Status::Connected && self.idle.passed(now) {
            self.fail(
                Status::Error,
                format!(
                    "the peer sent nothing for {:?} (idle_timeout): it is gone",
                    self.idle.timeout
                ),
            );
            return;
        }
        if self.release_buffers_at.is_some_and(|at| now >= at) {
            // Fails (and is tried again later) while OpenSSL still holds unread data.
            if self.release_idle_buffers() {
                self.release_buffers_at = None;
            } else {
                self.release_buffers_at = Some(now + IDLE_BUFFER_RELEASE);
            }
        }
        if self.status == Status::Handshaking && self.handshake_deadline.is_some_and(|d| now >= d) {
            self.fail(
                Status::Error,
                format!(
                    "handshake did not finish within {:?}",
                    self.handshake_timeout
                ),
            );
            return;
        }
        if self.retransmit_at.is_some_and(|at| now >= at) {
            let Some(tls) = self.tls.as_ref() else {
                return;
            };
            let before = tls.get_ref().outgoing.len();
            let result = ffi::dtls_handle_timeout(tls.ssl());
            if result < 0 {
                self.fail(
                    Status::Error,
                    "handshake failed: too many retransmissions".into(),
                );
                return;
            }
            if self
                .tls
                .as_ref()
                .is_some_and(|t| t.get_ref().outgoing.len() > before)
            {
                self.stats.retransmissions += 1;
            }
            self.update_timer(now);
        }
    }

    /// Encrypts one application packet into one datagram (ready in [`Session::drain_transmit`]).
    pub fn send(&mut self, packet: &[u8]) -> Result<(), DtlsError> {
        self.send_record(&[packet], false)
    }

    /// Encrypts one application packet as a record at the end of the newest datagram waiting to
    /// be sent when it fits within the MTU there, else as [`Session::send`] does: packets sent
    /// together then share datagrams (and the peer reads them one by one, as it would have).
    /// OpenSSL's record layer ([`RecordLayer::OpenSsl`]) writes a datagram per packet either way.
    pub fn send_packed(&mut self, packet: &[u8]) -> Result<(), DtlsError> {
        self.send_record(&[packet], true)
    }

    /// [`Session::send_packed`] of the packet made of `parts` one after the other (a header and a
    /// body, say), without joining them first: our record layer copies each part once, into the
    /// record it encrypts.
    pub fn send_packed_parts(&mut self, parts: &[&[u8]]) -> Result<(), DtlsError> {
        self.send_record(parts, true)
    }

    fn send_record(&mut self, parts: &[&[u8]], packed: bool) -> Result<(), DtlsError> {
        let size: usize = parts.iter().map(|part| part.len()).sum();
        if self.status != Status::Connected {
            return Err(DtlsError::NotConnected(self.status));
        }
        let max = self.largest_packet();
        if size > max {
            return Err(DtlsError::PacketTooLarge { size, max });
        }
        if size == 0 {
            return Ok(());
        }
        if let Some(own) = &mut self.own {
            let sealed = if packed {
                own.send_packed(parts, &mut self.outgoing, self.mtu)
            } else {
                own.send(parts, &mut self.outgoing)
            };
            return match sealed {
                Ok(()) => {
                    self.stats.packets_sent += 1;
                    Ok(())
                }
                Err(e) => {
                    self.fail(Status::Error, format!("sending failed: {e}"));
                    Err(e)
                }
            };
        }
        let Some(tls) = self.tls.as_mut() else {
            return Err(DtlsError::NotConnected(self.status));
        };
        // OpenSSL's record layer writes one contiguous packet.
        let joined;
        let packet = match parts {
            [one] => *one,
            _ => {
                joined = parts.concat();
                &joined
            }
        };
        match tls.ssl_write(packet) {
            Ok(_) => {
                self.stats.packets_sent += 1;
                if self.release_buffers_at.is_none() {
                    self.note_activity(Instant::now());
                }
                Ok(())
            }
            Err(e) => {
                let why = describe(&e);
                if !is_retry(&e) {
                    self.fail(Status::Error, format!("sending failed: {why}"));
                }
                Err(DtlsError::Ssl(why))
            }
        }
    }

    /// The next received application packet, oldest first.
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        self.received.pop()
    }

    /// Moves the next received packet into `out` (reusing buffers); false when none waits.
    pub fn recv_into(&mut self, out: &mut Vec<u8>) -> bool {
        self.received.pop_into(out)
    }

    /// How many received application packets wait. Packets that arrived before the peer closed
    /// stay readable after the status turns to disconnected.
    pub fn pending_packets(&self) -> usize {
        self.received.len()
    }

    /// Size of the next received packet, if any.
    pub fn next_packet_len(&self) -> Option<usize> {
        self.received.front().map(<[u8]>::len)
    }

    /// Hands every datagram waiting to be sent to `send`, oldest first.
    pub fn drain_transmit(&mut self, mut send: impl FnMut(&[u8])) {
        let stats = &mut self.stats;
        let queue = match &mut self.tls {
            Some(tls) => &mut tls.get_mut().outgoing,
            None => &mut self.outgoing,
        };
        queue.drain_with(|d| {
            stats.datagrams_sent += 1;
            stats.bytes_sent += d.len() as u64;
            send(d)
        });
    }

    /// The next datagram to send, if any (allocating; [`Session::drain_transmit`] does not).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let queue = match &mut self.tls {
            Some(tls) => &mut tls.get_mut().outgoing,
            None => &mut self.outgoing,
        };
        let d = queue.pop()?;
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += d.len() as u64;
        Some(d)
    }

    /// True when datagrams wait to be sent.
    pub fn has_transmit(&self) -> bool {
        match &self.tls {
            Some(tls) => !tls.get_ref().outgoing.is_empty(),
            None => !self.outgoing.is_empty(),
        }
    }

    /// Closes the session: a connected one sends close_notify (ready in
    /// [`Session::drain_transmit`]). The status becomes disconnected; received packets are dropped.
    pub fn close(&mut self) {
        if self.status == Status::Connected {
            if let Some(own) = &mut self.own {
                own.close(&mut self.outgoing);
            } else if let Some(tls) = &mut self.tls {
                // The result says whether the peer's close_notify came too; either way we are done.
                let _ = tls.shutdown();
            }
        }
        if self.status.is_active() {
            self.status = Status::Disconnected;
            log::debug!("DTLS {:?} session closed locally", self.role);
        }
        self.received.clear();
        self.release_buffers();
    }

    /// Ends an active session with the error status because its transport failed (for
    /// example the socket was closed under it); `why` becomes [`Session::failure`].
    pub fn abort(&mut self, why: impl Into<String>) {
        if self.status.is_active() {
            self.fail(Status::Error, why.into());
        }
    }

    fn release_buffers(&mut self) {
        self.handshake_deadline = None;
        self.retransmit_at = None;
        self.release_buffers_at = None;
        self.idle.at = None;
        if let Some(tls) = &mut self.tls {
            tls.get_mut().shrink();
        }
        self.outgoing.shed();
        // The session's keys go (wiped as they drop); what it queued to send stays.
        self.own = None;
    }

    fn drive_handshake(&mut self, now: Instant) {
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        let before = tls.get_ref().outgoing.len();
        match tls.do_handshake() {
            Ok(()) => {
                // What this last step wrote is our last flight, if we sent the last one.
                let flight = tls.get_ref().outgoing.iter().skip(before);
                let final_flight = flight.map(<[u8]>::to_vec).collect();
                self.on_connected(now, final_flight)
            }
            Err(e) if is_retry(&e) => {}
            Err(e) => self.fail_handshake(&e),
        }
        self.update_timer(now);
    }

    fn on_connected(&mut self, now: Instant, final_flight: Vec<Vec<u8>>) {
        let Some(tls) = self.tls.as_ref() else {
            return;
        };
        let ssl = tls.ssl();
        self.status = Status::Connected;
        self.handshake_deadline = None;
        self.idle.restart(now);
        self.info = Some(Box::new(ConnectedInfo::of(ssl)));
        self.connected_min_protected = Some(screen::min_protected_len(ssl.current_cipher()));
        let data_mtu = ffi::dtls_data_mtu(ssl);
        if data_mtu > 0 {
            // OpenSSL refuses (and fails the session on) records above 2^14 bytes, which a
            // large MTU would otherwise allow.
            self.max_packet = data_mtu.min(MAX_RECORD_PAYLOAD);
        }
        log::debug!(
            "DTLS {:?} handshake complete: {} {}",
            self.role,
            ssl.version_str(),
            self.cipher().unwrap_or("?")
        );
        // Application data may have come in the same datagram as the last handshake message.
        self.read_application();
        if self.status != Status::Connected {
            return;
        }
        let Some(tls) = self.tls.as_mut() else {
            return;
        };
        // The handshake is over: no more notes of the peer's protected records.
        let peer_records = tls.get_mut().stop_recording();
        if self.record_layer == RecordLayer::Own && self.take_over(&peer_records, final_flight) {
            return;
        }
        // The handshake's record buffers (about 35 KiB) would otherwise stay with the idle
        // session; while OpenSSL still holds unread data they go after the next quiet spell.
        if !self.release_idle_buffers() {
            self.note_activity(now);
        }
        // OpenSSL freed its handshake state (messages, hashes, the peer's flight).
        heap_release::handshake_freed();
    }

    /// Hands the connected session's records to our record layer and frees OpenSSL's `SSL`
    /// object. False (OpenSSL keeps the records) when the suite is not one ours runs.
    fn take_over(&mut self, peer_records: &[Vec<u8>], final_flight: Vec<Vec<u8>>) -> bool {
        let Some(tls) = self.tls.as_ref() else {
            return false;
        };
        let Some(last_written) = tls.get_ref().last_written() else {
            return false;
        };
        if ffi::has_pending(tls.ssl()) {
            return false;
        }
        let handover = Handover {
            ssl: tls.ssl(),
            is_client: self.role == Role::Client,
            last_written,
            peer_records,
            final_flight,
        };
        let own = match OwnRecords::take_over(handover) {
            Some(Ok(own)) => own,
            Some(Err(e)) => {
                log::warn!(
                    "DTLS {:?} session keeps OpenSSL's record layer: {e}",
                    self.role
                );
                return false;
            }
            None => return false,
        };
        if let Some(mut tls) = self.tls.take() {
            self.outgoing = std::mem::take(&mut tls.get_mut().outgoing);
            // The handshake's spare datagram buffers (its flights, up to the MTU each) go;
            // the final flight, if it waits, stays.
            self.outgoing.shed();
        }
        // The `SSL` and everything of the handshake are freed now: give their pages back.
        heap_release::handshake_freed();
        let room = self.mtu.saturating_sub(own.overhead());
        self.max_packet = room.min(MAX_RECORD_PAYLOAD);
        self.own = Some(Box::new(own));
        self.retransmit_at = None;
        self.release_buffers_at = None;
        self.received.shed();
        true
    }

    /// Gives OpenSSL's record buffers back while nothing is pending (they are reallocated on the
    /// next record): call it for sessions expected to stay idle for a while. Returns true when
    /// the buffers were released (always with our record layer, which keeps none).
    pub fn release_idle_buffers(&mut self) -> bool {
        self.received.shed();
        self.outgoing.shed();
        match &mut self.tls {
            Some(tls) => {
                tls.get_mut().shrink();
                ffi::free_buffers(tls.ssl())
            }
            None => true,
        }
    }

    /// The peer sent close_notify (already answered).
    fn closed_by_peer(&mut self) {
        self.status = Status::Disconnected;
        self.release_buffers();
        log::debug!("DTLS {:?} session closed by the peer", self.role);
    }

    fn fail_handshake(&mut self, e: &openssl::ssl::Error) {
        let Some(tls) = self.tls.as_ref() else {
            return;
        };
        let verify = tls.ssl().verify_result();
        let raw = verify.as_raw();
        if raw == openssl_sys::X509_V_ERR_HOSTNAME_MISMATCH
            || raw == openssl_sys::X509_V_ERR_IP_ADDRESS_MISMATCH
        {
            self.fail(
                Status::ErrorHostnameMismatch,
                format!(
                    "the certificate is not valid for this host: {}",
                    verify.error_string()
                ),
            );
        } else if raw != openssl_sys::X509_V_OK {
            self.fail(
                Status::Error,
                format!("certificate verification failed: {}", verify.error_string()),
            );
        } else {
            self.fail(Status::Error, format!("handshake failed: {}", describe(e)));
        }
    }

    fn read_application(&mut self) {
        while let Some(tls) = self.tls.as_mut() {
            let received = &mut self.received;
            let (max_packets, max_bytes) = (self.max_queued_packets, self.max_queued_bytes);
            let result = READ_BUFFER.with(|buf| {
                let mut buf = buf.borrow_mut();
                let n = tls.ssl_read(&mut buf)?;
                let dropped = !received.push_bounded(&buf[..n], max_packets, max_bytes);
                Ok::<bool, openssl::ssl::Error>(dropped)
            });
            match result {
                Ok(dropped) => {
                    self.stats.packets_received += 1;
                    if dropped {
                        self.stats.packets_dropped += 1;
                    }
                    // Nothing left of this datagram: skip the read that would only say so
                    // (a failing SSL_read costs about as much as a successful one).
                    if !tls.get_ref().has_unread() && !ffi::has_pending(tls.ssl()) {
                        break;
                    }
                }
                Err(e) if is_retry(&e) => break,
                Err(e) if e.code() == ErrorCode::ZERO_RETURN => {
                    // The peer sent close_notify: answer it and stop.
                    let _ = tls.shutdown();
                    self.closed_by_peer();
                    break;
                }
                Err(e) => {
                    self.fail(
                        Status::Error,
                        format!("connection failed: {}", describe(&e)),
                    );
                    break;
                }
            }
        }
    }

    /// Records that OpenSSL's record buffers are in use: they go back after a quiet spell.
    fn note_activity(&mut self, now: Instant) {
        if self.status == Status::Connected && self.tls.is_some() {
            self.release_buffers_at = Some(now + IDLE_BUFFER_RELEASE);
        }
    }

    fn update_timer(&mut self, now: Instant) {
        self.retransmit_at = match &self.tls {
            Some(tls) if self.status.is_active() => {
                ffi::dtls_get_timeout(tls.ssl()).map(|left| now + left)
            }
            _ => None,
        };
    }

    fn fail(&mut self, status: Status, why: String) {
        match &self.failure_log {
            Some(log) => log.warn(self.clock, self.role, &why),
            None => log::warn!("DTLS {:?} session: {why}", self.role),
        }
        self.status = status;
        self.failure = Some(why);
        self.release_buffers();
    }
}
