//! The core over real UDP sockets on 127.0.0.1: `Connection<UdpTransport>` clients against our
//! `UdpServer`. Loops poll both ends until what is awaited happened, within a time budget.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::*;
use openssl_dtls_core::{
    Connection, DtlsError, KeyType, Session, Settings, Status, UdpServer, UdpTransport,
};

const BUDGET: Duration = Duration::from_secs(10);

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Calls `step` until it returns true or the budget runs out.
fn poll_until(what: &str, mut step: impl FnMut(Instant) -> bool) {
    let end = Instant::now() + BUDGET;
    loop {
        let now = Instant::now();
        if step(now) {
            return;
        }
        assert!(now < end, "timed out waiting for {what}");
        std::thread::yield_now();
    }
}

fn udp_server(settings: Settings) -> UdpServer {
    UdpServer::bind(localhost(), &server_config(ecdsa_identity(), settings)).unwrap()
}

fn udp_client(server: &UdpServer, trusted_pem: &str) -> Connection<UdpTransport> {
    let config = client_config(trusted_pem, HOST, Settings::default());
    let session = Session::client(&config, Instant::now()).unwrap();
    let transport = UdpTransport::connect(localhost(), server.local_addr().unwrap()).unwrap();
    Connection::new(session, transport)
}

fn local_addr(client: &Connection<UdpTransport>) -> SocketAddr {
    client.transport().socket().local_addr().unwrap()
}

fn server_status(server: &mut UdpServer, peer: SocketAddr) -> Option<Status> {
    server.session_mut(&peer).map(|s| s.status())
}

/// Polls a client and the server until both ends of the client's association are connected.
fn connect(server: &mut UdpServer, client: &mut Connection<UdpTransport>) {
    let peer = local_addr(client);
    poll_until("the handshake", |now| {
        client.poll(now).unwrap();
        server.poll(now).unwrap();
        assert!(
            client.session().status().is_active(),
            "{:?}",
            client.session().failure()
        );
        client.session().status() == Status::Connected
            && server_status(server, peer) == Some(Status::Connected)
    });
}

#[test]
fn client_and_server_exchange_data_both_ways() {
    let mut server = udp_server(Settings::default());
    let mut client = udp_client(&server, &ecdsa_identity().certificate_pem);
    let peer = local_addr(&client);
    connect(&mut server, &mut client);
    assert_eq!(server.session_count(), 1);

    const N: usize = 50;
    for i in 0..N {
        client.send(format!("client {i}").as_bytes()).unwrap();
        server
            .send_to(peer, format!("server {i}").as_bytes())
            .unwrap();
    }
    let mut at_server = Vec::new();
    let mut at_client = Vec::new();
    poll_until("the packets", |now| {
        client.poll(now).unwrap();
        server.poll(now).unwrap();
        at_client.extend(std::iter::from_fn(|| client.session_mut().recv()));
        let session = server.session_mut(&peer).unwrap();
        at_server.extend(std::iter::from_fn(|| session.recv()));
        at_server.len() == N && at_client.len() == N
    });
    let expected =
        |who: &str| -> Vec<Vec<u8>> { (0..N).map(|i| format!("{who} {i}").into_bytes()).collect() };
    assert_eq!(at_server, expected("client"));
    assert_eq!(at_client, expected("server"));

    // A packet of exactly the largest size both ways.
    let max = client.session().max_packet_size();
    let big: Vec<u8> = (0..max).map(|i| i as u8).collect();
    client.send(&big).unwrap();
    server.send_to(peer, &big).unwrap();
    let mut got = (None, None);
    poll_until("the largest packets", |now| {
        client.poll(now).unwrap();
        server.poll(now).unwrap();
        if got.0.is_none() {
            got.0 = client.session_mut().recv();
        }
        if got.1.is_none() {
            got.1 = server.session_mut(&peer).unwrap().recv();
        }
        got.0.is_some() && got.1.is_some()
    });
    assert_eq!(got.0.unwrap(), big);
    assert_eq!(got.1.unwrap(), big);
}

#[test]
fn first_client_hello_leaves_no_session_on_the_server() {
    let mut server = udp_server(Settings::default());
    let raw = UdpSocket::bind(localhost()).unwrap();
    raw.connect(server.local_addr().unwrap()).unwrap();
    raw.set_nonblocking(true).unwrap();
    let id = ecdsa_identity();
    let mut session = Session::client(
        &client_config(&id.certificate_pem, HOST, Settings::default()),
        Instant::now(),
    )
    .unwrap();
    let mut buf = vec![0u8; 2048];
    let mut exchange = |session: &mut Session, server: &mut UdpServer| -> Vec<u8> {
        session.drain_transmit(|d| {
            raw.send(d).unwrap();
        });
        let mut reply = None;
        poll_until("the server's answer", |now| {
            server.poll(now).unwrap();
            if let Ok(n) = raw.recv(&mut buf) {
                reply = Some(buf[..n].to_vec());
            }
            reply.is_some()
        });
        reply.unwrap()
    };
    let hello_verify = exchange(&mut session, &mut server);
    assert_eq!(handshake_type(records(&hello_verify).unwrap()[0]), Some(3));
    assert_eq!(
        server.session_count(),
        0,
        "the server kept state for a first ClientHello"
    );

    session.handle_datagram(Instant::now(), &hello_verify);
    let server_hello = exchange(&mut session, &mut server);
    assert_eq!(handshake_type(records(&server_hello).unwrap()[0]), Some(2));
    assert_eq!(server.session_count(), 1);
}

