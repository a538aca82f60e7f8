//! Seeded mutation testing, always on (no fuzzer needed): genuine handshake and application
//! datagrams are bit-flipped, truncated, extended, spliced, and have their length, epoch and
//! type fields rewritten, then fed to sessions in every state and to `Server::accept`. Nothing
//! may panic; a handshaking session goes on or fails with a reason; a connected session drops
//! the garbage and still carries data both ways; a HelloVerifyRequest never outgrows its
//! ClientHello. `fuzz/` has the coverage-guided version of the same targets.

mod common;

use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::{Accept, Server, Session, Settings, Status};

/// Mutated inputs per state.
const INPUTS_PER_STATE: usize = 25_000;
/// Inputs fed to one session before a fresh one is made (handshake states) or a round trip
/// checks it (connected states).
const BATCH: usize = 50;

fn settings() -> Settings {
    Settings {
        initial_retransmit: Duration::from_millis(100),
        handshake_timeout: Duration::from_secs(10),
        ..Settings::default()
    }
}

/// A clean handshake with data both ways: what each side wrote (client, server).
fn genuine_traffic(seed: u64) -> (Vec<Vec<u8>>, Vec<Vec<u8>>, Pair) {
    let mut pair = Pair::ecdsa(settings()).with_impairment(Impairment::default(), seed);
    pair.connect();
    for i in 0..4u8 {
        pair.client.send(&[i; 100]).unwrap();
        pair.server_session().send(&[i; 30]).unwrap();
    }
    pair.settle(Duration::from_secs(2));
    drain_packets(&mut pair.client);
    drain_packets(pair.server_session());
    (
        pair.to_server.written.clone(),
        pair.to_client.written.clone(),
        pair,
    )
}

const INTERESTING: [u8; 8] = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 20, 23];

fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut d = corpus[rng.below(corpus.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let len = d.len().max(1);
        match rng.below(11) {
            0 if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
            1 if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => d.truncate(rng.below(len)),
            3 => {
                let n = 1 + rng.below(64);
                d.extend(rng.bytes(n));
            }
            4 => {
                let other = &corpus[rng.below(corpus.len())];
                let cut = rng.below(len);
                d.truncate(cut);
                d.extend_from_slice(&other[rng.below(other.len().max(1)).min(other.len())..]);
            }
            // Record length, epoch, content type of the first record.
            5 if d.len() >= 13 => {
                let v = rng.below(1 << 16) as u16;
                d[11..13].copy_from_slice(&v.to_be_bytes());
            }
            6 if d.len() >= 13 => d[3..5].copy_from_slice(&(rng.below(3) as u16).to_be_bytes()),
            7 if !d.is_empty() => d[0] = 19 + rng.below(7) as u8,
            // Handshake message length, fragment offset, fragment length.
            8 if d.len() >= 25 => {
                let at = 13 + [1, 6, 9][rng.below(3)];
                d[at..at + 3].copy_from_slice(&rng.bytes(3));
            }
            9 if !d.is_empty() => {
                let start = rng.below(d.len());
                let end = (start + 1 + rng.below(32)).min(d.len());
                let copy = d[start..end].to_vec();
                let at = rng.below(d.len());
                d.splice(at..at, copy);
            }
            10 => {
                let n = rng.below(300);
                d = rng.bytes(n);
            }
            _ => {}
        }
    }
    d
}

/// A session went on or ended with a status it explains.
fn assert_sane(session: &Session, what: &str) {
    match session.status() {
        Status::Handshaking | Status::Connected | Status::Disconnected => {}
        Status::Error | Status::ErrorHostnameMismatch => {
            assert!(
                session.failure().is_some(),
                "{what}: error without a reason"
            )
        }
    }
}

fn feed(session: &mut Session, datagram: &[u8]) {
    let now = Instant::now();
    session.handle_datagram(now, datagram);
    session.drain_transmit(|_| {});
    while session.recv().is_some() {}
    session.handle_timeout(now);
}

#[derive(Default)]
struct Tally {
    inputs: usize,
    sessions: usize,
    ended: usize,
}

impl Tally {
    fn print(&self, state: &str) {
        println!(
            "mutation: {state}: {} inputs into {} sessions, {} of which ended cleanly",
            self.inputs, self.sessions, self.ended
        );
    }
}

#[test]
fn mutated_server_datagrams_into_handshaking_clients() {
    let (_, from_server, _) = genuine_traffic(1);
    let id = ecdsa_identity();
    let config = client_config(&id.certificate_pem, HOST, settings());
    let mut rng = Rng::new(0xc1);
    let mut tally = Tally::default();
    while tally.inputs < INPUTS_PER_STATE {
        let mut client = Session::client(&config, Instant::now()).unwrap();
        client.drain_transmit(|_| {});
        tally.sessions += 1;
        for _ in 0..BATCH {
            // Now and then a genuine datagram, so that later inputs meet later handshake states.
            let d = if rng.chance(0.2) {
                from_server[rng.below(from_server.len())].clone()
            } else {
                mutate(&mut rng, &from_server)
            };
            feed(&mut client, &d);
            tally.inputs += 1;
            assert_sane(&client, "handshaking client");
        }
        tally.ended += usize::from(!client.status().is_active());
    }
    tally.print("handshaking client");
}

