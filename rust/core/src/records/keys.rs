//! The secrets of an established session, copied out of OpenSSL before its `SSL` object goes:
//! the master secret and the two randoms, the record keys derived from them (the TLS 1.2 key
//! block, RFC 5246 6.3) and RFC 5705 keying material. The PRF is OpenSSL's own TLS1-PRF KDF.
//! Every copy of a secret is wiped when dropped.

use std::ffi::{c_char, c_void, CStr};
use std::ptr;

use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::ssl::SslRef;
use openssl_sys::OSSL_PARAM;
use zeroize::Zeroizing;

use super::suite::{Aead, Suite};
use crate::DtlsError;

extern "C" {
    // Not bound by openssl-sys; part of libcrypto since 3.0.
    fn OSSL_PARAM_construct_utf8_string(
        key: *const c_char,
        buf: *mut c_char,
        bsize: usize,
    ) -> OSSL_PARAM;
}

/// TLS 1.2 master secrets are always 48 bytes (RFC 5246 8.1; the extended one of RFC 7627 too).
const MASTER_SECRET_LEN: usize = 48;
const RANDOM_LEN: usize = 32;

/// Labels RFC 5705 4 forbids for exporters, refused as OpenSSL refuses them.
const RESERVED_LABELS: [&str; 5] = [
    "client finished",
    "server finished",
    "master secret",
    "extended master secret",
    "key expansion",
];

/// `P_hash` of RFC 5246 5 with `digest`, through EVP_KDF "TLS1-PRF": `out` is filled with
/// PRF(secret, seed), the seed being the label and its data already concatenated.
pub(super) fn tls1_prf(
    digest: MessageDigest,
    secret: &[u8],
    seed: &[u8],
    out: &mut [u8],
) -> Result<(), ErrorStack> {
    let mut name = digest_name_param(digest)?;
    tls1_prf_named(&mut name, secret, seed, out)
}

/// The digest's name as the buffer of a UTF-8 OSSL_PARAM: NUL-terminated, since OpenSSL reads
/// such a parameter's data as a C string (the KDF takes the pointer, not the length).
pub(super) fn digest_name_param(digest: MessageDigest) -> Result<Vec<u8>, ErrorStack> {
    let name = digest.type_().short_name()?;
    let mut buf = Vec::with_capacity(name.len() + 1);
    buf.extend_from_slice(name.as_bytes());
    buf.push(0);
    Ok(buf)
}

/// [`tls1_prf`] with the digest name already in an OSSL_PARAM buffer made by
/// [`digest_name_param`], which must end with a NUL (the tests place it where reading past it
/// faults).
pub(super) fn tls1_prf_named(
    name: &mut [u8],
    secret: &[u8],
    seed: &[u8],
    out: &mut [u8],
) -> Result<(), ErrorStack> {
    let mut secret = Zeroizing::new(secret.to_vec());
    let mut seed = seed.to_vec();
    if name.last() != Some(&0) {
        // OpenSSL would read past the buffer.
        return Err(ErrorStack::get());
    }
    // SAFETY: every pointer handed to OpenSSL points into a live buffer of the given length for
    // the whole block (the OSSL_PARAM array only borrows them and OpenSSL copies what it keeps);
    // the digest name ends with a NUL within its buffer (checked above), which is where OpenSSL,
    // reading it as a C string, stops; the keys are NUL-terminated C string literals; the fetched KDF and its context are freed
    // on every path, and a null from either fetch is checked before use.
    unsafe {
        let kdf = openssl_sys::EVP_KDF_fetch(ptr::null_mut(), c"TLS1-PRF".as_ptr(), ptr::null());
        if kdf.is_null() {
            return Err(ErrorStack::get());
        }
        let ctx = openssl_sys::EVP_KDF_CTX_new(kdf);
        openssl_sys::EVP_KDF_free(kdf);
        if ctx.is_null() {
            return Err(ErrorStack::get());
        }
        let params = [
            OSSL_PARAM_construct_utf8_string(
                param_key(c"digest"),
                name.as_mut_ptr() as *mut c_char,
                // The string's length, without its NUL (OpenSSL's convention for UTF-8 data).
                name.len().saturating_sub(1),
            ),
            openssl_sys::OSSL_PARAM_construct_octet_string(
                param_key(c"secret"),
                secret.as_mut_ptr() as *mut c_void,
                secret.len(),
            ),
            openssl_sys::OSSL_PARAM_construct_octet_string(
                param_key(c"seed"),
                seed.as_mut_ptr() as *mut c_void,
                seed.len(),
            ),
            openssl_sys::OSSL_PARAM_construct_end(),
        ];
        let ok = openssl_sys::EVP_KDF_derive(ctx, out.as_mut_ptr(), out.len(), params.as_ptr());
        openssl_sys::EVP_KDF_CTX_free(ctx);
        if ok != 1 {
            return Err(ErrorStack::get());
        }
    }
    Ok(())
}

