//! `OpenSSLPacketPeerDTLS`: the Godot class over a core DTLS session and a `PacketPeerUDP`.
//! It only translates between GDScript and the core; `poll()` pumps datagrams between them.

use std::time::Instant;

use godot::classes::{
    CryptoKey, IPacketPeerExtension, PacketPeerExtension, PacketPeerUdp, TlsOptions,
    X509Certificate,
};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;
use openssl_dtls_core::{
    flush, pump, ClientConfig, DtlsError, OwnCertificate, Psk, Session, Verification, DEFAULT_MTU,
};

use crate::handed_out::HandedOut;
use crate::nullable::Nullable;
use crate::peer_snapshot::{SessionFacts, Snapshot};
use crate::put_buffer::packet_from_godot;
use crate::status_enum::PeerStatus;
use crate::tuning::tuned_class;
use crate::udp_transport::GodotUdp;
use crate::{auth_args, godot_logger, godot_pem, godot_trust, misuse, tuning};

tuned_class! {
    /// A DTLS client or server-side connection over a connected [PacketPeerUDP], backed by OpenSSL.
    ///
    /// Same API as Godot's built-in [PacketPeerDTLS]: connect with [method connect_to_peer] (or get one
    /// from [method OpenSSLDTLSServer.take_connection]), call [method poll] every frame, and use it as
    /// any [PacketPeer]: [method PacketPeer.put_packet], [method PacketPeer.get_packet],
    /// [method PacketPeer.put_var], [method PacketPeer.get_var]. Each packet travels in one datagram,
    /// encrypted and authenticated; packets are not retransmitted (like UDP), and their order is kept
    /// only as far as the network keeps it. Duplicated and replayed datagrams are dropped.
    #[derive(GodotClass)]
    #[class(base=PacketPeerExtension, init, tool, rename=OpenSSLPacketPeerDTLS)]
    pub struct OpenSSLPacketPeerDtls, applies: "Applies at the next [method connect_to_peer]." {
        /// The DTLS session; kept after it ends, for its status, error and unread packets.
        session: Option<Session>,
        /// The socket, while the session is active; let go as soon as it ends.
        transport: Option<GodotUdp>,
        psk: Option<Psk>,
        client_certificate: Option<OwnCertificate>,
        /// The packets `get_packet` lent to Godot, per reading thread.
        handed_out: HandedOut,
        /// What the last `get_packet` met: `None` for `OK` (`get_packet_error`).
        last_get_error: Option<Error>,
        /// A multiplayer connection's facts, for a peer from `OpenSSLDTLSMultiplayerPeer.get_peer`.
        snapshot: Option<Box<Snapshot>>,
        base: Base<PacketPeerExtension>,
    }
}

const CLASS: &str = "OpenSSLPacketPeerDTLS";

#[godot_api]
impl IPacketPeerExtension for OpenSSLPacketPeerDtls {
    /// SAFETY (for callers): Godot passes `p_buffer` pointing at `p_buffer_size` readable bytes.
    unsafe fn put_packet_rawptr(
        &mut self,
        p_buffer: RawPtr<*const u8>,
        p_buffer_size: i32,
    ) -> Error {
        let Some(session) = self.session.as_mut() else {
            return misuse(CLASS, "put_packet", Error::ERR_UNCONFIGURED, "not connected: call connect_to_peer() or take a connection from OpenSSLDTLSServer first");
        };
        // SAFETY: Godot's PacketPeer::put_packet hands us `p_buffer_size` bytes of its
        // PackedByteArray, alive and unaliased for the duration of this call.
        let Some(packet) = (unsafe { packet_from_godot(p_buffer, p_buffer_size) }) else {
            return misuse(
                CLASS,
                "put_packet",
                Error::ERR_INVALID_PARAMETER,
                "negative packet size",
            );
        };
        let result = session.send(packet);
        self.flush_and_release_if_done();
        match result {
            Ok(()) => Error::OK,
            Err(e @ DtlsError::NotConnected(_)) => {
                misuse(CLASS, "put_packet", Error::ERR_UNCONFIGURED, e)
            }
            Err(e @ DtlsError::PacketTooLarge { .. }) => {
                misuse(CLASS, "put_packet", Error::ERR_INVALID_PARAMETER, e)
            }
            Err(e) => misuse(CLASS, "put_packet", Error::ERR_CONNECTION_ERROR, e),
        }
    }

