//! The loss a session sees on what it receives, from the sequence numbers of the authentic
//! records the peer sent (each record of an epoch has the next number, RFC 6347 4.1): the
//! numbers skipped are records lost on the way. Counted in windows of [`WINDOW`] numbers, over
//! the last [`WINDOWS`] of them, so the figure follows the link without jumping at each record.

/// Sequence numbers per window.
const WINDOW: u64 = 128;
/// Windows the figure spans (the current one too, until the first is complete).
const WINDOWS: usize = 8;

/// Records received against records the sequence numbers say were sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct LossMeter {
    /// The highest sequence number seen, if any.
    top: Option<u64>,
    /// First sequence number of the current window.
    base: u64,
    /// Records of the current window received.
    got: u64,
    /// Complete windows, newest last: (received, sent).
    done: Vec<(u64, u64)>,
}

impl LossMeter {
    /// An authentic record with sequence number `seq` arrived (each number once: replays never
    /// authenticate).
    pub(crate) fn record(&mut self, seq: u64) {
        let top = match self.top {
            None => {
                self.base = seq;
                seq
            }
            Some(top) => top.max(seq),
        };
        self.top = Some(top);
        if seq < self.base {
            return; // late, from a window already counted
        }
        self.got += 1;
        let sent = top - self.base + 1;
        if sent >= WINDOW {
            if self.done.len() == WINDOWS {
                self.done.remove(0);
            }
            self.done.push((self.got.min(sent), sent));
            self.base = top + 1;
            self.got = 0;
        }
    }

    /// The fraction of the peer's records lost on the way (0.0 to 1.0) over the last windows;
    /// `None` before any record arrived.
    pub(crate) fn loss(&self) -> Option<f64> {
        let top = self.top?;
        let (mut got, mut sent) = self
            .done
            .iter()
            .fold((0, 0), |(g, s), &(wg, ws)| (g + wg, s + ws));
        if self.done.is_empty() {
            got += self.got;
            sent += top - self.base + 1;
        }
        if sent == 0 {
            return Some(0.0);
        }
        Some(1.0 - got.min(sent) as f64 / sent as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_lost_is_zero() {
        let mut m = LossMeter::default();
        assert_eq!(m.loss(), None);
        for seq in 5..1000 {
            m.record(seq);
        }
        assert_eq!(m.loss(), Some(0.0));
    }

    #[test]
    fn every_fourth_record_lost_is_a_quarter() {
        let mut m = LossMeter::default();
        for seq in (0..4000u64).filter(|s| s % 4 != 3) {
            m.record(seq);
        }
        let loss = m.loss().unwrap_or(-1.0);
        assert!((loss - 0.25).abs() < 0.01, "{loss}");
    }

    #[test]
    fn the_figure_follows_the_recent_windows() {
        let mut m = LossMeter::default();
        for seq in (0..2000u64).filter(|s| s % 2 == 0) {
            m.record(seq);
        }
        for seq in 2000..(2000 + WINDOW * (WINDOWS as u64 + 1)) {
            m.record(seq);
        }
        assert!(m.loss().unwrap_or(1.0) < 0.02, "{:?}", m.loss());
    }

    #[test]
    fn reordered_records_count_once_as_received() {
        let mut m = LossMeter::default();
        for pair in (0..1000u64).step_by(2) {
            m.record(pair + 1);
            m.record(pair);
        }
        assert!(m.loss().unwrap_or(1.0) < 0.01, "{:?}", m.loss());
    }
}
