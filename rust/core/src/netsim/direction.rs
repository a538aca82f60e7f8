//! One direction of an emulated link: a drop-tail queue in front of a bottleneck that sends at a
//! set rate, then loss, propagation delay with jitter, reordering and duplication. Sans-IO: datagrams
//! are offered with the time, taken back with [`Direction::poll_deliver`] once due, and
//! [`Direction::next_deadline`] says when the next one is.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::loss::{GilbertElliott, LossState};
use super::rng::Rng;

/// What a direction carries: anything with a size on the wire that can be copied (for duplication).
pub trait Datagram: Clone {
    /// Bytes it takes on the link (what the queue and the rate count).
    fn wire_len(&self) -> usize;
}

impl Datagram for Vec<u8> {
    fn wire_len(&self) -> usize {
        self.len()
    }
}

/// A datagram with the address it came from or goes to (the multiplayer peer's delay line).
impl Datagram for (SocketAddr, Vec<u8>) {
    fn wire_len(&self) -> usize {
        self.1.len()
    }
}

/// The rules of one direction. `Default` is a perfect link: no limit, no delay, no loss.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DirectionConfig {
    /// Bottleneck rate in bits per second: a datagram of N bytes takes N * 8 / rate to send, and
    /// the next waits for it. 0: unlimited (no serialisation time, so no queue either).
    pub rate_bps: u64,
    /// One-way propagation delay, added after the bottleneck.
    pub delay: Duration,
    /// Each datagram's delay is `delay` plus a uniform amount in [-jitter, +jitter] (never below
    /// zero); datagrams keep their order (one is held back behind an earlier, later one) unless
    /// reordered below.
    pub jitter: Duration,
    /// The drop-tail queue at the bottleneck, in bytes, counting the datagram being sent: a
    /// datagram that does not fit beside what waits is dropped. 0: unbounded.
    pub queue_bytes: usize,
    /// Chance (0 to 1) that a datagram is lost on its own, after the bottleneck.
    pub loss: f64,
    /// Bursty loss, on top of `loss`.
    pub bursty: Option<GilbertElliott>,
    /// Chance (0 to 1) that a datagram is held back `reorder_delay` more, free of the order rule, so
    /// that later ones overtake it.
    pub reorder: f64,
    /// The extra delay of a reordered datagram.
    pub reorder_delay: Duration,
    /// Chance (0 to 1) that a delivered datagram arrives twice.
    pub duplicate: f64,
}

impl DirectionConfig {
    /// Whether the direction changes anything at all (a default config does not).
    pub fn is_active(&self) -> bool {
        *self != DirectionConfig::default()
    }

    /// The time the bottleneck takes to send `bytes`, rounded up to the nanosecond.
    pub fn serialisation(&self, bytes: usize) -> Duration {
        if self.rate_bps == 0 {
            return Duration::ZERO;
        }
        let bits = bytes as u128 * 8 * 1_000_000_000;
        let nanos = bits.div_ceil(self.rate_bps as u128);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// What a direction did, since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Datagrams offered, and their bytes.
    pub offered: u64,
    pub offered_bytes: u64,
    /// Dropped because the bottleneck's queue was full.
    pub queue_drops: u64,
    /// Lost by the loss rules (random and bursty).
    pub random_drops: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Reordered (held back).
    pub reordered: u64,
    /// Datagrams handed out by `poll_deliver` (copies included), and their bytes.
    pub delivered: u64,
    pub delivered_bytes: u64,
}

/// A datagram on its way, ordered by when it is due, then by when it was offered.
#[derive(Debug)]
struct InFlight<D> {
    due: Instant,
    seq: u64,
    datagram: D,
}

impl<D> PartialEq for InFlight<D> {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl<D> Eq for InFlight<D> {}
impl<D> PartialOrd for InFlight<D> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<D> Ord for InFlight<D> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

/// One direction of a link, deterministic for a seed.
#[derive(Debug)]
pub struct Direction<D: Datagram = Vec<u8>> {
    config: DirectionConfig,
    rng: Rng,
    loss: LossState,
    /// When the bottleneck has sent everything accepted so far.
    busy_until: Option<Instant>,
    /// Datagrams in the queue or being sent: when each finishes, and its bytes.
    backlog: VecDeque<(Instant, usize)>,
    backlog_bytes: usize,
    /// The latest due time of a datagram kept in order, which the next may not precede.
    last_in_order: Option<Instant>,
    in_flight: BinaryHeap<Reverse<InFlight<D>>>,
    seq: u64,
    counters: Counters,
}

impl<D: Datagram> Direction<D> {
    /// A direction with these rules; the same seed and the same offers give the same deliveries.
    pub fn new(config: DirectionConfig, seed: u64) -> Direction<D> {
        let loss = LossState::new(config.loss, config.bursty);
        Direction {
            config,
            rng: Rng::new(seed),
            loss,
            busy_until: None,
            backlog: VecDeque::new(),
            backlog_bytes: 0,
            last_in_order: None,
            in_flight: BinaryHeap::new(),
            seq: 0,
            counters: Counters::default(),
        }
    }

