//! Sealing and opening one DTLS 1.2 AEAD record with OpenSSL's EVP AEAD: the key is set once,
//! only the nonce changes per record. Nonces: RFC 5288 for AES-GCM (4-byte salt from the key
//! block, then an explicit 8-byte nonce sent in the record: its epoch and sequence number),
//! RFC 7905 for ChaCha20-Poly1305 (the 12-byte IV XOR the padded epoch and sequence number, no
//! explicit nonce). Additional data: RFC 5246 6.2.3.3 with the DTLS epoch and sequence number.

use openssl::cipher_ctx::CipherCtx;
use zeroize::Zeroizing;

use super::header::{Header, HEADER_LEN};
use super::keys::DirectionKeys;
use super::suite::{Aead, TAG_LEN};
use crate::DtlsError;

/// One direction's AEAD state: the EVP context with its key, and the fixed IV.
pub(crate) struct RecordCipher {
    ctx: CipherCtx,
    aead: Aead,
    iv: Zeroizing<[u8; 12]>,
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordCipher")
            .field("aead", &self.aead)
            .finish_non_exhaustive()
    }
}

/// The 13 bytes of additional data (RFC 5246 6.2.3.3 with DTLS's epoch and sequence number):
/// epoch || seq, type, version, plaintext length.
fn additional_data(header: &Header, plaintext_len: usize) -> [u8; HEADER_LEN] {
    let mut aad = [0u8; HEADER_LEN];
    aad[..8].copy_from_slice(&header.epoch_seq());
    aad[8] = header.content_type;
    aad[9..11].copy_from_slice(&header.version);
    let len = u16::try_from(plaintext_len).unwrap_or(u16::MAX);
    aad[11..].copy_from_slice(&len.to_be_bytes());
    aad
}

impl RecordCipher {
    /// A sealing (`encrypt`) or opening context for `keys`.
    pub(crate) fn new(aead: Aead, keys: &DirectionKeys, encrypt: bool) -> Result<Self, DtlsError> {
        let mut ctx = CipherCtx::new()?;
        if encrypt {
            ctx.encrypt_init(Some(aead.cipher()), Some(&keys.key), None)?;
        } else {
            ctx.decrypt_init(Some(aead.cipher()), Some(&keys.key), None)?;
        }
        Ok(RecordCipher {
            ctx,
            aead,
            iv: keys.iv.clone(),
        })
    }

    pub(crate) fn aead(&self) -> Aead {
        self.aead
    }

    /// The 12-byte nonce of a record with this epoch || seq (`explicit`: the 8 bytes the record
    /// carries, for AES-GCM).
    fn nonce(&self, epoch_seq: &[u8; 8], explicit: &[u8]) -> [u8; 12] {
        let mut nonce = *self.iv;
        match self.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm => nonce[4..].copy_from_slice(explicit),
            Aead::ChaCha20Poly1305 => {
                for (n, b) in nonce[4..].iter_mut().zip(epoch_seq) {
                    *n ^= b;
                }
            }
        }
        nonce
    }

    /// Appends the whole record (header, explicit nonce, ciphertext, tag) for `header` (whose
    /// `len` is ignored) and `plaintext` to `out`.
    pub(crate) fn seal(
        &mut self,
        header: &Header,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), DtlsError> {
        let epoch_seq = header.epoch_seq();
        let explicit_len = self.aead.explicit_nonce_len();
        let body_len = explicit_len + plaintext.len() + TAG_LEN;
        let start = out.len();
        out.extend_from_slice(
            &Header {
                len: body_len,
                ..*header
            }
            .to_bytes(),
        );
        out.extend_from_slice(&epoch_seq[..explicit_len]);
        let nonce = self.nonce(&epoch_seq, &epoch_seq);
        self.ctx.encrypt_init(None, None, Some(&nonce))?;
        self.ctx
            .cipher_update(&additional_data(header, plaintext.len()), None)?;
        let at = out.len();
        out.resize(at + plaintext.len() + TAG_LEN, 0);
        let n = self
            .ctx
            .cipher_update(plaintext, Some(&mut out[at..at + plaintext.len()]))?;
        let f = self.ctx.cipher_final(&mut [])?;
        debug_assert_eq!(n + f, plaintext.len());
        let tag_at = at + plaintext.len();
        self.ctx.tag(&mut out[tag_at..])?;
        debug_assert_eq!(out.len() - start, HEADER_LEN + body_len);
        Ok(())
    }

    /// Decrypts the body of a record with `header` into `out` (cleared first). False when the
    /// record is too short or does not authenticate; `out` then holds nothing to use.
    pub(crate) fn open(&mut self, header: &Header, body: &[u8], out: &mut Vec<u8>) -> bool {
        out.clear();
        let explicit_len = self.aead.explicit_nonce_len();
        let Some(plaintext_len) = body.len().checked_sub(explicit_len + TAG_LEN) else {
            return false;
        };
        let (explicit, rest) = body.split_at(explicit_len);
        let (ciphertext, tag) = rest.split_at(plaintext_len);
        let nonce = self.nonce(&header.epoch_seq(), explicit);
        out.resize(plaintext_len, 0);
        let ok = self.ctx.decrypt_init(None, None, Some(&nonce)).is_ok()
            && self
                .ctx
                .cipher_update(&additional_data(header, plaintext_len), None)
                .is_ok()
            && self.ctx.cipher_update(ciphertext, Some(out)).is_ok()
            && self.ctx.set_tag(tag).is_ok()
            && self.ctx.cipher_final(&mut []).is_ok();
        if !ok {
            out.clear();
            // A failed open leaves reasons on OpenSSL's thread-local error queue.
            let _ = openssl::error::ErrorStack::get();
        }
        ok
    }
}
