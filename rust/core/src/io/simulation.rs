//! The multiplayer peer's network simulation, for game developers to feel their game on a bad
//! network without any tool: added latency, jitter and loss on what the peer sends and on what it
//! receives (GameNetworkingSockets' fake lag and loss are the model), off by default. A delay line
//! of two [`Direction`]s of the link model sits between the socket and the host: what the host
//! sends reaches the socket when due, what the socket reads reaches the host when due, at the
//! first poll from then on.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::netsim::{Direction, DirectionConfig, Link};
use crate::DtlsError;

/// The most latency or jitter a direction takes, in milliseconds (10 s).
pub const MAX_SIMULATED_MS: f64 = 10_000.0;

/// What the peer simulates: `send` for the datagrams it sends, `receive` for those it reads.
/// `Default`: nothing (a perfect network, no delay line at all).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkSimulation {
    pub send: DirectionConfig,
    pub receive: DirectionConfig,
    /// The seed of the random losses and jitter (the same seed, the same choices).
    pub seed: u64,
}

impl NetworkSimulation {
    /// One direction from the figures a game developer sets: `latency_ms` added to every
    /// datagram, varying by up to `jitter_ms` either way (never below no delay; datagrams keep
    /// their order), and `loss_percent` of them lost. `what` names the direction in an error.
    pub fn direction(
        what: &str,
        latency_ms: f64,
        jitter_ms: f64,
        loss_percent: f64,
    ) -> Result<DirectionConfig, DtlsError> {
        let ms = |name: &str, v: f64| {
            if v.is_finite() && (0.0..=MAX_SIMULATED_MS).contains(&v) {
                Ok(Duration::from_secs_f64(v / 1000.0))
            } else {
                Err(DtlsError::InvalidConfig(format!(
                    "simulated {what} {name} must be within 0..={MAX_SIMULATED_MS} ms, not {v}"
                )))
            }
        };
        if !(loss_percent.is_finite() && (0.0..=100.0).contains(&loss_percent)) {
            return Err(DtlsError::InvalidConfig(format!(
                "simulated {what} loss must be within 0..=100 percent, not {loss_percent}"
            )));
        }
        Ok(DirectionConfig {
            delay: ms("latency", latency_ms)?,
            jitter: ms("jitter", jitter_ms)?,
            loss: loss_percent / 100.0,
            ..DirectionConfig::default()
        })
    }

    /// Whether anything is simulated.
    pub fn is_active(&self) -> bool {
        self.send.is_active() || self.receive.is_active()
    }
}

/// One line for a log: "send +50 ms ± 10 ms, 5% lost; receive nothing".
impl fmt::Display for NetworkSimulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let side = |f: &mut fmt::Formatter<'_>, what: &str, d: &DirectionConfig| {
            if !d.is_active() {
                return write!(f, "{what} unchanged");
            }
            write!(
                f,
                "{what} +{} ms ± {} ms, {}% lost",
                d.delay.as_secs_f64() * 1000.0,
                d.jitter.as_secs_f64() * 1000.0,
                d.loss * 100.0
            )
        };
        side(f, "send", &self.send)?;
        f.write_str("; ")?;
        side(f, "receive", &self.receive)
    }
}

type Addressed = (SocketAddr, Vec<u8>);

/// The two directions between the socket and the host.
#[derive(Debug)]
pub(crate) struct DelayLine {
    pub(crate) send: Direction<Addressed>,
    pub(crate) receive: Direction<Addressed>,
}

impl DelayLine {
    /// The delay line of `simulation`, `None` when it simulates nothing.
    pub(crate) fn new(simulation: &NetworkSimulation) -> Option<Box<DelayLine>> {
        simulation.is_active().then(|| {
            // The link model's own pairing: what this side sends goes "up", what it receives
            // comes "down", each seeded as `Link::directions` seeds them.
            let link = Link {
                up: simulation.send.clone(),
                down: simulation.receive.clone(),
            };
            let (send, receive) = link.directions(simulation.seed);
            Box::new(DelayLine { send, receive })
        })
    }

    /// When the next datagram is due either way.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        match (self.send.next_deadline(), self.receive.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_checked_with_a_clear_error() {
        let d = NetworkSimulation::direction("send", 50.0, 10.0, 5.0);
        assert_eq!(
            d.map(|d| (d.delay, d.jitter, (d.loss * 1e6).round())),
            Ok((
                Duration::from_millis(50),
                Duration::from_millis(10),
                50_000.0
            ))
        );
        for (latency, jitter, loss, says) in [
            (
                -1.0,
                0.0,
                0.0,
                "simulated send latency must be within 0..=10000 ms, not -1",
            ),
            (0.0, -5.0, 0.0, "simulated send jitter must be within"),
            (f64::NAN, 0.0, 0.0, "not NaN"),
            (20_000.0, 0.0, 0.0, "not 20000"),
            (
                0.0,
                0.0,
                101.0,
                "simulated send loss must be within 0..=100 percent, not 101",
            ),
            (0.0, 0.0, -0.5, "not -0.5"),
        ] {
            match NetworkSimulation::direction("send", latency, jitter, loss) {
                Err(DtlsError::InvalidConfig(why)) => assert!(why.contains(says), "{why}"),
                other => panic!("{latency} {jitter} {loss}: {other:?}"),
            }
        }
    }

    #[test]
    fn nothing_set_is_no_delay_line_and_the_line_says_what_is_on() {
        assert!(!NetworkSimulation::default().is_active());
        assert!(DelayLine::new(&NetworkSimulation::default()).is_none());
        let sim = NetworkSimulation {
            send: NetworkSimulation::direction("send", 50.0, 10.0, 5.0).unwrap_or_default(),
            ..NetworkSimulation::default()
        };
        assert!(sim.is_active());
        assert_eq!(
            sim.to_string(),
            "send +50 ms ± 10 ms, 5% lost; receive unchanged"
        );
        let line = DelayLine::new(&sim);
        assert!(line.is_some_and(|l| l.next_deadline().is_none()));
    }
}
