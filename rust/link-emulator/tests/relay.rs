//! The link emulator as a process between two plain UDP sockets on 127.0.0.1: the bottleneck's
//! rate spaces what it delivers, its queue drops what does not fit, the delay holds datagrams both
//! ways, random loss drops the share set (the same datagrams for the same seed), and the stats
//! file counts it all.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The emulator running, with its stdin (closing it ends the relay) and its stats file.
struct Emulator {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
    stats: PathBuf,
}

impl Emulator {
    fn start(server: SocketAddr, profile: &str, seed: u64, name: &str) -> Emulator {
        let stats =
            std::env::temp_dir().join(format!("link-emulator-{}-{name}.json", std::process::id()));
        let _ = std::fs::remove_file(&stats);
        let mut child = Command::new(env!("CARGO_BIN_EXE_link-emulator"))
            .args(["--listen", "127.0.0.1:0", "--server", &server.to_string()])
            .args(["--profile", profile, "--seed", &seed.to_string()])
            .arg("--stats")
            .arg(&stats)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start link-emulator");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the listening line");
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let stdin = child.stdin.take();
        Emulator {
            child,
            stdin,
            addr,
            stats,
        }
    }

    /// Closes stdin, waits for the relay to end, returns its stats file.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "{status}");
        let text = std::fs::read_to_string(&self.stats).expect("stats file");
        let _ = std::fs::remove_file(&self.stats);
        text
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // A failed test must not leave the relay running.
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The counter `name` of direction `dir` ("up" or "down") in the stats JSON.
fn counter(json: &str, dir: &str, name: &str) -> u64 {
    let section = json
        .split_once(&format!("\"{dir}\": {{"))
        .map(|(_, rest)| rest.split('}').next().unwrap_or(""))
        .unwrap_or_else(|| panic!("no {dir} in {json}"));
    section
        .split(',')
        .find_map(|kv| {
            let (k, v) = kv.split_once(':')?;
            (k.trim().trim_matches('"') == name).then(|| v.trim().parse().ok())?
        })
        .unwrap_or_else(|| panic!("no {dir}.{name} in {json}"))
}

fn socket() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s
}

#[test]
fn the_rate_spaces_datagrams_the_queue_drops_the_rest_and_delay_holds_both_ways() {
    let server = socket();
    let client = socket();
    // 1 Mbit/s: a 1,000-byte datagram takes 8 ms; the queue holds 20 of them.
    let relay = Emulator::start(
        server.local_addr().expect("addr"),
        "rate=1mbit,queue=20000,delay=10ms",
        1,
        "rate",
    );
    let sent = Instant::now();
    for i in 0..60u8 {
        client.send_to(&[i; 1000], relay.addr).expect("send");
    }
    let mut buf = [0u8; 2000];
    let mut arrivals = Vec::new();
    let mut relay_back = None;
    while arrivals.len() < 20 {
        let (n, from) = server.recv_from(&mut buf).expect("20 datagrams");
        assert_eq!(n, 1000);
        assert_eq!(buf[0] as usize, arrivals.len(), "in order, the first 20");
        arrivals.push(Instant::now());
        relay_back = Some(from);
    }
    // The first after 8 ms of sending and 10 ms of delay; then one every 8 ms.
    let first = arrivals[0] - sent;
    assert!(first >= Duration::from_millis(18), "first after {first:?}");
    let spread = arrivals[19] - arrivals[0];
    assert!(
        spread >= Duration::from_millis(19 * 8 * 9 / 10) && spread < Duration::from_millis(600),
        "20 datagrams over {spread:?}, 152 ms expected"
    );
    // Down: the server's answer reaches the client 10 ms and 8 ms later.
    let answered = Instant::now();
    server
        .send_to(&[7; 1000], relay_back.expect("the relay's address"))
        .expect("answer");
    let (n, from) = client.recv_from(&mut buf).expect("the answer");
    assert!(
        answered.elapsed() >= Duration::from_millis(18),
        "{:?}",
        answered.elapsed()
    );
    assert_eq!((n, buf[0], from), (1000, 7, relay.addr));
    let stats = relay.finish();
    assert_eq!(counter(&stats, "up", "offered"), 60, "{stats}");
    assert_eq!(counter(&stats, "up", "queue_drops"), 40, "{stats}");
    assert_eq!(counter(&stats, "up", "delivered"), 20, "{stats}");
    assert_eq!(counter(&stats, "up", "delivered_bytes"), 20_000, "{stats}");
    assert_eq!(counter(&stats, "down", "offered"), 1, "{stats}");
    assert_eq!(counter(&stats, "down", "delivered"), 1, "{stats}");
    assert_eq!(counter(&stats, "down", "random_drops"), 0, "{stats}");
}

/// What a server receives of 400 datagrams sent through `loss=30` with `seed` (the numbers they
/// carry), and the stats. They go in batches of 100 (400 at once could overflow the relay's
/// socket buffer: loss that is not the model's), each followed by markers until one arrives: the
/// relay keeps order, so by then it has passed on or dropped the whole batch.
fn through_loss(seed: u64) -> (Vec<u16>, String) {
    let server = socket();
    let client = socket();
    let relay = Emulator::start(server.local_addr().expect("addr"), "loss=30", seed, "loss");
    server
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    let (mut got, mut markers, mut buf) = (Vec::new(), 0, [0u8; 64]);
    for batch in 0..4u16 {
        for i in batch * 100..batch * 100 + 100 {
            client.send_to(&i.to_le_bytes(), relay.addr).expect("send");
        }
        'marker: loop {
            client.send_to(b"end", relay.addr).expect("marker");
            markers += 1;
            assert!(markers < 50, "no marker came through");
            loop {
                match server.recv_from(&mut buf) {
                    Ok((2, _)) => got.push(u16::from_le_bytes([buf[0], buf[1]])),
                    Ok((n, _)) => {
                        assert_eq!(&buf[..n], b"end");
                        break 'marker;
                    }
                    // No marker within a second: it was dropped; another.
                    Err(_) => break,
                }
            }
        }
    }
    let stats = relay.finish();
    assert_eq!(counter(&stats, "up", "offered"), 400 + markers, "{stats}");
    assert_eq!(
        counter(&stats, "up", "delivered"),
        got.len() as u64 + 4,
        "{stats}"
    );
    (got, stats)
}

#[test]
fn random_loss_drops_the_share_set_and_the_seed_fixes_which() {
    let (a, stats) = through_loss(5);
    let offered = counter(&stats, "up", "offered");
    let dropped = counter(&stats, "up", "random_drops");
    assert_eq!(
        dropped + counter(&stats, "up", "delivered"),
        offered,
        "{stats}"
    );
    let dropped = 400 - a.len();
    assert!(
        (90..150).contains(&dropped),
        "{dropped} of 400 dropped, 120 expected"
    );
    assert!(a.windows(2).all(|w| w[0] < w[1]), "in order");
    let (b, _) = through_loss(5);
    assert_eq!(a, b, "the same seed drops the same datagrams");
    let (c, _) = through_loss(6);
    assert_ne!(a, c);
}
