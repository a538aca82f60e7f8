//! The `--trace FILE` of the relay: one line per datagram offered to the link,
//! `MS DIRECTION BYTES QUEUED FATE` (milliseconds since the relay started, `up` or `down`, the
//! datagram's bytes on the link, that direction's queue in bytes just after, and `queued`,
//! `queue_drop` or `lost`), to see what a sender's bursts do to the bottleneck queue and what waits
//! behind them.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use openssl_dtls_core::netsim::Counters;

/// What became of one datagram offered to a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Queued,
    QueueDrop,
    Lost,
}

impl Fate {
    /// From the direction's counters before and after the offer.
    pub fn of(before: &Counters, after: &Counters) -> Fate {
        if after.queue_drops > before.queue_drops {
            Fate::QueueDrop
        } else if after.random_drops > before.random_drops {
            Fate::Lost
        } else {
            Fate::Queued
        }
    }

    fn word(self) -> &'static str {
        match self {
            Fate::Queued => "queued",
            Fate::QueueDrop => "queue_drop",
            Fate::Lost => "lost",
        }
    }
}

/// An open trace file.
pub struct Trace {
    out: BufWriter<File>,
    t0: Instant,
}

impl Trace {
    /// Creates (or truncates) `path`; times count from `t0`.
    pub fn create(path: &Path, t0: Instant) -> io::Result<Trace> {
        Ok(Trace {
            out: BufWriter::new(File::create(path)?),
            t0,
        })
    }

    /// Writes one datagram's line.
    pub fn offered(
        &mut self,
        now: Instant,
        direction: &str,
        bytes: usize,
        queued: usize,
        fate: Fate,
    ) -> io::Result<()> {
        let ms = now.saturating_duration_since(self.t0).as_secs_f64() * 1000.0;
        writeln!(
            self.out,
            "{ms:.3} {direction} {bytes} {queued} {}",
            fate.word()
        )
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fate_is_what_the_counters_say_changed() {
        let before = Counters::default();
        let mut after = before;
        after.offered += 1;
        assert_eq!(Fate::of(&before, &after), Fate::Queued);
        after.random_drops += 1;
        assert_eq!(Fate::of(&before, &after), Fate::Lost);
        after.queue_drops += 1;
        assert_eq!(Fate::of(&before, &after), Fate::QueueDrop);
    }
}
