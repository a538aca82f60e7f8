//! `OpenSSLDTLSServer`: turns the per-client `PacketPeerUDP`s of Godot's `UDPServer` into
//! `OpenSSLPacketPeerDTLS` connections, behind the core's stateless cookie exchange.

use std::time::Instant;

use godot::classes::{CryptoKey, PacketPeerUdp, X509Certificate};
use godot::global::Error;
use godot::prelude::*;
use openssl_dtls_core::{Accept, Connection, DtlsError, Server, ServerConfig};

use crate::optional_certificate::OptionalCertificate;
use crate::packet_peer_dtls::OpenSSLPacketPeerDtls;
use crate::udp_transport::GodotUdp;
use crate::{godot_pem, misuse};

/// A DTLS server backed by OpenSSL, used with Godot's [UDPServer] like the built-in [DTLSServer].
///
/// Call [method setup] once with the server's key and certificate. For every new
/// [PacketPeerUDP] from [method UDPServer.take_connection], call [method take_connection].
/// A client's first ClientHello is answered with a stateless cookie (HelloVerifyRequest): that
/// call returns a peer in [constant OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED] and releases the
/// [PacketPeerUDP], and the client's second ClientHello arrives as a new connection of the
/// [UDPServer]. So keep only the peers whose status is
/// [constant OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING], as with the built-in server: about half
/// the [method take_connection] calls return a peer to drop. The server keeps no state for a
/// client until the client proves it receives at its address.
#[derive(GodotClass)]
#[class(base=RefCounted, init, tool, rename=OpenSSLDTLSServer)]
pub struct OpenSSLDtlsServer {
    server: Option<Server>,
    base: Base<RefCounted>,
}

const CLASS: &str = "OpenSSLDTLSServer";

#[godot_api]
impl OpenSSLDtlsServer {
    /// Prepares the server with its private [param key], its [param certificate] and, optionally,
    /// the [param chain] of intermediate certificates sent after it. Returns [constant OK], or
    /// [constant ERR_INVALID_PARAMETER] when a value is missing, unreadable or the key does not
    /// belong to the certificate.
    #[func]
    fn setup(
        &mut self,
        key: Option<Gd<CryptoKey>>,
        certificate: Option<Gd<X509Certificate>>,
        #[opt(default = OptionalCertificate(None))] chain: OptionalCertificate,
    ) -> Error {
        const M: &str = "setup";
        let (Some(mut key), Some(mut certificate)) = (key, certificate) else {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "key and certificate are required",
            );
        };
        if key.is_public_only() {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "key is a public key: the server needs the private key",
            );
        }
        let mut config = ServerConfig::new(
            godot_pem::certificate_pem(&mut certificate),
            godot_pem::key_pem(&mut key),
        );
        config.chain_pem = chain.0.map(|mut c| godot_pem::certificate_pem(&mut c));
        match Server::new(&config, Instant::now()) {
            Ok(server) => {
                self.server = Some(server);
                Error::OK
            }
            Err(e @ (DtlsError::InvalidCertificate(_) | DtlsError::InvalidKey(_))) => {
                misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, e)
            }
            Err(e) => misuse(CLASS, M, Error::FAILED, e),
        }
    }

    /// Answers the first datagram(s) of [param udp_peer], a new peer from
    /// [method UDPServer.take_connection]. Returns a peer in
    /// [constant OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING] when the client presented a valid
    /// cookie (keep it and [method OpenSSLPacketPeerDTLS.poll] it), otherwise a peer in
    /// [constant OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED] (drop it; see the class description).
    #[func]
    fn take_connection(
        &mut self,
        udp_peer: Option<Gd<PacketPeerUdp>>,
    ) -> Gd<OpenSSLPacketPeerDtls> {
        const M: &str = "take_connection";
        let Some(server) = self.server.as_mut() else {
            misuse(
                CLASS,
                M,
                Error::ERR_UNCONFIGURED,
                "call setup() with a key and certificate first",
            );
            return OpenSSLPacketPeerDtls::from_connection(None);
        };
        let Some(mut udp) = udp_peer else {
            misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, "udp_peer is null");
            return OpenSSLPacketPeerDtls::from_connection(None);
        };
        let now = Instant::now();
        while udp.get_available_packet_count() > 0 {
            let datagram = udp.get_packet();
            if udp.get_packet_error() != Error::OK {
                break;
            }
            let client = format!("{}:{}", udp.get_packet_ip(), udp.get_packet_port());
            match server.accept(now, client.as_bytes(), datagram.as_slice()) {
                Accept::HelloVerify(reply) => {
                    let _ = udp.put_packet(&PackedByteArray::from(reply.as_slice()));
                }
                Accept::Session(session) => {
                    let connection = Connection::new(*session, GodotUdp::new(udp));
                    return OpenSSLPacketPeerDtls::from_connection(Some(connection));
                }
                Accept::Ignored => {}
            }
        }
        // No valid cookie yet: release the UDP peer so that the client's next ClientHello
        // arrives as a new connection of the UDPServer, and keep nothing.
        udp.close();
        OpenSSLPacketPeerDtls::from_connection(None)
    }
}
