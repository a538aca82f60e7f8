//! `link-emulator`: a UDP relay between clients and one server that applies a link's rules each way
//! (rust/core/src/netsim: rate, delay, jitter, drop-tail queue, random and bursty loss, reordering,
//! duplication), for the multiplayer benchmark (bench/godot/project/mp_links.gd) and tests.
//!
//! ```text
//! link-emulator --server 127.0.0.1:PORT [--listen 127.0.0.1:0] [--profile SPEC] [--seed N]
//!               [--trace FILE]
//! ```
//! SPEC is a profile name and/or `key=value` overrides (`mobile`, `10mbit,loss=0`, see
//! `Link::parse`). It prints `listening ADDRESS` once it listens; on standard input, the line
//! `stats` makes it print one line of counts per direction (`up` client to server, `down` back:
//! `offered=N queue_drops=N random_drops=N delivered=N rate_bps=N ...`) and `end`; it exits when its
//! standard input closes. `--trace FILE` writes a line per datagram offered to the link (its time,
//! direction, size, the queue after it and its fate: `trace.rs`). Loopback (or other local) addresses only: it is a test tool.

mod args;
mod relay;
mod trace;

use std::io::{BufRead, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("link-emulator: {e}\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let relay = match relay::Relay::start(&args) {
        Ok(relay) => relay,
        Err(e) => {
            eprintln!("link-emulator: {e}");
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "listening {}", relay.local_addr()).is_err() || out.flush().is_err() {
        return ExitCode::from(1);
    }
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "stats" {
            let report = relay.stats();
            if writeln!(out, "{report}end").is_err() || out.flush().is_err() {
                break;
            }
        }
    }
    relay.stop();
    ExitCode::SUCCESS
}