#[test]
fn several_clients_at_once_with_an_echo_server() {
    let mut server = udp_server(Settings::default());
    let mut clients: Vec<_> = (0..4)
        .map(|_| udp_client(&server, &ecdsa_identity().certificate_pem))
        .collect();
    poll_until("every handshake", |now| {
        for c in &mut clients {
            c.poll(now).unwrap();
        }
        server.poll(now).unwrap();
        clients
            .iter()
            .all(|c| c.session().status() == Status::Connected)
            && server.session_count() == clients.len()
    });
    for (i, c) in clients.iter_mut().enumerate() {
        for j in 0..10 {
            c.send(format!("{i}:{j}").as_bytes()).unwrap();
        }
    }
    let mut echoed: Vec<Vec<Vec<u8>>> = vec![Vec::new(); clients.len()];
    poll_until("every echo", |now| {
        server.poll(now).unwrap();
        let mut replies = Vec::new();
        for (peer, session) in server.sessions_mut() {
            while let Some(p) = session.recv() {
                replies.push((*peer, p));
            }
        }
        for (peer, p) in replies {
            server.send_to(peer, &p).unwrap();
        }
        for (c, got) in clients.iter_mut().zip(&mut echoed) {
            c.poll(now).unwrap();
            got.extend(std::iter::from_fn(|| c.session_mut().recv()));
        }
        echoed.iter().all(|e| e.len() == 10)
    });
    for (i, got) in echoed.iter().enumerate() {
        let expected: Vec<Vec<u8>> = (0..10).map(|j| format!("{i}:{j}").into_bytes()).collect();
        assert_eq!(got, &expected, "client {i} got another client's packets");
    }
}

#[test]
fn close_notify_over_udp_both_ways() {
    let mut server = udp_server(Settings::default());
    let mut a = udp_client(&server, &ecdsa_identity().certificate_pem);
    let mut b = udp_client(&server, &ecdsa_identity().certificate_pem);
    let peer_a = local_addr(&a);
    let peer_b = local_addr(&b);
    connect(&mut server, &mut a);
    connect(&mut server, &mut b);

    // The client closes: its server session turns disconnected, the other stays.
    a.close();
    assert_eq!(a.session().status(), Status::Disconnected);
    assert_eq!(
        a.send(b"x"),
        Err(DtlsError::NotConnected(Status::Disconnected))
    );
    poll_until("the server to see close_notify", |now| {
        server.poll(now).unwrap();
        server_status(&mut server, peer_a) == Some(Status::Disconnected)
    });
    assert_eq!(server_status(&mut server, peer_b), Some(Status::Connected));
    assert_eq!(
        server.send_to(peer_a, b"x"),
        Err(DtlsError::NotConnected(Status::Disconnected))
    );

    // The server closes everything: the remaining client sees it.
    server.close_all();
    poll_until("the client to see close_notify", |now| {
        b.poll(now).unwrap();
        b.session().status() == Status::Disconnected
    });
    assert!(b.session().failure().is_none());
}

#[test]
fn untrusted_server_fails_over_udp() {
    let mut server = udp_server(Settings::default());
    let other = identity_for(KeyType::EcdsaP256, &[HOST]);
    let mut client = udp_client(&server, &other.certificate_pem);
    poll_until("the handshake to fail", |now| {
        client.poll(now).unwrap();
        server.poll(now).unwrap();
        !client.session().status().is_active()
    });
    assert_eq!(client.session().status(), Status::Error);
}

#[test]
fn send_to_an_unknown_peer_is_not_connected() {
    let mut server = udp_server(Settings::default());
    assert_eq!(
        server.send_to("127.0.0.1:9".parse().unwrap(), b"x"),
        Err(DtlsError::NotConnected(Status::Disconnected))
    );
}

/// A peer whose socket is gone makes the other side's system report "port unreachable" on its
/// next receive (`ECONNREFUSED` on Linux's connected sockets, `WSAECONNRESET` on Windows, even on
/// the server's one unconnected socket): that ends neither the server, nor any session, nor the
/// client whose server vanished.
#[test]
fn vanished_peers_end_no_session() {
    let mut server = udp_server(Settings::default());
    let mut stays = udp_client(&server, &ecdsa_identity().certificate_pem);
    let mut goes = udp_client(&server, &ecdsa_identity().certificate_pem);
    connect(&mut server, &mut stays);
    connect(&mut server, &mut goes);
    let gone = local_addr(&goes);
    drop(goes);

    for i in 0..3u8 {
        server.send_to(gone, &[i]).unwrap();
    }
    stays.send(b"still here").unwrap();
    let stays_addr = local_addr(&stays);
    poll_until("the packet of the client that stayed", |now| {
        server.poll(now).expect("the server keeps running");
        stays.poll(now).unwrap();
        server
            .session_mut(&stays_addr)
            .is_some_and(|s| s.recv().is_some())
    });
    assert_eq!(server_status(&mut server, gone), Some(Status::Connected));
    assert_eq!(server.send_to(gone, b"again"), Ok(()));

    // Now the client's server goes away: the client's sends bounce (on loopback the report
    // is queued before `send` returns), its session stays.
    drop(server);
    for _ in 0..3 {
        stays.send(b"anyone?").unwrap();
        stays
            .poll(Instant::now())
            .expect("the client keeps running");
    }
    assert_eq!(stays.session().status(), Status::Connected);
}
