//! `OpenSSLPacketPeerDTLS`: the Godot class over a core DTLS session and a `PacketPeerUDP`.
//! It only translates between GDScript and the core; `poll()` pumps datagrams between them.

use std::time::Instant;

use godot::classes::{IPacketPeerExtension, PacketPeerExtension, PacketPeerUdp};
use godot::global::Error;
use godot::meta::conv::RawPtr;
use godot::prelude::*;
use openssl_dtls_core::{ClientConfig, Connection, DtlsError, Session, Settings, Verification};

use crate::optional_certificate::OptionalCertificate;
use crate::status_enum::PeerStatus;
use crate::udp_transport::GodotUdp;
use crate::{godot_logger, godot_pem, misuse};

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
pub struct OpenSSLPacketPeerDtls {
    connection: Option<Connection<GodotUdp>>,
    settings: Settings,
    /// The packet handed to Godot by the last `get_packet`; it must outlive the call.
    current: Vec<u8>,
    base: Base<PacketPeerExtension>,
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
        let Some(connection) = self.connection.as_mut() else {
            return misuse(CLASS, "put_packet", Error::ERR_UNCONFIGURED, "not connected: call connect_to_peer() or take a connection from OpenSSLDTLSServer first");
        };
        let Ok(len) = usize::try_from(p_buffer_size) else {
            return misuse(
                CLASS,
                "put_packet",
                Error::ERR_INVALID_PARAMETER,
                "negative packet size",
            );
        };
        let ptr = p_buffer.ptr();
        let packet: &[u8] = if len == 0 || ptr.is_null() {
            &[]
        } else {
            // SAFETY: Godot's PacketPeer::put_packet hands us a pointer to `p_buffer_size` bytes
            // of its PackedByteArray, alive and unaliased for the duration of this call; null and
            // zero length were handled above.
            unsafe { std::slice::from_raw_parts(ptr, len) }
        };
        match connection.send(packet) {
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
        let (buffer_out, size_out) = (r_buffer.ptr(), r_buffer_size.ptr());
        if buffer_out.is_null() || size_out.is_null() {
            return misuse(
                CLASS,
                "get_packet",
                Error::ERR_INVALID_PARAMETER,
                "null output pointer",
            );
        }
        let got = match self.connection.as_mut() {
            Some(c) => c.session_mut().recv_into(&mut self.current),
            None => false,
        };
        if !got {
            return Error::ERR_UNAVAILABLE;
        }
        let len = i32::try_from(self.current.len()).unwrap_or(i32::MAX);
        // SAFETY: both out-pointers are non-null (checked above) and point at Godot's locals for
        // this call. The buffer we hand out is `self.current`, which stays untouched until the
        // next get_packet call, after Godot has copied it.
        unsafe {
            *buffer_out = RawPtr::new(self.current.as_ptr());
            *size_out = len;
        }
        Error::OK
    }

    fn get_available_packet_count(&self) -> i32 {
        self.connection.as_ref().map_or(0, |c| {
            i32::try_from(c.session().pending_packets()).unwrap_or(i32::MAX)
        })
    }

    fn get_max_packet_size(&self) -> i32 {
        let max = match &self.connection {
            Some(c) => c.session().max_packet_size(),
            None => openssl_dtls_core::max_packet_size_estimate(self.settings.mtu),
        };
        i32::try_from(max).unwrap_or(i32::MAX)
    }
}

