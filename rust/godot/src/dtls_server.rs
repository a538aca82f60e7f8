//! `OpenSSLDTLSServer`: turns the per-client `PacketPeerUDP`s of Godot's `UDPServer` into
//! `OpenSSLPacketPeerDTLS` connections, behind the core's stateless cookie exchange.

use std::time::Instant;

use godot::classes::{CryptoKey, PacketPeerUdp, TlsOptions, X509Certificate};
use godot::global::Error;
use godot::prelude::*;
use openssl_dtls_core::{Accept, ClientAuth, OwnCertificate, PskKeys, Server, ServerConfig};

use crate::auth_args::ClientCertificateMode;
use crate::nullable::Nullable;
use crate::packet_peer_dtls::OpenSSLPacketPeerDtls;
use crate::tuning::tuned_class;
use crate::udp_transport::GodotUdp;
use crate::{auth_args, misuse, tuning};

tuned_class! {
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
    pub struct OpenSSLDtlsServer, applies: "Applies at [method setup], to every session." {
        server: Option<Server>,
        psk: Option<PskKeys>,
        client_auth: ClientAuth,
        base: Base<RefCounted>,
    }
}

const CLASS: &str = "OpenSSLDTLSServer";

#[godot_api]
impl OpenSSLDtlsServer {
    /// Prepares the server with its private [param key], its [param certificate] and, optionally,
    /// the [param chain] of intermediate certificates sent after it. After [method set_psk_keys]
    /// key and certificate may be [code]null[/code] (a PSK-only server). Returns [constant OK], or
    /// [constant ERR_INVALID_PARAMETER] when a value is missing, unreadable, out of range, or the
    /// key does not belong to the certificate.
    #[func]
    fn setup(
        &mut self,
        key: Option<Gd<CryptoKey>>,
        certificate: Option<Gd<X509Certificate>>,
        #[opt(default = Nullable::NULL)] chain: Nullable<X509Certificate>,
    ) -> Error {
        const M: &str = "setup";
        let own = match (key, certificate) {
            (Some(key), Some(certificate)) => {
                match tuning::own_certificate(key, certificate, chain.0) {
                    Ok(own) => Some(own),
                    Err(why) => return misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, why),
                }
            }
            (None, None) if self.psk.is_some() => None,
            _ => return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "key and certificate are required (or PSK keys from set_psk_keys() and neither)",
            ),
        };
        self.start(M, own)
    }

    /// Godot 4 style: like [method DTLSServer.setup] of Godot 4, with [param server_options] from
    /// [method TLSOptions.server].
    #[func]
    fn setup_with_options(&mut self, server_options: Option<Gd<TlsOptions>>) -> Error {
        const M: &str = "setup_with_options";
        let Some(options) = server_options.filter(|o| o.is_server()) else {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "server_options must come from TLSOptions.server()",
            );
        };
        let (Some(key), Some(certificate)) =
            (options.get_private_key(), options.get_own_certificate())
        else {
            return misuse(
                CLASS,
                M,
                Error::ERR_INVALID_PARAMETER,
                "server_options lack a key or certificate",
            );
        };
        match tuning::own_certificate(key, certificate, None) {
            Ok(own) => self.start(M, Some(own)),
            Err(why) => misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, why),
        }
    }

    /// Accepts clients by pre-shared key: [param keys] maps each client identity (String) to its
    /// key (PackedByteArray); [param hint] is sent to clients. Call before [method setup].
    #[func]
    fn set_psk_keys(&mut self, keys: VarDictionary, #[opt(default = "")] hint: GString) -> Error {
        auth_args::store(&mut self.psk, auth_args::server_psk_keys(CLASS, keys, hint))
    }

    /// Asks clients for certificates: [param mode] is [code]CLIENT_CERTIFICATE_NONE[/code] (the
    /// default), [code]CLIENT_CERTIFICATE_OPTIONAL[/code] or [code]CLIENT_CERTIFICATE_REQUIRED[/code];
    /// a client certificate must chain to [param trusted] (a CA or the client's own certificate).
    /// Read it with [method OpenSSLPacketPeerDTLS.get_peer_certificate]. Call before [method setup].
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
        let Some(mut udp) = udp_peer else {
            misuse(CLASS, M, Error::ERR_INVALID_PARAMETER, "udp_peer is null");
            return OpenSSLPacketPeerDtls::from_accepted(None);
        };
        let Some(server) = self.server.as_mut() else {
            misuse(
                CLASS,
                M,
                Error::ERR_UNCONFIGURED,
                "call setup() with a key and certificate first",
            );
            udp.close();
            return OpenSSLPacketPeerDtls::from_accepted(None);
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
                    server.recycle(reply);
                }
                Accept::Session(session) => {
                    return OpenSSLPacketPeerDtls::from_accepted(Some((
                        *session,
                        GodotUdp::from_server(udp),
                    )));
                }
                Accept::Ignored => {}
            }
        }
        // No valid cookie yet: release the UDP peer so that the client's next ClientHello
        // arrives as a new connection of the UDPServer, and keep nothing.
        udp.close();
        OpenSSLPacketPeerDtls::from_accepted(None)
    }
}

impl OpenSSLDtlsServer {
    /// Builds the core server from the properties and `own` certificate.
    fn start(&mut self, method: &str, own: Option<OwnCertificate>) -> Error {
        let settings = match self.settings() {
            Ok(s) => s,
            Err(e) => return misuse(CLASS, method, Error::ERR_INVALID_PARAMETER, e),
        };
        let own = own.unwrap_or_default();
        let config = ServerConfig {
            chain_pem: own.chain_pem.clone(),
            settings,
            client_auth: self.client_auth.clone(),
            psk: self.psk.clone(),
            alpn: self.alpn(),
            srtp_profiles: self.srtp(),
            ..ServerConfig::new(own.certificate_pem.clone(), own.private_key_pem.clone())
        };
        match Server::new(&config, Instant::now()) {
            Ok(server) => {
                self.server = Some(server);
                Error::OK
            }
            Err(e) => tuning::refused(CLASS, method, e),
        }
    }
}
