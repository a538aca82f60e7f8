//! A BBR-like model of the path (after BBR v1, draft-cardwell-iccrg-bbr-congestion-control-00, with
//! two things of v2/v3): the bottleneck bandwidth as the highest delivery rate of the last ten
//! round trips that filled the pipe, the propagation round trip as the lowest in ten seconds; the
//! sender paces at a gain times that bandwidth and keeps at most 1.75 times their product in
//! flight (BBR's twice let a jittery link's queue hold a frame more of the game's state).
//! Startup doubles the rate each round trip until it stops growing by a quarter for three rounds,
//! or until the round trip grows (HyStart++'s delay signal, RFC 9406, so a deep queue is not
//! filled to find the rate); Drain empties the queue Startup made; ProbeBW cycles its gains
//! (1.25, 0.75, then six of 1) so the queue stays short. A game's connection mostly streams a
//! little state: round trips that sent less than they could neither end Startup nor age the
//! bandwidth, so its transfers start at the rate the last one found. What a round trip must grow
//! by to show a queue is at least the path's own variation, measured on those light round trips
//! (a mobile link's jitter is no queue). Random loss is not a signal: a round trip losing more
//! than 2% of what it delivered (and three times what the path loses without a queue) while its
//! round trips show a queue (a drop-tail queue overflowing), or more than a quarter without,
//! bounds what goes in flight to what went then (v2's inflight_hi); the bound grows again by a
//! packet, then two, four... per round trip. No ProbeRTT: the minimum round trip is taken again
//! after ten seconds.

use std::time::{Duration, Instant};

use super::sent::RateSample;

