//! Named links (both directions' rules) and the one parser of a link's description: a profile name,
//! optionally followed by `key=value` overrides, for example `mobile,loss=5` or
//! `rate=10mbit,delay=20ms,queue=64000,loss=1`.

use std::time::Duration;

use super::direction::{Datagram, Direction, DirectionConfig};
use super::loss::GilbertElliott;

/// Both directions of a link: `up` from the client to the server, `down` back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Link {
    pub up: DirectionConfig,
    pub down: DirectionConfig,
}

/// The profiles' names, for help texts.
pub const PROFILES: &[&str] = &[
    "none",
    "lan",
    "broadband",
    "mobile",
    "wifi-bad",
    "10mbit",
    "4mbit",
];

const MBIT: u64 = 1_000_000;

fn ms(n: f64) -> Duration {
    Duration::from_secs_f64(n / 1000.0)
}

/// One direction at `mbit` Mbit/s, `delay_ms` one way, a queue of `queue_bytes` and `loss_pct`%.
fn direction(mbit: f64, delay_ms: f64, queue_bytes: usize, loss_pct: f64) -> DirectionConfig {
    DirectionConfig {
        rate_bps: (mbit * MBIT as f64) as u64,
        delay: ms(delay_ms),
        queue_bytes,
        loss: loss_pct / 100.0,
        ..Default::default()
    }
}

/// The bytes a queue holds for `queue_ms` of sending at `mbit`.
fn queue_for(mbit: f64, queue_ms: f64) -> usize {
    (mbit * MBIT as f64 / 8.0 * queue_ms / 1000.0) as usize
}

impl Link {
    /// The same rules both ways.
    pub fn symmetric(config: DirectionConfig) -> Link {
        Link {
            up: config.clone(),
            down: config,
        }
    }

    /// The two directions' models, `up` seeded with `seed` and `down` with another stream from it.
    pub fn directions<D: Datagram>(&self, seed: u64) -> (Direction<D>, Direction<D>) {
        (
            Direction::new(self.up.clone(), seed),
            Direction::new(self.down.clone(), !seed),
        )
    }

    /// A named profile (see [`PROFILES`]), or `None`.
    pub fn profile(name: &str) -> Option<Link> {
        let link = match name {
            "none" => Link::default(),
            // 1 Gbit/s, 0.5 ms, 1 MB of queue (8 ms).
            "lan" => Link::symmetric(direction(1000.0, 0.5, 1_000_000, 0.0)),
            // A home line: 20 Mbit/s down, 5 up, 15 ms one way, 100 ms of queue each way.
            "broadband" => Link {
                up: direction(5.0, 15.0, queue_for(5.0, 100.0), 0.0),
                down: direction(20.0, 15.0, queue_for(20.0, 100.0), 0.0),
            },
            // A mobile link: 8 Mbit/s down, 2 up, 30 ms ± 15 ms, 2% loss, 200 ms of queue.
            "mobile" => {
                let jittery = |mbit: f64| DirectionConfig {
                    jitter: ms(15.0),
                    ..direction(mbit, 30.0, queue_for(mbit, 200.0), 2.0)
                };
                Link {
                    up: jittery(2.0),
                    down: jittery(8.0),
                }
            }
            // Busy Wi-Fi: 5 Mbit/s, 10 ms, 5% of datagrams lost in bursts of 3 on average, 50 ms
            // of queue.
            "wifi-bad" => Link::symmetric(DirectionConfig {
                bursty: Some(GilbertElliott::bursts(0.05, 3.0)),
                ..direction(5.0, 10.0, queue_for(5.0, 50.0), 0.0)
            }),
            // The two links of issue 24's measurements.
            "10mbit" => Link::symmetric(direction(10.0, 20.0, 64_000, 1.0)),
            "4mbit" => Link::symmetric(direction(4.0, 40.0, 32_000, 2.0)),
            _ => return None,
        };
        Some(link)
    }

