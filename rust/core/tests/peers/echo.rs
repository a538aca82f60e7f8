//! Long echoes through a third-party peer, once the handshake is done, so that our record layer
//! (sequence numbers, replay window, nonces, buffers) goes through many cycles against code we
//! did not write: [`long_echo`] for a peer that echoes datagrams itself (`gnutls-serv --echo`),
//! [`line_echo`] for one that relays between the network and its standard streams
//! (`openssl s_server`/`s_client`, `gnutls-cli`): the test plays the echo on the other end of the
//! pipe. Every packet carries its number and a fixed pattern, both checked on return.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use openssl_dtls_core::{Connection, Status, UdpServer, UdpTransport};

use super::{poll_until, Peer, Stream};

/// Packets in flight at once.
const WINDOW: u32 = 32;

/// Lines in flight at once in a [`line_echo`]: a peer reads all waiting lines from its standard
/// input in one go and sends them as one record, which must fit the path MTU (gnutls-cli's is
/// 1,200 bytes and it drops a larger record with EMSGSIZE): 16 lines of 52 bytes are 832.
const LINE_WINDOW: u32 = 16;

/// A packet still missing after this long without any progress was lost on loopback (rare).
const WRITE_OFF: Duration = Duration::from_millis(200);

/// What an echo has sent and got back so far.
struct Tally {
    count: u32,
    sent: u32,
    echoed: u32,
    lost: u32,
    /// The lowest number that may come back next.
    next_back: u32,
    last_progress: Instant,
    start: Instant,
}

impl Tally {
    fn new(count: u32) -> Tally {
        let now = Instant::now();
        Tally {
            count,
            sent: 0,
            echoed: 0,
            lost: 0,
            next_back: 0,
            last_progress: now,
            start: now,
        }
    }

    /// True when another packet may be sent now.
    fn may_send(&self, window: u32) -> bool {
        self.sent.saturating_sub(self.echoed + self.lost) < window && self.sent < self.count
    }

    /// Packet `n` is back: it must be one we sent, not seen before, in order.
    fn back(&mut self, n: u32, now: Instant) {
        assert!(
            n >= self.next_back && n < self.sent,
            "packet {n} is not one we sent, or came back twice or out of order (next {}, {} sent)",
            self.next_back,
            self.sent
        );
        self.next_back = n + 1;
        self.echoed += 1;
        self.last_progress = now;
    }

    /// Writes off what is in flight after [`WRITE_OFF`] without progress; true when every packet
    /// came back or was written off.
    fn done(&mut self, now: Instant) -> bool {
        if self.sent > self.echoed + self.lost && now.duration_since(self.last_progress) > WRITE_OFF
        {
            self.lost = self.sent - self.echoed;
            self.last_progress = now;
        }
        self.echoed + self.lost >= self.count
    }

    fn report(&self, what: &str) {
        eprintln!(
            "{what}: {} of {} packets back in {:?} ({} lost on loopback)",
            self.echoed,
            self.count,
            self.start.elapsed(),
            self.lost
        );
        assert!(self.lost <= self.count / 100, "{} packets lost", self.lost);
    }
}

/// Sends `count` numbered 64-byte packets, [`WINDOW`] in flight, to a peer that echoes
/// datagrams, and checks every one that comes back is one we sent, whole, in order. Almost none
/// may be lost, and the session must still be connected at the end.
pub fn long_echo(client: &mut Connection<UdpTransport>, peer: &mut Peer, count: u32) {
    let mut tally = Tally::new(count);
    poll_until(peer, "the long echo", |now, _| {
        while tally.may_send(WINDOW) {
            let mut packet = [0x5au8; 64];
            packet[..4].copy_from_slice(&tally.sent.to_be_bytes());
            client.send(&packet).unwrap();
            tally.sent += 1;
        }
        client.poll(now).unwrap();
        while let Some(echo) = client.session_mut().recv() {
            assert_eq!(echo.len(), 64);
            assert!(
                echo[4..].iter().all(|b| *b == 0x5a),
                "a packet we never sent"
            );
            tally.back(
                u32::from_be_bytes([echo[0], echo[1], echo[2], echo[3]]),
                now,
            );
        }
        tally.done(now)
    });
    tally.report("long echo");
    assert_eq!(client.session().status(), Status::Connected);
}

