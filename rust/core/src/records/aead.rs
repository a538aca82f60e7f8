//! Sealing and opening one DTLS 1.2 AEAD record with `ring`'s AEAD (`LessSafeKey`: the key is
//! expanded once, only the nonce changes per record). Nonces: RFC 5288 for AES-GCM (4-byte salt
//! from the key block, then an explicit 8-byte nonce sent in the record: its epoch and sequence
//! number), RFC 7905 for ChaCha20-Poly1305 (the 12-byte IV XOR the padded epoch and sequence
//! number, no explicit nonce). Additional data: RFC 5246 6.2.3.3 with the DTLS epoch and
//! sequence number. The keys still come from OpenSSL's TLS1-PRF (`keys.rs`); `ring` only runs
//! the AEAD, because OpenSSL 3's EVP costs about as much per record in its provider dispatch
//! (re-initialising the nonce, the tag control calls) as the cipher itself at game packet sizes.
//! The expanded key and the fixed IV are made once on the heap, so moving the cipher copies
//! neither, and they are wiped when the cipher drops; the stack temporaries of their making
//! and each record's nonce are wiped after use.

use std::mem::ManuallyDrop;

use ring::aead::{
    Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305,
};
use zeroize::{Zeroize, Zeroizing};

use super::header::{Header, HEADER_LEN};
use super::keys::DirectionKeys;
use super::suite::{Aead, TAG_LEN};
use crate::DtlsError;

/// One direction's secrets: the expanded key and the fixed IV.
struct KeyMaterial {
    /// Never dropped: [`RecordCipher`]'s `Drop` wipes its bytes instead (it owns no heap
    /// memory, only the expanded key schedule inline, and a `&'static` to its algorithm).
    key: ManuallyDrop<LessSafeKey>,
    iv: [u8; 12],
}

/// One direction's AEAD state: its secrets, in the one place they were made.
pub(crate) struct RecordCipher {
    secret: Box<KeyMaterial>,
    aead: Aead,
}

