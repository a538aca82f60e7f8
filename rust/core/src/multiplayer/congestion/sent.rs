//! The channel packets sent and not yet acknowledged or declared lost, by renet packet sequence
//! number: what is in flight, the round trip of each acknowledgement (RFC 9002 5), losses by
//! packet and time threshold (RFC 9002 6.1) or by age when no acknowledgement comes at all, and
//! delivery-rate samples (draft-cheng-iccrg-delivery-rate-estimation: bytes delivered between a
//! packet's sending and its acknowledgement, over the longer of the send and ack intervals).

use std::collections::{BTreeMap, VecDeque};
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

/// A packet is lost once this many later ones were acknowledged (RFC 9002 6.1.1).
const PACKET_THRESHOLD: u64 = 3;
/// Longest a receiver may hold an acknowledgement: a game polls once a frame, and may skip one.
const MAX_ACK_DELAY: Duration = Duration::from_millis(40);
/// Round trip assumed before the first sample (RFC 9002 6.2.2's 333 ms, rounded).
const INITIAL_RTT: Duration = Duration::from_millis(300);
/// The span of the long delivery rate ([`RateSample::long_rate`]). Acknowledgements are read
/// once a frame at both ends, so a round trip's worth of them (a few frames) counts one frame
/// more or less than the path delivered in that time: up to a third above the path's rate. Over
/// this span, nine frames at 60 frames/s, the error is a ninth at most.
const LONG_SPAN: Duration = Duration::from_millis(150);
/// Most acknowledgement times remembered for it.
const MAX_HISTORY: usize = 256;
/// Most packets tracked: beyond, the oldest is counted lost (a peer that never acknowledges
/// cannot grow the map).
const MAX_TRACKED: usize = 16_384;

#[derive(Debug, Clone, Copy)]
struct Sent {
    at: Instant,
    bytes: u64,
    /// The connection's delivered bytes, and when the last of them were, at this sending.
    delivered: u64,
    delivered_at: Instant,
    /// When the first packet of the flight this one belongs to was sent.
    first_sent_at: Instant,
    app_limited: bool,
}

/// The round trip from acknowledgements: smoothed (RFC 6298 weights), its variation, the
/// minimum and the latest sample.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rtt {
    pub(crate) smoothed: Option<Duration>,
    pub(crate) variance: Duration,
    pub(crate) latest: Duration,
}

impl Rtt {
    fn sample(&mut self, rtt: Duration) {
        self.latest = rtt;
        match self.smoothed {
            None => {
                self.smoothed = Some(rtt);
                self.variance = rtt / 2;
            }
            Some(s) => {
                self.variance = (self.variance * 3 + s.abs_diff(rtt)) / 4;
                self.smoothed = Some((s * 7 + rtt) / 8);
            }
        }
    }

    fn smoothed_or_initial(&self) -> Duration {
        self.smoothed.unwrap_or(INITIAL_RTT)
    }
}

/// One delivery-rate sample, from the newest packet an acknowledgement covered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RateSample {
    /// Bytes delivered between that packet's sending and its acknowledgement.
    pub(crate) delivered: u64,
    pub(crate) interval: Duration,
    /// The round trip of that packet.
    pub(crate) rtt: Duration,
    /// The connection's delivered bytes when it was sent (for counting round trips).
    pub(crate) prior_delivered: u64,
    /// It was sent while the sender had less to send than it was allowed.
    pub(crate) app_limited: bool,
    /// Bytes per second acknowledged over the last [`LONG_SPAN`] or more, if that much history
    /// exists: less noisy than [`RateSample::rate`], and a cap on it once the pipe is full.
    pub(crate) long_rate: Option<f64>,
}

impl RateSample {
    /// Bytes per second.
    pub(crate) fn rate(&self) -> f64 {
        if self.interval.is_zero() {
            return 0.0;
        }
        self.delivered as f64 / self.interval.as_secs_f64()
    }
}

/// What one acknowledgement (and the loss detection after it) changed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Outcome {
    pub(crate) acked_bytes: u64,
    pub(crate) lost_bytes: u64,
    pub(crate) lost_packets: u64,
    pub(crate) sample: Option<RateSample>,
}

