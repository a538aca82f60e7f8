//! Stateless cookies for the server's HelloVerifyRequest: HMAC-SHA256 over the client's address
//! with a secret that rotates; a cookie from the previous secret is still accepted. The HMAC is
//! computed only when OpenSSL asks for a cookie or checks one (a ClientHello), never for other
//! datagrams, and the peer's name is kept in a fixed buffer: nothing is allocated per datagram.

use std::time::{Duration, Instant};

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use parking_lot::Mutex;

use crate::DtlsError;

/// Cookie length in bytes (HMAC-SHA256 output).
pub const COOKIE_LEN: usize = 32;
/// Longest peer name [`CookieJar::prepare`] takes (an IPv6 address with scope and port fits).
const MAX_PEER_LEN: usize = 128;

struct Secrets {
    current: PKey<Private>,
    previous: Option<PKey<Private>>,
    rotated_at: Instant,
    /// The peer being answered right now.
    peer: [u8; MAX_PEER_LEN],
    peer_len: usize,
}

impl Secrets {
    fn peer(&self) -> &[u8] {
        &self.peer[..self.peer_len]
    }
}

/// Cookie secrets and the expectation for the peer currently being answered.
pub(crate) struct CookieJar {
    rotation: Duration,
    secrets: Mutex<Secrets>,
}

fn new_secret() -> Result<PKey<Private>, DtlsError> {
    let mut bytes = [0u8; 32];
    openssl::rand::rand_bytes(&mut bytes)?;
    Ok(PKey::hmac(&bytes)?)
}

fn hmac(key: &PKey<Private>, peer: &[u8]) -> Result<[u8; COOKIE_LEN], DtlsError> {
    let mut signer = Signer::new(MessageDigest::sha256(), key)?;
    signer.update(peer)?;
    let mut out = [0u8; COOKIE_LEN];
    let n = signer.sign(&mut out)?;
    if n != COOKIE_LEN {
        return Err(DtlsError::Ssl(format!("HMAC gave {n} bytes")));
    }
    Ok(out)
}

impl CookieJar {
    pub(crate) fn new(rotation: Duration, now: Instant) -> Result<CookieJar, DtlsError> {
        Ok(CookieJar {
            rotation,
            secrets: Mutex::new(Secrets {
                current: new_secret()?,
                previous: None,
                rotated_at: now,
                peer: [0; MAX_PEER_LEN],
                peer_len: 0,
            }),
        })
    }

    /// Rotates the secret when due and notes `peer` as the client the next cookie is for.
    pub(crate) fn prepare(&self, now: Instant, peer: &[u8]) -> Result<(), DtlsError> {
        if peer.len() > MAX_PEER_LEN {
            return Err(DtlsError::InvalidConfig(format!(
                "peer name of {} bytes, the most is {MAX_PEER_LEN}",
                peer.len()
            )));
        }
        let mut s = self.secrets.lock();
        let age = now.saturating_duration_since(s.rotated_at);
        if age >= self.rotation {
            let fresh = new_secret()?;
            let old = std::mem::replace(&mut s.current, fresh);
            // A secret older than two periods is not kept.
            s.previous = (age < self.rotation * 2).then_some(old);
            s.rotated_at = now;
        }
        s.peer[..peer.len()].copy_from_slice(peer);
        s.peer_len = peer.len();
        Ok(())
    }

    /// Writes the cookie for the prepared peer into `out`; returns its length (0 when the HMAC
    /// failed: OpenSSL then drops the ClientHello).
    pub(crate) fn generate(&self, out: &mut [u8]) -> usize {
        let s = self.secrets.lock();
        match hmac(&s.current, s.peer()) {
            Ok(cookie) => {
                let n = COOKIE_LEN.min(out.len());
                out[..n].copy_from_slice(&cookie[..n]);
                n
            }
            Err(e) => {
                log::warn!("DTLS server: cookie computation failed: {e}");
                0
            }
        }
    }

    /// True if `cookie` is the prepared peer's cookie under the current or previous secret.
    pub(crate) fn verify(&self, cookie: &[u8]) -> bool {
        if cookie.len() != COOKIE_LEN {
            return false;
        }
        let s = self.secrets.lock();
        let matches = |key: &PKey<Private>| {
            hmac(key, s.peer()).is_ok_and(|expected| openssl::memcmp::eq(cookie, &expected))
        };
        matches(&s.current) || s.previous.as_ref().is_some_and(matches)
    }
}
