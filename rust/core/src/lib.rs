//! Sans-IO DTLS over OpenSSL, with no Godot types: sessions take datagrams and the time and give
//! back datagrams, application packets, a deadline and a status. A stateless cookie server sits in
//! front of server sessions. [`Connection`] binds a session to a [`Transport`] (one datagram in,
//! one out); [`UdpTransport`] and [`UdpServer`] do that over `std::net::UdpSocket`.

mod config;
mod error;
mod ffi;
mod io;
pub mod multiplayer;
pub mod netsim;
mod records;
mod server;
mod session;

pub use config::certificates::{generate_key, params_for, self_signed, Identity, KeyType};
pub use config::client_config::{ClientConfig, Verification};
pub use config::features::{ClientAuth, OwnCertificate, Psk, PskKeys, MAX_PSK_LEN, PSK_CIPHERS};
pub use config::pem;
pub use config::secret_text::SecretString;
pub use config::settings::{
    max_packet_size_estimate, DtlsVersion, RecordLayer, Settings, DEFAULT_CIPHERS,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_PACKETS, DEFAULT_MTU,
    MAX_MTU, MIN_MTU,
};
pub use error::DtlsError;
pub use io::connection::{flush, pump, Connection};
pub use io::simulation::{NetworkSimulation, MAX_SIMULATED_MS};
pub use io::transport::{Transport, UdpTransport};
pub use io::udp_multiplayer::{UdpMultiplayer, ADDRESS_ATTEMPT_TIME};
pub use io::udp_server::UdpServer;
pub use server::cookie_jar::COOKIE_LEN;
pub use server::failure_log::FAILURE_LOG_INTERVAL;
pub use server::{Accept, Server, ServerConfig};
pub use session::packet_queue::PacketQueue;
pub use session::stats::Stats;
pub use session::status::Status;
pub use session::{Role, Session, IDLE_BUFFER_RELEASE};

/// Re-exported so users of the core can build certificate parameters (CA chains, validity).
pub use rcgen;
