//! The multiplayer peer's 1 MiB reliable throughput without Godot: a server and a client
//! (`UdpMultiplayer`, real handshake, real UDP on 127.0.0.1) polled in one loop the way
//! SceneMultiplayer polls them, the client keeping two 1 MiB messages in flight; prints MB/s
//! (10^6 B) per round. For profilers: what the peer costs per MiB, apart from Godot's share.
//! Run: cargo run --release -p openssl-dtls-core --example mp_throughput [ROUNDS]

use std::time::{Duration, Instant};

use openssl_dtls_core::multiplayer::{
    multiplayer_settings, ConnectionStatus, MultiplayerConfig, TransferMode, SERVER_ID,
};
use openssl_dtls_core::{
    self_signed, ClientConfig, KeyType, ServerConfig, UdpMultiplayer, Verification,
};

const BLOB: usize = 1 << 20;
const BLOBS: usize = 64;
const IN_FLIGHT: usize = 2;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let names = vec!["localhost".to_string()];
    let id = self_signed(&names, KeyType::EcdsaP256, Duration::from_secs(3600)).expect("cert");
    let blob: Vec<u8> = (0..BLOB).map(|i| (i * 7) as u8).collect();
    for round in 0..rounds {
        let server_config = ServerConfig {
            settings: multiplayer_settings(),
            ..ServerConfig::new(id.certificate_pem.clone(), id.private_key_pem.clone())
        };
        let mut server = UdpMultiplayer::server(
            Some([127, 0, 0, 1].into()),
            0,
            &server_config,
            MultiplayerConfig::default(),
        )
        .expect("server");
        let port = server.local_addr().expect("addr").port();
        let client_config = ClientConfig {
            verification: Verification::TrustedPem(id.certificate_pem.clone()),
            hostname: Some("localhost".into()),
            settings: multiplayer_settings(),
            ..ClientConfig::default()
        };
        let mut client = UdpMultiplayer::client(
            "127.0.0.1",
            port,
            &client_config,
            MultiplayerConfig::default(),
        )
        .expect("client");
        while client.host().status() != ConnectionStatus::Connected {
            let now = Instant::now();
            server.poll(now).expect("poll");
            client.poll(now).expect("poll");
            while server.host_mut().poll_event().is_some() {}
            while client.host_mut().poll_event().is_some() {}
        }
        let (mut sent, mut got) = (0, 0);
        let start = Instant::now();
        while got < BLOBS {
            let now = Instant::now();
            server.poll_for_reader(now).expect("poll");
            while let Some(m) = server.host_mut().recv() {
                assert_eq!(m.data.len(), BLOB);
                got += 1;
            }
            server.send_queued(now);
            client.poll_for_reader(now).expect("poll");
            while client.host_mut().recv().is_some() {}
            while sent < BLOBS && sent - got < IN_FLIGHT {
                client
                    .host_mut()
                    .send(now, SERVER_ID as i32, 0, TransferMode::Reliable, &blob)
                    .expect("send");
                sent += 1;
            }
            client.send_queued(now);
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "round {round}: {:.1} MB/s",
            (BLOBS * BLOB) as f64 / 1e6 / secs
        );
    }
}
