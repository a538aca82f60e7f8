//! The pacer: a token bucket filled at the pacing rate, holding at most a frame's worth of it (a
//! game polls the peer once a frame, so what a frame allows leaves in one burst at its flush;
//! polled more often, the peer sends smaller bursts more often) and never less than a few
//! datagrams.

use std::time::{Duration, Instant};

/// The burst the bucket holds, in time at the pacing rate: a frame at 40 frames/s or more.
pub(crate) const BURST_TIME: Duration = Duration::from_millis(25);
/// The smallest burst, in datagrams.
const MIN_BURST_PACKETS: u64 = 2;

#[derive(Debug)]
pub(crate) struct Pacer {
    tokens: f64,
    at: Option<Instant>,
    mss: u64,
}

impl Pacer {
    pub(crate) fn new(mss: u64) -> Pacer {
        Pacer {
            tokens: 0.0,
            at: None,
            mss,
        }
    }

    fn capacity(&self, rate: f64) -> f64 {
        (rate * BURST_TIME.as_secs_f64()).max((MIN_BURST_PACKETS * self.mss) as f64)
    }

    /// Bytes that may leave now at `rate` bytes per second (`None`: unpaced).
    pub(crate) fn allowance(&mut self, now: Instant, rate: Option<f64>) -> u64 {
        let Some(rate) = rate else {
            self.at = Some(now);
            return u64::MAX;
        };
        let capacity = self.capacity(rate);
        let elapsed = self
            .at
            .map_or(BURST_TIME, |at| now.saturating_duration_since(at));
        self.tokens = (self.tokens + rate * elapsed.as_secs_f64()).min(capacity);
        self.at = Some(now);
        self.tokens.max(0.0) as u64
    }

    /// `bytes` left.
    pub(crate) fn spend(&mut self, bytes: u64) {
        self.tokens -= bytes as f64;
    }

    /// When a full datagram may leave, at `rate` (`None`: now or unpaced).
    pub(crate) fn next_release(&self, rate: Option<f64>) -> Option<Instant> {
        let (rate, at) = (rate?, self.at?);
        let missing = self.mss as f64 - self.tokens;
        if missing <= 0.0 || rate <= 0.0 {
            return None;
        }
        Some(at + Duration::from_secs_f64((missing / rate).min(1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_fills_at_the_rate_up_to_a_frame() {
        let t0 = Instant::now();
        let mut p = Pacer::new(1000);
        let rate = Some(1_000_000.0); // 1 MB/s: 25 KB a burst
        assert_eq!(p.allowance(t0, rate), 25_000, "starts with a full burst");
        p.spend(25_000);
        assert_eq!(p.allowance(t0, rate), 0);
        let release = p.next_release(rate).expect("a release time");
        assert_eq!(release, t0 + Duration::from_millis(1));
        assert_eq!(p.allowance(t0 + Duration::from_millis(10), rate), 10_000);
        assert_eq!(p.allowance(t0 + Duration::from_secs(5), rate), 25_000);
        assert_eq!(p.allowance(t0, None), u64::MAX, "unpaced");
    }
}