/// Startup's pacing gain (2/ln 2) and its in-flight gain (BBR v3's 2).
const STARTUP_PACING_GAIN: f64 = 2.885;
const STARTUP_CWND_GAIN: f64 = 2.885;
/// Drain's pacing gain, Startup's inverse.
const DRAIN_PACING_GAIN: f64 = 1.0 / 2.885;
/// ProbeBW's pacing gains, a phase per minimum round trip.
const PROBE_GAINS: [f64; 8] = [1.25, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
/// ProbeBW's in-flight gain. Through the link emulator at 60 frames/s (8 MiB while state
/// streams): 2 gave state p95 of 100-117 ms on `mobile`, 1.5 cost `10mbit` a third of its goodput
/// (6 against 9 Mbit/s: a frame-polled peer's acknowledgements come a frame or two late, and the
/// window must cover them), 1.75 kept the goodput with p95 of 50 ms on `10mbit` and `broadband`.
const PROBE_CWND_GAIN: f64 = 1.75;
/// The bandwidth filter's length, in round trips.
const BW_ROUNDS: usize = 10;
/// The minimum round trip's lifetime.
const MIN_RTT_LIFETIME: Duration = Duration::from_secs(10);
/// Startup ends after this many round trips without the bandwidth growing by a quarter.
const FULL_BW_ROUNDS: u32 = 3;
/// The growth of the round trip that shows a queue in Startup ([`delay_signal`]): an eighth of it,
/// within these bounds (RFC 9406, HyStart++).
const MIN_DELAY_SIGNAL: Duration = Duration::from_millis(4);
const MAX_DELAY_SIGNAL: Duration = Duration::from_millis(16);

/// How much longer than `rtt` a round trip must be to show a queue building. A game's round trips
/// also jump by a frame with no queue (16.7 ms at 60 frames/s, when the peer's poll falls late in
/// the frame); larger thresholds (a quarter, 20..40 ms) let Startup grow further through the link
/// emulator (10 Mbit/s: 6.4 against 2.0 Mbit/s for 1 MiB) but overran its queue in the lockstep
/// frames of `tests/congestion.rs` (8.7% of datagrams dropped), so these stay RFC 9406's.
fn delay_signal(rtt: Duration) -> Duration {
    (rtt / 8).clamp(MIN_DELAY_SIGNAL, MAX_DELAY_SIGNAL)
}
/// The most the path's own round-trip variation raises the queue signal.
const MAX_JITTER_SIGNAL: Duration = Duration::from_millis(40);

/// Round-trip variation of the path itself, from the acknowledgements of packets sent while the
/// sender had little to send (so no queue of its own moved them): a mobile link's round trips
/// vary by tens of milliseconds with no queue at all, and that variation is what a round trip
/// must grow by at least to show one there (twice it overran the in-process 10 Mbit/s test's
/// queue).
#[derive(Debug, Default)]
struct PathJitter {
    smoothed: Option<Duration>,
    variation: Duration,
}

impl PathJitter {
    fn sample(&mut self, rtt: Duration) {
        match self.smoothed {
            None => self.smoothed = Some(rtt),
            Some(s) => {
                self.variation = (self.variation * 3 + s.abs_diff(rtt)) / 4;
                self.smoothed = Some((s * 7 + rtt) / 8);
            }
        }
    }

    /// How much longer than `rtt` a round trip must be to show a queue on this path.
    fn signal(&self, rtt: Duration) -> Duration {
        delay_signal(rtt).max(self.variation.min(MAX_JITTER_SIGNAL))
    }
}

/// Acknowledgements in a row delayed by a queue that end Startup.
const DELAY_ACKS: u32 = 2;
/// The model's shortest round trip. A game polls once a frame, so what it sends waits up to a
/// frame for the poll, and the answer another at the peer: a round trip of a link faster than two
/// frames (a LAN) is measured anywhere from a fraction of a millisecond to two frames, depending on
/// when in the frame each end polled. Taking the shortest of those as the path's round trip made
/// every later sample look like a queue (Startup ended at once) and the window a few datagrams: a
/// 1 MiB transfer crawled at 3 Mbit/s through a 1 Gbit/s link.
const POLL_RTT_FLOOR: Duration = Duration::from_millis(35);
/// Fraction of a round trip's delivered bytes lost that bounds the flight, when its round trips
/// show a queue (a drop-tail queue overflowing is full: what passes it waits).
const LOSS_THRESHOLD: f64 = 0.02;
/// The same without a queue in sight: random loss (a mobile or Wi-Fi link's 2-5%, in bursts) is
/// no sign of congestion, but a buffer too shallow to show its overflow in the round trip loses
/// this much and more when Startup overshoots it.
const LOSS_THRESHOLD_NO_QUEUE: f64 = 0.25;
/// With a queue in sight, loss counts only above this many times the path's own loss (what it
/// loses in round trips without a queue): a 2% lossy link loses 4% in one round trip of 70
/// packets in six, and each of those halved its goodput.
const BACKGROUND_LOSS_FACTOR: f64 = 3.0;
/// Round trips shorter than this many packets say too little of the path's own loss.
const MIN_LOSS_SAMPLE_PACKETS: u64 = 16;
/// The most the flight's bound grows in one round trip, in packets (it doubles each round trip
/// without heavy loss, from one).
const MAX_BOUND_GROWTH: u64 = 64;
/// Packets in the initial window (RFC 9002 7.2) and the smallest window.
const INITIAL_PACKETS: u64 = 32;
const MIN_PACKETS: u64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Startup,
    Drain,
    ProbeBw,
}

/// The path model and what it allows.
#[derive(Debug)]
pub(crate) struct Bbr {
    mode: Mode,
    /// Bytes of one full datagram.
    mss: u64,
    /// Highest delivery rate (bytes/s) per recent round trip, newest last.
    bw_rounds: Vec<f64>,
    min_rtt: Option<(Duration, Instant)>,
    round: u64,
    next_round_delivered: u64,
    /// Startup: the bandwidth that last grew by a quarter and the rounds since.
    full_bw: f64,
    full_bw_rounds: u32,
    /// The lowest round trip of this round trip and of the one before (HyStart++).
    round_min_rtt: Option<Duration>,
    last_round_min_rtt: Option<Duration>,
    /// Startup: acknowledgements in a row whose round trip showed a queue building.
    delayed_acks: u32,
    /// Every rate sample of this round trip so far came from packets sent app-limited.
    round_app_limited: bool,
    jitter: PathJitter,
    probe_phase: usize,
    phase_start: Option<Instant>,
    /// What this round trip delivered and lost, for the loss bound.
    round_delivered: u64,
    round_lost: u64,
    inflight_hi: Option<u64>,
    /// Packets the bound grows by at the next round trip without heavy loss.
    bound_growth: u64,
    /// The share of delivered bytes the path loses with no queue in sight (smoothed by round).
    background_loss: f64,
}