#[godot_api]
impl OpenSSLPacketPeerDtls {
    /// Starts a DTLS handshake with the server [param packet_peer] is connected to (it must be
    /// connected: [method PacketPeerUDP.connect_to_host]). With [param validate_certs] the server's
    /// certificate must chain to [param valid_certificate] when given (a CA, or the server's own
    /// self-signed certificate), else to the system's trusted roots, and must be valid for
    /// [param for_hostname] when that is not empty. Returns [constant OK] when the handshake has
    /// started; follow it with [method poll] and [method get_status].
    #[func]
    fn connect_to_peer(
        &mut self,
        packet_peer: Option<Gd<PacketPeerUdp>>,
        #[opt(default = true)] validate_certs: bool,
        #[opt(default = "")] for_hostname: GString,
        #[opt(default = OptionalCertificate(None))] valid_certificate: OptionalCertificate,
    ) -> Error {
        const M: &str = "connect_to_peer";
        let Some(udp) = packet_peer else {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "packet_peer is null",
            );
        };
        if !udp.is_socket_connected() {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "packet_peer is not connected: call PacketPeerUDP.connect_to_host() first",
            );
        }
        if self.status().is_active() {
            return misuse(
                CLASS,
                M,
                Error::ERR_ALREADY_IN_USE,
                "already handshaking or connected: call disconnect_from_peer() first",
            );
        }
        let verification = match (validate_certs, valid_certificate.0) {
            (false, _) => Verification::Off,
            (true, None) => Verification::SystemRoots,
            (true, Some(mut cert)) => {
                let pem = godot_pem::certificate_pem(&mut cert);
                if pem.is_empty() {
                    return misuse(
                        CLASS,
                        M,
                        Error::ERR_INVALID_PARAMETER,
                        "valid_certificate holds no certificate",
                    );
                }
                Verification::TrustedPem(pem)
            }
        };
        let config = ClientConfig {
            verification,
            hostname: Some(for_hostname.to_string()),
            settings: self.settings.clone(),
            ..ClientConfig::default()
        };
        match Session::client(&config, Instant::now()) {
            Ok(session) => {
                self.connection = Some(Connection::new(session, GodotUdp::new(udp)));
                Error::OK
            }
            Err(e @ DtlsError::InvalidCertificate(_)) => {
                misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e)
            }
            Err(e) => misuse(CLASS, M, Error::FAILED, e),
        }
    }

    /// Sends close_notify if connected and forgets the connection; the status becomes
    /// [constant STATUS_DISCONNECTED]. Packets not yet read are dropped.
    #[func]
    fn disconnect_from_peer(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            connection.close();
        }
    }

    /// Drives the connection: reads waiting datagrams, advances the handshake, retransmits on
    /// timeout, decrypts packets. Call it every frame (or more often for lower latency).
    #[func]
    fn poll(&mut self) {
        let Some(connection) = self.connection.as_mut() else {
            return;
        };
        if let Err(e) = connection.poll(Instant::now()) {
            log::error!("{CLASS}.poll: {e}");
        }
    }

    /// The connection's status.
    #[func]
    fn get_status(&self) -> PeerStatus {
        self.status().into()
    }

    /// Largest packet [method PacketPeer.put_packet] accepts: what fits one datagram of the MTU
    /// with the negotiated cipher (an estimate before the handshake ends; 1163 bytes at the default
    /// 1200-byte MTU, where Godot's built-in DTLS allows 488).
    #[func(rename = get_max_packet_size)]
    fn max_packet_size(&self) -> i32 {
        IPacketPeerExtension::get_max_packet_size(self)
    }

    /// Why the connection is in an error status, in words (empty otherwise).
    #[func]
    fn get_error_message(&self) -> GString {
        self.connection
            .as_ref()
            .and_then(|c| c.session().failure())
            .unwrap_or_default()
            .into()
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

impl OpenSSLPacketPeerDtls {
    fn status(&self) -> openssl_dtls_core::Status {
        self.connection
            .as_ref()
            .map_or(openssl_dtls_core::Status::Disconnected, |c| {
                c.session().status()
            })
    }

    /// A new peer over an accepted server session (from `OpenSSLDTLSServer.take_connection`).
    pub(crate) fn from_connection(connection: Option<Connection<GodotUdp>>) -> Gd<Self> {
        Gd::from_init_fn(|base| OpenSSLPacketPeerDtls {
            connection,
            settings: Settings::default(),
            current: Vec::new(),
            base,
        })
    }
}