/// A server session straight after the cookie exchange (its first flight written).
fn handshaking_server_session(
    server: &mut Server,
    config: &openssl_dtls_core::ClientConfig,
) -> Session {
    let now = Instant::now();
    let mut client = Session::client(config, now).unwrap();
    for _ in 0..3 {
        let hello = client.poll_transmit().expect("ClientHello");
        match server.accept(now, b"192.0.2.7:1000", &hello) {
            Accept::HelloVerify(reply) => client.handle_datagram(now, &reply),
            Accept::Session(s) => return *s,
            Accept::Ignored => panic!("genuine ClientHello ignored"),
        }
    }
    panic!("no session after the cookie exchange");
}

#[test]
fn mutated_client_datagrams_into_handshaking_servers_and_accept() {
    let (from_client, _, _) = genuine_traffic(2);
    let id = ecdsa_identity();
    let config = client_config(&id.certificate_pem, HOST, settings());
    let mut server = Server::new(&server_config(id, settings()), Instant::now()).unwrap();
    let mut rng = Rng::new(0x5e);
    let mut tally = Tally::default();
    while tally.inputs < INPUTS_PER_STATE {
        let mut session = handshaking_server_session(&mut server, &config);
        session.drain_transmit(|_| {});
        tally.sessions += 1;
        for _ in 0..BATCH {
            let d = mutate(&mut rng, &from_client);
            feed(&mut session, &d);
            tally.inputs += 1;
            assert_sane(&session, "handshaking server");
        }
        tally.ended += usize::from(!session.status().is_active());
    }
    tally.print("handshaking server session");

    // Server::accept: mutated ClientHellos (and everything else a client sends) from many peers.
    let (mut hello_verifies, mut sessions, mut ignored) = (0, 0, 0);
    for i in 0..INPUTS_PER_STATE {
        let d = mutate(&mut rng, &from_client);
        // Half of them from the peer the genuine cookies were made for.
        let peer = if i % 2 == 0 {
            b"192.0.2.1:40000".to_vec()
        } else {
            format!("198.51.100.{}:{}", i % 256, 1000 + i).into_bytes()
        };
        match server.accept(Instant::now(), &peer, &d) {
            Accept::HelloVerify(reply) => {
                assert!(
                    reply.len() <= d.len(),
                    "{} byte answer to {} bytes",
                    reply.len(),
                    d.len()
                );
                hello_verifies += 1;
            }
            Accept::Session(mut s) => {
                sessions += 1;
                feed(&mut s, &[]);
                assert_sane(&s, "accepted session");
            }
            Accept::Ignored => ignored += 1,
        }
    }
    println!(
        "mutation: Server::accept: {INPUTS_PER_STATE} inputs: {hello_verifies} HelloVerifyRequests, \
         {sessions} sessions (a mutated ClientHello with its genuine cookie), {ignored} ignored"
    );
}

/// Mutated datagrams of a connected pair's own traffic into one side; after every batch the
/// session must still be connected and carry data both ways.
fn connected_side(client_side: bool, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    while tally.inputs < INPUTS_PER_STATE {
        let (from_client, from_server, mut pair) = genuine_traffic(seed + tally.sessions as u64);
        tally.sessions += 1;
        // What the other side wrote, including its handshake flights (now replays).
        let corpus = if client_side {
            from_server
        } else {
            from_client
        };
        for round in 0..20 {
            for _ in 0..BATCH {
                let d = mutate(&mut rng, &corpus);
                let target = if client_side {
                    &mut pair.client
                } else {
                    pair.server_session()
                };
                feed(target, &d);
                tally.inputs += 1;
                assert_eq!(
                    target.status(),
                    Status::Connected,
                    "connected {} ended by mutated datagram {} of round {round}: {:?}; {}",
                    if client_side { "client" } else { "server" },
                    describe_datagram(&d),
                    target.failure(),
                    d.iter().map(|b| format!("{b:02x}")).collect::<String>()
                );
            }
            let tag = [round as u8; 20];
            pair.client.send(&tag).unwrap();
            pair.server_session().send(&tag).unwrap();
            assert!(
                pair.run_until(Duration::from_secs(5), |p| p.client.pending_packets() == 1
                    && p.server_session().pending_packets() == 1),
                "no data after mutated input"
            );
            assert_eq!(pair.client.recv().unwrap(), tag);
            assert_eq!(pair.server_session().recv().unwrap(), tag);
        }
        // Closed: it stays closed and yields nothing, whatever arrives.
        let target = if client_side {
            &mut pair.client
        } else {
            pair.server_session()
        };
        target.close();
        for _ in 0..BATCH {
            let d = mutate(&mut rng, &corpus);
            target.handle_datagram(Instant::now(), &d);
            tally.inputs += 1;
            assert_eq!(target.status(), Status::Disconnected);
            assert_eq!(target.pending_packets(), 0);
            assert!(target.poll_timeout().is_none());
        }
    }
    tally.print(if client_side {
        "connected client"
    } else {
        "connected server session"
    });
}

#[test]
fn mutated_datagrams_into_a_connected_client() {
    connected_side(true, 0xcc00);
}

#[test]
fn mutated_datagrams_into_a_connected_server_session() {
    connected_side(false, 0x5500);
}