impl Bbr {
    pub(crate) fn new(mss: u64) -> Bbr {
        Bbr {
            mode: Mode::Startup,
            mss,
            bw_rounds: Vec::with_capacity(BW_ROUNDS),
            min_rtt: None,
            round: 0,
            next_round_delivered: 0,
            full_bw: 0.0,
            full_bw_rounds: 0,
            round_min_rtt: None,
            last_round_min_rtt: None,
            delayed_acks: 0,
            round_app_limited: true,
            jitter: PathJitter::default(),
            probe_phase: 0,
            phase_start: None,
            round_delivered: 0,
            round_lost: 0,
            inflight_hi: None,
            bound_growth: 1,
            background_loss: 0.0,
        }
    }

    #[cfg(test)]
    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    /// The bottleneck bandwidth estimate, bytes per second (0 before any sample).
    pub(crate) fn bandwidth(&self) -> f64 {
        self.bw_rounds.iter().copied().fold(0.0, f64::max)
    }

    fn bdp(&self) -> Option<u64> {
        let (rtt, _) = self.min_rtt?;
        let bw = self.bandwidth();
        (bw > 0.0).then_some((bw * rtt.as_secs_f64()) as u64)
    }

    /// Most bytes in flight.
    pub(crate) fn window(&self) -> u64 {
        let gain = match self.mode {
            Mode::Startup => STARTUP_CWND_GAIN,
            _ => PROBE_CWND_GAIN,
        };
        let min = MIN_PACKETS * self.mss;
        let window = match self.bdp() {
            Some(bdp) => ((bdp as f64 * gain) as u64).max(INITIAL_PACKETS * self.mss),
            None => INITIAL_PACKETS * self.mss,
        };
        let window = match self.inflight_hi {
            Some(hi) => window.min(hi),
            None => window,
        };
        window.max(min)
    }

    /// Pacing rate in bytes per second; `None`: not paced yet (no round trip measured).
    pub(crate) fn pacing_rate(&self) -> Option<f64> {
        let gain = match self.mode {
            Mode::Startup => STARTUP_PACING_GAIN,
            Mode::Drain => DRAIN_PACING_GAIN,
            Mode::ProbeBw => PROBE_GAINS[self.probe_phase],
        };
        let (rtt, _) = self.min_rtt?;
        // Until the pipe is full, never below the initial window per round trip (what a
        // connection that sent little so far measured is no bandwidth estimate).
        let floor = match self.mode {
            Mode::Startup => (INITIAL_PACKETS * self.mss) as f64 / rtt.as_secs_f64().max(0.001),
            _ => 0.0,
        };
        Some(self.bandwidth().max(floor) * gain)
    }

    /// An acknowledgement came: `sample` from it (if any), the connection's delivered bytes and
    /// bytes in flight after it, the bytes it showed lost.
    pub(crate) fn on_ack(
        &mut self,
        now: Instant,
        sample: Option<RateSample>,
        delivered: u64,
        in_flight: u64,
        acked: u64,
        lost: u64,
    ) {
        self.round_delivered += acked;
        self.round_lost += lost;
        self.loss_bound(in_flight, false);
        let Some(sample) = sample else {
            return;
        };
        let sample_rtt = sample.rtt.max(POLL_RTT_FLOOR);
        if self
            .min_rtt
            .is_none_or(|(rtt, at)| sample_rtt <= rtt || now.duration_since(at) > MIN_RTT_LIFETIME)
        {
            self.min_rtt = Some((sample_rtt, now));
        }
        let new_round = sample.prior_delivered >= self.next_round_delivered;
        // Whether the round trip that this acknowledgement ends sent less than it could (its
        // delay and rate then say nothing of the path's limits).
        let ended_app_limited = self.round_app_limited;
        if new_round {
            self.round_app_limited = true;
            self.next_round_delivered = delivered;
            self.round += 1;
            // The filter ages by round trips that filled the pipe only: a game streaming a little
            // state for minutes keeps what its last transfer measured, and its next one starts
            // at that rate instead of probing up from the state's.
            if !ended_app_limited || self.bw_rounds.is_empty() {
                self.bw_rounds.push(0.0);
                if self.bw_rounds.len() > BW_ROUNDS {
                    self.bw_rounds.remove(0);
                }
            }
        }
        self.round_app_limited &= sample.app_limited;
        self.round_min_rtt = Some(self.round_min_rtt.map_or(sample_rtt, |m| m.min(sample_rtt)));
        if sample.app_limited {
            self.jitter.sample(sample_rtt);
        } else {
            // A sender with little to send builds no queue of its own: what delays its
            // acknowledgements is the path's jitter or another flow, no reason to stop growing.
            self.queue_signal(sample_rtt);
        }
        // Once the pipe is full, the acknowledgements of a few frames overstate the rate by up to
        // a frame's worth: taken at their word, each probe ratcheted the estimate up (a mobile
        // link's 8 Mbit/s read as 9.5) and the excess waited in the link's queue.
        let rate = match (self.mode, sample.long_rate) {
            (Mode::ProbeBw, Some(long)) => sample.rate().min(long),
            _ => sample.rate(),
        };
        let counts = !sample.app_limited || rate > self.bandwidth();
        if let (true, Some(last)) = (counts, self.bw_rounds.last_mut()) {
            *last = last.max(rate);
        }
        if new_round {
            self.loss_bound(in_flight, true);
            self.round_ended(ended_app_limited);
        }
        self.advance(now, in_flight);
    }

