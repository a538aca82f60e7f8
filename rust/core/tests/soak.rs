//! Loss soak: 200 seeded handshakes and data exchanges over the impaired in-memory link (loss
//! 0-40 %, reordering by holding datagrams back 1-3 steps, which is the link's delay jitter, and
//! duplication). Every handshake completes or fails cleanly with `Status::Error` by its
//! handshake timeout (never before it; how late a loaded machine notices it is not timed, only a
//! hang fails); application packets arrive at most once, intact, and never after the
//! receiver closed. Runs in parallel threads: each run mostly waits for its sessions' timers.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::{Session, Settings, Status};

const RUNS: u64 = 200;
const THREADS: usize = 25;
const MAX_LOSS_PERCENT: u64 = 40;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long past both handshake deadlines a run may go before it counts as a hang. Only a hang
/// detector: how late the pump notices a deadline depends on the machine (25 threads share its
/// cores), so lateness itself is not checked; a handshake timeout that fires early is.
const HANG: Duration = Duration::from_secs(10);
const PACKETS_EACH_WAY: u32 = 64;

fn settings() -> Settings {
    Settings {
        initial_retransmit: Duration::from_millis(100),
        handshake_timeout: HANDSHAKE_TIMEOUT,
        ..Settings::default()
    }
}

/// Packet `seq` from side `from`: the sequence number, the side, then bytes derived from both,
/// 5..=300 bytes in all.
fn packet(from: u8, seq: u32) -> Vec<u8> {
    let mut rng = Rng::new(u64::from(seq) << 8 | u64::from(from));
    let len = 5 + rng.below(296);
    let mut p = seq.to_be_bytes().to_vec();
    p.push(from);
    p.extend(rng.bytes(len - 5));
    p
}

/// Checks a received packet is intact and from `from`; returns its sequence number.
fn check_packet(from: u8, p: &[u8]) -> Result<u32, String> {
    if p.len() < 5 {
        return Err(format!("short packet of {} bytes", p.len()));
    }
    let seq = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
    if seq >= PACKETS_EACH_WAY || p[4] != from || p != packet(from, seq).as_slice() {
        return Err(format!("corrupted packet {seq} ({} bytes)", p.len()));
    }
    Ok(seq)
}

#[derive(Debug, Default)]
struct Outcome {
    connected: bool,
    failure: Option<String>,
    sent: u64,
    delivered: u64,
    duplicates: u64,
    after_close: u64,
    retransmissions: u64,
    elapsed: Duration,
}

/// Takes every packet waiting in `session`, counting new and repeated sequence numbers.
fn take(
    session: &mut Session,
    from: u8,
    seen: &mut HashSet<u32>,
    out: &mut Outcome,
) -> Result<(), String> {
    for p in drain_packets(session) {
        if seen.insert(check_packet(from, &p)?) {
            out.delivered += 1;
        } else {
            out.duplicates += 1;
        }
    }
    Ok(())
}

fn run(seed: u64, loss: f64) -> Result<Outcome, String> {
    let started = Instant::now();
    let impairment = Impairment {
        loss,
        reorder: 0.2,
        duplicate: 0.1,
    };
    let mut pair = Pair::ecdsa(settings()).with_impairment(impairment, seed);
    let mut out = Outcome::default();
    let mut client_ended: Option<Instant> = None;
    // Until both handshakes are over (connected or failed): each side fails by its own deadline,
    // the server's starting when its session was made, so allow twice the timeout.
    let settled = pair.run_until(2 * HANDSHAKE_TIMEOUT + HANG, |p| {
        if client_ended.is_none() && p.client.status() != Status::Handshaking {
            client_ended = Some(Instant::now());
        }
        p.client.status() != Status::Handshaking && p.server_status() != Some(Status::Handshaking)
    });
    if !settled {
        return Err(format!(
            "hang: client {:?}, server {:?} after {:?}",
            pair.client.status(),
            pair.server_status(),
            started.elapsed()
        ));
    }
    // A client that failed by its handshake timeout did so at its deadline or after (`started`
    // was taken before the client was made, so its deadline is later still): never early.
    let client_took = client_ended.expect("client ended") - started;
    let timed_out = pair
        .client
        .failure()
        .is_some_and(|f| f.contains("did not finish within"));
    if timed_out && client_took < HANDSHAKE_TIMEOUT {
        return Err(format!(
            "client handshake timed out after {client_took:?}, before {HANDSHAKE_TIMEOUT:?}"
        ));
    }
    for (side, status, failure) in [
        ("client", Some(pair.client.status()), pair.client.failure()),
        (
            "server",
            pair.server_status(),
            pair.server_session.as_ref().and_then(Session::failure),
        ),
    ] {
        match status {
            None | Some(Status::Connected) => {}
            Some(Status::Error) if failure.is_some() => {
                out.failure
                    .get_or_insert_with(|| failure.unwrap().to_string());
            }
            other => return Err(format!("{side} ended as {other:?} ({failure:?})")),
        }
    }
    out.retransmissions = pair.client.stats().retransmissions
        + pair
            .server_session
            .as_ref()
            .map_or(0, |s| s.stats().retransmissions);
    if !pair.both_connected() {
        if pair.client.status() == Status::Connected {
            return Err("client connected but the server did not".into());
        }
        out.elapsed = started.elapsed();
        return Ok(out);
    }
    out.connected = true;

    // Data both ways, interleaved with the link's steps.
    let (mut at_server, mut at_client) = (HashSet::new(), HashSet::new());
    for seq in 0..PACKETS_EACH_WAY {
        pair.client
            .send(&packet(0, seq))
            .map_err(|e| format!("{e}"))?;
        pair.server_session()
            .send(&packet(1, seq))
            .map_err(|e| format!("{e}"))?;
        out.sent += 2;
        pair.step();
        take(pair.server_session(), 0, &mut at_server, &mut out)?;
        take(&mut pair.client, 1, &mut at_client, &mut out)?;
    }
    pair.settle(Duration::from_secs(2));
    take(pair.server_session(), 0, &mut at_server, &mut out)?;
    take(&mut pair.client, 1, &mut at_client, &mut out)?;

    // The client closes; whatever the server still sends must not come out of it.
    pair.client.close();
    pair.settle(Duration::from_secs(2));
    for seq in 0..8 {
        match pair.server_session().send(&packet(1, seq)) {
            Ok(()) => {}
            // The close_notify arrived: the server session is disconnected.
            Err(_) if pair.server_status() == Some(Status::Disconnected) => break,
            Err(e) => return Err(format!("server send after the client closed: {e}")),
        }
    }
    pair.settle(Duration::from_secs(2));
    out.after_close = drain_packets(&mut pair.client).len() as u64;
    if pair.client.status() != Status::Disconnected {
        return Err(format!("closed client is {:?}", pair.client.status()));
    }
    out.elapsed = started.elapsed();
    Ok(out)
}

