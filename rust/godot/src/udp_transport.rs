//! The core's transport seam on Godot's `PacketPeerUDP`: one datagram per put/get.

use std::io;

use godot::builtin::PackedByteArray;
use godot::classes::PacketPeerUdp;
use godot::global::Error;
use godot::obj::Gd;
use openssl_dtls_core::Transport;

/// A connected `PacketPeerUDP` (from `connect_to_host`, or handed out by `UDPServer`).
pub struct GodotUdp {
    peer: Gd<PacketPeerUdp>,
    /// Reused for every datagram sent: no allocation per packet once it has grown.
    send_buffer: PackedByteArray,
    /// The peer came from `UDPServer.take_connection`: closing it on release hands the client's
    /// address back to the `UDPServer`, so its next datagrams arrive as a new connection.
    from_server: bool,
}

impl GodotUdp {
    /// A socket the game connected itself (`connect_to_host`): released, never closed by us.
    pub fn client(peer: Gd<PacketPeerUdp>) -> GodotUdp {
        GodotUdp {
            peer,
            send_buffer: PackedByteArray::new(),
            from_server: false,
        }
    }

    /// A per-client socket handed out by `UDPServer`: closed when its session ends.
    pub fn from_server(peer: Gd<PacketPeerUdp>) -> GodotUdp {
        GodotUdp {
            from_server: true,
            ..GodotUdp::client(peer)
        }
    }

    /// Lets the socket go (closing it when it came from a `UDPServer`).
    pub fn release(mut self) {
        if self.from_server {
            self.peer.close();
        }
    }
}

fn godot_error(what: &str, err: Error) -> io::Error {
    io::Error::other(format!("PacketPeerUDP.{what} failed: {err:?}"))
}

impl Transport for GodotUdp {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        // Godot only borrows the array during the call, so it stays uniquely ours and resizing
        // it within its capacity does not reallocate.
        self.send_buffer.resize(datagram.len());
        self.send_buffer.as_mut_slice().copy_from_slice(datagram);
        match self.peer.put_packet(&self.send_buffer) {
            Error::OK => Ok(()),
            err => Err(godot_error("put_packet", err)),
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        // get_packet() on an empty queue returns an empty array (and ERR_UNAVAILABLE from
        // get_packet_error()). A non-empty packet needs no second engine call: only an empty
        // one asks whether it was a real (empty) datagram or nothing at all.
        let packet = self.peer.get_packet();
        if packet.is_empty() {
            return match self.peer.get_packet_error() {
                Error::OK => Ok(Some(0)),
                Error::ERR_UNAVAILABLE => Ok(None),
                err => Err(godot_error("get_packet", err)),
            };
        }
        let data = packet.as_slice();
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok(Some(n))
    }
}