/// Our end of a [`line_echo`]: a client connection or one session of our server.
pub trait OurEnd {
    fn poll(&mut self, now: Instant);
    fn send(&mut self, packet: &[u8]);
    fn recv(&mut self) -> Option<Vec<u8>>;
    fn status(&mut self) -> Status;
}

impl OurEnd for Connection<UdpTransport> {
    fn poll(&mut self, now: Instant) {
        Connection::poll(self, now).unwrap();
    }
    fn send(&mut self, packet: &[u8]) {
        Connection::send(self, packet).unwrap();
    }
    fn recv(&mut self) -> Option<Vec<u8>> {
        self.session_mut().recv()
    }
    fn status(&mut self) -> Status {
        self.session().status()
    }
}

/// The session of `client` on `server`.
pub struct ServerEnd<'a> {
    pub server: &'a mut UdpServer,
    pub client: SocketAddr,
}

impl OurEnd for ServerEnd<'_> {
    fn poll(&mut self, now: Instant) {
        self.server.poll(now).unwrap();
    }
    fn send(&mut self, packet: &[u8]) {
        self.server.send_to(self.client, packet).unwrap();
    }
    fn recv(&mut self) -> Option<Vec<u8>> {
        self.server.session_mut(&self.client).unwrap().recv()
    }
    fn status(&mut self) -> Status {
        self.server.session_mut(&self.client).unwrap().status()
    }
}

/// Who starts each packet of a [`line_echo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// We send it; the peer prints it, the test writes it back to its standard input, the peer
    /// sends it back (our client against `s_server`).
    Ours,
    /// The test writes it to the peer's standard input, the peer sends it, we send it back, the
    /// peer prints it (`s_client`, `gnutls-cli` against our server).
    Peer,
}

/// What follows the number on every line: digits first, so no line is one of the one-letter
/// commands `s_server`/`s_client` read on standard input.
const PATTERN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";

fn echo_line(n: u32) -> String {
    format!("{n:08} {PATTERN}")
}

/// The number of a line made by [`echo_line`], `None` for anything else.
fn line_number(line: &str) -> Option<u32> {
    let (number, rest) = line.split_once(' ')?;
    if rest != PATTERN || number.len() != 8 {
        return None;
    }
    number.parse().ok()
}

/// The number of a line back at its origin, which must be one we made.
fn number_back(line: &str) -> u32 {
    line_number(line).unwrap_or_else(|| panic!("a line we never sent: {line:?}"))
}

/// Runs `count` numbered lines through the peer and back, [`WINDOW`] in flight, the test
/// relaying on the peer's standard streams (see [`Origin`]). A peer may put several lines in
/// one record, so records are cut into lines; every line is checked where it passes through us
/// and when it is back at its origin. Almost none may be lost; our end must still be connected.
pub fn line_echo(ours: &mut impl OurEnd, peer: &mut Peer, count: u32, origin: Origin) {
    let mut tally = Tally::new(count);
    let mut read_upto = peer.log.len();
    let mut partial: Vec<u8> = Vec::new();
    let mut records = 0u32;
    poll_until(peer, "the long line echo", |now, peer| {
        while tally.may_send(LINE_WINDOW) {
            let line = echo_line(tally.sent);
            match origin {
                Origin::Ours => ours.send(format!("{line}\n").as_bytes()),
                Origin::Peer => peer.write_line(&line),
            }
            tally.sent += 1;
        }
        ours.poll(now);
        while let Some(record) = ours.recv() {
            records += 1;
            if origin == Origin::Peer {
                ours.send(&record);
            }
            partial.extend_from_slice(&record);
            while let Some(end) = partial.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = partial.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line[..end]).into_owned();
                match origin {
                    Origin::Ours => tally.back(number_back(&line), now),
                    Origin::Peer => assert!(line_number(&line).is_some(), "{line:?}"),
                }
            }
        }
        // The peer prints what it received; other lines are its own messages.
        let printed: Vec<String> = peer.log[read_upto..]
            .iter()
            .filter(|(stream, line)| *stream == Stream::Stdout && line_number(line).is_some())
            .map(|(_, line)| line.clone())
            .collect();
        read_upto = peer.log.len();
        for line in printed {
            match origin {
                Origin::Ours => peer.write_line(&line),
                Origin::Peer => tally.back(number_back(&line), now),
            }
        }
        tally.done(now)
    });
    tally.report("line echo");
    eprintln!("({records} records reached us)");
    assert_eq!(ours.status(), Status::Connected);
}