    /// A round trip lost more than its threshold (with a queue in sight [`LOSS_THRESHOLD`], or
    /// [`BACKGROUND_LOSS_FACTOR`] times the path's own loss if more; without one
    /// [`LOSS_THRESHOLD_NO_QUEUE`]): the flight stays below what it was (a drop-tail queue
    /// overflowed); otherwise, at a round trip's end, the bound grows by 1, 2, 4... packets and
    /// a round trip without a queue updates the path's own loss.
    fn loss_bound(&mut self, in_flight: u64, round_end: bool) {
        let queue = self.queue_seen();
        let threshold = if queue {
            (self.background_loss * BACKGROUND_LOSS_FACTOR)
                .clamp(LOSS_THRESHOLD, LOSS_THRESHOLD_NO_QUEUE)
        } else {
            LOSS_THRESHOLD_NO_QUEUE
        };
        let share = self.round_lost as f64 / self.round_delivered.max(1) as f64;
        let heavy = self.round_lost >= 3 * self.mss && share > threshold;
        if round_end && !queue && self.round_delivered >= MIN_LOSS_SAMPLE_PACKETS * self.mss {
            self.background_loss +=
                (share.min(LOSS_THRESHOLD_NO_QUEUE) - self.background_loss) / 8.0;
        }
        if heavy {
            self.bound_growth = 1;
            let floor = self.bdp().unwrap_or(0).max(MIN_PACKETS * self.mss);
            let bound = ((in_flight + self.round_lost) as f64 * 0.85) as u64;
            self.inflight_hi = Some(self.inflight_hi.unwrap_or(u64::MAX).min(bound).max(floor));
            if self.mode == Mode::Startup {
                self.mode = Mode::Drain;
            }
            self.round_lost = 0;
            self.round_delivered = 0;
        } else if round_end {
            if let Some(hi) = self.inflight_hi.as_mut() {
                *hi += self.bound_growth * self.mss;
                self.bound_growth = (self.bound_growth * 2).min(MAX_BOUND_GROWTH);
            }
            self.round_lost = 0;
            self.round_delivered = 0;
        }
    }

    /// Whether this round trip's (or, early in it, the last one's) shortest round trip stood above
    /// the path's by [`PathJitter::signal`]: a queue that stayed the whole round trip.
    fn queue_seen(&self) -> bool {
        match (self.round_min_rtt.or(self.last_round_min_rtt), self.min_rtt) {
            (Some(round), Some((min, _))) => round >= min + self.jitter.signal(min),
            _ => false,
        }
    }

    /// Startup's end by delay, per acknowledgement: [`DELAY_ACKS`] in a row (an acknowledgement
    /// covers what arrived in one of the receiver's frames: a queue seen for two frames) whose
    /// round trip stood above the last round's lowest (the lowest ever until a round ended) by
    /// [`PathJitter::signal`] (HyStart++'s threshold, RFC 9406 4.2, an eighth of it within 4 to
    /// 16 ms, or the path's own variation if more), once past the first round trips. Not the
    /// lowest ever: a frame-polled peer's lucky early sample made every later one look delayed
    /// (through the link emulator's 10 Mbit/s link, 1 MiB at 2.0 Mbit/s; against the last
    /// round's, 6.4).
    fn queue_signal(&mut self, rtt: Duration) {
        let Some(min) = self.last_round_min_rtt.or(self.min_rtt.map(|(m, _)| m)) else {
            return;
        };
        if rtt >= min + self.jitter.signal(min) {
            self.delayed_acks += 1;
        } else {
            self.delayed_acks = 0;
        }
        if self.mode == Mode::Startup && self.round >= 3 && self.delayed_acks >= DELAY_ACKS {
            self.mode = Mode::Drain;
        }
    }