fn param_key(key: &'static CStr) -> *const c_char {
    key.as_ptr()
}

/// One direction's record keys: the AEAD key and the fixed IV (salt) from the key block.
pub(crate) struct DirectionKeys {
    pub(crate) key: Zeroizing<Vec<u8>>,
    pub(crate) iv: Zeroizing<[u8; 12]>,
}

/// The keys of both directions, as the local side uses them.
pub(crate) struct RecordKeys {
    pub(crate) write: DirectionKeys,
    pub(crate) read: DirectionKeys,
}

#[cfg(test)]
thread_local! {
    /// Where this thread made master secrets (for the test that they stay there).
    static MASTERS_MADE: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Where this thread made master secrets.
#[cfg(test)]
pub(crate) fn masters_made_here() -> Vec<usize> {
    MASTERS_MADE.with(|m| m.borrow().clone())
}

/// What the record keys and keying material of an established session are derived from.
pub(crate) struct SessionSecrets {
    /// On the heap from the start: moving the secrets (into the record layer, its box) moves
    /// only the pointer, and the one copy is wiped when it drops.
    master: Box<Zeroizing<[u8; MASTER_SECRET_LEN]>>,
    /// client_random || server_random.
    randoms: [u8; 2 * RANDOM_LEN],
    prf: MessageDigest,
}

impl SessionSecrets {
    /// Copies the secrets of the established session `ssl` negotiated with `suite`.
    pub(crate) fn from_ssl(ssl: &SslRef, suite: &Suite) -> Option<SessionSecrets> {
        let session = ssl.session()?;
        let mut master = Box::new(Zeroizing::new([0u8; MASTER_SECRET_LEN]));
        if session.master_key_len() != MASTER_SECRET_LEN
            || session.master_key(&mut master[..]) != MASTER_SECRET_LEN
        {
            return None;
        }
        let mut randoms = [0u8; 2 * RANDOM_LEN];
        if ssl.client_random(&mut randoms[..RANDOM_LEN]) != RANDOM_LEN
            || ssl.server_random(&mut randoms[RANDOM_LEN..]) != RANDOM_LEN
        {
            return None;
        }
        #[cfg(test)]
        MASTERS_MADE.with(|m| m.borrow_mut().push(master.as_ptr() as usize));
        Some(SessionSecrets {
            master,
            randoms,
            prf: suite.prf,
        })
    }

    /// Where the master secret lives (for the test that it stays there when its owner moves).
    #[cfg(test)]
    pub(crate) fn master_at(&self) -> *const u8 {
        self.master.as_ptr()
    }

    /// The AEAD keys of the key block (RFC 5246 6.3: client key, server key, client IV, server
    /// IV; AEAD suites have no MAC keys), arranged for the client or the server side.
    pub(crate) fn record_keys(&self, aead: Aead, is_client: bool) -> Result<RecordKeys, DtlsError> {
        let (key_len, iv_len) = (aead.key_len(), aead.fixed_iv_len());
        let mut block = Zeroizing::new(vec![0u8; 2 * (key_len + iv_len)]);
        let mut seed = b"key expansion".to_vec();
        seed.extend_from_slice(&self.randoms[RANDOM_LEN..]); // server_random first
        seed.extend_from_slice(&self.randoms[..RANDOM_LEN]);
        tls1_prf(self.prf, &self.master[..], &seed, &mut block)?;
        let direction = |key_at: usize, iv_at: usize| {
            let mut iv = Zeroizing::new([0u8; 12]);
            iv[..iv_len].copy_from_slice(&block[iv_at..iv_at + iv_len]);
            DirectionKeys {
                key: Zeroizing::new(block[key_at..key_at + key_len].to_vec()),
                iv,
            }
        };
        let client = direction(0, 2 * key_len);
        let server = direction(key_len, 2 * key_len + iv_len);
        Ok(if is_client {
            RecordKeys {
                write: client,
                read: server,
            }
        } else {
            RecordKeys {
                write: server,
                read: client,
            }
        })
    }

    /// RFC 5705 keying material for `label` and an optional `context`, into `out`.
    pub(crate) fn export(
        &self,
        label: &str,
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), DtlsError> {
        if RESERVED_LABELS.contains(&label) {
            return Err(DtlsError::InvalidConfig(format!(
                "the exporter label {label:?} is reserved by TLS"
            )));
        }
        let mut seed = label.as_bytes().to_vec();
        seed.extend_from_slice(&self.randoms);
        if let Some(context) = context {
            let len = u16::try_from(context.len()).map_err(|_| {
                DtlsError::InvalidConfig("an exporter context is at most 65535 bytes".into())
            })?;
            seed.extend_from_slice(&len.to_be_bytes());
            seed.extend_from_slice(context);
        }
        tls1_prf(self.prf, &self.master[..], &seed, out)?;
        Ok(())
    }
}