    /// SAFETY (for callers): Godot passes valid out-pointers for the buffer and its size.
    unsafe fn get_packet_rawptr(
        &mut self,
        r_buffer: RawPtr<*mut RawPtr<*const u8>>,
        r_buffer_size: RawPtr<*mut i32>,
    ) -> Error {
        let session = &mut self.session;
        let result = self
            .handed_out
            .lend(CLASS, r_buffer, r_buffer_size, |buffer| {
                session.as_mut().is_some_and(|s| s.recv_into(buffer))
            });
        self.last_get_error = (result != Error::OK).then_some(result);
        result
    }

    fn get_available_packet_count(&self) -> i32 {
        self.session.as_ref().map_or(0, |s| {
            i32::try_from(s.pending_packets()).unwrap_or(i32::MAX)
        })
    }

    fn get_max_packet_size(&self) -> i32 {
        let max = match self.facts() {
            Some(s) => s.max_packet_size(),
            None => openssl_dtls_core::max_packet_size_estimate(
                usize::try_from(self.mtu).unwrap_or(DEFAULT_MTU),
            ),
        };
        i32::try_from(max).unwrap_or(i32::MAX)
    }
}

// Getters that are not `const` in Godot's API take `&mut self` although they only read: gdext
// then binds the object exclusively, and gdext 0.5.5's blocking cell mis-tracks shared binds that
// overlap across threads (docs/packet-peer.md, "Threads"). The const ones (`get_status`, ...) keep `&self`.
#[godot_api]
impl OpenSSLPacketPeerDtls {
    /// Starts a DTLS handshake with the server [param packet_peer] is connected to (it must be
    /// connected: [method PacketPeerUDP.connect_to_host]). With [param validate_certs] the server's
    /// certificate must chain to [param valid_certificate] when given (a CA, or the server's own
    /// self-signed certificate), else to the system's trusted roots, and must be valid for
    /// [param for_hostname]. With the system's roots [param for_hostname] is required (any
    /// publicly trusted certificate would do otherwise, for anyone's domain): an empty one returns
    /// [constant ERR_INVALID_PARAMETER]. With a [param valid_certificate] an empty
    /// [param for_hostname] means "that certificate or CA, any name". Returns [constant OK] when
    /// the handshake has started; follow it with [method poll] and [method get_status].
    #[func]
    fn connect_to_peer(
        &mut self,
        packet_peer: Option<Gd<PacketPeerUdp>>,
        #[opt(default = true)] validate_certs: bool,
        #[opt(default = "")] for_hostname: GString,
        #[opt(default = Nullable::NULL)] valid_certificate: Nullable<X509Certificate>,
    ) -> Error {
        const M: &str = "connect_to_peer";
        let verification = match (validate_certs, valid_certificate.0) {
            (false, _) => Verification::Off,
            (true, None) => Verification::SystemRoots,
            (true, Some(cert)) => match trusted_pem(M, cert) {
                Ok(v) => v,
                Err(e) => return e,
            },
        };
        self.start_client(M, packet_peer, verification, for_hostname.to_string())
    }