#[test]
fn two_hundred_seeded_runs_over_a_lossy_link() {
    let started = Instant::now();
    let next = AtomicU64::new(0);
    let results = Mutex::new(Vec::new());
    let loss_of = |seed: u64| (seed % (MAX_LOSS_PERCENT + 1)) as f64 / 100.0;
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= RUNS {
                    break;
                }
                let loss = loss_of(seed);
                let result = run(seed, loss);
                results.lock().unwrap().push((seed, loss, result));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    assert_eq!(results.len() as u64, RUNS);

    let errors: Vec<String> = results
        .iter()
        .filter_map(|(seed, loss, r)| {
            r.as_ref()
                .err()
                .map(|e| format!("seed {seed} loss {loss}: {e}"))
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{} runs went wrong:\n{}",
        errors.len(),
        errors.join("\n")
    );

    let outcomes: Vec<(f64, &Outcome)> = results
        .iter()
        .map(|(_, loss, r)| (*loss, r.as_ref().unwrap()))
        .collect();
    let connected = outcomes.iter().filter(|(_, o)| o.connected).count();
    let failed = outcomes.len() - connected;
    let sum = |f: fn(&Outcome) -> u64| outcomes.iter().map(|(_, o)| f(o)).sum::<u64>();
    let (sent, delivered) = (sum(|o| o.sent), sum(|o| o.delivered));
    let (duplicates, after_close) = (sum(|o| o.duplicates), sum(|o| o.after_close));
    let slowest = outcomes.iter().map(|(_, o)| o.elapsed).max().unwrap();
    let mut reasons: Vec<&str> = outcomes
        .iter()
        .filter_map(|(_, o)| o.failure.as_deref())
        .collect();
    reasons.sort_unstable();
    reasons.dedup();
    println!(
        "soak: {RUNS} runs, loss 0-{MAX_LOSS_PERCENT} % (reorder 20 %, duplicate 10 %), \
         handshake timeout {HANDSHAKE_TIMEOUT:?}: {connected} connected, {failed} failed cleanly \
         ({reasons:?}); {} retransmissions; packets sent {sent}, delivered {delivered}, \
         duplicates {duplicates}, after close {after_close}; slowest run {slowest:?}, \
         all in {:?}",
        sum(|o| o.retransmissions),
        started.elapsed()
    );
    for band in [(0.0, 0.10), (0.11, 0.20), (0.21, 0.30), (0.31, 0.40)] {
        let in_band: Vec<&Outcome> = outcomes
            .iter()
            .filter(|(l, _)| *l >= band.0 - 1e-9 && *l <= band.1 + 1e-9)
            .map(|(_, o)| *o)
            .collect();
        println!(
            "  loss {:.0}-{:.0} %: {} runs, {} connected",
            band.0 * 100.0,
            band.1 * 100.0,
            in_band.len(),
            in_band.iter().filter(|o| o.connected).count()
        );
    }
    assert_eq!(duplicates, 0, "a packet was delivered twice");
    assert_eq!(after_close, 0, "a packet was delivered after close");
    assert!(delivered > 0 && delivered <= sent);
    // Some loss rates must let the handshake through: at the low end it always should.
    assert!(
        connected >= RUNS as usize / 2,
        "only {connected} of {RUNS} handshakes completed"
    );
    let low_loss_failed = outcomes
        .iter()
        .filter(|(l, o)| *l <= 0.05 && !o.connected)
        .count();
    assert_eq!(
        low_loss_failed, 0,
        "a handshake failed with loss of 5 % or less"
    );
}
