//! GDExtension entry point of the OpenSSL DTLS addon: registers `OpenSSLPacketPeerDTLS`,
//! `OpenSSLDTLSServer`, `OpenSSLDTLSCertificates`, `OpenSSLDTLSMultiplayerPeer` and their enums, and routes `log` records to Godot's output.

use std::fmt::Display;

use godot::global::{godot_error, Error};
use godot::init::{gdextension, ExtensionLibrary, InitStage};
use godot::obj::GodotClass;

mod auth_args;
mod certificates;
mod class_enum;
#[cfg(test)]
mod docs_xml;
mod dtls_server;
#[cfg(feature = "floor-peers")]
mod floor;
mod godot_logger;
mod godot_pem;
mod godot_trust;
mod handed_out;
mod multiplayer_peer;
mod nullable;
mod packet_peer_dtls;
mod peer_snapshot;
mod put_buffer;
mod status_enum;
mod tuning;
mod udp_transport;

struct OpenSslDtlsExtension;

#[gdextension]
// SAFETY: this is the one extension entry point of the library, as gdext requires.
unsafe impl ExtensionLibrary for OpenSslDtlsExtension {
    fn on_stage_init(stage: InitStage) {
        if stage == InitStage::Scene {
            godot_logger::install();
            status_enum::PeerStatus::register(packet_peer_dtls::OpenSSLPacketPeerDtls::class_id());
            certificates::KeyTypeEnum::register(certificates::OpenSSLDtlsCertificates::class_id());
            auth_args::ClientCertificateMode::register(dtls_server::OpenSSLDtlsServer::class_id());
        }
    }
}

/// Reports a refused call the way Godot's own classes do (`push_error` with the class and
/// method) and returns the error code for GDScript.
pub(crate) fn misuse(class: &str, method: &str, code: Error, why: impl Display) -> Error {
    godot_error!("{class}.{method}: {why}");
    code
}
