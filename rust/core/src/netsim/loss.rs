//! Which datagrams a link loses: independent random loss plus the Gilbert-Elliott two-state model
//! for bursts (a good and a bad state, each with its own loss, and a chance per datagram to switch).

use super::rng::Rng;

/// Gilbert-Elliott bursty loss. In the bad state a datagram is lost with `loss_bad`, in the good
/// state with `loss_good`; before each datagram the state moves good to bad with `p_good_bad` and
/// bad to good with `p_bad_good`. A bad spell lasts 1 / `p_bad_good` datagrams on average, and the
/// link is bad `p_good_bad / (p_good_bad + p_bad_good)` of the time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GilbertElliott {
    pub p_good_bad: f64,
    pub p_bad_good: f64,
    pub loss_good: f64,
    pub loss_bad: f64,
}

impl GilbertElliott {
    /// Bursts losing every datagram while bad, `mean_burst` datagrams long on average, making up
    /// `loss` (0 to 1) of the datagrams overall.
    pub fn bursts(loss: f64, mean_burst: f64) -> GilbertElliott {
        let p_bad_good = 1.0 / mean_burst.max(1.0);
        let loss = loss.clamp(0.0, 0.999);
        GilbertElliott {
            p_good_bad: loss * p_bad_good / (1.0 - loss),
            p_bad_good,
            loss_good: 0.0,
            loss_bad: 1.0,
        }
    }

    /// The share of datagrams lost in the long run.
    pub fn mean_loss(&self) -> f64 {
        let total = self.p_good_bad + self.p_bad_good;
        if total <= 0.0 {
            return self.loss_good;
        }
        let bad = self.p_good_bad / total;
        bad * self.loss_bad + (1.0 - bad) * self.loss_good
    }
}

/// The loss rules of one direction and the Gilbert-Elliott state.
#[derive(Debug, Clone)]
pub struct LossState {
    random: f64,
    bursty: Option<GilbertElliott>,
    bad: bool,
}

impl LossState {
    /// `random`: the chance (0 to 1) each datagram is lost on its own; `bursty`: the burst model.
    pub fn new(random: f64, bursty: Option<GilbertElliott>) -> LossState {
        LossState {
            random,
            bursty,
            bad: false,
        }
    }

    /// Whether the next datagram is lost.
    pub fn lose(&mut self, rng: &mut Rng) -> bool {
        let mut lost = false;
        if let Some(ge) = self.bursty {
            let switch = if self.bad {
                ge.p_bad_good
            } else {
                ge.p_good_bad
            };
            if rng.chance(switch) {
                self.bad = !self.bad;
            }
            lost = rng.chance(if self.bad { ge.loss_bad } else { ge.loss_good });
        }
        rng.chance(self.random) || lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The losses of `n` datagrams, in order.
    fn run(mut loss: LossState, seed: u64, n: usize) -> Vec<bool> {
        let mut rng = Rng::new(seed);
        (0..n).map(|_| loss.lose(&mut rng)).collect()
    }

    /// The mean length of the runs of consecutive losses.
    fn mean_burst(losses: &[bool]) -> f64 {
        let mut runs = 0usize;
        let mut lost = 0usize;
        for (i, &l) in losses.iter().enumerate() {
            if l {
                lost += 1;
                if i == 0 || !losses[i - 1] {
                    runs += 1;
                }
            }
        }
        lost as f64 / runs.max(1) as f64
    }

    #[test]
    fn random_loss_rate_within_tolerance_and_isolated() {
        let losses = run(LossState::new(0.02, None), 3, 200_000);
        let rate = losses.iter().filter(|&&l| l).count() as f64 / losses.len() as f64;
        assert!((rate - 0.02).abs() < 0.002, "{rate}");
        // Independent losses: runs average 1 / (1 - p) long.
        assert!(mean_burst(&losses) < 1.05, "{}", mean_burst(&losses));
    }

    #[test]
    fn gilbert_elliott_gives_bursts_of_the_set_length_and_rate() {
        let ge = GilbertElliott::bursts(0.05, 4.0);
        assert!((ge.mean_loss() - 0.05).abs() < 1e-9);
        let losses = run(LossState::new(0.0, Some(ge)), 5, 400_000);
        let rate = losses.iter().filter(|&&l| l).count() as f64 / losses.len() as f64;
        assert!((rate - 0.05).abs() < 0.005, "{rate}");
        let burst = mean_burst(&losses);
        assert!((3.6..4.4).contains(&burst), "mean burst {burst}");
    }

    #[test]
    fn no_rule_loses_nothing() {
        assert!(!run(LossState::new(0.0, None), 1, 10_000).contains(&true));
    }
}
