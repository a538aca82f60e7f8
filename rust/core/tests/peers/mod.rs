//! Running DTLS programs no one here wrote (OpenSSL's `s_server`/`s_client`, GnuTLS's
//! `gnutls-serv`/`gnutls-cli`) as peers of the core: a child process guard that kills the
//! program on every path, its output as lines read with a deadline, a temporary directory for
//! certificate files, free ports, a poll loop for our side, and the long echoes run through
//! each peer on our record layer (`echo.rs`).

#![allow(dead_code)]

mod echo;
pub use echo::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long any single wait on a peer may take.
pub const BUDGET: Duration = Duration::from_secs(15);

/// A directory under the system's temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            "openssl-dtls-core-{tag}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    /// Writes `contents` to `name` in the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write a temporary file");
        path
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A UDP port on 127.0.0.1 that was free a moment ago (bound, read, released). A peer that
/// then fails to bind it is started again on another one.
pub fn free_udp_port() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    socket.local_addr().expect("local address").port()
}

/// Checks that `program` can be run; panics with what to install when it cannot.
pub fn require_program(program: &str, package: &str) {
    match Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{program}` is not installed, so this interoperability test cannot run: install the \
             `{package}` package (e.g. `sudo apt-get install {package}`; `make test` installs it)"
        ),
        Err(e) => panic!("cannot run `{program}`: {e}"),
    }
}

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A running peer program. Dropping it kills the program and waits for it.
pub struct Peer {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<(Stream, String)>,
    /// Every line read so far.
    pub log: Vec<(Stream, String)>,
}

fn forward_lines(
    stream: impl Read + Send + 'static,
    tag: Stream,
    tx: mpsc::Sender<(Stream, String)>,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line)
                        .trim_end_matches(['\r', '\n'])
                        .to_string();
                    if tx.send((tag, text)).is_err() {
                        return;
                    }
                }
            }
        }
    });
}

impl Peer {
    /// Starts `program` with `args`, its three standard streams piped.
    pub fn spawn(name: &str, program: &str, args: &[String]) -> Peer {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        forward_lines(stdout, Stream::Stdout, tx.clone());
        forward_lines(stderr, Stream::Stderr, tx);
        let stdin = child.stdin.take();
        Peer {
            name: name.to_string(),
            child,
            stdin,
            lines,
            log: Vec::new(),
        }
    }

    /// Everything the program printed so far, for failure messages.
    pub fn transcript(&self) -> String {
        let lines: Vec<String> = self
            .log
            .iter()
            .map(|(stream, line)| match stream {
                Stream::Stdout => format!("[out] {line}"),
                Stream::Stderr => format!("[err] {line}"),
            })
            .collect();
        format!("--- {} output ---\n{}\n---", self.name, lines.join("\n"))
    }

    fn record(&mut self, stream: Stream, line: String) -> String {
        self.log.push((stream, line.clone()));
        line
    }

    /// True when the program printed a line for which `wanted` holds (of the lines read so far).
    pub fn saw(&self, wanted: impl Fn(&str) -> bool) -> bool {
        self.log.iter().any(|(_, line)| wanted(line))
    }

    /// Lines printed since the last call, without waiting.
    pub fn new_lines(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok((stream, line)) = self.lines.try_recv() {
            out.push(self.record(stream, line));
        }
        out
    }

    /// Waits until the program prints a line for which `wanted` holds; `None` if it does not
    /// before `deadline` or closes its output first.
    pub fn wait_for_line(
        &mut self,
        deadline: Instant,
        wanted: impl Fn(&str) -> bool,
    ) -> Option<String> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((stream, line)) => {
                    let line = self.record(stream, line);
                    if wanted(&line) {
                        return Some(line);
                    }
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return None
                }
            }
        }
    }

    /// Reads the rest of the program's output, until it closes both streams or `deadline`.
    pub fn read_to_end(&mut self, deadline: Instant) {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((stream, line)) => {
                    self.record(stream, line);
                }
                Err(_) => return,
            }
        }
    }

    /// Writes a line to the program's standard input.
    pub fn write_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|_| stdin.flush())
            .unwrap_or_else(|e| panic!("writing to {}: {e}", self.name));
    }

    /// Closes the program's standard input (end of file).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// True when the program has ended.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a server program on a free port and waits until it says it listens (a line for which
/// `ready` holds). `command` builds the arguments for a port. Tries a few ports, since another
/// process may take the one picked in between.
pub fn start_server(
    name: &str,
    program: &str,
    command: impl Fn(u16) -> Vec<String>,
    ready: impl Fn(&str) -> bool,
) -> (Peer, SocketAddr) {
    let mut failures = Vec::new();
    for _ in 0..5 {
        let port = free_udp_port();
        let mut peer = Peer::spawn(name, program, &command(port));
        if peer
            .wait_for_line(Instant::now() + BUDGET, &ready)
            .is_some()
        {
            return (peer, SocketAddr::from(([127, 0, 0, 1], port)));
        }
        failures.push(peer.transcript());
    }
    panic!("{name} did not start:\n{}", failures.join("\n"));
}

/// Runs `step` until it returns true, also collecting the peer's output; panics with the peer's
/// transcript when the budget runs out or the peer exits first.
pub fn poll_until(peer: &mut Peer, what: &str, mut step: impl FnMut(Instant, &mut Peer) -> bool) {
    let end = Instant::now() + BUDGET;
    loop {
        let now = Instant::now();
        peer.new_lines();
        if step(now, peer) {
            return;
        }
        if peer.has_exited() {
            // What it printed last may still be in the pipe: read to the end, then look again.
            peer.read_to_end(Instant::now() + BUDGET);
            if step(Instant::now(), peer) {
                return;
            }
            panic!(
                "{} exited while waiting for {what}\n{}",
                peer.name,
                peer.transcript()
            );
        }
        if now >= end {
            panic!("timed out waiting for {what}\n{}", peer.transcript());
        }
        std::thread::yield_now();
    }
}