/// The bytes of `value`, to wipe.
///
/// # Safety
/// `value` must point to a live `T`, exclusively owned by the caller for the slice's lifetime
/// `'a`, of plain data that is never used as a `T` again once wiped (kept in a `ManuallyDrop`
/// or holding only such fields and bytes); callers only write the slice.
unsafe fn bytes_of<'a, T>(value: *mut T) -> &'a mut [u8] {
    // SAFETY: the caller hands a pointer to a live, exclusively owned `T`; the slice covers
    // exactly its bytes and is only written through (zeroize), and any byte pattern is a `u8`.
    unsafe { std::slice::from_raw_parts_mut(value.cast::<u8>(), std::mem::size_of::<T>()) }
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
        let mut unbound =
            ManuallyDrop::new(UnboundKey::new(algorithm, &keys.key).map_err(|_| {
                DtlsError::Ssl(format!("{aead:?}: the record key has a wrong length"))
            })?);
        // SAFETY: `unbound` is taken once and never used as a key again: only its bytes are
        // wiped below.
        let key = LessSafeKey::new(unsafe { ManuallyDrop::take(&mut unbound) });
        let mut made = ManuallyDrop::new(KeyMaterial {
            key: ManuallyDrop::new(key),
            iv: *keys.iv,
        });
        // Copied straight to the heap (`Box::new` may build its value on the stack first).
        let layout = std::alloc::Layout::new::<KeyMaterial>();
        // SAFETY: the layout is KeyMaterial's (not zero-sized); a null result is handled; the
        // allocation is filled with a bitwise copy of `made` (plain data, see `wipe_key`) before
        // `Box::from_raw` takes it with that same layout; `made` and `unbound` are plain data in
        // `ManuallyDrop`s (an `UnboundKey` is a `LessSafeKey`), never used as keys or dropped
        // after their bytes are wiped here.
        let secret = unsafe {
            let heap = std::alloc::alloc(layout).cast::<KeyMaterial>();
            if heap.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            std::ptr::copy_nonoverlapping(&*made as *const KeyMaterial, heap, 1);
            bytes_of(&mut *unbound as *mut UnboundKey).zeroize();
            bytes_of(&mut *made as *mut KeyMaterial).zeroize();
            Box::from_raw(heap)
        };
        Ok(RecordCipher { secret, aead })
    }

    /// The bytes of the key material, to wipe (and, in tests, to look at).
    fn key_bytes(&mut self) -> &mut [u8] {
        // No reference to the key itself is made (it may already be wiped, hence not a valid
        // `LessSafeKey`): only a pointer to its bytes.
        let at = std::ptr::addr_of_mut!(*self.secret);
        // SAFETY: `at` points to the key material this struct owns, exclusively borrowed for
        // the returned slice's lifetime (through `&mut self`); it is plain data (see
        // `wipe_key`).
        unsafe { bytes_of(at) }
    }

    /// Overwrites the expanded key and the IV with zeros. Only called from [`Drop`]: the key is
    /// plain data (no heap allocation, no `Drop` of its own: ring 0.17's key is an enum of AES
    /// round keys with the GHASH table, or a ChaCha20 key, plus a static reference), so
    /// overwriting it leaks nothing, and it sits in a `ManuallyDrop` that is never read as a key
    /// or dropped after this, so the zeroed bytes are never used as one.
    fn wipe_key(&mut self) {
        self.key_bytes().zeroize();
    }

    pub(crate) fn aead(&self) -> Aead {
        self.aead
    }

    /// The 12-byte nonce of a record with this epoch || seq (`explicit`: the 8 bytes the record
    /// carries, for AES-GCM).
    fn nonce(&self, epoch_seq: &[u8; 8], explicit: &[u8]) -> Nonce {
        let mut nonce = Zeroizing::new(self.secret.iv);
        match self.aead {
            Aead::Aes128Gcm | Aead::Aes256Gcm => nonce[4..].copy_from_slice(explicit),
            Aead::ChaCha20Poly1305 => {
                for (n, b) in nonce[4..].iter_mut().zip(epoch_seq) {
                    *n ^= b;
                }
            }
        }
        Nonce::assume_unique_for_key(*nonce)
    }

    /// Appends the whole record (header, explicit nonce, ciphertext, tag) for `header` (whose
    /// `len` is ignored) and the plaintext made of `parts` one after the other to `out`: the parts
    /// are copied once, into the record, and encrypted there.
    pub(crate) fn seal(
        &mut self,
        header: &Header,
        parts: &[&[u8]],
        out: &mut Vec<u8>,
    ) -> Result<(), DtlsError> {
        let epoch_seq = header.epoch_seq();
        let explicit_len = self.aead.explicit_nonce_len();
        let plaintext_len: usize = parts.iter().map(|part| part.len()).sum();
        let body_len = explicit_len + plaintext_len + TAG_LEN;
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
        for part in parts {
            out.extend_from_slice(part);
        }
        let nonce = self.nonce(&epoch_seq, &epoch_seq);
        let aad = Aad::from(additional_data(header, plaintext_len));
        let tag = self
            .secret
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
        if self.secret.key.open_in_place(nonce, aad, out).is_err() {
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

    /// Issue 25, defect 5: the key is made in one place and stays there, so moving its owner
    /// (the epoch, the record layer, the session box) leaves no copy that the wipe misses.
    #[test]
    fn moving_the_cipher_leaves_its_key_in_place() {
        let keys = DirectionKeys {
            key: Zeroizing::new(vec![0x5a; 16]),
            iv: Zeroizing::new([1; 12]),
        };
        let mut cipher = RecordCipher::new(Aead::Aes128Gcm, &keys, true).expect("key");
        let at = cipher.key_bytes().as_ptr();
        let mut moved = Box::new(cipher);
        assert_eq!(
            moved.key_bytes().as_ptr(),
            at,
            "the key moved with its owner"
        );
    }
}