    /// A link from its description: a profile name and/or comma-separated `key=value` overrides,
    /// each applying to both directions, or to one with an `up.` or `down.` prefix. Keys: `rate`
    /// (bits/s, with `kbit`, `mbit` or `gbit`), `delay`, `jitter`, `reorder_delay` (`ms` or `us`,
    /// ms by default), `queue` (bytes, or `ms` of sending at the rate), `loss`, `reorder`,
    /// `duplicate` (percent), `burst` (`PERCENT/LENGTH`: bursty loss of that share in bursts of
    /// that mean length).
    pub fn parse(spec: &str) -> Result<Link, String> {
        let mut link = Link::default();
        for (i, part) in spec.split(',').map(str::trim).enumerate() {
            if part.is_empty() {
                continue;
            }
            let Some((key, value)) = part.split_once('=') else {
                if i == 0 {
                    link = Link::profile(part).ok_or_else(|| {
                        format!(
                            "unknown link profile '{part}' (known: {})",
                            PROFILES.join(", ")
                        )
                    })?;
                    continue;
                }
                return Err(format!("'{part}' is not key=value"));
            };
            let (key, value) = (key.trim(), value.trim());
            let (targets, key): (Vec<&mut DirectionConfig>, &str) =
                if let Some(k) = key.strip_prefix("up.") {
                    (vec![&mut link.up], k)
                } else if let Some(k) = key.strip_prefix("down.") {
                    (vec![&mut link.down], k)
                } else {
                    (vec![&mut link.up, &mut link.down], key)
                };
            for config in targets {
                set(config, key, value).map_err(|why| format!("{key}={value}: {why}"))?;
            }
        }
        Ok(link)
    }
}

fn set(config: &mut DirectionConfig, key: &str, value: &str) -> Result<(), String> {
    match key {
        "rate" => config.rate_bps = parse_rate(value)?,
        "delay" => config.delay = parse_duration(value)?,
        "jitter" => config.jitter = parse_duration(value)?,
        "reorder_delay" => config.reorder_delay = parse_duration(value)?,
        "queue" => {
            config.queue_bytes = if let Some(queue_ms) = value.strip_suffix("ms") {
                let queue_ms = parse_number(queue_ms)?;
                let bytes = config.rate_bps as f64 / 8.0 * queue_ms / 1000.0;
                if config.rate_bps == 0 {
                    return Err("a queue in ms needs a rate set before it".into());
                }
                (bytes as usize).max(1)
            } else {
                parse_number(value)? as usize
            }
        }
        "loss" => config.loss = parse_percent(value)?,
        "reorder" => config.reorder = parse_percent(value)?,
        "duplicate" => config.duplicate = parse_percent(value)?,
        "burst" => {
            let (share, length) = value
                .split_once('/')
                .ok_or("expected PERCENT/LENGTH, for example 5/3")?;
            let length = parse_number(length)?;
            if length < 1.0 {
                return Err("a burst is at least 1 datagram long".into());
            }
            let share = parse_percent(share)?;
            config.bursty = (share > 0.0).then(|| GilbertElliott::bursts(share, length));
        }
        _ => return Err("unknown key".into()),
    }
    Ok(())
}

fn parse_number(text: &str) -> Result<f64, String> {
    let n: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if !n.is_finite() || n < 0.0 {
        return Err(format!("'{text}' is negative or not finite"));
    }
    Ok(n)
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let n = parse_number(text.trim().trim_end_matches('%'))?;
    if n > 100.0 {
        return Err("a percentage is at most 100".into());
    }
    Ok(n / 100.0)
}

