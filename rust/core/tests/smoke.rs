//! Smoke test: client and server of ours over a perfect in-memory link.
use std::time::{Duration, Instant};
use openssl_dtls_core::*;

#[test]
fn handshake_and_echo() {
    let _ = env_logger_init();
    let id = self_signed(&["localhost".into()], KeyType::EcdsaP256, Duration::from_secs(3600)).unwrap();
    let now = Instant::now();
    let mut server = Server::new(&ServerConfig::new(id.certificate_pem.clone(), id.private_key_pem.clone()), now).unwrap();
    let cfg = ClientConfig { verification: Verification::TrustedPem(id.certificate_pem.clone()), hostname: Some("localhost".into()), settings: Settings::default() };
    let mut client = Session::client(&cfg, now).unwrap();
    let mut srv: Option<Session> = None;
    let mut hv = 0;
    for _ in 0..50 {
        let now = Instant::now();
        while let Some(d) = client.poll_transmit() {
            match srv.as_mut() {
                Some(s) => s.handle_datagram(now, &d),
                None => match server.accept(now, b"1.2.3.4:5", &d) {
                    Accept::HelloVerify(r) => { hv += 1; client.handle_datagram(now, &r) }
                    Accept::Session(s) => srv = Some(*s),
                    Accept::Ignored => panic!("ignored"),
                },
            }
        }
        if let Some(s) = srv.as_mut() { while let Some(d) = s.poll_transmit() { client.handle_datagram(now, &d); } }
        if client.status() == Status::Connected && srv.as_ref().map(|s| s.status()) == Some(Status::Connected) { break; }
    }
    eprintln!("client {:?} {:?}", client.status(), client.failure());
    let mut srv = srv.unwrap();
    eprintln!("server {:?} {:?} hv={hv} cipher={:?} max={}", srv.status(), srv.failure(), srv.cipher(), srv.max_packet_size());
    assert_eq!(client.status(), Status::Connected);
    client.send(b"hello").unwrap();
    let d = client.poll_transmit().unwrap();
    srv.handle_datagram(Instant::now(), &d);
    assert_eq!(srv.recv().unwrap(), b"hello");
}
fn env_logger_init() {}