/// The sent packets of one connection.
#[derive(Debug)]
pub(crate) struct SentPackets {
    sent: BTreeMap<u64, Sent>,
    in_flight: u64,
    delivered: u64,
    delivered_at: Instant,
    first_sent_at: Instant,
    largest_acked: Option<u64>,
    pub(crate) rtt: Rtt,
    /// Packets and bytes declared lost since the start.
    pub(crate) lost_packets: u64,
    /// Scratch for the acknowledged sequence numbers.
    acked: Vec<u64>,
    /// When acknowledgements came and the delivered bytes then, oldest first, back to
    /// [`LONG_SPAN`] ago.
    history: VecDeque<(Instant, u64)>,
    /// Sequence numbers declared lost and not yet taken by [`SentPackets::take_lost`].
    lost: Vec<u64>,
}

impl SentPackets {
    pub(crate) fn new(now: Instant) -> SentPackets {
        SentPackets {
            sent: BTreeMap::new(),
            in_flight: 0,
            delivered: 0,
            delivered_at: now,
            first_sent_at: now,
            largest_acked: None,
            rtt: Rtt::default(),
            lost_packets: 0,
            acked: Vec::new(),
            history: VecDeque::new(),
            lost: Vec::new(),
        }
    }

    /// Bytes sent and neither acknowledged nor lost.
    pub(crate) fn in_flight(&self) -> u64 {
        self.in_flight
    }

    /// Bytes the peer acknowledged since the start.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Packet `seq` of `bytes` left now.
    pub(crate) fn on_sent(&mut self, now: Instant, seq: u64, bytes: u64, app_limited: bool) {
        if self.sent.is_empty() {
            self.first_sent_at = now;
            self.delivered_at = now;
        }
        if app_limited {
            // The long rate spans busy time only ([`Self::long_rate`]).
            self.history.clear();
        }
        let packet = Sent {
            at: now,
            bytes,
            delivered: self.delivered,
            delivered_at: self.delivered_at,
            first_sent_at: self.first_sent_at,
            app_limited,
        };
        if let Some(old) = self.sent.insert(seq, packet) {
            self.in_flight -= old.bytes;
        }
        self.in_flight += bytes;
        while self.sent.len() > MAX_TRACKED {
            if let Some((seq, p)) = self.sent.pop_first() {
                self.in_flight -= p.bytes;
                self.lost_packets += 1;
                self.push_lost(seq);
            }
        }
    }

    /// An acknowledgement of these ranges of sequence numbers came now; then the loss detection.
    pub(crate) fn on_ack(&mut self, now: Instant, ranges: &[RangeInclusive<u64>]) -> Outcome {
        let mut acked = std::mem::take(&mut self.acked);
        acked.clear();
        for range in ranges {
            // Only what we track: a range's width costs nothing.
            acked.extend(self.sent.range(range.clone()).map(|(&seq, _)| seq));
        }
        let mut outcome = Outcome::default();
        let mut newest: Option<Sent> = None;
        let mut largest_newly: Option<(u64, Instant)> = None;
        for &seq in &acked {
            let Some(p) = self.sent.remove(&seq) else {
                continue;
            };
            self.in_flight -= p.bytes;
            self.delivered += p.bytes;
            self.delivered_at = now;
            outcome.acked_bytes += p.bytes;
            if newest.is_none_or(|n| p.at >= n.at) {
                newest = Some(p);
            }
            if largest_newly.is_none_or(|(s, _)| seq > s) {
                largest_newly = Some((seq, p.at));
            }
        }
        self.acked = acked;
        if let Some((seq, at)) = largest_newly {
            if self.largest_acked.is_none_or(|l| seq > l) {
                self.largest_acked = Some(seq);
                self.rtt.sample(now.saturating_duration_since(at));
            }
        }
        if let Some(p) = newest {
            self.first_sent_at = p.at;
            let send_elapsed = p.at.saturating_duration_since(p.first_sent_at);
            let ack_elapsed = self.delivered_at.saturating_duration_since(p.delivered_at);
            outcome.sample = Some(RateSample {
                delivered: self.delivered - p.delivered,
                interval: send_elapsed.max(ack_elapsed),
                rtt: now.saturating_duration_since(p.at),
                prior_delivered: p.delivered,
                app_limited: p.app_limited,
                long_rate: self.long_rate(now),
            });
        }
        let (lost_bytes, lost_packets) = self.detect_losses(now);
        outcome.lost_bytes = lost_bytes;
        outcome.lost_packets = lost_packets;
        outcome
    }

