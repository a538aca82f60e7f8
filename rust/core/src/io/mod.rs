//! Sessions meet sockets here: the transport seam (one datagram in, one out), the pump that
//! binds a session to a transport, and a UDP server and a multiplayer peer over `std::net::UdpSocket`.

pub(crate) mod connection;
pub(crate) mod transport;
pub(crate) mod udp_multiplayer;
pub(crate) mod udp_server;