    pub fn config(&self) -> &DirectionConfig {
        &self.config
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Bytes in the bottleneck's queue at `now` (the datagram being sent included).
    pub fn queued_bytes(&mut self, now: Instant) -> usize {
        self.drain_backlog(now);
        self.backlog_bytes
    }

    /// Datagrams accepted and not yet delivered (queued, on the wire or held back).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Hands a datagram to the link at `now`.
    pub fn offer(&mut self, now: Instant, datagram: D) {
        let len = datagram.wire_len();
        self.counters.offered += 1;
        self.counters.offered_bytes += len as u64;
        self.drain_backlog(now);
        let queue = self.config.queue_bytes;
        if queue > 0 && self.backlog_bytes + len > queue {
            self.counters.queue_drops += 1;
            return;
        }
        let start = self.busy_until.map_or(now, |busy| busy.max(now));
        let sent = start + self.config.serialisation(len);
        self.busy_until = Some(sent);
        if sent > now {
            self.backlog.push_back((sent, len));
            self.backlog_bytes += len;
        }
        if self.loss.lose(&mut self.rng) {
            self.counters.random_drops += 1;
            return;
        }
        let mut due = sent + self.jittered_delay();
        if self.rng.chance(self.config.reorder) {
            self.counters.reordered += 1;
            due += self.config.reorder_delay;
        } else {
            if let Some(last) = self.last_in_order {
                due = due.max(last);
            }
            self.last_in_order = Some(due);
        }
        if self.rng.chance(self.config.duplicate) {
            self.counters.duplicated += 1;
            self.push(due, datagram.clone());
        }
        self.push(due, datagram);
    }

    /// The next datagram due at `now`, if any (call until `None`).
    pub fn poll_deliver(&mut self, now: Instant) -> Option<D> {
        self.drain_backlog(now);
        if self.in_flight.peek()?.0.due > now {
            return None;
        }
        let Reverse(next) = self.in_flight.pop()?;
        self.counters.delivered += 1;
        self.counters.delivered_bytes += next.datagram.wire_len() as u64;
        Some(next.datagram)
    }

    /// When the next datagram is due, if one is on its way.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.in_flight.peek().map(|next| next.0.due)
    }

    fn push(&mut self, due: Instant, datagram: D) {
        self.seq += 1;
        self.in_flight.push(Reverse(InFlight {
            due,
            seq: self.seq,
            datagram,
        }));
    }

    fn jittered_delay(&mut self) -> Duration {
        let delay = self.config.delay;
        let jitter = self.config.jitter;
        if jitter.is_zero() {
            return delay;
        }
        // Uniform in [delay - jitter, delay + jitter], floored at zero.
        let span = jitter.as_nanos() as f64 * 2.0;
        let offset = Duration::from_nanos((self.rng.unit() * span) as u64);
        (delay + offset).saturating_sub(jitter)
    }

