//! `OpenSSLFloorMultiplayerPeer`: a `MultiplayerPeerExtension` whose server and clients in one
//! process hand each packet over in memory (one copy, into the receiver's queue): no socket, no
//! channels, no encryption. What SceneMultiplayer and the extension binding cost a peer that does
//! nothing else; the multiplayer benchmark's floor. Benchmark builds only.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Weak};

use godot::classes::multiplayer_peer::{ConnectionStatus, TransferMode};
use godot::classes::{IMultiplayerPeerExtension, MultiplayerPeerExtension};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;
use parking_lot::Mutex;

use crate::handed_out::HandedOut;
use crate::misuse;
use crate::put_buffer::packet_from_godot;

const CLASS: &str = "OpenSSLFloorMultiplayerPeer";

struct Packet {
    from: i32,
    channel: i32,
    mode: TransferMode,
    data: Vec<u8>,
}

type Queue = Arc<Mutex<VecDeque<Packet>>>;

/// A server's end: its queue, its clients' queues, the clients that joined since its last poll.
#[derive(Default)]
struct Hub {
    inbox: Queue,
    clients: Vec<(i32, Queue)>,
    joined: Vec<i32>,
}

/// The servers of this process by port (a made-up one: no socket is opened).
static HUBS: Mutex<Vec<(i32, Weak<Mutex<Hub>>)>> = Mutex::new(Vec::new());
static NEXT_PORT: AtomicI32 = AtomicI32::new(20_000);
static NEXT_ID: AtomicI32 = AtomicI32::new(2);

enum Role {
    Server {
        hub: Arc<Mutex<Hub>>,
        port: i32,
    },
    Client {
        hub: Arc<Mutex<Hub>>,
        id: i32,
        own: Queue,
        connected: bool,
    },
}

/// Benchmark only: a multiplayer peer whose server and clients hand packets over in memory.
#[derive(GodotClass)]
#[class(base=MultiplayerPeerExtension, init, tool)]
pub struct OpenSSLFloorMultiplayerPeer {
    role: Option<Role>,
    /// Packets received, moved from the shared queue at each poll.
    inbox: VecDeque<Packet>,
    target: i32,
    channel: i32,
    #[init(val = TransferMode::RELIABLE)]
    mode: TransferMode,
    handed_out: HandedOut,
    base: Base<MultiplayerPeerExtension>,
}

#[godot_api]
impl IMultiplayerPeerExtension for OpenSSLFloorMultiplayerPeer {
    /// SAFETY (for callers): Godot passes valid out-pointers for the buffer and its size.
    unsafe fn get_packet_rawptr(
        &mut self,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        let inbox = &mut self.inbox;
        self.handed_out
            .lend_next(CLASS, r_buffer, r_buffer_size, || {
                inbox.pop_front().map(|p| p.data)
            })
    }

    /// SAFETY (for callers): Godot passes `p_buffer` pointing at `p_buffer_size` readable bytes.
    unsafe fn put_packet_rawptr(
        &mut self,
        p_buffer: RawPtr<*const u8>,
        p_buffer_size: i32,
    ) -> Error {
        // SAFETY: Godot's MultiplayerPeer::put_packet hands us `p_buffer_size` bytes, alive for
        // this call.
        let data = unsafe { packet_from_godot(p_buffer, p_buffer_size) }.unwrap_or_default();
        let (channel, mode, target) = (self.channel, self.mode, self.target);
        let packet = |from| Packet {
            from,
            channel,
            mode,
            data: data.to_vec(),
        };
        match &self.role {
            Some(Role::Client { hub, id, .. }) => {
                let inbox = hub.lock().inbox.clone();
                inbox.lock().push_back(packet(*id));
            }
            Some(Role::Server { hub, .. }) => {
                for (id, queue) in &hub.lock().clients {
                    if target == 0 || target == *id || (target < 0 && -target != *id) {
                        queue.lock().push_back(packet(1));
                    }
                }
            }
            None => return misuse(CLASS, "put_packet", Error::ERR_UNCONFIGURED, "not active"),
        }
        Error::OK
    }

    fn get_available_packet_count(&self) -> i32 {
        i32::try_from(self.inbox.len()).unwrap_or(i32::MAX)
    }