    /// Godot 4 style: like [method PacketPeerDTLS.connect_to_peer] of Godot 4, with a
    /// [TLSOptions] from [method TLSOptions.client] (verify against its trusted chain or the
    /// system roots; its common name override replaces [param hostname]) or
    /// [method TLSOptions.client_unsafe] (no verification). [code]null[/code] means
    /// [code]TLSOptions.client()[/code]. With the system's roots (no trusted chain) a name is
    /// required, as for [method connect_to_peer].
    #[func]
    fn connect_to_peer_with_options(
        &mut self,
        packet_peer: Option<Gd<PacketPeerUdp>>,
        hostname: GString,
        #[opt(default = Nullable::NULL)] client_options: Nullable<TlsOptions>,
    ) -> Error {
        const M: &str = "connect_to_peer_with_options";
        let Some(options) = client_options.0 else {
            return self.start_client(
                M,
                packet_peer,
                Verification::SystemRoots,
                hostname.to_string(),
            );
        };
        if options.is_server() {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "client_options are server options: use TLSOptions.client()",
            );
        }
        let verification = match (options.is_unsafe_client(), options.get_trusted_ca_chain()) {
            (true, _) => Verification::Off,
            (false, None) => Verification::SystemRoots,
            (false, Some(cert)) => match trusted_pem(M, cert) {
                Ok(v) => v,
                Err(e) => return e,
            },
        };
        let name_override = options.get_common_name_override();
        let host = if name_override.is_empty() {
            hostname
        } else {
            name_override
        };
        self.start_client(M, packet_peer, verification, host.to_string())
    }

    /// Uses a pre-shared key instead of certificates (PSK cipher suites, as IoT and CoAP devices
    /// do): [param identity] names the key to the server. Applies to the next
    /// [method connect_to_peer], where certificate validation is then skipped.
    #[func]
    fn set_psk(&mut self, identity: GString, key: PackedByteArray) -> Error {
        auth_args::store(
            &mut self.psk,
            auth_args::client_psk(CLASS, identity, key).map(Some),
        )
    }

    /// Goes back to certificates after [method set_psk].
    #[func]
    fn clear_psk(&mut self) {
        self.psk = None;
    }

    /// A client certificate to present when the server asks for one (mutual authentication):
    /// its private [param key], the [param certificate] and optional intermediates in
    /// [param chain]. Pass [code]null[/code] key and certificate to stop presenting one.
    #[func]
    fn set_client_certificate(
        &mut self,
        key: Option<Gd<CryptoKey>>,
        certificate: Option<Gd<X509Certificate>>,
        #[opt(default = Nullable::NULL)] chain: Nullable<X509Certificate>,
    ) -> Error {
        auth_args::store(
            &mut self.client_certificate,
            auth_args::client_certificate(CLASS, key, certificate, chain.0),
        )
    }

    /// Sends close_notify if connected and forgets the connection; the status becomes
    /// [constant STATUS_DISCONNECTED]. Packets not yet read are dropped.
    #[func]
    fn disconnect_from_peer(&mut self) {
        if let Some(session) = self.session.as_mut() {
            session.close();
        }
        self.flush_and_release_if_done();
        self.session = None;
    }

    /// The next packet, empty when none waits ([method get_packet_error] then says
    /// [constant ERR_UNAVAILABLE]): [method PacketPeer.get_packet] with the packet copied once,
    /// where the engine's own copies it byte by byte (a microsecond per KiB, the cost of the whole
    /// decryption). Calls through a variable typed [PacketPeer] reach the engine's, with the same
    /// packets; [method get_packet_error] answers for both.
    #[func]
    fn get_packet(&mut self) -> PackedByteArray {
        let session = &mut self.session;
        // Through the lent buffers too: this call may come from a script that Godot runs while it
        // decodes the packet lent last (get_var(true)), which must stay intact.
        let packet = self
            .handed_out
            .next_packet(|buffer| session.as_mut().is_some_and(|s| s.recv_into(buffer)))
            .map(PackedByteArray::from);
        self.last_get_error = packet.is_none().then_some(Error::ERR_UNAVAILABLE);
        packet.unwrap_or_default()
    }

    /// What the last [method get_packet] (or [method PacketPeer.get_var]) met: [constant OK], or
    /// [constant ERR_UNAVAILABLE] when no packet waited.
    #[func]
    fn get_packet_error(&self) -> Error {
        self.last_get_error.unwrap_or(Error::OK)
    }

    /// Drives the connection: reads waiting datagrams, advances the handshake, retransmits on
    /// timeout, decrypts packets. Call it every frame (or more often for lower latency).
    #[func]
    fn poll(&mut self) {
        let (Some(session), Some(transport)) = (self.session.as_mut(), self.transport.as_mut())
        else {
            return;
        };
        if let Err(e) = pump(session, transport, Instant::now()) {
            // The socket is gone (closed, or its UDPServer stopped): the session ends here, with
            // one message, instead of failing again on every poll.
            session.abort(format!("the PacketPeerUDP failed: {e}"));
            flush(session, transport);
        }
        // pump() has flushed already: one flush per poll.
        self.release_if_done();
    }

    /// The connection's status.
    #[func]
    fn get_status(&self) -> PeerStatus {
        self.status().into()
    }

    /// Largest packet that fits one datagram of the MTU with the negotiated cipher (an estimate
    /// before the handshake ends; 1163 bytes at the default 1200-byte MTU). [method
    /// PacketPeer.put_packet] accepts larger ones, up to 16384 bytes (one DTLS record), as Godot's
    /// built-in DTLS does: such a packet goes as one datagram larger than the MTU, which IP
    /// fragments on the way (and loses whole when one fragment is lost). With
    /// [member own_record_layer] off, this is also the largest packet accepted.
    #[func(rename = get_max_packet_size)]
    fn max_packet_size(&self) -> i32 {
        IPacketPeerExtension::get_max_packet_size(self)
    }

    /// Why the connection is in an error status, in words (empty otherwise).
    #[func]
    fn get_error_message(&self) -> GString {
        self.facts()
            .and_then(|s| s.failure())
            .unwrap_or_default()
            .into()
    }

    /// The peer's certificate once the handshake has shown it (the server's on a client; the
    /// client's on a server that asked for one), else [code]null[/code].
    #[func]
    fn get_peer_certificate(&mut self) -> Option<Gd<X509Certificate>> {
        let pem = self.facts()?.peer_certificate_pem()?;
        let mut cert = X509Certificate::new_gd();
        if cert.load_from_string(&pem) != Error::OK {
            return None;
        }
        godot_pem::made_from(&cert, &pem);
        Some(cert)
    }

    /// The ALPN protocol both sides agreed on (empty if none).
    #[func]
    fn get_alpn_protocol(&mut self) -> GString {
        self.facts()
            .and_then(|s| s.alpn_protocol())
            .map_or_else(GString::new, |p| GString::from(&p))
    }

    /// The negotiated SRTP protection profile (empty if none).
    #[func]
    fn get_srtp_profile(&mut self) -> GString {
        self.facts()
            .and_then(|s| s.srtp_profile())
            .unwrap_or_default()
            .into()
    }

    /// The PSK identity of the connection (on a server: the one the client announced).
    #[func]
    fn get_psk_identity(&mut self) -> GString {
        self.facts()
            .and_then(|s| s.psk_identity())
            .map_or_else(GString::new, |p| GString::from(&p))
    }

    /// RFC 5705 keying material: [param length] bytes derived from the session for
    /// [param label] and [param context] (empty: none). Both peers get the same bytes, e.g. to
    /// key SRTP or to bind an application login to this connection. Empty when not connected.
    #[func]
    fn export_keying_material(
        &self,
        label: GString,
        context: PackedByteArray,
        length: i64,
    ) -> PackedByteArray {
        const M: &str = "export_keying_material";
        let Some(session) = self.session() else {
            misuse(CLASS, M, Error::ERR_UNCONFIGURED, "not connected");
            return PackedByteArray::new();
        };
        let context = (!context.is_empty()).then(|| context.to_vec());
        let len = usize::try_from(length).unwrap_or(0);
        match session.export_keying_material(&label.to_string(), context.as_deref(), len) {
            Ok(bytes) => PackedByteArray::from(bytes.as_slice()),
            Err(e) => {
                misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e);
                PackedByteArray::new()
            }
        }
    }

    /// Counters and negotiated parameters: [code]datagrams_sent[/code],
    /// [code]datagrams_received[/code], [code]bytes_sent[/code], [code]bytes_received[/code],
    /// [code]packets_sent[/code], [code]packets_received[/code], [code]retransmissions[/code],
    /// [code]packets_dropped[/code] (received while [member max_queued_packets] or
    /// [member max_queued_bytes] were reached),
    /// [code]cipher[/code], [code]protocol[/code], [code]mtu[/code], [code]max_packet_size[/code].
    #[func]
    fn get_statistics(&mut self) -> VarDictionary {
        let mut out = VarDictionary::new();
        let Some(session) = self.facts() else {
            return out;
        };
        let stats = session.stats();
        let counters = [
            ("datagrams_sent", stats.datagrams_sent),
            ("datagrams_received", stats.datagrams_received),
            ("bytes_sent", stats.bytes_sent),
            ("bytes_received", stats.bytes_received),
            ("packets_sent", stats.packets_sent),
            ("packets_received", stats.packets_received),
            ("retransmissions", stats.retransmissions),
            ("packets_dropped", stats.packets_dropped),
        ];
        for (name, value) in counters {
            out.set(name, i64::try_from(value).unwrap_or(i64::MAX));
        }
        out.set("cipher", session.cipher().unwrap_or_default());
        out.set("protocol", session.protocol_version().unwrap_or_default());
        out.set("mtu", i64::try_from(session.mtu()).unwrap_or(i64::MAX));
        out.set(
            "max_packet_size",
            i64::try_from(session.max_packet_size()).unwrap_or(i64::MAX),
        );
        out
    }

    /// Sets how much the addon prints: 0 nothing, 1 errors, 2 warnings (default), 3 info,
    /// 4 debug, 5 trace. Applies to every OpenSSL DTLS object.
    #[func]
    fn set_log_level(level: i64) {
        godot_logger::set_level(level);
    }

    /// The level set by [method set_log_level].
    #[func]
    fn get_log_level() -> i64 {
        godot_logger::level()
    }
}

