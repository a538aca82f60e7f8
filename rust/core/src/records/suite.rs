//! What a negotiated cipher suite means for its records: which AEAD our record layer runs (or
//! none: the suite stays on OpenSSL's record layer), its key and IV sizes, and how many bytes of
//! explicit nonce and tag every protected record of the suite carries.

use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::ssl::SslCipherRef;

/// Bytes of every AEAD tag our record layer handles (AES-GCM and ChaCha20-Poly1305).
pub(crate) const TAG_LEN: usize = 16;

/// The AEADs our record layer runs (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl Aead {
    /// The AEAD of a negotiated suite, when our record layer handles it.
    pub(crate) fn of(cipher: &SslCipherRef) -> Option<Aead> {
        match cipher.cipher_nid()? {
            Nid::AES_128_GCM => Some(Aead::Aes128Gcm),
            Nid::AES_256_GCM => Some(Aead::Aes256Gcm),
            Nid::CHACHA20_POLY1305 => Some(Aead::ChaCha20Poly1305),
            _ => None,
        }
    }

    pub(crate) fn key_len(self) -> usize {
        match self {
            Aead::Aes128Gcm => 16,
            Aead::Aes256Gcm | Aead::ChaCha20Poly1305 => 32,
        }
    }

    /// The implicit part of the nonce from the key block (client/server_write_IV): the 4-byte
    /// salt of RFC 5288, the whole 12-byte IV of RFC 7905.
    pub(crate) fn fixed_iv_len(self) -> usize {
        match self {
            Aead::Aes128Gcm | Aead::Aes256Gcm => 4,
            Aead::ChaCha20Poly1305 => 12,
        }
    }

    /// Bytes of explicit nonce at the start of every record body.
    pub(crate) fn explicit_nonce_len(self) -> usize {
        match self {
            Aead::Aes128Gcm | Aead::Aes256Gcm => 8,
            Aead::ChaCha20Poly1305 => 0,
        }
    }

    /// What a record body adds to its plaintext.
    pub(crate) fn overhead(self) -> usize {
        self.explicit_nonce_len() + TAG_LEN
    }
}

/// A negotiated suite our record layer runs: its AEAD and its PRF hash.
#[derive(Clone, Copy)]
pub(crate) struct Suite {
    pub(crate) aead: Aead,
    pub(crate) prf: MessageDigest,
}

impl Suite {
    pub(crate) fn of(cipher: &SslCipherRef) -> Option<Suite> {
        Some(Suite {
            aead: Aead::of(cipher)?,
            prf: cipher.handshake_digest()?,
        })
    }
}

/// IANA ids of the AES-CCM suites with an 8-byte tag (RFC 6655, RFC 7251): their cipher is the
/// same EVP AES-CCM as the 16-byte-tag suites, so the id is what tells them apart.
const CCM8_SUITES: [[u8; 2]; 10] = [
    [0xc0, 0xa0],
    [0xc0, 0xa1],
    [0xc0, 0xa2],
    [0xc0, 0xa3],
    [0xc0, 0xa8],
    [0xc0, 0xa9],
    [0xc0, 0xaa],
    [0xc0, 0xab],
    [0xc0, 0xae],
    [0xc0, 0xaf],
];

/// Explicit nonce plus tag of every protected record of `cipher`: the smallest protected record
/// OpenSSL takes. 0 for suites that are not AEAD (CBC: OpenSSL drops short ones itself).
pub(crate) fn protected_overhead(cipher: &SslCipherRef) -> usize {
    match cipher.cipher_nid() {
        Some(Nid::AES_128_GCM | Nid::AES_256_GCM) => 8 + 16,
        Some(Nid::CHACHA20_POLY1305) => 16,
        Some(Nid::AES_128_CCM | Nid::AES_256_CCM) => {
            if CCM8_SUITES.contains(&cipher.protocol_id()) {
                8 + 8
            } else {
                8 + 16
            }
        }
        _ => 0,
    }
}
