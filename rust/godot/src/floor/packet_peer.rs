//! `OpenSSLFloorPacketPeer`: a `PacketPeerExtension` over a `PacketPeerUDP` that only moves each
//! packet through, with the fewest engine calls and copies an extension can: datagrams read in
//! `poll()` (one count, one `get_packet` each) and lent to Godot from the engine's own arrays, one
//! reused array per datagram sent. The echo benchmark's floor for any packet peer written as an
//! extension over `PacketPeerUDP`. No encryption: benchmark builds only, one reading thread.

use std::collections::VecDeque;

use godot::classes::{IPacketPeerExtension, PacketPeerExtension, PacketPeerUdp};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;

use crate::misuse;
use crate::put_buffer::packet_from_godot;

const CLASS: &str = "OpenSSLFloorPacketPeer";

/// Benchmark only: a packet peer that moves packets through a [PacketPeerUDP] unencrypted.
#[derive(GodotClass)]
#[class(base=PacketPeerExtension, init, tool)]
pub struct OpenSSLFloorPacketPeer {
    udp: Option<Gd<PacketPeerUdp>>,
    inbox: VecDeque<PackedByteArray>,
    /// The packet lent last and the one before (Godot may still be reading it).
    lent: [PackedByteArray; 2],
    send_buffer: PackedByteArray,
    base: Base<PacketPeerExtension>,
}

#[godot_api]
impl IPacketPeerExtension for OpenSSLFloorPacketPeer {
    /// SAFETY (for callers): Godot passes `p_buffer` pointing at `p_buffer_size` readable bytes.
    unsafe fn put_packet_rawptr(
        &mut self,
        p_buffer: RawPtr<*const u8>,
        p_buffer_size: i32,
    ) -> Error {
        let Some(udp) = self.udp.as_mut() else {
            return misuse(
                CLASS,
                "put_packet",
                Error::ERR_UNCONFIGURED,
                "not connected",
            );
        };
        // SAFETY: Godot's PacketPeer::put_packet hands us `p_buffer_size` bytes, alive for this
        // call.
        let packet = unsafe { packet_from_godot(p_buffer, p_buffer_size) }.unwrap_or_default();
        self.send_buffer.resize(packet.len());
        self.send_buffer.as_mut_slice().copy_from_slice(packet);
        udp.put_packet(&self.send_buffer)
    }

    /// SAFETY (for callers): Godot passes valid out-pointers for the buffer and its size.
    unsafe fn get_packet_rawptr(
        &mut self,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        let (buffer_out, size_out) = (r_buffer.ptr(), r_buffer_size.ptr());
        if buffer_out.is_null() || size_out.is_null() {
            return Error::ERR_INVALID_PARAMETER;
        }
        let Some(packet) = self.inbox.pop_front() else {
            return Error::ERR_UNAVAILABLE;
        };
        self.lent.swap(0, 1);
        self.lent[0] = packet;
        let lent = self.lent[0].as_slice();
        // SAFETY: both out-pointers are non-null (checked above) and point at Godot's locals for
        // this call; the array lent stays alive and unchanged until the second next get_packet
        // (benchmark use: one reading thread).
        unsafe {
            *buffer_out = RawPtr::new(lent.as_ptr());
            *size_out = i32::try_from(lent.len()).unwrap_or(i32::MAX);
        }
        Error::OK
    }

    fn get_available_packet_count(&self) -> i32 {
        i32::try_from(self.inbox.len()).unwrap_or(i32::MAX)
    }

    fn get_max_packet_size(&self) -> i32 {
        65_507
    }
}

#[godot_api]
impl OpenSSLFloorPacketPeer {
    /// Uses [param packet_peer] (connected, or from [method UDPServer.take_connection]).
    #[func]
    fn connect_to_peer(&mut self, packet_peer: Option<Gd<PacketPeerUdp>>) -> Error {
        match packet_peer {
            Some(udp) => {
                self.udp = Some(udp);
                Error::OK
            }
            None => misuse(
                CLASS,
                "connect_to_peer",
                Error::ERR_INVALID_PARAMETER,
                "null",
            ),
        }
    }

    /// Reads the datagrams waiting.
    #[func]
    fn poll(&mut self) {
        if let Some(udp) = self.udp.as_mut() {
            for _ in 0..udp.get_available_packet_count() {
                self.inbox.push_back(udp.get_packet());
            }
        }
    }

    /// 2 (connected) once it has a socket, else 0, as the DTLS peers' statuses.
    #[func]
    fn get_status(&self) -> i32 {
        if self.udp.is_some() {
            2
        } else {
            0
        }
    }

    /// Lets the socket go.
    #[func]
    fn disconnect_from_peer(&mut self) {
        self.udp = None;
    }
}
