//! A connected session's records once OpenSSL's `SSL` object is gone: application data sealed
//! and opened by [`EpochCipher`], alerts (close_notify both ways, fatal alerts end the session),
//! renegotiation refused with a warning, and the handshake's last flight kept to answer a peer
//! that did not get it (RFC 6347 4.2.4).

use openssl::ssl::SslRef;

use super::epoch::EpochCipher;
use super::header::{records, ALERT, APPLICATION_DATA, HANDSHAKE};
use super::keys::SessionSecrets;
use super::suite::Suite;
use crate::session::loss::LossMeter;
use crate::{ffi, DtlsError, PacketQueue};

const WARNING: u8 = 1;
const FATAL: u8 = 2;
const CLOSE_NOTIFY: u8 = 0;
const NO_RENEGOTIATION: u8 = 100;
const HELLO_REQUEST: u8 = 0;
const CLIENT_HELLO: u8 = 1;
const FINISHED: u8 = 20;

/// What a received datagram did to the session.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Still connected.
    Open,
    /// The peer sent close_notify (answered).
    Closed,
    /// The peer sent a fatal alert: the session ends with this text.
    Failed(String),
}

/// What one received datagram gave: authentic application packets (queued or, beyond the
/// receive queue's bounds, dropped), how many of them were dropped, and the session's fate.
#[derive(Debug)]
pub(crate) struct Delivered {
    pub(crate) packets: u64,
    pub(crate) dropped: u64,
    pub(crate) outcome: Outcome,
}

/// What switching to our record layer needs from the handshake OpenSSL finished.
pub(crate) struct Handover<'a> {
    pub(crate) ssl: &'a SslRef,
    pub(crate) is_client: bool,
    /// Epoch and sequence number of the last record OpenSSL wrote.
    pub(crate) last_written: (u16, u64),
    /// Every protected record the peer sent that OpenSSL was given (`DatagramIo` hands it no
    /// other): those that authenticate were (or could have been) accepted by it, so they are
    /// replays from now on.
    pub(crate) peer_records: &'a [Vec<u8>],
    /// Our last handshake flight, as sent (empty when the peer sent the last one).
    pub(crate) final_flight: Vec<Vec<u8>>,
}

pub(crate) struct OwnRecords {
    epoch: EpochCipher,
    secrets: SessionSecrets,
    /// Our last flight, until the peer shows it has it (its first authentic non-handshake
    /// record): a retransmission of its own last flight is answered with this.
    final_flight: Vec<Vec<u8>>,
    /// Buffer for records that are not application data.
    scratch: Vec<u8>,
    /// The peer's records lost on the way, from the sequence numbers of authentic ones.
    loss: LossMeter,
}

