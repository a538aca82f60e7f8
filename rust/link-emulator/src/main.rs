//! `link-emulator`: relays one client to a server, both on loopback, through an emulated link
//! (the core's `netsim` model): up is client to server, down is server to client.
//!
//! ```text
//! link-emulator --listen 127.0.0.1:PORT --server 127.0.0.1:PORT --profile SPEC [--seed N] [--stats FILE]
//! ```
//!
//! SPEC is a profile name (`lan`, `broadband`, `mobile`, `wifi-bad`, `10mbit`, `4mbit`, `none`)
//! and/or `key=value` overrides (`10mbit,loss=0`, `rate=2mbit,delay=30ms,queue=16000`; see
//! `Link::parse`). Port 0 in `--listen` lets the system pick: the first line printed is
//! `listening ADDRESS`. The counters of each direction go to the stats file as JSON every second
//! and when standard input closes, which also ends the relay.

mod args;
mod relay;
mod stats;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(why) => {
            eprintln!("link-emulator: {why}\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match relay::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("link-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
