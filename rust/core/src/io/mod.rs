//! Sessions meet sockets here: the transport seam (one datagram in, one out), the pump that
//! binds a session to a transport, and a UDP server and a multiplayer peer over `std::net::UdpSocket`
//! (the latter through `udp_batch.rs`, many datagrams per system call).

pub(crate) mod connection;
pub(crate) mod simulation;
pub(crate) mod transport;
pub(crate) mod udp_batch;
pub(crate) mod udp_multiplayer;
pub(crate) mod udp_server;
