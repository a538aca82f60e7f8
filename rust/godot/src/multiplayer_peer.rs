//! `OpenSSLDTLSMultiplayerPeer`: Godot's `MultiplayerPeer` over the core's multiplayer host and
//! its UDP socket. It only translates between Godot and the core (transfer modes, statuses, the
//! packet lent to Godot) and emits `peer_connected` / `peer_disconnected` for the core's events.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::time::Instant;

use godot::classes::multiplayer_peer::{ConnectionStatus, TransferMode as GodotMode};
use godot::classes::{
    CryptoKey, IMultiplayerPeerExtension, MultiplayerPeerExtension, TlsOptions, X509Certificate,
};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;
use openssl_dtls_core::multiplayer::{
    ConnectionStatus as CoreStatus, Message, MultiplayerConfig, PeerEvent, PeerStats, SendError,
    TransferMode, MAX_CHANNEL,
};
use openssl_dtls_core::{
    ClientAuth, ClientConfig, DtlsError, NetworkSimulation, OwnCertificate, Psk, PskKeys,
    ServerConfig, UdpMultiplayer, Verification,
};
use parking_lot::Mutex;

use crate::auth_args::ClientCertificateMode;
use crate::handed_out::HandedOut;
use crate::nullable::Nullable;
use crate::packet_peer_dtls::OpenSSLPacketPeerDtls;
use crate::peer_snapshot::Snapshot;
use crate::put_buffer::packet_from_godot;
use crate::tuning::tuned_class;
use crate::{auth_args, godot_pem, godot_trust, misuse, tuning};