/// `TrustedPem` from a Godot certificate, or the error to return.
fn trusted_pem(method: &str, mut cert: Gd<X509Certificate>) -> Result<Verification, Error> {
    let pem = godot_pem::certificate_pem(&mut cert);
    if pem.is_empty() {
        return Err(misuse(
            CLASS,
            method,
            Error::ERR_INVALID_PARAMETER,
            "the trusted certificate is empty",
        ));
    }
    Ok(Verification::TrustedPem(pem))
}

impl OpenSSLPacketPeerDtls {
    fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// What the getters read: the live session, else a multiplayer connection's snapshot.
    fn facts(&self) -> Option<&dyn SessionFacts> {
        match (&self.session, &self.snapshot) {
            (Some(s), _) => Some(s),
            (None, Some(s)) => Some(s.as_ref()),
            (None, None) => None,
        }
    }

    fn status(&self) -> openssl_dtls_core::Status {
        self.facts()
            .map_or(openssl_dtls_core::Status::Disconnected, |f| f.status())
    }

    /// A peer showing a multiplayer connection's facts (`OpenSSLDTLSMultiplayerPeer.get_peer`).
    pub(crate) fn from_snapshot(snapshot: Snapshot) -> Gd<Self> {
        let mut peer = Self::new_gd();
        peer.bind_mut().snapshot = Some(Box::new(snapshot));
        peer
    }

