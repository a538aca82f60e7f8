//! Stateless cookies for the server's HelloVerifyRequest: HMAC-SHA256 over the client's address
//! with a secret that rotates; a cookie from the previous secret is still accepted.

use std::time::{Duration, Instant};

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use parking_lot::Mutex;

use crate::DtlsError;

/// Cookie length in bytes (HMAC-SHA256 output).
pub const COOKIE_LEN: usize = 32;

struct Secrets {
    current: PKey<Private>,
    previous: Option<PKey<Private>>,
    rotated_at: Instant,
    /// Cookies the peer being answered right now must present (current and previous secret).
    expected: [u8; COOKIE_LEN],
    expected_previous: Option<[u8; COOKIE_LEN]>,
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
                expected: [0; COOKIE_LEN],
                expected_previous: None,
            }),
        })
    }

    /// Rotates the secret when due and computes the cookies `peer` must present.
    pub(crate) fn prepare(&self, now: Instant, peer: &[u8]) -> Result<(), DtlsError> {
        let mut s = self.secrets.lock();
        let age = now.saturating_duration_since(s.rotated_at);
        if age >= self.rotation {
            let fresh = new_secret()?;
            let old = std::mem::replace(&mut s.current, fresh);
            // A secret older than two periods is not kept.
            s.previous = (age < self.rotation * 2).then_some(old);
            s.rotated_at = now;
        }
        s.expected = hmac(&s.current, peer)?;
        s.expected_previous = match &s.previous {
            Some(key) => Some(hmac(key, peer)?),
            None => None,
        };
        Ok(())
    }

    /// Writes the cookie for the prepared peer into `out`; returns its length.
    pub(crate) fn generate(&self, out: &mut [u8]) -> usize {
        let s = self.secrets.lock();
        let n = COOKIE_LEN.min(out.len());
        out[..n].copy_from_slice(&s.expected[..n]);
        n
    }

    /// True if `cookie` is the prepared peer's cookie under the current or previous secret.
    pub(crate) fn verify(&self, cookie: &[u8]) -> bool {
        let s = self.secrets.lock();
        let matches = |expected: &[u8; COOKIE_LEN]| {
            cookie.len() == COOKIE_LEN && openssl::memcmp::eq(cookie, expected)
        };
        matches(&s.expected) || s.expected_previous.as_ref().is_some_and(matches)
    }
}