tuned_class! {
    /// A [MultiplayerPeer] whose connections are DTLS (OpenSSL), for Godot's high-level multiplayer:
    /// [code]multiplayer.multiplayer_peer = peer[/code], then [annotation @GDScript.@rpc],
    /// [MultiplayerSpawner] and [MultiplayerSynchronizer] work as over [ENetMultiplayerPeer],
    /// encrypted and authenticated.
    ///
    /// [codeblock]
    /// var id = OpenSSLDTLSCertificates.generate_self_signed(["localhost"])
    /// var server = OpenSSLDTLSMultiplayerPeer.new()
    /// server.create_server(4433, TLSOptions.server(id.key, id.certificate))
    /// var client = OpenSSLDTLSMultiplayerPeer.new()
    /// client.create_client("127.0.0.1", 4433, "localhost", TLSOptions.client(id.certificate))
    /// [/codeblock]
    ///
    /// The server is id 1; it gives every client a random unique id once its handshake is done
    /// (the client's status is [constant MultiplayerPeer.CONNECTION_CONNECTED] from then on).
    /// [constant MultiplayerPeer.TRANSFER_MODE_RELIABLE] packets are retransmitted and ordered and
    /// may be large ([member max_message_size]); the unreliable modes are not retransmitted,
    /// [constant MultiplayerPeer.TRANSFER_MODE_UNRELIABLE_ORDERED] drops packets older than one
    /// already received. Each [member MultiplayerPeer.transfer_channel] (0..=15) keeps its own order.
    /// Keepalives go every second, so a vanished peer is reported after [member idle_timeout].
    #[derive(GodotClass)]
    #[class(base=MultiplayerPeerExtension, init, tool, rename=OpenSSLDTLSMultiplayerPeer)]
    pub struct OpenSSLDtlsMultiplayerPeer, applies: "Applies at the next [method create_server] or [method create_client].", defaults: {
        mtu: (openssl_dtls_core::multiplayer::DEFAULT_MULTIPLAYER_MTU as i64),
        handshake_timeout: 10.0,
        idle_timeout: 5.0,
        max_queued_bytes: (16 * 1024 * 1024),
        mtu_doc: "The default 1400 leaves room for the channels' packets (up to 1328 bytes); the \
            smallest accepted is 1366.",
        idle_doc: "Keepalives go every second, so the default 5 s reports a vanished peer \
            ([signal MultiplayerPeer.peer_disconnected]) within about 5 s.",
        queued_bytes_doc: "Most bytes queued per peer, either way: received over all channels at \
            once (not read, or still being reassembled; 128 bytes of overhead counted per packet), \
            or waiting to be sent and acknowledged (default 16 MiB). A peer beyond it is \
            disconnected with a message.",
    } {
        /// The core peer; behind a lock because `get_available_packet_count` (a `&self` virtual)
        /// sends what the game answered once it has read everything.
        peer: Mutex<Option<UdpMultiplayer>>,
        /// A deferred [method flush] is scheduled (what `put_packet` queued leaves this frame).
        flush_scheduled: bool,
        psk: Option<Psk>,
        psk_keys: Option<PskKeys>,
        client_certificate: Option<OwnCertificate>,
        client_auth: ClientAuth,
        #[init(val = 0)]
        transfer_channel: i32,
        #[init(val = TransferMode::Reliable)]
        transfer_mode: TransferMode,
        #[init(val = 0)]
        target_peer: i32,
        refuse_new_connections: bool,
        /// Largest packet, in bytes (reliable; unreliable ones are limited to 256 KiB).
        #[doc = "Applies at the next [method create_server] or [method create_client]."]
        #[var]
        #[init(val = 2 * 1024 * 1024)]
        max_message_size: i64,
        /// Network simulation, for feeling a game on a bad network without any tool: milliseconds
        /// added to every datagram this peer sends (0, the default: none). Set it on a client, a
        /// server or both; the simulation is printed once when the peer starts. With
        /// [member simulated_send_jitter_ms] and [member simulated_send_loss_percent], and the
        /// [code]receive[/code] ones for what this peer reads. Datagrams are delivered at the
        /// first [method MultiplayerPeer.poll] once due, so a round trip grows by the sum plus
        /// up to a frame at each end.
        #[doc = "Applies at the next [method create_server] or [method create_client]."]
        #[var]
        simulated_send_latency_ms: f64,
        /// Network simulation: the latency added to what this peer sends varies by up to this
        /// many milliseconds either way (never below none; datagrams keep their order).
        #[doc = "Applies at the next [method create_server] or [method create_client]."]
        #[var]
        simulated_send_jitter_ms: f64,
        /// Network simulation: the share of the datagrams this peer sends that are lost, in
        /// percent (0..=100). Reliable messages are retransmitted and still arrive.
        #[doc = "Applies at the next [method create_server] or [method create_client]."]
        #[var]
        simulated_send_loss_percent: f64,
        /// Network simulation: milliseconds added to every datagram this peer receives; see
        /// [member simulated_send_latency_ms].
        #[doc = "Applies at the next [method create_server] or [method create_client]."]
        #[var]
        simulated_receive_latency_ms: f64,
        /// Network simulation: the latency added to what this peer receives varies by up to this
        /// many milliseconds either way (never below none; datagrams keep their order).
        #[doc = "Applies at the next [method create_server] or [method create_client]."]
        #[var]
        simulated_receive_jitter_ms: f64,
        /// Network simulation: the share of the datagrams this peer receives that are lost, in
        /// percent (0..=100).
        #[doc = "Applies at the next [method create_server] or [method create_client]."]
        #[var]
        simulated_receive_loss_percent: f64,
        /// The packets `get_packet` lent to Godot, per reading thread.
        handed_out: HandedOut,
        base: Base<MultiplayerPeerExtension>,
    }
}

const CLASS: &str = "OpenSSLDTLSMultiplayerPeer";

fn core_mode(mode: GodotMode) -> Option<TransferMode> {
    TransferMode::from_godot(i64::from(mode.ord()))
}

fn godot_mode(mode: TransferMode) -> GodotMode {
    match mode {
        TransferMode::Unreliable => GodotMode::UNRELIABLE,
        TransferMode::UnreliableOrdered => GodotMode::UNRELIABLE_ORDERED,
        TransferMode::Reliable => GodotMode::RELIABLE,
    }
}

fn id_i32(id: u32) -> i32 {
    i32::try_from(id).unwrap_or(i32::MAX)
}