    /// Records the delivered bytes at an acknowledgement now; the rate since the newest record at
    /// least [`LONG_SPAN`] old, if any. The span covers busy time only: a packet sent
    /// `app_limited` starts it again (a span reaching back over a pause or a trickle of state
    /// measured the game's own rate: after 200 ms of silence a transfer through a 100 MB/s relay
    /// was capped at the 1 MB/s that span averaged, and crawled there for seconds).
    fn long_rate(&mut self, now: Instant) -> Option<f64> {
        match self.history.back_mut() {
            Some(last) if last.0 == now => last.1 = self.delivered,
            _ => self.history.push_back((now, self.delivered)),
        }
        let old_enough = |t: Instant| now.saturating_duration_since(t) >= LONG_SPAN;
        while self.history.len() > MAX_HISTORY
            || self.history.get(1).is_some_and(|&(t, _)| old_enough(t))
        {
            self.history.pop_front();
        }
        let &(then, delivered) = self.history.front()?;
        let span = now.saturating_duration_since(then);
        old_enough(then).then(|| (self.delivered - delivered) as f64 / span.as_secs_f64())
    }

    fn push_lost(&mut self, seq: u64) {
        if self.lost.len() < MAX_TRACKED {
            self.lost.push(seq);
        }
    }

    /// The sequence numbers declared lost since the last call (to send their messages again).
    pub(crate) fn take_lost(&mut self, mut each: impl FnMut(u64)) {
        for seq in self.lost.drain(..) {
            each(seq);
        }
    }