impl std::fmt::Debug for OwnRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnRecords")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl OwnRecords {
    /// Our record layer for the session OpenSSL just connected; `None` when its suite stays on
    /// OpenSSL's record layer (not an AEAD we run, or not the first epoch).
    pub(crate) fn take_over(h: Handover<'_>) -> Option<Result<OwnRecords, DtlsError>> {
        let suite = Suite::of(h.ssl.current_cipher()?)?;
        let (epoch, last_seq) = h.last_written;
        if epoch != 1 {
            return None;
        }
        let secrets = SessionSecrets::from_ssl(h.ssl, &suite)?;
        Some(Self::build(
            suite,
            secrets,
            h.is_client,
            last_seq,
            h.peer_records,
            h.final_flight,
        ))
    }

    fn build(
        suite: Suite,
        secrets: SessionSecrets,
        is_client: bool,
        last_seq: u64,
        peer_records: &[Vec<u8>],
        final_flight: Vec<Vec<u8>>,
    ) -> Result<OwnRecords, DtlsError> {
        let keys = secrets.record_keys(suite.aead, is_client)?;
        let mut epoch = EpochCipher::new(suite.aead, &keys, 1, last_seq + 1)?;
        let mut scratch = Vec::new();
        for record in peer_records {
            for (_, header, body) in records(record) {
                epoch.open(&header, body, &mut scratch);
            }
        }
        Ok(OwnRecords {
            epoch,
            secrets,
            final_flight,
            scratch,
            loss: LossMeter::default(),
        })
    }

    /// Bytes a record adds to its payload.
    pub(crate) fn overhead(&self) -> usize {
        self.epoch.overhead()
    }

    /// Seals one application packet into one datagram in `outgoing`.
    pub(crate) fn send(
        &mut self,
        parts: &[&[u8]],
        outgoing: &mut PacketQueue,
    ) -> Result<(), DtlsError> {
        self.seal_parts(APPLICATION_DATA, parts, outgoing)
    }

    /// Seals one application packet as a record at the end of the newest datagram waiting in
    /// `outgoing` when that keeps the datagram within `mtu` bytes (a datagram may carry several
    /// records, RFC 6347 4.1.1), else into a datagram of its own.
    pub(crate) fn send_packed(
        &mut self,
        parts: &[&[u8]],
        outgoing: &mut PacketQueue,
        mtu: usize,
    ) -> Result<(), DtlsError> {
        let epoch = &mut self.epoch;
        let record_len = epoch.overhead() + parts.iter().map(|part| part.len()).sum::<usize>();
        match outgoing.append_to_last(record_len, mtu, |d| epoch.seal(APPLICATION_DATA, parts, d)) {
            Some(sealed) => sealed,
            None => self.send(parts, outgoing),
        }
    }

    /// Seals one record of `content_type` into one datagram in `outgoing`.
    pub(crate) fn seal(
        &mut self,
        content_type: u8,
        payload: &[u8],
        outgoing: &mut PacketQueue,
    ) -> Result<(), DtlsError> {
        self.seal_parts(content_type, &[payload], outgoing)
    }

    /// Seals one record of `content_type` whose payload is `parts` one after the other into one
    /// datagram in `outgoing`.
    fn seal_parts(
        &mut self,
        content_type: u8,
        parts: &[&[u8]],
        outgoing: &mut PacketQueue,
    ) -> Result<(), DtlsError> {
        let mut datagram = outgoing.take_spare();
        match self.epoch.seal(content_type, parts, &mut datagram) {
            Ok(()) => {
                outgoing.push_buf(datagram);
                Ok(())
            }
            Err(e) => {
                outgoing.recycle(datagram);
                Err(e)
            }
        }
    }

    /// Sends close_notify.
    pub(crate) fn close(&mut self, outgoing: &mut PacketQueue) {
        // A session whose sequence numbers ran out ends without it.
        let _ = self.seal(ALERT, &[WARNING, CLOSE_NOTIFY], outgoing);
    }

    /// Opens every record of a received datagram: application data into `received` (returns how
    /// many), answers to alerts and handshake messages into `outgoing`. Records that are not
    /// authentic records of this epoch, or replays, are dropped without a word.
    pub(crate) fn handle_datagram(
        &mut self,
        datagram: &[u8],
        received: &mut PacketQueue,
        (max_packets, max_bytes): (usize, usize),
        outgoing: &mut PacketQueue,
    ) -> Delivered {
        let mut delivered = Delivered {
            packets: 0,
            dropped: 0,
            outcome: Outcome::Open,
        };
        for (_, header, body) in records(datagram) {
            if header.content_type == APPLICATION_DATA {
                let mut packet = received.take_spare();
                let authentic = self.epoch.open(&header, body, &mut packet);
                if authentic {
                    self.loss.record(header.seq);
                }
                if authentic && !packet.is_empty() {
                    if !received.push_buf_bounded(packet, max_packets, max_bytes) {
                        delivered.dropped += 1;
                    }
                    delivered.packets += 1;
                    self.final_flight = Vec::new();
                } else {
                    received.recycle(packet);
                }
                continue;
            }
            let mut plaintext = std::mem::take(&mut self.scratch);
            let outcome = if self.epoch.open(&header, body, &mut plaintext) {
                self.loss.record(header.seq);
                self.control(header.content_type, &plaintext, outgoing)
            } else {
                Outcome::Open
            };
            self.scratch = plaintext;
            if outcome != Outcome::Open {
                delivered.outcome = outcome;
                return delivered;
            }
        }
        delivered
    }

    /// An authentic alert or handshake record.
    fn control(
        &mut self,
        content_type: u8,
        plaintext: &[u8],
        outgoing: &mut PacketQueue,
    ) -> Outcome {
        match (content_type, plaintext) {
            (ALERT, &[level, description]) => {
                self.final_flight = Vec::new();
                if description == CLOSE_NOTIFY {
                    self.close(outgoing);
                    Outcome::Closed
                } else if level == FATAL {
                    Outcome::Failed(format!(
                        "the peer sent a fatal alert: {}",
                        ffi::alert_description(description)
                    ))
                } else {
                    Outcome::Open // other warnings change nothing
                }
            }
            (HANDSHAKE, [FINISHED, ..]) => {
                // The peer did not get our last flight and sent its own again.
                for datagram in &self.final_flight {
                    outgoing.push(datagram);
                }
                Outcome::Open
            }
            (HANDSHAKE, [HELLO_REQUEST | CLIENT_HELLO, ..]) => {
                // Renegotiation is refused (RFC 5246 7.2.2) and the session goes on.
                let _ = self.seal(ALERT, &[WARNING, NO_RENEGOTIATION], outgoing);
                Outcome::Open
            }
            // A late copy of another handshake message, or a malformed alert: dropped.
            _ => Outcome::Open,
        }
    }

    /// The fraction of the peer's recent records lost on the way; `None` before one arrived.
    pub(crate) fn receive_loss(&self) -> Option<f64> {
        self.loss.loss()
    }

    /// The session's secrets (for RFC 5705 keying material).
    pub(crate) fn secrets(&self) -> &SessionSecrets {
        &self.secrets
    }

    #[cfg(test)]
    pub(crate) fn epoch_mut(&mut self) -> &mut EpochCipher {
        &mut self.epoch
    }
}
