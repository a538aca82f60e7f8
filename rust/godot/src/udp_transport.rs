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
}

impl GodotUdp {
    pub fn new(peer: Gd<PacketPeerUdp>) -> GodotUdp {
        GodotUdp { peer }
    }
}

fn godot_error(what: &str, err: Error) -> io::Error {
    io::Error::other(format!("PacketPeerUDP.{what} failed: {err:?}"))
}

impl Transport for GodotUdp {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        let packet = PackedByteArray::from(datagram);
        match self.peer.put_packet(&packet) {
            Error::OK => Ok(()),
            err => Err(godot_error("put_packet", err)),
        }
    }

    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        if self.peer.get_available_packet_count() <= 0 {
            return Ok(None);
        }
        let packet = self.peer.get_packet();
        match self.peer.get_packet_error() {
            Error::OK => {}
            err => return Err(godot_error("get_packet", err)),
        }
        let data = packet.as_slice();
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok(Some(n))
    }
}
