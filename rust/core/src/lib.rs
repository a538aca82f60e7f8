//! Sans-IO DTLS over OpenSSL, with no Godot types: sessions take datagrams and the time and give
//! back datagrams, application packets, a deadline and a status. A stateless cookie server sits in
//! front of server sessions. [`Connection`] binds a session to a [`Transport`] (one datagram in,
//! one out); [`UdpTransport`] and [`UdpServer`] do that over `std::net::UdpSocket`.

mod config;
mod error;
mod ffi;
mod io;
pub mod multiplayer;
mod records;
mod server;
mod session;

// Short paths for the modules used across the crate (`crate::settings`, ...).
pub use config::pem;
use config::{certificates, client_config, contexts, features, settings, trust_store};
use io::{connection, transport, udp_multiplayer, udp_server};
use records::screen;
use server::{cookie_jar, failure_log};
use session::{datagram_io, info as session_info, packet_queue, stats, status};

pub use certificates::{generate_key, params_for, self_signed, Identity, KeyType};
pub use client_config::{ClientConfig, Verification};
pub use config::secret_text::SecretString;
pub use connection::{flush, pump, Connection};
pub use cookie_jar::COOKIE_LEN;
pub use error::DtlsError;
pub use failure_log::FAILURE_LOG_INTERVAL;
pub use features::{ClientAuth, OwnCertificate, Psk, PskKeys, MAX_PSK_LEN, PSK_CIPHERS};
pub use packet_queue::PacketQueue;
pub use server::{Accept, Server, ServerConfig};
pub use session::{Role, Session, IDLE_BUFFER_RELEASE};
pub use settings::{
    max_packet_size_estimate, DtlsVersion, RecordLayer, Settings, DEFAULT_CIPHERS,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_PACKETS, DEFAULT_MTU,
    MAX_MTU, MIN_MTU,
};
pub use stats::Stats;
pub use status::Status;
pub use transport::{Transport, UdpTransport};
pub use udp_multiplayer::UdpMultiplayer;
pub use udp_server::UdpServer;

/// Re-exported so users of the core can build certificate parameters (CA chains, validity).
pub use rcgen;
