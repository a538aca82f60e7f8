//! The server side in front of sessions: the stateless cookie exchange that answers first
//! ClientHellos, and the rate-limited log of failed handshakes.

pub(crate) mod cookie_jar;
mod cookie_server;
pub(crate) mod failure_log;

pub use cookie_server::{Accept, Server, ServerConfig};