    fn get_max_packet_size(&self) -> i32 {
        1 << 24
    }

    fn get_packet_channel(&self) -> i32 {
        self.inbox.front().map_or(0, |p| p.channel)
    }

    fn get_packet_mode(&self) -> TransferMode {
        self.inbox
            .front()
            .map_or(TransferMode::RELIABLE, |p| p.mode)
    }

    fn set_transfer_channel(&mut self, channel: i32) {
        self.channel = channel;
    }

    fn get_transfer_channel(&self) -> i32 {
        self.channel
    }

    fn set_transfer_mode(&mut self, mode: TransferMode) {
        self.mode = mode;
    }

    fn get_transfer_mode(&self) -> TransferMode {
        self.mode
    }

    fn set_target_peer(&mut self, peer: i32) {
        self.target = peer;
    }

    fn get_packet_peer(&self) -> i32 {
        self.inbox.front().map_or(0, |p| p.from)
    }

    fn is_server(&self) -> bool {
        matches!(self.role, Some(Role::Server { .. }))
    }

    fn poll(&mut self) {
        let mut connected = Vec::new();
        match self.role.as_mut() {
            Some(Role::Server { hub, .. }) => {
                let mut hub = hub.lock();
                connected = std::mem::take(&mut hub.joined);
                self.inbox.append(&mut hub.inbox.lock());
            }
            Some(Role::Client {
                own, connected: c, ..
            }) => {
                if !*c {
                    *c = true;
                    connected.push(1);
                }
                self.inbox.append(&mut own.lock());
            }
            None => {}
        }
        for id in connected {
            self.base_mut()
                .emit_signal("peer_connected", &[i64::from(id).to_variant()]);
        }
    }

    fn close(&mut self) {
        self.role = None;
        self.inbox.clear();
    }

    fn disconnect_peer(&mut self, _peer_id: i32, _force: bool) {}

    fn get_unique_id(&self) -> i32 {
        match &self.role {
            Some(Role::Server { .. }) => 1,
            Some(Role::Client { id, .. }) => *id,
            None => 0,
        }
    }

    fn set_refuse_new_connections(&mut self, _enable: bool) {}

    fn is_refusing_new_connections(&self) -> bool {
        false
    }

    fn is_server_relay_supported(&self) -> bool {
        false
    }

    fn get_connection_status(&self) -> ConnectionStatus {
        match &self.role {
            Some(Role::Server { .. })
            | Some(Role::Client {
                connected: true, ..
            }) => ConnectionStatus::CONNECTED,
            Some(Role::Client { .. }) => ConnectionStatus::CONNECTING,
            None => ConnectionStatus::DISCONNECTED,
        }
    }
}

#[godot_api]
impl OpenSSLFloorMultiplayerPeer {
    /// A server on a made-up [param port] (0: the next free one; [method get_local_port] says which).
    #[func]
    fn create_server(&mut self, port: i32) -> Error {
        let port = if port == 0 {
            NEXT_PORT.fetch_add(1, Ordering::Relaxed)
        } else {
            port
        };
        let hub = Arc::new(Mutex::new(Hub::default()));
        let mut hubs = HUBS.lock();
        hubs.retain(|(_, h)| h.strong_count() > 0);
        hubs.push((port, Arc::downgrade(&hub)));
        self.role = Some(Role::Server { hub, port });
        Error::OK
    }

    /// A client of this process's server on [param port] ([param address] is not used).
    #[func]
    fn create_client(&mut self, _address: GString, port: i32) -> Error {
        let hub = HUBS
            .lock()
            .iter()
            .find(|(p, _)| *p == port)
            .and_then(|(_, h)| h.upgrade());
        let Some(hub) = hub else {
            return misuse(
                CLASS,
                "create_client",
                Error::ERR_CANT_CONNECT,
                "no such server",
            );
        };
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let own = Queue::default();
        {
            let mut h = hub.lock();
            h.clients.push((id, own.clone()));
            h.joined.push(id);
        }
        self.role = Some(Role::Client {
            hub,
            id,
            own,
            connected: false,
        });
        Error::OK
    }

    /// The server's port.
    #[func]
    fn get_local_port(&self) -> i32 {
        match &self.role {
            Some(Role::Server { port, .. }) => *port,
            _ => 0,
        }
    }
}
