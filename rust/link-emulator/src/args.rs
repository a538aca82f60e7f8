//! The command line, checked: both addresses on loopback (the emulator relays nothing else), a
//! link description the model accepts.

use std::net::SocketAddr;
use std::path::PathBuf;

use openssl_dtls_core::netsim::{Link, PROFILES};

pub const USAGE: &str = "usage: link-emulator --listen 127.0.0.1:PORT --server 127.0.0.1:PORT \
--profile SPEC [--seed N] [--stats FILE]";

/// What the relay runs with.
#[derive(Debug)]
pub struct Args {
    pub listen: SocketAddr,
    pub server: SocketAddr,
    pub link: Link,
    pub seed: u64,
    pub stats: Option<PathBuf>,
}

impl Args {
    pub fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
        let (mut listen, mut server, mut link, mut seed, mut stats) = (None, None, None, 1, None);
        while let Some(flag) = argv.next() {
            if flag == "--help" || flag == "-h" {
                return Err(format!("profiles: {}", PROFILES.join(", ")));
            }
            let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--listen" => listen = Some(loopback(&flag, &value)?),
                "--server" => server = Some(loopback(&flag, &value)?),
                "--profile" => link = Some(Link::parse(&value)?),
                "--seed" => {
                    seed = value
                        .parse()
                        .map_err(|_| format!("--seed {value:?} is not a number"))?
                }
                "--stats" => stats = Some(PathBuf::from(value)),
                _ => return Err(format!("unknown argument {flag:?}")),
            }
        }
        Ok(Args {
            listen: listen.ok_or("--listen is required")?,
            server: server.ok_or("--server is required")?,
            link: link.ok_or("--profile is required")?,
            seed,
            stats,
        })
    }
}

fn loopback(flag: &str, value: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = value
        .parse()
        .map_err(|_| format!("{flag} {value:?} is not an IP address and port"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{flag} {addr}: only loopback addresses are relayed"
        ));
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        Args::parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn a_full_line_and_its_defaults() {
        let a = parse("--listen 127.0.0.1:0 --server 127.0.0.1:4433 --profile 10mbit,loss=0");
        let a = a.map_err(|e| e.to_string());
        assert!(matches!(&a, Ok(a) if a.seed == 1 && a.stats.is_none() && a.link.up.loss == 0.0));
        let b =
            parse("--listen [::1]:5 --server 127.0.0.1:1 --profile lan --seed 9 --stats /tmp/x");
        assert!(matches!(b, Ok(b) if b.seed == 9 && b.stats.is_some()));
    }

    #[test]
    fn bad_lines_say_why() {
        for (line, says) in [
            (
                "--listen 10.0.0.1:1 --server 127.0.0.1:1 --profile lan",
                "only loopback",
            ),
            (
                "--listen 127.0.0.1:1 --server 127.0.0.1:1",
                "--profile is required",
            ),
            (
                "--listen 127.0.0.1:1 --server 127.0.0.1:1 --profile moon",
                "unknown link profile",
            ),
            (
                "--listen 127.0.0.1:1 --server localhost:1 --profile lan",
                "not an IP address",
            ),
            (
                "--listen 127.0.0.1:1 --server 127.0.0.1:1 --profile lan --seed x",
                "not a number",
            ),
            ("--listen", "needs a value"),
            ("--colour red", "unknown argument"),
        ] {
            match parse(line) {
                Err(why) => assert!(why.contains(says), "{line}: {why}"),
                Ok(a) => panic!("{line} accepted: {a:?}"),
            }
        }
    }
}
