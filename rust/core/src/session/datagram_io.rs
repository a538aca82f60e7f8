//! The in-memory "socket" under OpenSSL: one read hands over exactly one datagram, one write
//! produces exactly one datagram. This is what makes the session sans-IO. It also notes what
//! our record layer needs when it takes over: the last record OpenSSL wrote, and the protected
//! records of the peer OpenSSL was given during the handshake.

use std::io::{self, Read, Write};

use crate::records::header::{records, set_seq, Header, HEADER_LEN, SEQ_MAX};
use crate::PacketQueue;

/// How many of the peer's protected handshake-time records are remembered (its Finished, a few
/// retransmissions of it, application data right behind it).
const PEER_RECORDS_KEPT: usize = 8;

/// Datagram pipe between a session and OpenSSL's BIO.
#[derive(Default, Debug)]
pub(crate) struct DatagramIo {
    /// The datagram OpenSSL will read next (at most one: the caller feeds them one at a time).
    inbox: Vec<u8>,
    inbox_full: bool,
    /// Datagrams OpenSSL wrote, waiting for the caller to send them.
    pub(crate) outgoing: PacketQueue,
    /// Added to the record sequence number of every epoch-0 record written (see
    /// [`DatagramIo::continue_after_listen`]).
    epoch0_seq_offset: u64,
    /// Epoch and sequence number of the newest record OpenSSL wrote.
    last_written: Option<(u16, u64)>,
    /// Records of epoch > 0 delivered to OpenSSL while `recording` (newest last).
    peer_records: Vec<Vec<u8>>,
    /// Whether delivered protected records are remembered (until the handshake ends).
    recording: bool,
}

impl DatagramIo {
    /// Remembers the peer's protected records from now until [`DatagramIo::stop_recording`].
    pub(crate) fn start_recording(&mut self) {
        self.recording = true;
        self.peer_records.clear();
    }

    /// Offers one received datagram to OpenSSL's next read.
    pub(crate) fn deliver(&mut self, datagram: &[u8]) {
        self.inbox.clear();
        self.inbox.extend_from_slice(datagram);
        // An empty datagram is never offered: OpenSSL would read its 0 bytes as end of file and
        // fail the session, so anyone able to send one empty UDP datagram could end it.
        self.inbox_full = !datagram.is_empty();
        if self.recording {
            for (at, header, body) in records(datagram) {
                if header.epoch > 0 {
                    if self.peer_records.len() == PEER_RECORDS_KEPT {
                        self.peer_records.remove(0);
                    }
                    let end = at + HEADER_LEN + body.len();
                    self.peer_records.push(datagram[at..end].to_vec());
                }
            }
        }
    }

    /// Ends the handshake-time notes and hands over the peer's protected records.
    pub(crate) fn stop_recording(&mut self) -> Vec<Vec<u8>> {
        self.recording = false;
        std::mem::take(&mut self.peer_records)
    }

    /// Epoch and sequence number of the newest record OpenSSL wrote.
    pub(crate) fn last_written(&self) -> Option<(u16, u64)> {
        self.last_written
    }

    /// True while the datagram offered last has not been read by OpenSSL.
    pub(crate) fn has_unread(&self) -> bool {
        self.inbox_full
    }

    /// Forgets a datagram OpenSSL did not read (it had no use for it in its state).
    pub(crate) fn discard_unread(&mut self) {
        self.inbox_full = false;
    }

    /// Releases buffers held for reuse (idle sessions stay small).
    pub(crate) fn shrink(&mut self) {
        if !self.inbox_full {
            self.inbox = Vec::new();
        }
        self.outgoing.shed();
    }

    /// Makes the server's epoch-0 records continue from `client_hello_seq`, the record sequence
    /// number of the ClientHello `DTLSv1_listen` accepted, as RFC 6347 4.2.1 requires. OpenSSL
    /// 3.2 to 3.6 start them at 1 instead (openssl/openssl#32063): when the client had to resend
    /// its first ClientHello, the ServerHello then reuses the sequence number of a
    /// HelloVerifyRequest the client already saw and the client drops it as a replay, which costs
    /// a whole retransmission timeout. Epoch-0 records carry no MAC, so renumbering them is safe.
    pub(crate) fn continue_after_listen(&mut self, client_hello_seq: u64) {
        self.epoch0_seq_offset = client_hello_seq.saturating_sub(1);
    }
}

/// Renumbers the epoch-0 records of a datagram OpenSSL wrote in place (adding `epoch0_offset`)
/// and keeps in `last_written` the newest (epoch, sequence number) written.
fn note_written(datagram: &mut [u8], epoch0_offset: u64, last_written: &mut Option<(u16, u64)>) {
    let mut at = 0;
    while let Some(header) = datagram.get(at..).and_then(Header::parse) {
        let mut seq = header.seq;
        if header.epoch == 0 && epoch0_offset != 0 {
            seq = seq.wrapping_add(epoch0_offset) & SEQ_MAX;
            set_seq(&mut datagram[at..], seq);
        }
        if last_written.is_none_or(|last| (header.epoch, seq) > last) {
            *last_written = Some((header.epoch, seq));
        }
        at += HEADER_LEN + header.len;
    }
}

/// The 48-bit record sequence number of the record starting at `record[0]`.
pub(crate) fn record_seq(record: &[u8]) -> Option<u64> {
    Header::parse(record).map(|h| h.seq)
}

impl Read for DatagramIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.inbox_full {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.inbox_full = false;
        // A datagram longer than OpenSSL's buffer is truncated, as a UDP socket would do.
        let n = self.inbox.len().min(buf.len());
        buf[..n].copy_from_slice(&self.inbox[..n]);
        Ok(n)
    }
}

impl Write for DatagramIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outgoing.push(buf);
        if let Some(datagram) = self.outgoing.last_mut() {
            note_written(datagram, self.epoch0_seq_offset, &mut self.last_written);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
