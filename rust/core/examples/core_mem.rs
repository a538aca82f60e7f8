//! Memory per idle established client+server session pair (in memory, no sockets): VmRSS growth
//! over N pairs, on our record layer and then on OpenSSL's (`impl=openssl_records`).
//! Run: cargo run --release -p openssl-dtls-core --example core_mem [N]
//! SKIP_HELLO=1: no application packet after the handshake; NO_IDLE=1: measured before the idle
//! buffer release (which only OpenSSL's record layer needs).

#[path = "support/in_memory.rs"]
mod in_memory;

use std::time::{Duration, Instant};

use openssl_dtls_core::{
    self_signed, ClientConfig, KeyType, RecordLayer, Server, ServerConfig, Session, Settings,
    Verification, IDLE_BUFFER_RELEASE,
};

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn pair(server: &mut Server, config: &ClientConfig) -> (Session, Session) {
    let (mut client, mut srv) = in_memory::connected_pair(server, config);
    if std::env::var_os("SKIP_HELLO").is_some() {
        return (client, srv);
    }
    // One application packet each way, as an established game connection would have exchanged.
    client.send(b"hello").expect("send");
    in_memory::transfer(&mut client, |d| srv.handle_datagram(Instant::now(), d));
    srv.send(b"hello").expect("send");
    in_memory::transfer(&mut srv, |d| client.handle_datagram(Instant::now(), d));
    while client.recv().is_some() {}
    while srv.recv().is_some() {}
    // Idle from here on: the next poll after IDLE_BUFFER_RELEASE gives the record buffers back
    // (NO_IDLE=1 measures them still held).
    if std::env::var_os("NO_IDLE").is_none() {
        let later = Instant::now() + IDLE_BUFFER_RELEASE;
        client.handle_timeout(later);
        srv.handle_timeout(later);
    }
    (client, srv)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let id = self_signed(
        &["localhost".to_string()],
        KeyType::EcdsaP256,
        Duration::from_secs(3600),
    )
    .expect("cert");
    let mut held = Vec::new();
    for (record_layer, label) in [
        (RecordLayer::Own, "ours"),
        (RecordLayer::OpenSsl, "openssl_records"),
    ] {
        let settings = Settings {
            record_layer,
            ..Settings::default()
        };
        let mut sc = ServerConfig::new(id.certificate_pem.clone(), id.private_key_pem.clone());
        sc.settings = settings.clone();
        let mut server = Server::new(&sc, Instant::now()).expect("server");
        let cc = ClientConfig {
            verification: Verification::TrustedPem(id.certificate_pem.clone()),
            hostname: Some("localhost".into()),
            settings,
            ..ClientConfig::default()
        };
        for _ in 0..16 {
            held.push(pair(&mut server, &cc));
        }
        let before = rss_kib();
        for _ in 0..n {
            held.push(pair(&mut server, &cc));
        }
        let after = rss_kib();
        let per_pair = after.saturating_sub(before) as f64 / n as f64;
        println!("{label}: {n} pairs: VmRSS {before} -> {after} KiB, {per_pair:.1} KiB per pair");
        println!("BENCH name=core_mem_pair impl={label} value={per_pair:.1} unit=KiB");
    }
}
