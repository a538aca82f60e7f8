//! Connected client+server session pairs made through memory, at most a given number
//! handshaking at a time, for the memory tests.

use std::time::Instant;

use crate::common::{client_config, ecdsa_identity, server_config, HOST};
use openssl_dtls_core::{Accept, ClientConfig, Server, Session, Settings, Status};

/// A pair in the making.
pub struct Pending {
    pub client: Session,
    pub server: Option<Session>,
    peer: String,
}

/// Moves every datagram one step: client to server (or the cookie step), server to client.
fn step(server: &mut Server, p: &mut Pending, now: Instant) {
    let mut out = Vec::new();
    p.client.drain_transmit(|d| out.push(d.to_vec()));
    for d in out {
        match &mut p.server {
            Some(s) => s.handle_datagram(now, &d),
            None => match server.accept(now, p.peer.as_bytes(), &d) {
                Accept::HelloVerify(r) => p.client.handle_datagram(now, &r),
                Accept::Session(s) => p.server = Some(*s),
                Accept::Ignored => {}
            },
        }
    }
    if let Some(s) = &mut p.server {
        let mut out = Vec::new();
        s.drain_transmit(|d| out.push(d.to_vec()));
        for d in out {
            p.client.handle_datagram(now, &d);
        }
    }
}

/// Makes `count` connected pairs, at most `batch` handshaking at a time, into `held` (each pair
/// boxed, so that only `held`'s own growth is not the pairs' memory).
// Boxed on purpose: each pair's own allocation is what the tests measure.
#[allow(clippy::vec_box)]
pub fn make_pairs(
    server: &mut Server,
    config: &ClientConfig,
    count: usize,
    batch: usize,
    held: &mut Vec<Box<Pending>>,
) {
    let mut pending: Vec<Box<Pending>> = Vec::new();
    let mut dialled = 0;
    while dialled < count || !pending.is_empty() {
        while dialled < count && pending.len() < batch {
            pending.push(Box::new(Pending {
                client: Session::client(config, Instant::now()).unwrap(),
                server: None,
                peer: format!("192.0.2.{}:{}", batch % 256, 1024 + held.len() + dialled),
            }));
            dialled += 1;
        }
        let now = Instant::now();
        for p in &mut pending {
            step(server, p, now);
        }
        for p in std::mem::take(&mut pending) {
            let connected = |s: &Session| s.status() == Status::Connected;
            assert!(p.client.status().is_active(), "the client failed");
            if connected(&p.client) && p.server.as_ref().is_some_and(connected) {
                held.push(p);
            } else {
                pending.push(p);
            }
        }
    }
}

pub fn setup() -> (Server, ClientConfig) {
    let id = ecdsa_identity();
    let settings = Settings::default();
    let server = Server::new(&server_config(id, settings.clone()), Instant::now()).unwrap();
    (server, client_config(&id.certificate_pem, HOST, settings))
}