#[godot_api]
impl IMultiplayerPeerExtension for OpenSSLDtlsMultiplayerPeer {
    /// SAFETY (for callers): Godot passes valid out-pointers for the buffer and its size.
    unsafe fn get_packet_rawptr(
        &mut self,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        let peer = self.peer.get_mut();
        self.handed_out
            .lend_next(CLASS, r_buffer, r_buffer_size, || {
                peer.as_mut()
                    .and_then(|p| p.host_mut().recv())
                    .map(|m| m.data)
            })
    }

    /// SAFETY (for callers): Godot passes `p_buffer` pointing at `p_buffer_size` readable bytes.
    unsafe fn put_packet_rawptr(
        &mut self,
        p_buffer: RawPtr<*const u8>,
        p_buffer_size: i32,
    ) -> Error {
        const M: &str = "put_packet";
        // SAFETY: Godot's MultiplayerPeer::put_packet hands us `p_buffer_size` bytes, alive and
        // unaliased for this call.
        let Some(packet) = (unsafe { packet_from_godot(p_buffer, p_buffer_size) }) else {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "negative packet size",
            );
        };
        let (target, channel, mode) = (self.target_peer, self.transfer_channel, self.transfer_mode);
        let Some(peer) = self.peer.get_mut().as_mut() else {
            return misuse(
                CLASS,
                M,
                Error::ERR_UNCONFIGURED,
                "not connected: call create_server() or create_client() first",
            );
        };
        let channel = u8::try_from(channel).unwrap_or(u8::MAX);
        match peer
            .host_mut()
            .send(Instant::now(), target, channel, mode, packet)
        {
            Ok(()) => {
                self.schedule_flush();
                Error::OK
            }
            Err(e @ SendError::NotConnected) => misuse(CLASS, M, Error::ERR_UNCONFIGURED, e),
            Err(e @ SendError::UnknownPeer(_)) => misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e),
            Err(e @ (SendError::TooLarge { .. } | SendError::InvalidChannel(_))) => {
                misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e)
            }
            Err(e @ SendError::Refused(_)) => misuse(CLASS, M, Error::ERR_CONNECTION_ERROR, e),
        }
    }

    /// Once everything received has been read (the end of `SceneMultiplayer`'s poll), what the
    /// game answered leaves at once, as one batch: an RPC answered from its handler is on the
    /// wire in the frame its request came, as over ENet.
    fn get_available_packet_count(&self) -> i32 {
        let mut peer = self.peer.lock();
        let Some(p) = peer.as_mut() else {
            return 0;
        };
        let count = p.host().pending_messages();
        if count == 0 {
            p.send_queued(Instant::now());
        }
        i32::try_from(count).unwrap_or(i32::MAX)
    }

    fn get_max_packet_size(&self) -> i32 {
        i32::try_from(self.max_message_size).unwrap_or(i32::MAX)
    }

    fn get_packet_channel(&self) -> i32 {
        self.with_next(|m| i32::from(m.channel)).unwrap_or(0)
    }

    fn get_packet_mode(&self) -> GodotMode {
        self.with_next(|m| godot_mode(m.mode))
            .unwrap_or(GodotMode::RELIABLE)
    }

    fn set_transfer_channel(&mut self, channel: i32) {
        if !(0..=i32::from(MAX_CHANNEL)).contains(&channel) {
            misuse(
                CLASS,
                "set_transfer_channel",
                Error::ERR_INVALID_PARAMETER,
                format!("channel {channel} is outside 0..={MAX_CHANNEL}"),
            );
            return;
        }
        self.transfer_channel = channel;
    }

    fn get_transfer_channel(&self) -> i32 {
        self.transfer_channel
    }

    fn set_transfer_mode(&mut self, mode: GodotMode) {
        match core_mode(mode) {
            Some(m) => self.transfer_mode = m,
            None => {
                misuse(
                    CLASS,
                    "set_transfer_mode",
                    Error::ERR_INVALID_PARAMETER,
                    format!("unknown transfer mode {}", mode.ord()),
                );
            }
        }
    }

    fn get_transfer_mode(&self) -> GodotMode {
        godot_mode(self.transfer_mode)
    }

    fn set_target_peer(&mut self, peer: i32) {
        self.target_peer = peer;
    }

    fn get_packet_peer(&self) -> i32 {
        self.with_next(|m| id_i32(m.from)).unwrap_or(0)
    }

    fn is_server(&self) -> bool {
        self.peer
            .lock()
            .as_ref()
            .is_some_and(|p| p.host().is_server())
    }

    fn poll(&mut self) {
        let Some(peer) = self.peer.get_mut().as_mut() else {
            return;
        };
        if let Err(e) = peer.poll_for_reader(Instant::now()) {
            log::warn!("{CLASS}.poll: the UDP socket failed: {e}");
        }
        let events: Vec<PeerEvent> = std::iter::from_fn(|| peer.host_mut().poll_event()).collect();
        // Emitted through base_mut(): handlers may call back into this peer (send an RPC).
        for event in events {
            let (signal, id) = match event {
                PeerEvent::Connected(id) => ("peer_connected", id),
                PeerEvent::Disconnected(id) => ("peer_disconnected", id),
            };
            self.base_mut()
                .emit_signal(signal, &[i64::from(id).to_variant()]);
        }
    }

    fn close(&mut self) {
        if let Some(mut peer) = self.peer.get_mut().take() {
            peer.close();
        }
    }

    fn disconnect_peer(&mut self, peer_id: i32, force: bool) {
        let Some(peer) = self.peer.get_mut().as_mut() else {
            misuse(
                CLASS,
                "disconnect_peer",
                Error::ERR_UNCONFIGURED,
                "not active",
            );
            return;
        };
        let known = u32::try_from(peer_id)
            .is_ok_and(|id| peer.host_mut().disconnect_peer(Instant::now(), id, force));
        peer.transmit();
        if !known {
            misuse(
                CLASS,
                "disconnect_peer",
                Error::ERR_INVALID_PARAMETER,
                format!("no connected peer has id {peer_id}"),
            );
        }
    }

    fn get_unique_id(&self) -> i32 {
        self.peer
            .lock()
            .as_ref()
            .map_or(0, |p| id_i32(p.host().unique_id()))
    }

    fn set_refuse_new_connections(&mut self, enable: bool) {
        self.refuse_new_connections = enable;
        if let Some(peer) = self.peer.get_mut().as_mut() {
            peer.host_mut().set_refuse_new_connections(enable);
        }
    }

    fn is_refusing_new_connections(&self) -> bool {
        self.refuse_new_connections
    }

    fn is_server_relay_supported(&self) -> bool {
        true
    }

    fn get_connection_status(&self) -> ConnectionStatus {
        match self.peer.lock().as_ref().map(|p| p.host().status()) {
            Some(CoreStatus::Connected) => ConnectionStatus::CONNECTED,
            Some(CoreStatus::Connecting) => ConnectionStatus::CONNECTING,
            Some(CoreStatus::Disconnected) | None => ConnectionStatus::DISCONNECTED,
        }
    }
}

