//! What a game shows about one connection ([`PeerStats`]): the round trip the pings measure,
//! smoothed with its variation as TCP does (RFC 6298 2.3), the loss the DTLS session sees on what
//! the peer sent, the bytes per second each way (over the last second) and what waits to be sent.

use std::time::{Duration, Instant};

use crate::Stats;

/// How often the rates are taken.
const RATE_INTERVAL: Duration = Duration::from_secs(1);

/// One connection's figures, as [`super::MultiplayerHost::peer_stats`] gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PeerStats {
    /// Smoothed round trip; `None` until the first pong came back (within a round trip of the
    /// connection opening).
    pub rtt: Option<Duration>,
    /// How much the round trip varies (the mean deviation of the samples from the smoothed
    /// value).
    pub rtt_variance: Duration,
    /// Fraction (0.0 to 1.0) of what the peer sent that was lost on the way, over its last
    /// thousand or so DTLS records; `None` before any arrived.
    pub packet_loss: Option<f64>,
    /// UDP payload bytes sent per second, over the last second.
    pub bytes_sent_per_second: f64,
    /// UDP payload bytes received per second, over the last second.
    pub bytes_received_per_second: f64,
    /// Bytes of messages waiting to be sent or acknowledged (reliable) on every channel.
    pub queued_bytes: usize,
    /// The DTLS session's counters (datagrams and bytes each way since it started).
    pub session: Stats,
}

/// The smoothed round trip and its variation.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RoundTrip {
    pub(crate) smoothed: Option<Duration>,
    pub(crate) variance: Duration,
}

impl RoundTrip {
    /// Takes one sample (RFC 6298 2.2 and 2.3, alpha 1/8, beta 1/4).
    pub(crate) fn sample(&mut self, sample: Duration) {
        match self.smoothed {
            None => {
                self.smoothed = Some(sample);
                self.variance = sample / 2;
            }
            Some(srtt) => {
                let deviation = srtt.abs_diff(sample);
                self.variance = (self.variance * 3 + deviation) / 4;
                self.smoothed = Some((srtt * 7 + sample) / 8);
            }
        }
    }
}

/// Bytes per second each way, taken from the session's counters once per [`RATE_INTERVAL`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rates {
    at: Instant,
    sent: u64,
    received: u64,
    pub(crate) sent_per_second: f64,
    pub(crate) received_per_second: f64,
}

impl Rates {
    pub(crate) fn new(now: Instant, stats: &Stats) -> Rates {
        Rates {
            at: now,
            sent: stats.bytes_sent,
            received: stats.bytes_received,
            sent_per_second: 0.0,
            received_per_second: 0.0,
        }
    }

    /// Takes the rates of the interval that ended, once it has.
    pub(crate) fn update(&mut self, now: Instant, stats: &Stats) {
        let elapsed = now.saturating_duration_since(self.at);
        if elapsed < RATE_INTERVAL {
            return;
        }
        let secs = elapsed.as_secs_f64();
        self.sent_per_second = stats.bytes_sent.saturating_sub(self.sent) as f64 / secs;
        self.received_per_second = stats.bytes_received.saturating_sub(self.received) as f64 / secs;
        *self = Rates {
            at: now,
            sent: stats.bytes_sent,
            received: stats.bytes_received,
            ..*self
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_round_trip_has_a_shrinking_variance() {
        let mut rt = RoundTrip::default();
        for _ in 0..40 {
            rt.sample(Duration::from_millis(100));
        }
        assert_eq!(rt.smoothed, Some(Duration::from_millis(100)));
        assert!(rt.variance < Duration::from_millis(1), "{:?}", rt.variance);
    }

    #[test]
    fn a_jittery_round_trip_shows_its_variation() {
        let mut rt = RoundTrip::default();
        for i in 0..40 {
            rt.sample(Duration::from_millis(if i % 2 == 0 { 80 } else { 120 }));
        }
        let srtt = rt.smoothed.unwrap_or_default();
        assert!(srtt > Duration::from_millis(90) && srtt < Duration::from_millis(110));
        assert!(rt.variance > Duration::from_millis(10), "{:?}", rt.variance);
    }

    #[test]
    fn rates_are_bytes_over_the_interval() {
        let t0 = Instant::now();
        let mut stats = Stats::default();
        let mut rates = Rates::new(t0, &stats);
        stats.bytes_sent = 5000;
        stats.bytes_received = 1000;
        rates.update(t0 + Duration::from_millis(500), &stats);
        assert_eq!(rates.sent_per_second, 0.0, "not a whole interval yet");
        rates.update(t0 + Duration::from_secs(2), &stats);
        assert_eq!(rates.sent_per_second, 2500.0);
        assert_eq!(rates.received_per_second, 500.0);
    }
}