    /// Checks the UDP peer and the state, builds the client configuration from the properties
    /// and starts the handshake.
    fn start_client(
        &mut self,
        method: &str,
        packet_peer: Option<Gd<PacketPeerUdp>>,
        verification: Verification,
        hostname: String,
    ) -> Error {
        let Some(udp) = packet_peer else {
            return misuse(
                CLASS,
                method,
                Error::ERR_INVALID_PARAMETER,
                "packet_peer is null",
            );
        };
        if !udp.is_socket_connected() {
            return misuse(
                CLASS,
                method,
                Error::ERR_INVALID_PARAMETER,
                "packet_peer is not connected: call PacketPeerUDP.connect_to_host() first",
            );
        }
        if self.status().is_active() {
            return misuse(
                CLASS,
                method,
                Error::ERR_ALREADY_IN_USE,
                "already handshaking or connected: call disconnect_from_peer() first",
            );
        }
        if let Err(e) = self.check_name_for_system_roots(method, &verification, &hostname) {
            return e;
        }
        let settings = match self.settings() {
            Ok(s) => s,
            Err(e) => return misuse(CLASS, method, Error::ERR_INVALID_PARAMETER, e),
        };
        let verification = match godot_trust::godot_roots(verification) {
            Ok(v) => v,
            Err(why) => return misuse(CLASS, method, Error::ERR_FILE_CANT_OPEN, why),
        };
        let config = ClientConfig {
            verification,
            hostname: Some(hostname),
            settings,
            certificate: self.client_certificate.clone(),
            psk: self.psk.clone(),
            alpn: self.alpn(),
            srtp_profiles: self.srtp(),
        };
        match Session::client(&config, Instant::now()) {
            Ok(session) => {
                self.session = Some(session);
                self.transport = Some(GodotUdp::client(udp));
                self.flush_and_release_if_done();
                Error::OK
            }
            Err(e) => tuning::refused(CLASS, method, e),
        }
    }

