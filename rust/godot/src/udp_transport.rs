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
        let mut got = None;
        self.recv_each(1, &mut |datagram| {
            let n = datagram.len().min(buf.len());
            buf[..n].copy_from_slice(&datagram[..n]);
            got = Some(n);
        })?;
        Ok(got)
    }

    fn recv_each(&mut self, max: usize, handle: &mut dyn FnMut(&[u8])) -> io::Result<usize> {
        // One engine call says how many datagrams wait (-1: the socket is closed, or its
        // UDPServer stopped); each is then read once and lent from Godot's own array, with no
        // trailing call that finds the queue empty.
        let waiting = self.peer.get_available_packet_count();
        let Ok(waiting) = usize::try_from(waiting) else {
            return Err(io::Error::other(
                "PacketPeerUDP.get_available_packet_count() failed: the socket is closed",
            ));
        };
        let count = waiting.min(max);
        for read in 0..count {
            let packet = self.peer.get_packet();
            // An empty array is an empty datagram, or an error the engine keeps aside.
            if packet.is_empty() {
                match self.peer.get_packet_error() {
                    Error::OK => {}
                    Error::ERR_UNAVAILABLE => return Ok(read),
                    err => return Err(godot_error("get_packet", err)),
                }
            }
            handle(packet.as_slice());
        }
        Ok(count)
    }
}