#[godot_api]
impl OpenSSLDtlsMultiplayerPeer {
    /// Listens on UDP [param port] (0: one the system picks, see [method get_local_port]) of
    /// [param bind_address] ([code]"*"[/code]: every address, IPv6 and IPv4 at once where the
    /// system allows, else IPv4; or one IPv4 or IPv6 address) for at most
    /// [param max_clients] clients. [param server_options] come from [method TLSOptions.server];
    /// [code]null[/code] after [method set_psk_keys] makes a PSK-only server.
    #[func]
    fn create_server(
        &mut self,
        port: i64,
        #[opt(default = Nullable::NULL)] server_options: Nullable<TlsOptions>,
        #[opt(default = 32)] max_clients: i64,
        #[opt(default = "*")] bind_address: GString,
    ) -> Error {
        const M: &str = "create_server";
        if let Err(e) = self.check_idle(M) {
            return e;
        }
        let Some(port) = u16::try_from(port).ok() else {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                format!("port {port} is outside 0..=65535"),
            );
        };
        let max_clients = match usize::try_from(max_clients) {
            Ok(n @ 1..=4095) => n,
            _ => {
                return misuse(
                    CLASS,
                    M,
                    Error::ERR_INVALID_PARAMETER,
                    format!("max_clients {max_clients} is outside 1..=4095"),
                )
            }
        };
        let bind = bind_address.to_string();
        let ip: Option<IpAddr> = if bind == "*" || bind.is_empty() {
            None
        } else {
            match bind.trim_start_matches('[').trim_end_matches(']').parse() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    return misuse(
                        CLASS,
                        M,
                        Error::ERR_INVALID_PARAMETER,
                        format!("bind_address {bind:?} is not an IP address or \"*\""),
                    )
                }
            }
        };
        let own = match server_options.0 {
            Some(options) => {
                if !options.is_server() {
                    return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, "server_options must come from TLSOptions.server()");
                }
                let (Some(key), Some(certificate)) =
                    (options.get_private_key(), options.get_own_certificate())
                else {
                    return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, "server_options lack a key or certificate");
                };
                match tuning::own_certificate(key, certificate, None) {
                    Ok(own) => Some(own),
                    Err(why) => return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, why),
                }
            }
            None if self.psk_keys.is_some() => None,
            None => {
                return misuse(
                    CLASS,
                    M,
                    Error::ERR_INVALID_PARAMETER,
                    "server_options is null: pass TLSOptions.server(key, certificate), or call set_psk_keys() first",
                )
            }
        };
        let settings = match self.settings() {
            Ok(s) => s,
            Err(e) => return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e),
        };
        let own = own.unwrap_or_default();
        let config = ServerConfig {
            settings,
            client_auth: self.client_auth.clone(),
            psk: self.psk_keys.clone(),
            alpn: self.alpn(),
            srtp_profiles: self.srtp(),
            ..ServerConfig::new(own.certificate_pem.clone(), own.private_key_pem.clone())
        };
        let mp = match self.mp_config(max_clients) {
            Ok(mp) => mp,
            Err(e) => return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e),
        };
        let simulation = match self.simulation() {
            Ok(s) => s,
            Err(e) => return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e),
        };
        match UdpMultiplayer::server_simulated(ip, port, &config, mp, &simulation) {
            Ok(mut peer) => {
                peer.host_mut()
                    .set_refuse_new_connections(self.refuse_new_connections);
                *self.peer.get_mut() = Some(peer);
                announce(&simulation);
                Error::OK
            }
            Err(e) => refused(M, e),
        }
    }

    /// Connects to the server at [param address]:[param port]: an IPv4 or IPv6 address, or a host
    /// name (looked up here, blocking until the system answers) whose addresses are tried in the
    /// order the system gives, each until it answers or for 1 s. The server's certificate must be
    /// valid for [param hostname] ([param address] when empty) and chain to what
    /// [param client_options] trusts: [code]null[/code] the system's roots,
    /// [method TLSOptions.client] a pinned certificate or CA, [method TLSOptions.client_unsafe]
    /// nothing checked. After [method set_psk] the pre-shared key is used instead. The status is
    /// [constant MultiplayerPeer.CONNECTION_CONNECTING] until the server has given this peer its
    /// id; a failure ([signal MultiplayerAPI.connection_failed]) leaves it
    /// [constant MultiplayerPeer.CONNECTION_DISCONNECTED].
    #[func]
    fn create_client(
        &mut self,
        address: GString,
        port: i64,
        #[opt(default = "")] hostname: GString,
        #[opt(default = Nullable::NULL)] client_options: Nullable<TlsOptions>,
    ) -> Error {
        const M: &str = "create_client";
        if let Err(e) = self.check_idle(M) {
            return e;
        }
        let address = address.to_string();
        if address.is_empty() {
            return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, "address is empty");
        }
        let port = match u16::try_from(port) {
            Ok(p @ 1..) => p,
            _ => {
                return misuse(
                    CLASS,
                    M,
                    Error::ERR_INVALID_PARAMETER,
                    format!("port {port} is outside 1..=65535"),
                )
            }
        };
        let mut host = hostname.to_string();
        let verification = match client_options.0 {
            None => Verification::SystemRoots,
            Some(options) => {
                if options.is_server() {
                    return misuse(
                        CLASS,
                        M,
                        Error::ERR_INVALID_PARAMETER,
                        "client_options are server options: use TLSOptions.client()",
                    );
                }
                let name_override = options.get_common_name_override().to_string();
                if !name_override.is_empty() {
                    host = name_override;
                }
                match (options.is_unsafe_client(), options.get_trusted_ca_chain()) {
                    (true, _) => Verification::Off,
                    (false, None) => Verification::SystemRoots,
                    (false, Some(mut cert)) => {
                        let pem = godot_pem::certificate_pem(&mut cert);
                        if pem.is_empty() {
                            return misuse(
                                CLASS,
                                M,
                                Error::ERR_INVALID_PARAMETER,
                                "the trusted certificate is empty",
                            );
                        }
                        Verification::TrustedPem(pem)
                    }
                }
            }
        };
        if host.is_empty() {
            host = address.clone();
        }
        let verification = match godot_trust::godot_roots(verification) {
            Ok(v) => v,
            Err(why) => return misuse(CLASS, M, Error::ERR_FILE_CANT_OPEN, why),
        };
        let settings = match self.settings() {
            Ok(s) => s,
            Err(e) => return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e),
        };
        let config = ClientConfig {
            verification,
            hostname: Some(host),
            settings,
            certificate: self.client_certificate.clone(),
            psk: self.psk.clone(),
            alpn: self.alpn(),
            srtp_profiles: self.srtp(),
        };
        let mp = match self.mp_config(1) {
            Ok(mp) => mp,
            Err(e) => return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e),
        };
        let simulation = match self.simulation() {
            Ok(s) => s,
            Err(e) => return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e),
        };
        match UdpMultiplayer::client_simulated(&address, port, &config, mp, &simulation) {
            Ok(peer) => {
                *self.peer.get_mut() = Some(peer);
                announce(&simulation);
                Error::OK
            }
            Err(e) => refused(M, e),
        }
    }

    /// The UDP port this peer is bound to (a server's listening port; 0 when not active).
    #[func]
    fn get_local_port(&self) -> i64 {
        self.peer
            .lock()
            .as_ref()
            .and_then(|p| p.local_addr().ok())
            .map_or(0, |a| i64::from(a.port()))
    }

    /// The DTLS connection to peer [param id] (on a client, [code]1[/code]: the server) as an
    /// [OpenSSLPacketPeerDTLS] showing its status, certificate ([method
    /// OpenSSLPacketPeerDTLS.get_peer_certificate]), negotiated parameters and
    /// [method OpenSSLPacketPeerDTLS.get_statistics] as they were at this call; it sends nothing
    /// itself. [code]null[/code], with one message, for an unknown id.
    #[func]
    fn get_peer(&self, id: i64) -> Option<Gd<OpenSSLPacketPeerDtls>> {
        let snapshot = {
            let peer = self.peer.lock();
            u32::try_from(id)
                .ok()
                .and_then(|id| peer.as_ref()?.host().session(id).map(Snapshot::of))
        };
        match snapshot {
            Some(snapshot) => Some(OpenSSLPacketPeerDtls::from_snapshot(snapshot)),
            None => {
                misuse(
                    CLASS,
                    "get_peer",
                    Error::ERR_INVALID_PARAMETER,
                    format!("no connected peer has id {id}"),
                );
                None
            }
        }
    }

    /// The ids of the connected peers (a client: [code][1][/code] once connected).
    #[func]
    fn get_peer_ids(&self) -> PackedInt32Array {
        let ids: Vec<i32> = self
            .peer
            .lock()
            .as_ref()
            .map(|p| p.host().peer_ids().into_iter().map(id_i32).collect())
            .unwrap_or_default();
        PackedInt32Array::from(ids.as_slice())
    }

    /// Why a client's connection failed or ended, in words (empty otherwise).
    #[func]
    fn get_error_message(&self) -> GString {
        self.peer
            .lock()
            .as_ref()
            .and_then(|p| p.host().failure())
            .unwrap_or_default()
            .into()
    }

    /// The connection to peer [param id] (on a client, [code]1[/code]: the server) as a game
    /// shows it, in a [Dictionary]:
    /// [code]round_trip_time[/code] (smoothed, in milliseconds; [code]-1.0[/code] until the first
    /// ping came back, about one round trip after connecting; pings go every second),
    /// [code]round_trip_time_variance[/code] (milliseconds), [code]packet_loss[/code] (0.0 to 1.0:
    /// what the peer sent that was lost on the way, over its last thousand or so DTLS records;
    /// [code]-1.0[/code] while unknown), [code]bytes_sent_per_second[/code] and
    /// [code]bytes_received_per_second[/code] (UDP payload, over the last second),
    /// [code]queued_bytes[/code] (messages waiting to be sent or acknowledged), and the session's
    /// totals [code]datagrams_sent[/code], [code]datagrams_received[/code], [code]bytes_sent[/code],
    /// [code]bytes_received[/code]. Empty, with one message, for an unknown id.
    #[func]
    fn get_peer_statistics(&self, id: i64) -> VarDictionary {
        let stats: Option<PeerStats> = {
            let peer = self.peer.lock();
            u32::try_from(id)
                .ok()
                .and_then(|id| peer.as_ref()?.host().peer_stats(id))
        };
        let Some(s) = stats else {
            misuse(
                CLASS,
                "get_peer_statistics",
                Error::ERR_INVALID_PARAMETER,
                format!("no connected peer has id {id}"),
            );
            return VarDictionary::new();
        };
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        let as_int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let mut d = VarDictionary::new();
        d.set("round_trip_time", s.rtt.map_or(-1.0, ms));
        d.set("round_trip_time_variance", ms(s.rtt_variance));
        d.set("packet_loss", s.packet_loss.unwrap_or(-1.0));
        d.set("bytes_sent_per_second", s.bytes_sent_per_second);
        d.set("bytes_received_per_second", s.bytes_received_per_second);
        d.set("queued_bytes", as_int(s.queued_bytes as u64));
        d.set("datagrams_sent", as_int(s.session.datagrams_sent));
        d.set("datagrams_received", as_int(s.session.datagrams_received));
        d.set("bytes_sent", as_int(s.session.bytes_sent));
        d.set("bytes_received", as_int(s.session.bytes_received));
        d
    }

    /// Sends now what [method MultiplayerPeer.put_packet] (an RPC) queued. Rarely needed: what a
    /// frame queues leaves at the end of that frame (a deferred call), and what is answered while
    /// reading leaves once everything received has been read; the messages of one batch share
    /// datagrams.
    #[func]
    fn flush(&mut self) {
        self.flush_scheduled = false;
        if let Some(peer) = self.peer.get_mut().as_mut() {
            peer.send_queued(Instant::now());
        }
    }

    /// Client: use a pre-shared key (PSK cipher suites) instead of certificates, named
    /// [param identity] to the server. Call before [method create_client].
    #[func]
    fn set_psk(&mut self, identity: GString, key: PackedByteArray) -> Error {
        auth_args::store(
            &mut self.psk,
            auth_args::client_psk(CLASS, identity, key).map(Some),
        )
    }

    /// Server: accept clients by pre-shared key, [param keys] mapping each identity (String) to
    /// its key (PackedByteArray); [param hint] is sent to clients. Call before [method create_server].
    #[func]
    fn set_psk_keys(&mut self, keys: VarDictionary, #[opt(default = "")] hint: GString) -> Error {
        auth_args::store(
            &mut self.psk_keys,
            auth_args::server_psk_keys(CLASS, keys, hint),
        )
    }

    /// Client: a certificate to present when the server asks for one; [code]null[/code] for both
    /// stops presenting one. Call before [method create_client].
    #[func]
    fn set_client_certificate(
        &mut self,
        key: Option<Gd<CryptoKey>>,
        certificate: Option<Gd<X509Certificate>>,
    ) -> Error {
        auth_args::store(
            &mut self.client_certificate,
            auth_args::client_certificate(CLASS, key, certificate, None),
        )
    }

    /// Server: ask clients for certificates ([code]OpenSSLDTLSServer.CLIENT_CERTIFICATE_*[/code]),
    /// which must chain to [param trusted]. Call before [method create_server].
    #[func]
    fn set_client_certificate_mode(
        &mut self,
        mode: ClientCertificateMode,
        #[opt(default = Nullable::NULL)] trusted: Nullable<X509Certificate>,
    ) -> Error {
        auth_args::store(
            &mut self.client_auth,
            auth_args::client_auth(CLASS, mode, trusted.0),
        )
    }
}