fn parse_rate(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let (number, unit) = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1.0)]
        .into_iter()
        .find_map(|(suffix, unit)| lower.strip_suffix(suffix).map(|n| (n, unit)))
        .unwrap_or((lower.as_str(), 1.0));
    Ok((parse_number(number)? * unit) as u64)
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        (text, 1e-3)
    };
    let seconds = parse_number(number)? * scale;
    if seconds > 3600.0 {
        return Err("more than an hour".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_parses_and_has_its_figures() {
        for name in PROFILES {
            assert_eq!(
                Link::parse(name),
                Ok(Link::profile(name).unwrap_or_default())
            );
            assert!(Link::profile(name).is_some(), "{name}");
        }
        let lan = Link::profile("lan").unwrap_or_default();
        assert_eq!(lan.up.rate_bps, 1_000_000_000);
        assert_eq!(lan.down.delay, Duration::from_micros(500));
        let broadband = Link::profile("broadband").unwrap_or_default();
        assert_eq!(
            (broadband.down.rate_bps, broadband.up.rate_bps),
            (20_000_000, 5_000_000)
        );
        assert_eq!(broadband.down.queue_bytes, 250_000);
        assert_eq!(broadband.up.queue_bytes, 62_500);
        assert_eq!(broadband.up.delay, Duration::from_millis(15));
        let (up, down): (Direction, Direction) = broadband.directions(1);
        assert_eq!(
            (up.config().rate_bps, down.config().rate_bps),
            (5_000_000, 20_000_000)
        );
        let mobile = Link::profile("mobile").unwrap_or_default();
        assert_eq!(
            (mobile.down.rate_bps, mobile.up.rate_bps),
            (8_000_000, 2_000_000)
        );
        assert_eq!(mobile.up.jitter, Duration::from_millis(15));
        assert!((mobile.down.loss - 0.02).abs() < 1e-12);
        let wifi = Link::profile("wifi-bad").unwrap_or_default();
        let ge = wifi.up.bursty.unwrap_or(GilbertElliott::bursts(0.0, 1.0));
        assert!((ge.mean_loss() - 0.05).abs() < 1e-9);
        let ten = Link::profile("10mbit").unwrap_or_default();
        assert_eq!((ten.up.rate_bps, ten.up.queue_bytes), (10_000_000, 64_000));
        assert_eq!(ten.down.delay, Duration::from_millis(20));
        let four = Link::profile("4mbit").unwrap_or_default();
        assert_eq!(
            (four.down.rate_bps, four.down.queue_bytes),
            (4_000_000, 32_000)
        );
        assert!((four.down.loss - 0.02).abs() < 1e-12);
        assert!(Link::profile("nope").is_none());
    }

    #[test]
    fn overrides_apply_to_both_or_one_direction() {
        let link = Link::parse("10mbit, loss=5, up.delay=100ms, down.rate=2.5mbit, queue=10ms")
            .unwrap_or_default();
        assert!((link.up.loss - 0.05).abs() < 1e-12 && (link.down.loss - 0.05).abs() < 1e-12);
        assert_eq!(link.up.delay, Duration::from_millis(100));
        assert_eq!(link.down.delay, Duration::from_millis(20));
        assert_eq!(link.down.rate_bps, 2_500_000);
        assert_eq!(link.up.queue_bytes, 12_500);
        assert_eq!(link.down.queue_bytes, 3_125);
        let custom = Link::parse("rate=1gbit,delay=0.5,jitter=200us,burst=5/3,duplicate=1%")
            .unwrap_or_default();
        assert_eq!(custom.up.rate_bps, 1_000_000_000);
        assert_eq!(custom.up.delay, Duration::from_micros(500));
        assert_eq!(custom.down.jitter, Duration::from_micros(200));
        assert!(custom.down.bursty.is_some());
        assert!((custom.up.duplicate - 0.01).abs() < 1e-12);
    }

    #[test]
    fn bad_descriptions_are_refused_in_words() {
        for (spec, says) in [
            ("moon", "unknown link profile 'moon'"),
            ("lan,loss=101", "at most 100"),
            ("lan,loss=-1", "negative"),
            ("lan,speed=3", "unknown key"),
            ("lan,delay=x", "not a number"),
            ("lan,lan", "not key=value"),
            ("queue=5ms", "needs a rate"),
            ("burst=5", "PERCENT/LENGTH"),
        ] {
            match Link::parse(spec) {
                Err(why) => assert!(why.contains(says), "{spec}: {why}"),
                Ok(link) => panic!("{spec} accepted: {link:?}"),
            }
        }
    }
}
