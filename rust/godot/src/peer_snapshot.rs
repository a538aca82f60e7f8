//! What `OpenSSLDTLSMultiplayerPeer.get_peer(id)` hands out: an `OpenSSLPacketPeerDTLS` whose
//! getters read a copy of one multiplayer connection's facts (status, certificate, negotiated
//! parameters, counters) taken at the call. The session stays with the multiplayer peer, so the
//! copy sends and receives nothing. [`SessionFacts`] is what those getters read, live or copied.

use openssl_dtls_core::{Session, Stats, Status};

/// The facts `OpenSSLPacketPeerDTLS`'s getters read.
pub trait SessionFacts {
    fn status(&self) -> Status;
    fn failure(&self) -> Option<&str>;
    fn peer_certificate_pem(&self) -> Option<String>;
    fn alpn_protocol(&self) -> Option<String>;
    fn srtp_profile(&self) -> Option<&'static str>;
    fn psk_identity(&self) -> Option<String>;
    fn stats(&self) -> Stats;
    fn cipher(&self) -> Option<&'static str>;
    fn protocol_version(&self) -> Option<&'static str>;
    fn mtu(&self) -> usize;
    fn max_packet_size(&self) -> usize;
}

impl SessionFacts for Session {
    fn status(&self) -> Status {
        Session::status(self)
    }
    fn failure(&self) -> Option<&str> {
        Session::failure(self)
    }
    fn peer_certificate_pem(&self) -> Option<String> {
        Session::peer_certificate_pem(self)
    }
    fn alpn_protocol(&self) -> Option<String> {
        Session::alpn_protocol(self)
    }
    fn srtp_profile(&self) -> Option<&'static str> {
        Session::srtp_profile(self)
    }
    fn psk_identity(&self) -> Option<String> {
        Session::psk_identity(self)
    }
    fn stats(&self) -> Stats {
        *Session::stats(self)
    }
    fn cipher(&self) -> Option<&'static str> {
        Session::cipher(self)
    }
    fn protocol_version(&self) -> Option<&'static str> {
        Session::protocol_version(self)
    }
    fn mtu(&self) -> usize {
        Session::mtu(self)
    }
    fn max_packet_size(&self) -> usize {
        Session::max_packet_size(self)
    }
}

/// A copy of a session's facts.
#[derive(Debug, Clone)]
pub struct Snapshot {
    status: Status,
    failure: Option<String>,
    peer_certificate_pem: Option<String>,
    alpn_protocol: Option<String>,
    srtp_profile: Option<&'static str>,
    psk_identity: Option<String>,
    stats: Stats,
    cipher: Option<&'static str>,
    protocol_version: Option<&'static str>,
    mtu: usize,
    max_packet_size: usize,
}

impl Snapshot {
    pub fn of(s: &Session) -> Snapshot {
        Snapshot {
            status: s.status(),
            failure: s.failure().map(str::to_string),
            peer_certificate_pem: s.peer_certificate_pem(),
            alpn_protocol: s.alpn_protocol(),
            srtp_profile: s.srtp_profile(),
            psk_identity: s.psk_identity(),
            stats: *s.stats(),
            cipher: s.cipher(),
            protocol_version: s.protocol_version(),
            mtu: s.mtu(),
            max_packet_size: s.max_packet_size(),
        }
    }
}

impl SessionFacts for Snapshot {
    fn status(&self) -> Status {
        self.status
    }
    fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }
    fn peer_certificate_pem(&self) -> Option<String> {
        self.peer_certificate_pem.clone()
    }
    fn alpn_protocol(&self) -> Option<String> {
        self.alpn_protocol.clone()
    }
    fn srtp_profile(&self) -> Option<&'static str> {
        self.srtp_profile
    }
    fn psk_identity(&self) -> Option<String> {
        self.psk_identity.clone()
    }
    fn stats(&self) -> Stats {
        self.stats
    }
    fn cipher(&self) -> Option<&'static str> {
        self.cipher
    }
    fn protocol_version(&self) -> Option<&'static str> {
        self.protocol_version
    }
    fn mtu(&self) -> usize {
        self.mtu
    }
    fn max_packet_size(&self) -> usize {
        self.max_packet_size
    }
}
