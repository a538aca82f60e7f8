//! Congestion control of one multiplayer connection, sans-IO (every call takes `now`): what the
//! reliable channels may send at a flush. The feedback is renet's own acknowledgement, which
//! every version of the peer sends (it lists the renet packet sequence numbers received, as
//! ranges; `guard.rs` reads them): `sent.rs` keeps the packets in flight and derives round trips,
//! delivery rates and losses; `bbr.rs` models the path (bandwidth and round trip) and sets the
//! window and the pacing rate; `pacer.rs` spreads the sending at that rate, a frame's burst at a
//! time. No change of the wire format, so a peer of an earlier version needs nothing new.

mod bbr;
mod pacer;
mod sent;

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

/// What a channel packet costs on the wire beyond its renet bytes: the frame tag, a DTLS record
/// header and AEAD tag and nonce (13 + 8 + 16), UDP and IPv4 headers (28).
pub(crate) const PACKET_OVERHEAD: u64 = 1 + 37 + 28;

/// The congestion state of one connection.
#[derive(Debug)]
pub(crate) struct Congestion {
    sent: sent::SentPackets,
    bbr: bbr::Bbr,
    pacer: pacer::Pacer,
    /// The last flush had less to send than it was allowed.
    app_limited: bool,
}

impl Congestion {
    /// A connection whose full datagrams are `mss` bytes on the wire.
    pub(crate) fn new(now: Instant, mss: u64) -> Congestion {
        Congestion {
            sent: sent::SentPackets::new(now),
            bbr: bbr::Bbr::new(mss),
            pacer: pacer::Pacer::new(mss),
            app_limited: true,
        }
    }

    /// Bytes (on the wire) the reliable channels may send now: what the window leaves and the
    /// pacer allows.
    pub(crate) fn allowance(&mut self, now: Instant) -> u64 {
        let window = self.bbr.window().saturating_sub(self.sent.in_flight());
        window.min(self.pacer.allowance(now, self.bbr.pacing_rate()))
    }

    /// A channel packet of renet sequence number `seq` and `bytes` on the wire left now.
    pub(crate) fn on_sent(&mut self, now: Instant, seq: u64, bytes: u64) {
        self.sent.on_sent(now, seq, bytes, self.app_limited);
        self.pacer.spend(bytes);
    }

    /// Whether the flush that just ended sent less than it was allowed (its rate samples then
    /// say little about the path).
    pub(crate) fn set_app_limited(&mut self, limited: bool) {
        self.app_limited = limited;
    }

    /// renet acknowledged these sequence numbers now.
    pub(crate) fn on_ack(&mut self, now: Instant, ranges: &[RangeInclusive<u64>]) {
        let o = self.sent.on_ack(now, ranges);
        self.bbr.on_ack(
            now,
            o.sample,
            self.sent.delivered(),
            self.sent.in_flight(),
            o.acked_bytes,
            o.lost_bytes,
        );
    }

    /// Runs the loss detection by time (what no acknowledgement will ever cover).
    pub(crate) fn on_timeout(&mut self, now: Instant) {
        let (lost, _) = self.sent.detect_losses(now);
        if lost > 0 {
            let (delivered, in_flight) = (self.sent.delivered(), self.sent.in_flight());
            self.bbr.on_ack(now, None, delivered, in_flight, 0, lost);
        }
    }

    /// The renet packets declared lost since the last call (renet sends their messages again).
    pub(crate) fn take_lost(&mut self, each: impl FnMut(u64)) {
        self.sent.take_lost(each);
    }

    /// When the pacer lets the next full datagram go, if it holds one back now.
    pub(crate) fn next_release(&self) -> Option<Instant> {
        if self.sent.in_flight() >= self.bbr.window() {
            return None; // an acknowledgement opens the window, not time
        }
        self.pacer.next_release(self.bbr.pacing_rate())
    }

    /// The smoothed round trip of the acknowledgements (renet's resend time follows it).
    pub(crate) fn smoothed_rtt(&self) -> Option<Duration> {
        self.sent.rtt.smoothed
    }

    /// Bytes in flight and the window (for tests and statistics).
    #[cfg(test)]
    pub(crate) fn window(&self) -> (u64, u64) {
        (self.sent.in_flight(), self.bbr.window())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1400;

    #[test]
    fn the_window_closes_as_packets_leave_and_opens_with_their_acknowledgement() {
        let t0 = Instant::now();
        let mut cc = Congestion::new(t0, MSS);
        let first = cc.allowance(t0);
        assert!(first >= 10 * MSS, "an initial window: {first}");
        let mut seq = 0;
        while cc.allowance(t0) >= MSS {
            cc.on_sent(t0, seq, MSS);
            seq += 1;
        }
        let (in_flight, window) = cc.window();
        assert!(in_flight >= window - MSS, "{in_flight} of {window}");
        assert_eq!(cc.next_release(), None, "only an acknowledgement opens it");
        cc.on_ack(t0 + Duration::from_millis(50), &[0..=seq - 1]);
        assert_eq!(cc.window().0, 0);
        assert_eq!(cc.smoothed_rtt(), Some(Duration::from_millis(50)));
        assert!(cc.allowance(t0 + Duration::from_millis(60)) >= MSS);
    }

    #[test]
    fn lost_packets_are_reported_once() {
        let t0 = Instant::now();
        let mut cc = Congestion::new(t0, MSS);
        for seq in 0..8 {
            cc.on_sent(t0, seq, MSS);
        }
        cc.on_ack(t0 + Duration::from_millis(40), &[4..=7]);
        let mut lost = Vec::new();
        cc.take_lost(|s| lost.push(s));
        assert_eq!(lost, vec![0, 1, 2, 3], "3 or more behind 7");
        cc.take_lost(|s| lost.push(s));
        assert_eq!(lost.len(), 4);
    }
}
