//! The relay binary between two plain UDP sockets on 127.0.0.1: it starts and says where it
//! listens, carries datagrams both ways (each client to the server from a socket of its own), holds
//! them for the link's delay, sends them at the link's rate, drops what overflows the queue, and
//! reports its counts on `stats`; with `--trace`, a line per datagram.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

struct Emulator {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    addr: SocketAddr,
}

impl Emulator {
    fn start(server: SocketAddr, profile: &str) -> Emulator {
        Emulator::start_with(server, profile, &[])
    }

    fn start_with(server: SocketAddr, profile: &str, extra: &[&str]) -> Emulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_link-emulator"))
            .args([
                "--server",
                &server.to_string(),
                "--profile",
                profile,
                "--seed",
                "3",
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the emulator starts");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("first line");
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("not a listening line: {line:?}"));
        Emulator {
            child,
            stdin,
            stdout,
            addr,
        }
    }

    /// The counts, as (direction, key) -> value.
    fn stats(&mut self) -> Vec<(String, String, u64)> {
        let stdin = self.stdin.as_mut().expect("stdin");
        writeln!(stdin, "stats").expect("ask");
        stdin.flush().expect("flush");
        let mut out = Vec::new();
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).expect("answer") > 0,
                "no end line"
            );
            let line = line.trim();
            if line == "end" {
                return out;
            }
            let mut words = line.split_whitespace();
            let direction = words.next().expect("direction").to_string();
            for word in words {
                let (k, v) = word.split_once('=').expect("key=value");
                out.push((direction.clone(), k.to_string(), v.parse().expect("number")));
            }
        }
    }

    fn count(&mut self, direction: &str, key: &str) -> u64 {
        self.stats()
            .into_iter()
            .find(|(d, k, _)| d == direction && k == key)
            .map(|(_, _, v)| v)
            .unwrap_or_else(|| panic!("no {direction} {key}"))
    }

    /// Closes its standard input: it must exit by itself.
    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "{status}");
    }
}

fn socket() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s
}

#[test]
fn datagrams_go_both_ways_after_the_delay() {
    let server = socket();
    let mut emulator = Emulator::start(server.local_addr().unwrap(), "delay=30ms");
    let client = socket();
    let mut buf = [0u8; 100];
    let sent = Instant::now();
    client.send_to(b"hello", emulator.addr).unwrap();
    let (n, relay_side) = server.recv_from(&mut buf).expect("reaches the server");
    let one_way = sent.elapsed();
    assert_eq!(&buf[..n], b"hello");
    assert!(one_way >= Duration::from_millis(30), "{one_way:?}");
    assert!(one_way < Duration::from_millis(200), "{one_way:?}");
    server.send_to(b"back", relay_side).unwrap();
    let (n, from) = client.recv_from(&mut buf).expect("the answer comes back");
    assert_eq!((&buf[..n], from), (&b"back"[..], emulator.addr));
    // A second client gets a server-facing socket of its own.
    let other = socket();
    other.send_to(b"second", emulator.addr).unwrap();
    let (_, other_side) = server.recv_from(&mut buf).expect("reaches the server");
    assert_ne!(other_side, relay_side);
    assert_eq!(emulator.count("up", "delivered"), 2);
    assert_eq!(emulator.count("down", "delivered"), 1);
    emulator.finish();
}

#[test]
fn the_rate_spaces_datagrams_and_the_queue_drops_the_excess() {
    let server = socket();
    // 1 Mbit/s: a 1000-byte datagram (1028 on the link) every 8.2 ms; 10,000 bytes of queue hold 9.
    let mut emulator = Emulator::start(server.local_addr().unwrap(), "rate=1mbit,queue=10000");
    let client = socket();
    let payload = [7u8; 1000];
    for _ in 0..40 {
        client.send_to(&payload, emulator.addr).unwrap();
    }
    let mut buf = [0u8; 2000];
    let mut arrivals = Vec::new();
    server
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    while let Ok((n, _)) = server.recv_from(&mut buf) {
        assert_eq!(n, 1000);
        arrivals.push(Instant::now());
    }
    let drops = emulator.count("up", "queue_drops");
    assert_eq!(emulator.count("up", "offered"), 40);
    assert_eq!(
        arrivals.len() as u64 + drops,
        40,
        "each one delivered or dropped by the queue"
    );
    assert!(
        (8..=11).contains(&arrivals.len()),
        "the queue held {} datagrams",
        arrivals.len()
    );
    let span = arrivals[arrivals.len() - 1] - arrivals[0];
    let expected = Duration::from_secs_f64((arrivals.len() - 1) as f64 * 1028.0 * 8.0 / 1e6);
    assert!(
        span >= expected.mul_f64(0.9),
        "{span:?} for {expected:?} of serialisation"
    );
    assert_eq!(emulator.count("up", "rate_bps"), 1_000_000);
    emulator.finish();
}

#[test]
fn the_trace_has_a_line_per_datagram_with_the_queue_and_its_fate() {
    let server = socket();
    let path = std::env::temp_dir().join(format!("link-emulator-{}.trace", std::process::id()));
    let trace = path.to_str().expect("a UTF-8 temp path");
    // As above: 1 Mbit/s and 10,000 bytes of queue hold about 9 of 40 datagrams sent at once.
    let mut emulator = Emulator::start_with(
        server.local_addr().unwrap(),
        "rate=1mbit,queue=10000",
        &["--trace", trace],
    );
    let client = socket();
    let payload = [7u8; 1000];
    for _ in 0..40 {
        client.send_to(&payload, emulator.addr).unwrap();
    }
    let mut buf = [0u8; 2000];
    server
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut arrived = 0;
    while server.recv_from(&mut buf).is_ok() {
        arrived += 1;
    }
    let drops = emulator.count("up", "queue_drops");
    emulator.finish();
    let text = std::fs::read_to_string(&path).expect("the trace was written");
    std::fs::remove_file(&path).expect("remove the trace");
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), 40, "{text}");
    let mut last_ms = 0.0;
    let mut most_queued = 0;
    for words in &lines {
        let [ms, direction, bytes, queued, fate] = words[..] else {
            panic!("not five words: {words:?}");
        };
        let ms: f64 = ms.parse().expect("milliseconds");
        assert!(ms >= last_ms, "in time order");
        last_ms = ms;
        assert_eq!((direction, bytes), ("up", "1028"));
        let queued: usize = queued.parse().expect("bytes queued");
        assert!(
            queued <= 10_000,
            "never more than the queue holds: {queued}"
        );
        most_queued = most_queued.max(queued);
        assert!(["queued", "queue_drop"].contains(&fate), "{fate}");
    }
    let dropped = lines.iter().filter(|w| w[4] == "queue_drop").count() as u64;
    assert_eq!(dropped, drops, "the trace's drops are the counts'");
    assert_eq!(arrived as u64, 40 - dropped);
    assert!(most_queued >= 8 * 1028, "the queue filled: {most_queued}");
}