    /// Startup's end: the bandwidth stopped growing, or the round trip grew (`app_limited`: the
    /// round trip that ended sent less than it could, so neither says anything).
    fn round_ended(&mut self, app_limited: bool) {
        let round_min = self.round_min_rtt.take();
        let last_min = std::mem::replace(&mut self.last_round_min_rtt, round_min);
        if self.mode != Mode::Startup {
            return;
        }
        let bw = self.bandwidth();
        if bw >= self.full_bw * 1.25 {
            self.full_bw = bw;
            self.full_bw_rounds = 0;
        } else if !app_limited {
            self.full_bw_rounds += 1;
        }
        // HyStart++'s signal: this round's lowest round trip above the last one's.
        let delayed = match (round_min, last_min) {
            (Some(now), Some(before)) => now >= before + self.jitter.signal(before),
            _ => false,
        };
        if self.full_bw_rounds >= FULL_BW_ROUNDS || (delayed && !app_limited && self.round >= 3) {
            self.mode = Mode::Drain;
        }
    }

    fn advance(&mut self, now: Instant, in_flight: u64) {
        match self.mode {
            Mode::Startup => {}
            Mode::Drain => {
                if self.bdp().is_none_or(|bdp| in_flight <= bdp) {
                    self.mode = Mode::ProbeBw;
                    // Begin at a phase of gain 1, as BBR does after Drain.
                    self.probe_phase = 2;
                    self.phase_start = Some(now);
                }
            }
            Mode::ProbeBw => {
                let rtt = self.min_rtt.map_or(Duration::ZERO, |(r, _)| r);
                let start = *self.phase_start.get_or_insert(now);
                let gain = PROBE_GAINS[self.probe_phase];
                let elapsed = now.saturating_duration_since(start) > rtt;
                let bdp = self.bdp().unwrap_or(0);
                // 1.25 lasts until it put 1.25 BDP in flight; 0.75 ends early once drained.
                let next = if gain > 1.0 {
                    elapsed && in_flight as f64 >= gain * bdp as f64
                        || now.saturating_duration_since(start) > rtt * 2
                } else if gain < 1.0 {
                    elapsed || in_flight <= bdp
                } else {
                    elapsed
                };
                if next {
                    self.probe_phase = (self.probe_phase + 1) % PROBE_GAINS.len();
                    self.phase_start = Some(now);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u64 = 1400;
    const MS: Duration = Duration::from_millis(1);

    /// Feeds a path of `rate` bytes/s and `rtt` round trip: each round trip, a window's worth
    /// is acknowledged at the rate the path allows.
    fn run(bbr: &mut Bbr, t0: Instant, rate: f64, rtt: Duration, rounds: u32) -> Instant {
        let mut now = t0;
        let mut delivered = 0u64;
        for _ in 0..rounds {
            let window = bbr.window();
            let bdp = (rate * rtt.as_secs_f64()) as u64;
            let sent = window;
            // What the path delivers in one round trip, and the queueing delay of the excess.
            let through = sent.min(bdp).max(MSS);
            let queued = sent.saturating_sub(bdp);
            let delay = Duration::from_secs_f64(queued as f64 / rate);
            let prior = delivered;
            delivered += through;
            now += rtt + delay;
            let sample = RateSample {
                delivered: through,
                interval: rtt + delay,
                rtt: rtt + delay,
                prior_delivered: prior,
                app_limited: false,
                long_rate: None,
            };
            bbr.on_ack(now, Some(sample), delivered, sent - through, through, 0);
        }
        now
    }

    /// A LAN polled once a frame: round trips measured from 1 ms to two frames (33 ms), at random
    /// with the polls' phase, while the rate keeps growing. None of that is a queue: Startup goes
    /// on, and the window allows more than the initial one. Without the 35 ms floor the 1 ms
    /// sample became the path's round trip and the next 17 ms ones ended Startup.
    #[test]
    fn frame_jitter_on_a_fast_path_is_not_a_queue() {
        let mut bbr = Bbr::new(MSS);
        let mut now = Instant::now();
        let mut delivered = 0u64;
        let rtts = [1, 17, 33, 17, 1, 33, 17, 17];
        for (round, ms) in rtts.iter().cycle().take(12).enumerate() {
            let through = (INITIAL_PACKETS * MSS) << round.min(20);
            let rtt = MS * *ms;
            now += rtt.max(MS * 17);
            let sample = RateSample {
                delivered: through,
                interval: MS * 17,
                rtt,
                prior_delivered: delivered,
                app_limited: false,
                long_rate: None,
            };
            delivered += through;
            bbr.on_ack(now, Some(sample), delivered, through, through, 0);
        }
        assert_eq!(bbr.mode(), Mode::Startup);
        assert!(bbr.window() > INITIAL_PACKETS * MSS, "{}", bbr.window());
    }

    /// A 50 ms path polled once a frame: after one lucky 40 ms sample, each round trip's four
    /// acknowledgements take 52 or 68 ms (the polls' phase) while the rate keeps growing. Against
    /// the lowest sample ever, every one of them looked like a queue and Startup ended at once;
    /// against the last round's lowest (52 ms), only the 68 ms ones do, never two in a row.
    #[test]
    fn frame_jitter_on_a_slow_path_is_not_a_queue() {
        let mut bbr = Bbr::new(MSS);
        let mut now = Instant::now();
        let mut delivered = 0u64;
        let mut round_start = 0u64;
        let rounds = std::iter::once(vec![40]).chain(std::iter::repeat(vec![52, 68, 52, 68]));
        for (round, rtts) in rounds.take(12).enumerate() {
            let prior = delivered;
            for (i, ms) in rtts.into_iter().enumerate() {
                let through = (INITIAL_PACKETS * MSS) << round.min(20);
                now += MS * 17;
                let sample = RateSample {
                    delivered: through,
                    interval: MS * 17,
                    rtt: MS * ms,
                    // The first acknowledgement of a round trip covers what was sent after the
                    // last round began: it starts the next round.
                    prior_delivered: if i == 0 { prior } else { round_start },
                    app_limited: false,
                    long_rate: None,
                };
                delivered += through;
                bbr.on_ack(now, Some(sample), delivered, through, through, 0);
            }
            round_start = prior;
        }
        assert_eq!(bbr.mode(), Mode::Startup);
    }

    #[test]
    fn startup_finds_the_bandwidth_then_probes_around_it() {
        let mut bbr = Bbr::new(MSS);
        assert_eq!(bbr.window(), INITIAL_PACKETS * MSS);
        assert_eq!(bbr.pacing_rate(), None, "no round trip yet: not paced");
        let rate = 1_250_000.0;
        run(&mut bbr, Instant::now(), rate, MS * 40, 30);
        assert_ne!(bbr.mode(), Mode::Startup);
        let bw = bbr.bandwidth();
        assert!(bw > rate * 0.8 && bw <= rate * 1.01, "{bw}");
        let bdp = (rate * 0.04) as u64;
        assert!(
            bbr.window() <= 2 * bdp + MSS,
            "{} against {bdp}",
            bbr.window()
        );
        assert!(bbr.window() >= bdp, "{} against {bdp}", bbr.window());
    }

    /// What one acknowledgement says in these tests: `bytes` sent `rtt` ago (that new round
    /// trip's first), how they were sent, what it showed lost.
    #[derive(Clone, Copy)]
    struct Ack {
        bytes: u64,
        rtt: Duration,
        app_limited: bool,
        long_rate: Option<f64>,
        lost: u64,
    }

    fn ack_of(bytes: u64, rtt: Duration) -> Ack {
        Ack {
            bytes,
            rtt,
            app_limited: false,
            long_rate: None,
            lost: 0,
        }
    }

    /// Feeds `a` to the model at `now`, counting its bytes into `delivered`.
    fn feed(bbr: &mut Bbr, now: Instant, delivered: &mut u64, a: Ack) {
        let sample = RateSample {
            delivered: a.bytes,
            interval: a.rtt,
            rtt: a.rtt,
            prior_delivered: *delivered,
            app_limited: a.app_limited,
            long_rate: a.long_rate,
        };
        *delivered += a.bytes;
        bbr.on_ack(now, Some(sample), *delivered, a.bytes, a.bytes, a.lost);
    }

    /// A model after a steady 40 ms path (`run`), then fed one round trip per call.
    struct Rounds {
        bbr: Bbr,
        now: Instant,
        delivered: u64,
    }

    impl Rounds {
        fn after_a_steady_path() -> Rounds {
            let mut bbr = Bbr::new(MSS);
            let now = run(&mut bbr, Instant::now(), 1_250_000.0, MS * 40, 30);
            Rounds {
                bbr,
                now,
                delivered: u64::MAX / 4,
            }
        }

        /// One round trip 40 ms on: `bytes` acknowledged `rtt` after they left, `lost` lost.
        fn round(&mut self, bytes: u64, rtt: Duration, lost: u64) {
            self.now += MS * 40;
            let now = self.now;
            feed(
                &mut self.bbr,
                now,
                &mut self.delivered,
                Ack {
                    lost,
                    ..ack_of(bytes, rtt)
                },
            );
        }
    }

    /// Round trips at `rtt` that lose `lost_share` of what they deliver, after a steady 40 ms
    /// path: whether the flight got bounded.
    fn bounded_by_loss(rtt: Duration, lost_share: f64) -> bool {
        let mut r = Rounds::after_a_steady_path();
        let bytes = 200_000;
        for _ in 0..2 {
            r.round(bytes, rtt, 0);
        }
        assert_eq!(r.bbr.inflight_hi, None);
        for _ in 0..3 {
            r.round(bytes, rtt, (bytes as f64 * lost_share) as u64);
        }
        r.bbr.inflight_hi.is_some()
    }

    #[test]
    fn loss_with_a_queue_bounds_the_flight() {
        assert!(bounded_by_loss(MS * 70, 0.10));
        assert!(bounded_by_loss(MS * 70, 0.04));
        assert!(
            !bounded_by_loss(MS * 70, 0.01),
            "light loss never bounds it"
        );
    }

    #[test]
    fn random_loss_without_a_queue_does_not_bound_the_flight() {
        // A mobile link's 2%, a busy Wi-Fi's bursts: no queue in the round trips, no bound.
        assert!(!bounded_by_loss(MS * 40, 0.03));
        assert!(!bounded_by_loss(MS * 40, 0.10));
    }

    #[test]
    fn very_heavy_loss_bounds_the_flight_even_without_a_queue() {
        // A buffer too shallow to show its overflow in the round trip.
        assert!(bounded_by_loss(MS * 40, 0.35));
    }

    #[test]
    fn app_limited_round_trips_neither_end_startup_nor_age_the_estimate() {
        // A connection streaming a little state over a jittery path: round trips jump by 50 ms
        // and the rate stays flat, yet it has not filled the pipe: Startup goes on.
        let mut bbr = Bbr::new(MSS);
        let mut now = Instant::now();
        let mut delivered = 0u64;
        for _ in 0..10 {
            // Four acknowledgements a round trip, the first of which begins it.
            let round_start = delivered;
            for (i, ms) in [50, 100, 100, 100].into_iter().enumerate() {
                now += MS * 25;
                let sample = RateSample {
                    delivered: 500,
                    interval: MS * ms,
                    rtt: MS * ms,
                    prior_delivered: if i == 0 { delivered } else { round_start },
                    app_limited: true,
                    long_rate: None,
                };
                delivered += 500;
                bbr.on_ack(now, Some(sample), delivered, 500, 500, 0);
            }
        }
        assert_eq!(bbr.mode(), Mode::Startup);
        // After a transfer the estimate holds through minutes of app-limited state.
        let mut bbr = Bbr::new(MSS);
        let now = run(&mut bbr, Instant::now(), 1_250_000.0, MS * 40, 30);
        let bw = bbr.bandwidth();
        let mut delivered = u64::MAX / 4;
        for i in 1..=100 {
            feed(
                &mut bbr,
                now + MS * 50 * i,
                &mut delivered,
                Ack {
                    app_limited: true,
                    ..ack_of(500, MS * 40)
                },
            );
        }
        assert_eq!(bbr.bandwidth(), bw);
    }

    #[test]
    fn probe_samples_are_capped_by_the_long_rate() {
        let mut bbr = Bbr::new(MSS);
        let now = run(&mut bbr, Instant::now(), 1_250_000.0, MS * 40, 30);
        assert_eq!(bbr.mode(), Mode::ProbeBw);
        let bw = bbr.bandwidth();
        let mut delivered = u64::MAX / 4;
        // Twice the rate over one round trip (a frame's acknowledgements counted twice), the
        // rate over the long span the path's own: not a new estimate.
        let bytes = (bw * 0.08) as u64;
        feed(
            &mut bbr,
            now + MS * 40,
            &mut delivered,
            Ack {
                long_rate: Some(bw),
                ..ack_of(bytes, MS * 40)
            },
        );
        assert!(
            bbr.bandwidth() <= bw * 1.001,
            "{} against {bw}",
            bbr.bandwidth()
        );
        // With nothing to compare it with, the sample counts.
        feed(
            &mut bbr,
            now + MS * 80,
            &mut delivered,
            ack_of(bytes, MS * 40),
        );
        assert!(
            bbr.bandwidth() > bw * 1.5,
            "{} against {bw}",
            bbr.bandwidth()
        );
    }

    /// Startup's round trips growing by 10 ms each (a queue building) from the path's 60 ms,
    /// after `idle` acknowledgements of app-limited state whose round trips vary by `jitter`:
    /// whether Startup ended.
    fn startup_ends(idle: u32, jitter: Duration) -> bool {
        let mut bbr = Bbr::new(MSS);
        let mut now = Instant::now();
        let mut delivered = 0;
        for i in 0..idle {
            now += MS * 50;
            let rtt = if i % 2 == 0 {
                MS * 60
            } else {
                MS * 60 + jitter * 2
            };
            feed(
                &mut bbr,
                now,
                &mut delivered,
                Ack {
                    app_limited: true,
                    ..ack_of(500, rtt)
                },
            );
        }
        for round in 0..6u32 {
            now += MS * 60;
            let bytes = (INITIAL_PACKETS * MSS) << round;
            feed(
                &mut bbr,
                now,
                &mut delivered,
                ack_of(bytes, MS * (60 + 10 * round)),
            );
        }
        bbr.mode() != Mode::Startup
    }

    #[test]
    fn a_path_that_jitters_needs_a_larger_delay_to_show_a_queue() {
        // Round trips growing by 10 ms are a queue on a steady path...
        assert!(startup_ends(0, Duration::ZERO));
        assert!(startup_ends(20, Duration::ZERO));
        // ...and the path's own variation where they vary by 30 ms with no queue.
        assert!(!startup_ends(20, MS * 15));
    }

    #[test]
    fn the_paths_own_loss_is_not_congestion_even_with_a_queue() {
        // 30 round trips at 40 ms losing 2.5% (a mobile link's random loss), then round trips
        // with a queue (70 ms) losing 4%: not heavy against the path's own, 12% is.
        let lossy_path_then = |queued_share: f64| {
            let mut r = Rounds::after_a_steady_path();
            let bytes = 200_000;
            // Two round trips without a queue or loss: the last round's queue of `run` gone.
            for _ in 0..2 {
                r.round(bytes, MS * 40, 0);
            }
            for _ in 0..28 {
                r.round(bytes, MS * 40, bytes / 40);
            }
            assert_eq!(r.bbr.inflight_hi, None);
            for _ in 0..3 {
                r.round(bytes, MS * 70, (bytes as f64 * queued_share) as u64);
            }
            r.bbr.inflight_hi.is_some()
        };
        assert!(!lossy_path_then(0.04));
        assert!(lossy_path_then(0.12));
        // On a clean path the same 4% with a queue is heavy.
        assert!(bounded_by_loss(MS * 70, 0.04));
    }

    #[test]
    fn the_bound_grows_back_faster_each_round_trip() {
        let mut r = Rounds::after_a_steady_path();
        let bytes = 50_000;
        for _ in 0..3 {
            r.round(bytes, MS * 70, bytes / 5);
        }
        let bound = r.bbr.inflight_hi.expect("a bound");
        for _ in 0..6 {
            r.round(bytes, MS * 70, 0);
        }
        // 2 + 4 + 8 + 16 + 32 + 64 packets in six round trips (the round trip that set it grew
        // it by one), where a packet a round trip gave 6.
        let grown = r.bbr.inflight_hi.expect("a bound") - bound;
        assert_eq!(grown, 126 * MSS, "grew {} packets", grown / MSS);
    }
}
