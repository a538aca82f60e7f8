//! The anti-replay window of RFC 6347 4.1.2.6: the highest sequence number authenticated so far
//! and a bitmap of the 64 before it. A record is checked before it is opened and marked only
//! once it authenticates, so forgeries never move the window.

/// Records this far behind the newest one are too old to tell from replays: dropped.
const WINDOW: u64 = 64;

#[derive(Debug, Default, Clone)]
pub(crate) struct ReplayWindow {
    /// The highest sequence number marked, if any.
    top: Option<u64>,
    /// Bit i set: `top - i` was marked (bit 0 is `top` itself).
    seen: u64,
}

impl ReplayWindow {
    /// True when `seq` was not marked and is not too old to tell.
    pub(crate) fn is_fresh(&self, seq: u64) -> bool {
        match self.top {
            None => true,
            Some(top) if seq > top => true,
            Some(top) => {
                let behind = top - seq;
                behind < WINDOW && self.seen & (1 << behind) == 0
            }
        }
    }

    /// Marks `seq` as received (after it authenticated).
    pub(crate) fn mark(&mut self, seq: u64) {
        match self.top {
            Some(top) if seq <= top => {
                let behind = top - seq;
                if behind < WINDOW {
                    self.seen |= 1 << behind;
                }
            }
            Some(top) => {
                let ahead = seq - top;
                self.seen = if ahead < WINDOW {
                    self.seen << ahead
                } else {
                    0
                } | 1;
                self.top = Some(seq);
            }
            None => {
                self.seen = 1;
                self.top = Some(seq);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sequence_number_is_accepted_once() {
        let mut w = ReplayWindow::default();
        assert!(w.is_fresh(0) && w.is_fresh(1 << 47));
        w.mark(5);
        assert!(!w.is_fresh(5));
        assert!(w.is_fresh(4) && w.is_fresh(6) && w.is_fresh(0));
        w.mark(3);
        assert!(!w.is_fresh(3) && w.is_fresh(4));
        w.mark(100);
        assert!(
            !w.is_fresh(100) && !w.is_fresh(5),
            "out of the window counts as seen"
        );
        assert!(w.is_fresh(99) && w.is_fresh(37));
        assert!(!w.is_fresh(36), "64 behind the newest is too old");
        w.mark(37);
        assert!(!w.is_fresh(37));
        w.mark(101);
        assert!(!w.is_fresh(100) && !w.is_fresh(101) && !w.is_fresh(37) && w.is_fresh(38));
        w.mark(1000);
        assert!(!w.is_fresh(101) && w.is_fresh(999) && !w.is_fresh(1000));
    }

    #[test]
    fn matches_a_set_of_everything_marked() {
        // Against a model: a record is fresh iff it is unmarked and within 64 of the newest.
        let mut w = ReplayWindow::default();
        let mut marked = std::collections::BTreeSet::new();
        let mut x: u64 = 12345;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let top = marked.iter().next_back().copied().unwrap_or(0);
            let seq = (top + (x >> 33) % 80).saturating_sub(70);
            let model = !marked.contains(&seq) && (marked.is_empty() || seq + 64 > top);
            assert_eq!(w.is_fresh(seq), model, "seq {seq} top {top}");
            if model {
                w.mark(seq);
                marked.insert(seq);
            }
        }
    }
}
