//! The command line of `link-emulator`.

use std::net::SocketAddr;
use std::path::PathBuf;

use openssl_dtls_core::netsim::{Link, PROFILES};

pub const USAGE: &str = "usage: link-emulator --server ADDRESS:PORT [--listen ADDRESS:PORT] \
    [--profile NAME[,key=value...]] [--seed N] [--trace FILE]";

/// What to relay, and how.
#[derive(Debug, Clone)]
pub struct Args {
    pub listen: SocketAddr,
    pub server: SocketAddr,
    pub link: Link,
    pub seed: u64,
    /// Where to write a line per datagram offered to the link (`trace.rs`).
    pub trace: Option<PathBuf>,
}

impl Args {
    pub fn parse(mut words: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut listen: SocketAddr = ([127, 0, 0, 1], 0).into();
        let mut server = None;
        let mut link = Link::default();
        let mut seed = 1;
        let mut trace = None;
        while let Some(flag) = words.next() {
            let mut value = || words.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--listen" => listen = address(&value()?)?,
                "--server" => server = Some(address(&value()?)?),
                "--profile" => link = Link::parse(&value()?)?,
                "--seed" => {
                    let text = value()?;
                    seed = text
                        .parse()
                        .map_err(|_| format!("--seed {text}: not a number"))?;
                }
                "--trace" => trace = Some(PathBuf::from(value()?)),
                "--help" | "-h" => {
                    return Err(format!("profiles: {}", PROFILES.join(", ")));
                }
                other => return Err(format!("unknown argument {other}")),
            }
        }
        let server = server.ok_or("--server is required")?;
        Ok(Args {
            listen,
            server,
            link,
            seed,
            trace,
        })
    }
}

fn address(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("{text}: not an address:port"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> impl Iterator<Item = String> + '_ {
        line.split_whitespace().map(String::from)
    }

    #[test]
    fn arguments_parse_and_refuse_what_they_should() {
        let a = Args::parse(words("--server 127.0.0.1:9 --profile 10mbit --seed 7")).unwrap();
        assert_eq!(a.server.port(), 9);
        assert_eq!(a.listen.port(), 0);
        assert_eq!(a.seed, 7);
        assert_eq!(a.link.down.rate_bps, 10_000_000);
        assert_eq!(a.trace, None);
        let t = Args::parse(words("--server 127.0.0.1:9 --trace /tmp/x.trace")).unwrap();
        assert_eq!(t.trace, Some(PathBuf::from("/tmp/x.trace")));
        assert!(Args::parse(words("--server 127.0.0.1:9 --trace")).is_err());
        assert!(Args::parse(words("--profile lan")).is_err(), "no server");
        assert!(Args::parse(words("--server nowhere")).is_err());
        assert!(Args::parse(words("--server 127.0.0.1:9 --profile atlantis")).is_err());
        assert!(Args::parse(words("--server 127.0.0.1:9 --seed")).is_err());
        assert!(Args::parse(words("--server 127.0.0.1:9 --bogus 1")).is_err());
    }
}
