//! Sealing and opening one DTLS 1.2 AEAD record with `ring`'s AEAD (`LessSafeKey`: the key is
//! expanded once, only the nonce changes per record). Nonces: RFC 5288 for AES-GCM (4-byte salt
//! from the key block, then an explicit 8-byte nonce sent in the record: its epoch and sequence
//! number), RFC 7905 for ChaCha20-Poly1305 (the 12-byte IV XOR the padded epoch and sequence
//! number, no explicit nonce). Additional data: RFC 5246 6.2.3.3 with the DTLS epoch and
//! sequence number. The keys still come from OpenSSL's TLS1-PRF (`keys.rs`); `ring` only runs
//! the AEAD, because OpenSSL 3's EVP costs about as much per record in its provider dispatch
//! (re-initialising the nonce, the tag control calls) as the cipher itself at game packet sizes.
//! The expanded key is wiped when the cipher drops.

use std::mem::ManuallyDrop;

use ring::aead::{
    Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305,
};
use zeroize::{Zeroize, Zeroizing};

use super::header::{Header, HEADER_LEN};
use super::keys::DirectionKeys;
use super::suite::{Aead, TAG_LEN};
use crate::DtlsError;

/// One direction's AEAD state: the expanded key, and the fixed IV.
pub(crate) struct RecordCipher {
    /// Never dropped: [`Drop`] wipes its bytes instead (it owns no heap memory, only the
    /// expanded key schedule inline, and a `&'static` to its algorithm).
    key: ManuallyDrop<LessSafeKey>,
    aead: Aead,
    iv: Zeroizing<[u8; 12]>,
}

impl Drop for RecordCipher {
    fn drop(&mut self) {
        self.wipe_key();
    }
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
    /// A context for `keys` (the same for sealing and opening; `_encrypt` says which it is for).
    pub(crate) fn new(aead: Aead, keys: &DirectionKeys, _encrypt: bool) -> Result<Self, DtlsError> {
        let algorithm = match aead {
            Aead::Aes128Gcm => &AES_128_GCM,
            Aead::Aes256Gcm => &AES_256_GCM,
            Aead::ChaCha20Poly1305 => &CHACHA20_POLY1305,
        };
        let key = UnboundKey::new(algorithm, &keys.key)
            .map_err(|_| DtlsError::Ssl(format!("{aead:?}: the record key has a wrong length")))?;
        Ok(RecordCipher {
            key: ManuallyDrop::new(LessSafeKey::new(key)),
            aead,
            iv: keys.iv.clone(),
        })
    }

    /// The bytes of the expanded key, to wipe (and, in tests, to look at).
    fn key_bytes(&mut self) -> &mut [u8] {
        let size = std::mem::size_of::<ManuallyDrop<LessSafeKey>>();
        // No reference to the key itself is made (it may already be wiped, hence not a valid
        // `LessSafeKey`): only a pointer to its bytes.
        let at = std::ptr::addr_of_mut!(self.key).cast::<u8>();
        // SAFETY: `at` points to the key this struct owns, valid for `size` bytes and
        // exclusively borrowed for the returned slice's lifetime (through `&mut self`); any byte
        // pattern is a valid `u8`.
        unsafe { std::slice::from_raw_parts_mut(at, size) }
    }

    /// Overwrites the expanded key with zeros. Only called from [`Drop`]: the key is plain data
    /// (no heap allocation, no `Drop` of its own: ring 0.17's key is an enum of AES round keys
    /// with the GHASH table, or a ChaCha20 key, plus a static reference), so overwriting it
    /// leaks nothing, and it sits in a `ManuallyDrop` that is never read as a key or dropped
    /// after this, so the zeroed bytes are never used as one.
    fn wipe_key(&mut self) {
        self.key_bytes().zeroize();
    }

    pub(crate) fn aead(&self) -> Aead {
        self.aead
    }

    /// The 12-byte nonce of a record with this epoch || seq (`explicit`: the 8 bytes the record
    /// carries, for AES-GCM).
    fn nonce(&self, epoch_seq: &[u8; 8], explicit: &[u8]) -> Nonce {
        let mut nonce = *self.iv;
        match self.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm => nonce[4..].copy_from_slice(explicit),
            Aead::ChaCha20Poly1305 => {
                for (n, b) in nonce[4..].iter_mut().zip(epoch_seq) {
                    *n ^= b;
                }
            }
        }
        Nonce::assume_unique_for_key(nonce)
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
        out.reserve(HEADER_LEN + body_len);
        out.extend_from_slice(
            &Header {
                len: body_len,
                ..*header
            }
            .to_bytes(),
        );
        out.extend_from_slice(&epoch_seq[..explicit_len]);
        let at = out.len();
        out.extend_from_slice(plaintext);
        let nonce = self.nonce(&epoch_seq, &epoch_seq);
        let aad = Aad::from(additional_data(header, plaintext.len()));
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, aad, &mut out[at..])
            .map_err(|_| DtlsError::Ssl("the record is too long to seal".into()))?;
        out.extend_from_slice(tag.as_ref());
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
        let (explicit, sealed) = body.split_at(explicit_len);
        let nonce = self.nonce(&header.epoch_seq(), explicit);
        let aad = Aad::from(additional_data(header, plaintext_len));
        out.extend_from_slice(sealed);
        if self.key.open_in_place(nonce, aad, out).is_err() {
            // ring leaves the buffer unusable (zeroed or partly decrypted) on failure.
            out.clear();
            return false;
        }
        out.truncate(plaintext_len);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expanded_key_is_wiped() {
        for aead in [Aead::Aes128Gcm, Aead::Aes256Gcm, Aead::ChaCha20Poly1305] {
            let keys = DirectionKeys {
                key: Zeroizing::new(vec![0x5a; aead.key_len()]),
                iv: Zeroizing::new([1; 12]),
            };
            let mut cipher = RecordCipher::new(aead, &keys, true).expect("key");
            assert!(cipher.key_bytes().iter().any(|&b| b != 0));
            cipher.wipe_key();
            assert!(cipher.key_bytes().iter().all(|&b| b == 0), "{aead:?}");
            // Dropping wipes it again; nothing reads it as a key.
        }
    }
}
