//! The protection of one epoch's records in both directions: the two AEAD contexts, the next
//! sequence number we write and the replay window of what we read. Every check RFC 6347 asks
//! of a received record happens here, before and after it is opened.

use super::aead::RecordCipher;
use super::header::{Header, ALERT, APPLICATION_DATA, DTLS1_2, HANDSHAKE, HEADER_LEN, SEQ_MAX};
use super::keys::RecordKeys;
use super::replay::ReplayWindow;
use super::suite::Aead;
use crate::config::settings::MAX_RECORD_PAYLOAD;
use crate::DtlsError;

/// Largest record body RFC 5246 6.2.3 allows (2^14 + 2048).
const MAX_CIPHERTEXT: usize = MAX_RECORD_PAYLOAD + 2048;

pub(crate) struct EpochCipher {
    epoch: u16,
    write: RecordCipher,
    /// Sequence number of the next record we seal; above [`SEQ_MAX`] nothing more is sealed.
    next_write_seq: u64,
    read: RecordCipher,
    window: ReplayWindow,
}

impl std::fmt::Debug for EpochCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpochCipher")
            .field("epoch", &self.epoch)
            .field("next_write_seq", &self.next_write_seq)
            .finish_non_exhaustive()
    }
}

impl EpochCipher {
    /// The records of `epoch` with `keys`; our first record gets `next_write_seq`.
    pub(crate) fn new(
        aead: Aead,
        keys: &RecordKeys,
        epoch: u16,
        next_write_seq: u64,
    ) -> Result<Self, DtlsError> {
        Ok(EpochCipher {
            epoch,
            write: RecordCipher::new(aead, &keys.write, true)?,
            next_write_seq,
            read: RecordCipher::new(aead, &keys.read, false)?,
            window: ReplayWindow::default(),
        })
    }

    /// Bytes a record adds to its payload (header, explicit nonce, tag).
    pub(crate) fn overhead(&self) -> usize {
        HEADER_LEN + self.write.aead().overhead()
    }

    /// Seals the plaintext made of `parts` as the next record of `content_type`, appended to
    /// `out`. Fails, for good, once the sequence numbers are used up: a nonce is never used twice.
    pub(crate) fn seal(
        &mut self,
        content_type: u8,
        parts: &[&[u8]],
        out: &mut Vec<u8>,
    ) -> Result<(), DtlsError> {
        let seq = self.next_write_seq;
        if seq > SEQ_MAX {
            return Err(DtlsError::Ssl(
                "the record sequence numbers are used up (2^48 records): the session ends \
                 rather than reuse a nonce"
                    .into(),
            ));
        }
        self.next_write_seq = seq + 1;
        let header = Header {
            content_type,
            version: DTLS1_2,
            epoch: self.epoch,
            seq,
            len: 0,
        };
        self.write.seal(&header, parts, out)
    }

    /// Opens one received record into `out`: false (drop it) unless it is a DTLS 1.2 alert,
    /// handshake or application-data record of this epoch, not seen before, of a length
    /// DTLS allows, and authentic. Only then is its sequence number marked as seen.
    pub(crate) fn open(&mut self, header: &Header, body: &[u8], out: &mut Vec<u8>) -> bool {
        let acceptable = header.version == DTLS1_2
            && header.epoch == self.epoch
            && matches!(header.content_type, ALERT | HANDSHAKE | APPLICATION_DATA)
            && body.len() <= MAX_CIPHERTEXT
            && self.window.is_fresh(header.seq);
        if !acceptable || !self.read.open(header, body, out) || out.len() > MAX_RECORD_PAYLOAD {
            out.clear();
            return false;
        }
        self.window.mark(header.seq);
        true
    }

    #[cfg(test)]
    pub(crate) fn set_next_write_seq(&mut self, seq: u64) {
        self.next_write_seq = seq;
    }
}