    fn drain_backlog(&mut self, now: Instant) {
        while let Some(&(done, len)) = self.backlog.front() {
            if done > now {
                break;
            }
            self.backlog.pop_front();
            self.backlog_bytes -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Every datagram delivered by `until`, with the time each came out (polled at its deadline).
    fn drain<D: Datagram>(d: &mut Direction<D>, until: Instant) -> Vec<(Instant, D)> {
        let mut out = Vec::new();
        while let Some(at) = d.next_deadline() {
            if at > until {
                break;
            }
            while let Some(x) = d.poll_deliver(at) {
                out.push((at, x));
            }
        }
        out
    }

    #[test]
    fn serialisation_rate_is_honoured() {
        // 1 Mbit/s: 100 datagrams of 1,250 bytes (10,000 bits each) take 1 s to send.
        let config = DirectionConfig {
            rate_bps: 1_000_000,
            ..Default::default()
        };
        assert_eq!(config.serialisation(1250), ms(10));
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(config, 1);
        for i in 0..100u8 {
            d.offer(t0, vec![i; 1250]);
        }
        let out = drain(&mut d, t0 + Duration::from_secs(10));
        assert_eq!(out.len(), 100);
        for (i, (at, data)) in out.iter().enumerate() {
            assert_eq!(*at, t0 + ms(10) * (i as u32 + 1), "datagram {i}");
            assert_eq!(data[0] as usize, i);
        }
        assert_eq!(d.counters().delivered_bytes, 125_000);
    }

    #[test]
    fn an_idle_link_sends_at_once_and_spacing_holds_when_offered_slower() {
        let config = DirectionConfig {
            rate_bps: 8_000_000, // 1 byte per µs
            ..Default::default()
        };
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(config, 1);
        d.offer(t0, vec![0; 1000]);
        d.offer(t0 + ms(5), vec![0; 1000]);
        let out = drain(&mut d, t0 + ms(100));
        assert_eq!(out[0].0, t0 + ms(1));
        assert_eq!(out[1].0, t0 + ms(6));
    }

    #[test]
    fn propagation_delay_is_added() {
        let config = DirectionConfig {
            rate_bps: 8_000_000,
            delay: ms(20),
            ..Default::default()
        };
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(config, 1);
        d.offer(t0, vec![1; 1000]);
        assert_eq!(d.next_deadline(), Some(t0 + ms(21)));
        assert!(d.poll_deliver(t0 + ms(20)).is_none());
        assert_eq!(d.poll_deliver(t0 + ms(21)), Some(vec![1; 1000]));
        assert_eq!(d.next_deadline(), None);
    }

    #[test]
    fn the_queue_drops_at_its_size_and_only_then() {
        let config = DirectionConfig {
            rate_bps: 8_000_000,
            queue_bytes: 10_000,
            ..Default::default()
        };
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(config, 1);
        for _ in 0..10 {
            d.offer(t0, vec![0; 1000]);
        }
        assert_eq!(d.counters().queue_drops, 0);
        assert_eq!(d.queued_bytes(t0), 10_000);
        d.offer(t0, vec![0; 1]);
        assert_eq!(d.counters().queue_drops, 1);
        // Once the first has been sent (1 ms) there is room for exactly one more of 1,000.
        d.offer(t0 + ms(1), vec![0; 1000]);
        assert_eq!(d.counters().queue_drops, 1);
        d.offer(t0 + ms(1), vec![0; 1000]);
        assert_eq!(d.counters().queue_drops, 2);
        let out = drain(&mut d, t0 + Duration::from_secs(1));
        assert_eq!(out.len(), 11);
        assert_eq!(d.counters().delivered, 11);
        assert_eq!(d.counters().offered, 13);
    }

    #[test]
    fn random_loss_within_tolerance() {
        let config = DirectionConfig {
            loss: 0.05,
            ..Default::default()
        };
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(config, 9);
        for _ in 0..100_000 {
            d.offer(t0, vec![0; 10]);
        }
        let c = d.counters();
        assert!((4_700..5_300).contains(&c.random_drops), "{c:?}");
        assert_eq!(drain(&mut d, t0).len() as u64, 100_000 - c.random_drops);
    }

    #[test]
    fn bursty_loss_comes_in_runs() {
        let config = DirectionConfig {
            bursty: Some(GilbertElliott::bursts(0.05, 5.0)),
            ..Default::default()
        };
        let t0 = Instant::now();
        let mut d: Direction<Vec<u8>> = Direction::new(config, 4);
        for i in 0..200_000u32 {
            d.offer(
                t0 + Duration::from_micros(i as u64),
                i.to_le_bytes().to_vec(),
            );
        }
        let got: Vec<u32> = drain(&mut d, t0 + Duration::from_secs(1))
            .into_iter()
            .map(|(_, x)| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
            .collect();
        let lost = 200_000 - got.len();
        let gaps = got.windows(2).filter(|w| w[1] != w[0] + 1).count();
        let burst = lost as f64 / gaps as f64;
        assert!((4.5..5.5).contains(&burst), "mean burst {burst}");
        assert!((9_000..11_000).contains(&lost), "{lost}");
    }

    #[test]
    fn jitter_spreads_delays_over_its_range_and_order_is_kept() {
        let config = DirectionConfig {
            delay: ms(30),
            jitter: ms(15),
            ..Default::default()
        };
        // Offered 100 ms apart, no datagram waits behind another: the delays are the samples.
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(config.clone(), 2);
        for i in 0..1000u64 {
            d.offer(t0 + ms(100 * i), i.to_le_bytes().to_vec());
        }
        let out = drain(&mut d, t0 + Duration::from_secs(1000));
        assert_eq!(out.len(), 1000);
        let delays: Vec<Duration> = (0..1000u64)
            .map(|i| out[i as usize].0 - (t0 + ms(100 * i)))
            .collect();
        assert!(
            delays.iter().all(|&x| x >= ms(15) && x <= ms(45)),
            "{delays:?}"
        );
        let low = delays.iter().filter(|&&x| x < ms(20)).count();
        let high = delays.iter().filter(|&&x| x > ms(40)).count();
        // A sixth of the range at each end: about 167 each.
        assert!(
            (120..220).contains(&low) && (120..220).contains(&high),
            "{low} {high}"
        );
        // Offered 1 ms apart, they still come out in order (later ones wait for earlier ones).
        let mut d: Direction = Direction::new(config, 2);
        for i in 0..1000u32 {
            d.offer(t0 + ms(i as u64), i.to_le_bytes().to_vec());
        }
        let out = drain(&mut d, t0 + Duration::from_secs(10));
        let order: Vec<Vec<u8>> = out.into_iter().map(|(_, x)| x).collect();
        let sent: Vec<Vec<u8>> = (0..1000u32).map(|i| i.to_le_bytes().to_vec()).collect();
        assert_eq!(order, sent);
    }

    #[test]
    fn reordering_lets_later_datagrams_overtake() {
        let config = DirectionConfig {
            delay: ms(10),
            reorder: 0.1,
            reorder_delay: ms(5),
            ..Default::default()
        };
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(config, 3);
        for i in 0..10_000u32 {
            d.offer(t0 + ms(i as u64), i.to_le_bytes().to_vec());
        }
        let got: Vec<u32> = drain(&mut d, t0 + Duration::from_secs(100))
            .into_iter()
            .map(|(_, x)| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
            .collect();
        assert_eq!(got.len(), 10_000);
        let out_of_order = got.windows(2).filter(|w| w[1] < w[0]).count();
        let reordered = d.counters().reordered;
        assert!((900..1100).contains(&reordered), "{reordered}");
        // A reordered datagram is overtaken by the ones offered in the next 5 ms (when those are
        // not held back themselves): it arrives after them, one inversion each time.
        assert!(out_of_order as u64 >= reordered * 8 / 10, "{out_of_order}");
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert!(sorted.iter().enumerate().all(|(i, &x)| x == i as u32));
    }

    #[test]
    fn duplication_delivers_copies() {
        let config = DirectionConfig {
            duplicate: 0.1,
            ..Default::default()
        };
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(config, 6);
        for i in 0..10_000u32 {
            d.offer(t0, i.to_le_bytes().to_vec());
        }
        let out = drain(&mut d, t0);
        let c = d.counters();
        assert!((900..1100).contains(&c.duplicated), "{c:?}");
        assert_eq!(out.len() as u64, 10_000 + c.duplicated);
        assert_eq!(c.delivered, out.len() as u64);
    }

    #[test]
    fn the_same_seed_gives_the_same_deliveries() {
        let config = DirectionConfig {
            rate_bps: 10_000_000,
            delay: ms(20),
            jitter: ms(5),
            queue_bytes: 20_000,
            loss: 0.05,
            bursty: Some(GilbertElliott::bursts(0.02, 3.0)),
            reorder: 0.02,
            reorder_delay: ms(3),
            duplicate: 0.01,
        };
        let run = |seed| {
            let t0 = Instant::now();
            let mut d: Direction<(SocketAddr, Vec<u8>)> = Direction::new(config.clone(), seed);
            let from: SocketAddr = ([127, 0, 0, 1], 9).into();
            for i in 0..5_000u32 {
                d.offer(
                    t0 + Duration::from_micros(i as u64 * 300),
                    (from, i.to_le_bytes().repeat(100)),
                );
            }
            let out: Vec<(Duration, Vec<u8>)> = drain(&mut d, t0 + Duration::from_secs(60))
                .into_iter()
                .map(|(at, (_, x))| (at - t0, x))
                .collect();
            (out, d.counters())
        };
        let (a, ca) = run(11);
        let (b, cb) = run(11);
        let (c, _) = run(12);
        assert_eq!(a, b);
        assert_eq!(ca, cb);
        assert_ne!(a, c);
        assert!(
            ca.queue_drops > 0 && ca.random_drops > 0 && ca.duplicated > 0,
            "{ca:?}"
        );
    }

    #[test]
    fn a_default_direction_passes_everything_at_once() {
        assert!(!DirectionConfig::default().is_active());
        let t0 = Instant::now();
        let mut d: Direction = Direction::new(DirectionConfig::default(), 0);
        d.offer(t0, vec![1, 2, 3]);
        assert_eq!(d.next_deadline(), Some(t0));
        assert_eq!(d.poll_deliver(t0), Some(vec![1, 2, 3]));
    }
}
