//! `OpenSSLDTLSServer`: turns the per-client `PacketPeerUDP`s of Godot's `UDPServer` into
//! `OpenSSLPacketPeerDTLS` connections, behind the core's stateless cookie exchange.

use std::time::Instant;

use std::collections::BTreeMap;

use godot::classes::{CryptoKey, PacketPeerUdp, TlsOptions, X509Certificate};
use godot::global::Error;
use godot::prelude::*;
use godot::register::private::constant::{ConstantKind, ExportConstant, IntegerConstant};
use openssl_dtls_core::{
    Accept, ClientAuth, DtlsError, OwnCertificate, PskKeys, Server, ServerConfig, DEFAULT_CIPHERS,
    DEFAULT_MTU,
};

use crate::nullable::Nullable;
use crate::packet_peer_dtls::OpenSSLPacketPeerDtls;
use crate::udp_transport::GodotUdp;
use crate::{godot_pem, misuse, tuning};

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
    /// Largest UDP payload written, in bytes (256..=65507). Applies at [method setup].
    #[var]
    #[init(val = DEFAULT_MTU as i64)]
    mtu: i64,
    /// Seconds a handshake may take. Applies at [method setup].
    #[var]
    #[init(val = 60.0)]
    handshake_timeout: f64,
    /// Seconds before the first retransmission of a lost handshake flight (doubling, up to 60 s).
    #[var]
    #[init(val = 1.0)]
    initial_retransmit_timeout: f64,
    /// OpenSSL cipher list (DTLS 1.2 suites), in the server's order of preference.
    #[var]
    #[init(val = GString::from(DEFAULT_CIPHERS))]
    cipher_list: GString,
    /// When on (the default), once the handshake has finished with an AEAD suite (AES-GCM or
    /// ChaCha20-Poly1305) the addon's own record layer carries the packets and OpenSSL's
    /// per-connection state is freed: faster and far smaller per peer. Off leaves the records to
    /// OpenSSL's DTLS record layer, to compare the two. Applies to sessions started afterwards.
    #[var]
    #[init(val = true)]
    own_record_layer: bool,
    /// ALPN protocols accepted, in preference order. Applies at [method setup].
    /// Lowest protocol version accepted: [code]"DTLSv1.2"[/code], the only one the bundled
    /// OpenSSL offers (DTLS 1.3 will join when OpenSSL ships it). Applies at [method setup].
    #[var]
    #[init(val = GString::from("DTLSv1.2"))]
    min_protocol_version: GString,
    #[var]
    alpn_protocols: PackedStringArray,
    /// SRTP protection profiles accepted (OpenSSL names, colon separated). Applies at [method setup].
    #[var]
    srtp_profiles: GString,
    psk: Option<PskKeys>,
    client_auth: ClientAuth,
    base: Base<RefCounted>,
}

const CLASS: &str = "OpenSSLDTLSServer";

/// `ClientCertificateMode` constants: (name, value).
const CLIENT_CERTIFICATE_MODES: [(&str, i64); 3] = [
    ("CLIENT_CERTIFICATE_NONE", 0),
    ("CLIENT_CERTIFICATE_OPTIONAL", 1),
    ("CLIENT_CERTIFICATE_REQUIRED", 2),
];

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
        const M: &str = "set_psk_keys";
        let mut table = BTreeMap::new();
        for (identity, key) in keys.iter_shared() {
            let (Ok(identity), Ok(key)) = (
                identity.try_to::<GString>(),
                key.try_to::<PackedByteArray>(),
            ) else {
                return misuse(
                    CLASS,
                    M,
                    Error::ERR_INVALID_PARAMETER,
                    "keys must map String identities to PackedByteArray keys",
                );
            };
            table.insert(identity.to_string(), key.to_vec());
        }
        self.psk = (!table.is_empty()).then(|| PskKeys {
            hint: hint.to_string(),
            keys: table,
        });
        Error::OK
    }

    /// Asks clients for certificates: [param mode] is [code]CLIENT_CERTIFICATE_NONE[/code] (the
    /// default), [code]CLIENT_CERTIFICATE_OPTIONAL[/code] or [code]CLIENT_CERTIFICATE_REQUIRED[/code];
    /// a client certificate must chain to [param trusted] (a CA or the client's own certificate).
    /// Read it with [method OpenSSLPacketPeerDTLS.get_peer_certificate]. Call before [method setup].
    #[func]
    fn set_client_certificate_mode(
        &mut self,
        mode: i64,
        #[opt(default = Nullable::NULL)] trusted: Nullable<X509Certificate>,
    ) -> Error {
        const M: &str = "set_client_certificate_mode";
        let trusted_pem = trusted.0.map(|mut c| godot_pem::certificate_pem(&mut c));
        self.client_auth = match (mode, trusted_pem) {
            (0, _) => ClientAuth::None,
            (1, Some(pem)) => ClientAuth::Optional(pem),
            (2, Some(pem)) => ClientAuth::Required(pem),
            (1 | 2, None) => {
                return misuse(
                    CLASS,
                    M,
                    Error::ERR_INVALID_PARAMETER,
                    "a trusted certificate is needed to verify clients",
                )
            }
            _ => {
                return misuse(
                    CLASS,
                    M,
                    Error::ERR_INVALID_PARAMETER,
                    format!("unknown mode {mode}"),
                )
            }
        };
        Error::OK
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
        let settings = match tuning::settings(
            self.mtu,
            self.handshake_timeout,
            self.initial_retransmit_timeout,
            &self.cipher_list,
            &self.min_protocol_version,
            self.own_record_layer,
        ) {
            Ok(s) => s,
            Err(e) => return misuse(CLASS, method, Error::ERR_INVALID_PARAMETER, e),
        };
        let own = own.unwrap_or(OwnCertificate {
            certificate_pem: String::new(),
            private_key_pem: String::new(),
            chain_pem: None,
        });
        let config = ServerConfig {
            chain_pem: own.chain_pem,
            settings,
            client_auth: self.client_auth.clone(),
            psk: self.psk.clone(),
            alpn: tuning::strings(&self.alpn_protocols),
            srtp_profiles: Some(self.srtp_profiles.to_string()).filter(|p| !p.is_empty()),
            ..ServerConfig::new(own.certificate_pem, own.private_key_pem)
        };
        match Server::new(&config, Instant::now()) {
            Ok(server) => {
                self.server = Some(server);
                Error::OK
            }
            Err(
                e @ (DtlsError::InvalidCertificate(_)
                | DtlsError::InvalidKey(_)
                | DtlsError::InvalidConfig(_)),
            ) => misuse(CLASS, method, Error::ERR_INVALID_PARAMETER, e),
            Err(e) => misuse(CLASS, method, Error::FAILED, e),
        }
    }
}

/// Registers the `ClientCertificateMode` enum constants (call once the class exists).
pub fn register_client_certificate_enum() {
    let enumerators = CLIENT_CERTIFICATE_MODES
        .iter()
        .map(|(name, value)| IntegerConstant::new(name, *value))
        .collect();
    ExportConstant::new(
        OpenSSLDtlsServer::class_id(),
        ConstantKind::Enum {
            name: "ClientCertificateMode".into(),
            enumerators,
        },
    )
    .register();
}