    /// Declares lost what is older than the newest acknowledged by [`PACKET_THRESHOLD`] packets
    /// or by 9/8 of the round trip, and whatever waited longer than an acknowledgement could
    /// take; returns the bytes and packets lost.
    pub(crate) fn detect_losses(&mut self, now: Instant) -> (u64, u64) {
        let srtt = self.rtt.smoothed_or_initial();
        let loss_delay = srtt.max(self.rtt.latest).mul_f64(9.0 / 8.0);
        let loss_delay = loss_delay.max(Duration::from_millis(1));
        let expiry = srtt + (self.rtt.variance * 4).max(Duration::from_millis(1)) + MAX_ACK_DELAY;
        let largest = self.largest_acked;
        let mut lost = (0, 0);
        let mut lost_seqs = std::mem::take(&mut self.lost);
        self.sent.retain(|&seq, p| {
            let age = now.saturating_duration_since(p.at);
            let behind = largest.is_some_and(|l| seq < l);
            let gone = (behind
                && (largest.unwrap_or(0) - seq >= PACKET_THRESHOLD || age >= loss_delay))
                || age >= expiry * 2;
            if gone {
                lost.0 += p.bytes;
                lost.1 += 1;
                if lost_seqs.len() < MAX_TRACKED {
                    lost_seqs.push(seq);
                }
            }
            !gone
        });
        self.lost = lost_seqs;
        self.in_flight -= lost.0;
        self.lost_packets += lost.1;
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn an_acknowledgement_gives_the_round_trip_and_the_delivery_rate() {
        let t0 = Instant::now();
        let mut s = SentPackets::new(t0);
        for seq in 0..10 {
            s.on_sent(t0 + MS * seq as u32, seq, 1000, false);
        }
        assert_eq!(s.in_flight(), 10_000);
        let o = s.on_ack(t0 + MS * 50, &[0..=9]);
        assert_eq!(o.acked_bytes, 10_000);
        assert_eq!(o.lost_packets, 0);
        assert_eq!(s.in_flight(), 0);
        assert_eq!(
            s.rtt.latest,
            MS * 41,
            "the largest acknowledged, sent at 9 ms"
        );
        let sample = o.sample.expect("a rate sample");
        assert_eq!(sample.delivered, 10_000);
        assert_eq!(sample.interval, MS * 50);
    }

    #[test]
    fn the_long_rate_spans_at_least_its_span_of_acknowledgements() {
        // 10,000 bytes acknowledged each 10 ms frame, two frames' worth now and then (the
        // acknowledgements of two frames read in one): the long rate is the path's 1 MB/s
        // within a tenth, and none before the span is covered.
        let t0 = Instant::now();
        let mut s = SentPackets::new(t0);
        let mut seq = 0;
        let mut longs = Vec::new();
        for frame in 1..=40u32 {
            let now = t0 + MS * (10 * frame);
            let n = if frame % 5 == 0 {
                0
            } else if frame % 5 == 1 {
                20
            } else {
                10
            };
            for _ in 0..n {
                s.on_sent(now - MS * 30, seq, 1000, false);
                seq += 1;
            }
            if n > 0 {
                let o = s.on_ack(now, &[seq - n..=seq - 1]);
                let sample = o.sample.expect("a sample");
                longs.push((frame, sample.long_rate));
            }
        }
        for (frame, long) in longs {
            match long {
                None => assert!(frame * 10 < 150 + 10, "none at frame {frame}"),
                Some(rate) => {
                    assert!(frame * 10 >= 150, "a rate at frame {frame}");
                    assert!((rate - 1e6).abs() < 1e5, "{rate} at frame {frame}");
                }
            }
        }
        assert!(s.history.len() <= 17, "{}", s.history.len());
    }

    #[test]
    fn the_long_rate_spans_busy_time_only() {
        // 300 ms at 1 MB/s (10,000 bytes a 10 ms frame), 200 ms of silence, then one packet
        // sent app-limited and 1 MB/s again: the long rate is none for a span after it and then
        // 1 MB/s, never the average over the silence.
        let t0 = Instant::now();
        let mut s = SentPackets::new(t0);
        let mut seq = 0;
        let mut ack = |s: &mut SentPackets, at: u32, n: u64, app_limited: bool| {
            let now = t0 + MS * at;
            for _ in 0..n {
                s.on_sent(now - MS * 5, seq, 1000, app_limited);
                seq += 1;
            }
            s.on_ack(now, &[seq - n..=seq - 1])
                .sample
                .expect("a sample")
                .long_rate
        };
        for frame in 1..=30 {
            ack(&mut s, 10 * frame, 10, false);
        }
        assert!(ack(&mut s, 310, 10, false).is_some_and(|r| (r - 1e6).abs() < 1e5));
        assert_eq!(
            ack(&mut s, 510, 1, true),
            None,
            "restarted by the app-limited packet"
        );
        for frame in 52..66 {
            assert_eq!(
                ack(&mut s, 10 * frame, 10, false),
                None,
                "at {frame}: span not covered"
            );
        }
        let rate = ack(&mut s, 660, 10, false).expect("the span covered");
        assert!((rate - 1e6).abs() < 1e5, "{rate}: the busy time's rate");
    }

    #[test]
    fn losses_by_packet_threshold_and_by_age() {
        let t0 = Instant::now();
        let mut s = SentPackets::new(t0);
        for seq in 0..6 {
            s.on_sent(t0, seq, 100, false);
        }
        // 0 lost: 4 and 5 acknowledged are 4 and 5 packets later. 1..=3 are within the threshold
        // of 5 or 4, but wait no longer than 9/8 of the round trip.
        let o = s.on_ack(t0 + MS * 20, &[4..=5]);
        assert_eq!(o.lost_packets, 3, "0, 1 and 2 are 3 or more behind 5");
        assert_eq!(s.in_flight(), 100);
        let (bytes, packets) = s.detect_losses(t0 + MS * 30);
        assert_eq!(
            (bytes, packets),
            (100, 1),
            "3 waited more than 9/8 of 20 ms"
        );
        let mut lost = Vec::new();
        s.take_lost(|seq| lost.push(seq));
        assert_eq!(lost, vec![0, 1, 2, 3]);
        // Nothing acknowledged at all: gone once far older than any acknowledgement.
        s.on_sent(t0 + MS * 30, 6, 100, false);
        assert_eq!(s.detect_losses(t0 + MS * 40), (0, 0));
        assert_eq!(s.detect_losses(t0 + MS * 1000), (100, 1));
        assert_eq!(s.in_flight(), 0);
    }

    #[test]
    fn acknowledgements_of_unknown_or_huge_ranges_change_nothing() {
        let t0 = Instant::now();
        let mut s = SentPackets::new(t0);
        s.on_sent(t0, 7, 100, false);
        let o = s.on_ack(t0 + MS, &[1000..=u64::MAX]);
        assert_eq!(o, Outcome::default());
        assert_eq!(s.in_flight(), 100);
    }

    #[test]
    fn the_tracked_packets_are_bounded() {
        let t0 = Instant::now();
        let mut s = SentPackets::new(t0);
        for seq in 0..(MAX_TRACKED as u64 + 10) {
            s.on_sent(t0, seq, 1, false);
        }
        assert_eq!(s.in_flight(), MAX_TRACKED as u64);
        assert_eq!(s.lost_packets, 10);
    }
}
