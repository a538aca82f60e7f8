//! The in-memory "socket" under OpenSSL: one read hands over exactly one datagram, one write
//! produces exactly one datagram. This is what makes the session sans-IO. It also notes what
//! our record layer needs when it takes over: the last record OpenSSL wrote, and every
//! protected record of the peer OpenSSL was given during the handshake; and it caps those
//! records, which OpenSSL buffers until the handshake ends.

use std::io::{self, Read, Write};

use crate::records::header::{
    records, set_seq, Header, CHANGE_CIPHER_SPEC, HANDSHAKE, HEADER_LEN, SEQ_MAX,
};
use crate::PacketQueue;

/// Most bytes of the peer's protected (epoch > 0) records handed to OpenSSL before the handshake
/// ends, all of them kept for the replay window of our record layer: the peer's Finished and
/// some early application data. Beyond, its protected records are dropped until the handshake
/// ends (application data may be lost, as on any datagram link).
const EARLY_PROTECTED_BYTES: usize = 16 * 1024;
/// Most protected records handed to OpenSSL while it has not read the peer's ChangeCipherSpec:
/// it keeps each of those with a read buffer of its own (about 16.7 KiB) until the handshake
/// ends, so they are what a peer could pin (OpenSSL alone allows 100).
const EARLY_UNREAD_EPOCH_RECORDS: usize = 2;
/// Besides those, handshake records that follow a ChangeCipherSpec in their datagram (the
/// Finished of a retransmitted last flight) get this many more.
const EARLY_RECORDS_AFTER_CCS: usize = 1;

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
    /// Every record of epoch > 0 delivered to OpenSSL while `recording` (oldest first).
    peer_records: Vec<Vec<u8>>,
    /// Whether delivered protected records are capped and remembered (until the handshake ends).
    recording: bool,
    /// Bytes of `peer_records`.
    early_bytes: usize,
    /// Protected records handed while OpenSSL had not read the peer's ChangeCipherSpec.
    early_unread_epoch: usize,
    /// Of those, handshake records that followed a ChangeCipherSpec in their datagram.
    early_after_ccs: usize,
}

impl DatagramIo {
    /// Caps and remembers the peer's protected records from now until
    /// [`DatagramIo::stop_recording`].
    pub(crate) fn start_recording(&mut self) {
        self.recording = true;
        self.peer_records.clear();
        self.early_bytes = 0;
        self.early_unread_epoch = 0;
        self.early_after_ccs = 0;
    }

    /// Offers one received datagram to OpenSSL's next read. While recording (the handshake),
    /// only the protected records within the caps are offered, and each is remembered;
    /// `peer_ccs_read` says whether OpenSSL has read the peer's ChangeCipherSpec (it then opens
    /// protected records at once instead of buffering them).
    pub(crate) fn deliver(&mut self, datagram: &[u8], peer_ccs_read: bool) {
        self.inbox.clear();
        if self.recording {
            self.screen_early(datagram, peer_ccs_read);
        } else {
            self.inbox.extend_from_slice(datagram);
        }
        // An empty datagram is never offered: OpenSSL would read its 0 bytes as end of file and
        // fail the session, so anyone able to send one empty UDP datagram could end it.
        self.inbox_full = !self.inbox.is_empty();
    }

    /// Copies the records of `datagram` OpenSSL may have during the handshake into the inbox
    /// (bytes after the last whole record, which OpenSSL would ignore, are left out).
    fn screen_early(&mut self, datagram: &[u8], peer_ccs_read: bool) {
        let mut after_ccs = false;
        for (at, header, body) in records(datagram) {
            let record = &datagram[at..at + HEADER_LEN + body.len()];
            if header.epoch == 0 {
                after_ccs |= header.content_type == CHANGE_CIPHER_SPEC;
                self.inbox.extend_from_slice(record);
                continue;
            }
            if self.early_bytes + record.len() > EARLY_PROTECTED_BYTES {
                continue;
            }
            if !peer_ccs_read {
                if after_ccs
                    && header.content_type == HANDSHAKE
                    && self.early_after_ccs < EARLY_RECORDS_AFTER_CCS
                {
                    self.early_after_ccs += 1;
                } else if self.early_unread_epoch < EARLY_UNREAD_EPOCH_RECORDS {
                    self.early_unread_epoch += 1;
                } else {
                    continue;
                }
            }
            self.early_bytes += record.len();
            self.peer_records.push(record.to_vec());
            self.inbox.extend_from_slice(record);
        }
    }

    /// Ends the handshake-time notes and hands over every protected record of the peer
    /// OpenSSL was given.
    pub(crate) fn stop_recording(&mut self) -> Vec<Vec<u8>> {
        self.recording = false;
        self.early_bytes = 0;
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