    /// Refuses to verify against the system's roots without a host name: every publicly trusted
    /// certificate, for anyone's domain, would be accepted (mbedTLS's CVE-2025-27809). A pinned
    /// certificate or private CA without a name, no validation, or a PSK are the caller's choice.
    fn check_name_for_system_roots(
        &self,
        method: &str,
        verification: &Verification,
        hostname: &str,
    ) -> Result<(), Error> {
        if *verification != Verification::SystemRoots || !hostname.is_empty() || self.psk.is_some()
        {
            return Ok(());
        }
        let param = if method == "connect_to_peer" {
            "for_hostname"
        } else {
            "hostname"
        };
        Err(misuse(
            CLASS,
            method,
            Error::ERR_INVALID_PARAMETER,
            format!(
                "pass the server's name as {param}: with the system's trusted roots and no name, \
                 any publicly trusted certificate would be accepted (or trust the server's own \
                 certificate or CA instead)"
            ),
        ))
    }

    /// Sends what the session queued; once the session has ended (closed by either side,
    /// failed), lets the socket go, as Godot's own DTLS peer does.
    fn flush_and_release_if_done(&mut self) {
        let (Some(session), Some(transport)) = (self.session.as_mut(), self.transport.as_mut())
        else {
            return;
        };
        flush(session, transport);
        self.release_if_done();
    }

    /// Lets the socket go once the session has ended (closed by either side, failed), as Godot's
    /// own DTLS peer does.
    fn release_if_done(&mut self) {
        if self
            .session
            .as_ref()
            .is_some_and(|s| !s.status().is_active())
        {
            if let Some(transport) = self.transport.take() {
                transport.release();
            }
        }
    }

    /// A peer over an accepted server session (from `OpenSSLDTLSServer.take_connection`), or an
    /// idle one (`None`) for a cookie round or a refused call.
    pub(crate) fn from_accepted(accepted: Option<(Session, GodotUdp)>) -> Gd<Self> {
        let mut peer = Self::new_gd();
        if let Some((session, transport)) = accepted {
            let mut this = peer.bind_mut();
            this.session = Some(session);
            this.transport = Some(transport);
            this.flush_and_release_if_done();
        }
        peer
    }
}

impl Drop for OpenSSLPacketPeerDtls {
    /// A peer dropped while connected says goodbye (close_notify), as Godot's own does.
    fn drop(&mut self) {
        if self.transport.is_some() {
            self.disconnect_from_peer();
        }
    }
}
