//! A session bound to a transport: `pump` moves datagrams between them and runs the timers,
//! `flush` sends what the session queued. This is the whole I/O layer; [`Connection`] owns both
//! halves, the Godot classes keep them apart so a finished session can let its socket go.

use std::io;
use std::time::Instant;

use crate::{DtlsError, Session, Transport};

/// Most datagrams one `poll` reads, so a flood cannot stall a frame.
const MAX_DATAGRAMS_PER_POLL: usize = 4096;

/// A [`Session`] and the [`Transport`] that carries its datagrams.
#[derive(Debug)]
pub struct Connection<T: Transport> {
    session: Session,
    transport: T,
}

impl<T: Transport> Connection<T> {
    /// Binds a session to a transport and sends whatever the session already has queued.
    pub fn new(session: Session, transport: T) -> Connection<T> {
        let mut c = Connection { session, transport };
        c.flush();
        c
    }

    /// Reads every waiting datagram into the session, runs its timers, sends its output.
    pub fn poll(&mut self, now: Instant) -> io::Result<()> {
        pump(&mut self.session, &mut self.transport, now)
    }

    /// Encrypts and sends one application packet.
    pub fn send(&mut self, packet: &[u8]) -> Result<(), DtlsError> {
        let result = self.session.send(packet);
        self.flush();
        result
    }

    /// Sends every datagram the session has queued.
    pub fn flush(&mut self) {
        flush(&mut self.session, &mut self.transport);
    }

    /// Closes the session (close_notify when connected) and sends that out.
    pub fn close(&mut self) {
        self.session.close();
        self.flush();
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session, mutably (to receive packets or read its state).
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }
}

/// Reads every datagram waiting on `transport` into `session` (at most a bounded number, so a
/// flood cannot stall a frame), runs the session's timers and sends what it queued.
pub fn pump<T: Transport>(
    session: &mut Session,
    transport: &mut T,
    now: Instant,
) -> io::Result<()> {
    let result = transport.recv_each(MAX_DATAGRAMS_PER_POLL, &mut |datagram| {
        session.handle_datagram(now, datagram)
    });
    session.handle_timeout(now);
    flush(session, transport);
    result.map(drop)
}

/// Sends every datagram `session` has queued through `transport` (a failed send is logged and
/// dropped: DTLS tolerates loss).
pub fn flush<T: Transport>(session: &mut Session, transport: &mut T) {
    session.drain_transmit(|d| {
        if let Err(e) = transport.send(d) {
            log::debug!("DTLS datagram of {} bytes not sent: {e}", d.len());
        }
    });
}
