//! The in-memory "socket" under OpenSSL: one read hands over exactly one datagram, one write
//! produces exactly one datagram. This is what makes the session sans-IO.

use std::io::{self, Read, Write};

use crate::PacketQueue;

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
}

/// DTLS record header: type (1), version (2), epoch (2), sequence number (6), length (2).
const RECORD_HEADER_LEN: usize = 13;
const SEQ_MASK: u64 = (1 << 48) - 1;

impl DatagramIo {
    /// Offers one received datagram to OpenSSL's next read.
    pub(crate) fn deliver(&mut self, datagram: &[u8]) {
        self.inbox.clear();
        self.inbox.extend_from_slice(datagram);
        // An empty datagram is never offered: OpenSSL would read its 0 bytes as end of file and
        // fail the session, so anyone able to send one empty UDP datagram could end it.
        self.inbox_full = !datagram.is_empty();
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

    fn renumber_epoch0(&self, datagram: &mut [u8]) {
        let mut at = 0;
        while let Some(header) = datagram.get_mut(at..at + RECORD_HEADER_LEN) {
            let len = usize::from(u16::from_be_bytes([header[11], header[12]]));
            if header[3..5] == [0, 0] {
                if let Some(seq) = record_seq(header) {
                    let seq = seq.wrapping_add(self.epoch0_seq_offset) & SEQ_MASK;
                    header[5..11].copy_from_slice(&seq.to_be_bytes()[2..]);
                }
            }
            at += RECORD_HEADER_LEN + len;
        }
    }
}

/// The 48-bit record sequence number of the record starting at `record[0]`.
pub(crate) fn record_seq(record: &[u8]) -> Option<u64> {
    let seq = record.get(5..11)?;
    let mut bytes = [0u8; 8];
    bytes[2..].copy_from_slice(seq);
    Some(u64::from_be_bytes(bytes))
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
        if self.epoch0_seq_offset == 0 {
            self.outgoing.push(buf);
        } else {
            let mut datagram = buf.to_vec();
            self.renumber_epoch0(&mut datagram);
            self.outgoing.push(&datagram);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