impl OpenSSLDtlsMultiplayerPeer {
    /// `f` of the message `get_packet` returns next.
    fn with_next<R>(&self, f: impl FnOnce(&Message) -> R) -> Option<R> {
        self.peer.lock().as_ref()?.host().peek().map(f)
    }

    /// What `put_packet` queued leaves at the end of this frame: [method flush] runs deferred,
    /// once per frame however many packets were put.
    fn schedule_flush(&mut self) {
        if !self.flush_scheduled {
            self.flush_scheduled = true;
            self.base_mut().call_deferred("flush", &[]);
        }
    }

    /// Refuses a second `create_*` while this peer is active.
    fn check_idle(&self, method: &str) -> Result<(), Error> {
        let active =
            self.peer.lock().as_ref().is_some_and(|p| {
                p.host().is_server() || p.host().status() != CoreStatus::Disconnected
            });
        if active {
            return Err(misuse(
                CLASS,
                method,
                Error::ERR_ALREADY_IN_USE,
                "already active: call close() first",
            ));
        }
        Ok(())
    }

    fn mp_config(&self, max_clients: usize) -> Result<MultiplayerConfig, DtlsError> {
        let max_message_size = usize::try_from(self.max_message_size)
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                DtlsError::InvalidConfig(format!(
                    "max_message_size must be at least 1, not {}",
                    self.max_message_size
                ))
            })?;
        let max_queued_bytes = usize::try_from(self.max_queued_bytes).unwrap_or(0);
        let mp = MultiplayerConfig {
            max_clients,
            max_message_size,
            max_queued_bytes,
            ..MultiplayerConfig::default()
        };
        let settings = self.settings()?;
        mp.validate(&settings)?;
        Ok(mp)
    }

    /// The network simulation the `simulated_*` properties set (nothing by default), with a
    /// random seed.
    fn simulation(&self) -> Result<NetworkSimulation, DtlsError> {
        Ok(NetworkSimulation {
            send: NetworkSimulation::direction(
                "send",
                self.simulated_send_latency_ms,
                self.simulated_send_jitter_ms,
                self.simulated_send_loss_percent,
            )?,
            receive: NetworkSimulation::direction(
                "receive",
                self.simulated_receive_latency_ms,
                self.simulated_receive_jitter_ms,
                self.simulated_receive_loss_percent,
            )?,
            seed: RandomState::new().build_hasher().finish(),
        })
    }
}

/// Prints the simulation once, when a peer starts with one (so that nobody ships a game with it
/// on without seeing it).
fn announce(simulation: &NetworkSimulation) {
    if simulation.is_active() {
        godot_print!("[openssl_dtls] {CLASS}: simulating a bad network: {simulation}");
    }
}

/// The error for a `create_*` the core refused: a socket that cannot be bound is
/// `ERR_CANT_CREATE`, a bad value `ERR_INVALID_PARAMETER`, OpenSSL failing `FAILED`.
fn refused(method: &str, e: DtlsError) -> Error {
    match &e {
        DtlsError::InvalidConfig(why) if why.starts_with("bind") => {
            misuse(CLASS, method, Error::ERR_CANT_CREATE, e)
        }
        _ => tuning::refused(CLASS, method, e),
    }
}

impl Drop for OpenSSLDtlsMultiplayerPeer {
    /// A peer dropped while active says goodbye to its peers.
    fn drop(&mut self) {
        if let Some(mut peer) = self.peer.get_mut().take() {
            peer.close();
        }
    }
}
