//! The DTLS server: a stateless cookie exchange (HelloVerifyRequest) in front of session creation.
//! Nothing is kept for a client until it comes back with a valid cookie.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::ssl::{SslContext, SslStream};

use crate::config::features::{self, PSK_CIPHERS};
use crate::config::{contexts, pem};
use crate::server::cookie_jar::CookieJar;
use crate::server::failure_log::FailureLog;
use crate::session::datagram_io::{self, DatagramIo};
use crate::{ffi, ClientAuth, DtlsError, OwnCertificate, PskKeys, Session, Settings};

/// Configuration of a server. `Debug` leaves the private key out (PSK keys show as sizes).
#[derive(Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The server certificate, PEM; more certificates after it are sent as its chain.
    pub certificate_pem: String,
    /// The private key of the certificate, PEM (wiped when the config drops).
    pub private_key_pem: crate::SecretString,
    /// Extra chain certificates (intermediates), PEM, sent after those in `certificate_pem`.
    pub chain_pem: Option<String>,
    /// MTU, timers, versions, ciphers for every session.
    pub settings: Settings,
    /// How often the cookie secret changes (cookies stay valid for one to two periods).
    pub cookie_rotation: Duration,
    /// Whether clients must present certificates (mutual authentication).
    pub client_auth: ClientAuth,
    /// Pre-shared keys by client identity; with them the certificate may be left empty.
    pub psk: Option<PskKeys>,
    /// ALPN protocols the server accepts, in its preference order.
    pub alpn: Vec<String>,
    /// SRTP protection profiles the server accepts (OpenSSL names, colon separated).
    pub srtp_profiles: Option<String>,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("certificate_pem", &self.certificate_pem)
            .field(
                "private_key_pem",
                &features::Redacted(self.private_key_pem.len()),
            )
            .field("chain_pem", &self.chain_pem)
            .field("settings", &self.settings)
            .field("cookie_rotation", &self.cookie_rotation)
            .field("client_auth", &self.client_auth)
            .field("psk", &self.psk)
            .field("alpn", &self.alpn)
            .field("srtp_profiles", &self.srtp_profiles)
            .finish()
    }
}

impl ServerConfig {
    /// A server with this certificate and key and default settings.
    pub fn new(certificate_pem: impl Into<String>, private_key_pem: impl Into<String>) -> Self {
        ServerConfig {
            certificate_pem: certificate_pem.into(),
            private_key_pem: crate::SecretString::new(private_key_pem),
            chain_pem: None,
            settings: Settings::default(),
            cookie_rotation: Duration::from_secs(30),
            client_auth: ClientAuth::None,
            psk: None,
            alpn: Vec::new(),
            srtp_profiles: None,
        }
    }
}

/// What [`Server::accept`] made of a datagram from a client it has no session with.
#[derive(Debug)]
pub enum Accept {
    /// Send this HelloVerifyRequest back to the client; nothing about it was kept. Hand the
    /// buffer back with [`Server::recycle`] afterwards to spare an allocation per ClientHello.
    HelloVerify(Vec<u8>),
    /// The ClientHello carried a valid cookie: a handshaking session, its first flight queued.
    Session(Box<Session>),
    /// Not a usable ClientHello: drop the datagram.
    Ignored,
}

/// A DTLS server: one OpenSSL context, the cookie secrets, and a reusable listening SSL object.
pub struct Server {
    ctx: SslContext,
    settings: Settings,
    cookies: Arc<CookieJar>,
    listener: Option<SslStream<DatagramIo>>,
    peer_addr: ffi::BioAddr,
    /// The rate-limited warnings of this server's failed sessions.
    failure_log: Arc<FailureLog>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Builds the server context: checks the certificate, chain and key belong together.
    pub fn new(config: &ServerConfig, now: Instant) -> Result<Server, DtlsError> {
        if config.cookie_rotation.is_zero() {
            return Err(DtlsError::InvalidConfig(
                "cookie rotation must be above zero".into(),
            ));
        }
        let mut b = contexts::base_builder(&config.settings)?;
        let has_certificate = !pem::clean_pem(&config.certificate_pem).is_empty();
        match (&config.psk, has_certificate) {
            (None, _) | (Some(_), true) => features::use_certificate(
                &mut b,
                &OwnCertificate {
                    certificate_pem: config.certificate_pem.clone(),
                    private_key_pem: String::from(&config.private_key_pem),
                    chain_pem: config.chain_pem.clone(),
                },
            )?,
            (Some(_), false) => {}
        }
        if let Some(psk) = &config.psk {
            features::use_server_psk(&mut b, psk)?;
            let ciphers = if has_certificate {
                format!("{}:{PSK_CIPHERS}", config.settings.cipher_list)
            } else {
                PSK_CIPHERS.to_string()
            };
            b.set_cipher_list(&ciphers)
                .map_err(|e| DtlsError::InvalidConfig(format!("cipher list {ciphers:?}: {e}")))?;
        }
        features::verify_clients(&mut b, &config.client_auth)?;
        features::select_alpn(&mut b, &config.alpn)?;
        features::use_srtp(&mut b, config.srtp_profiles.as_deref())?;
        let cookies = Arc::new(CookieJar::new(config.cookie_rotation, now)?);
        let jar = Arc::clone(&cookies);
        b.set_cookie_generate_cb(move |_, out| Ok(jar.generate(out)));
        let jar = Arc::clone(&cookies);
        b.set_cookie_verify_cb(move |_, cookie| jar.verify(cookie));
        let peer_addr =
            ffi::BioAddr::new().ok_or_else(|| DtlsError::Ssl("BIO_ADDR_new failed".into()))?;
        Ok(Server {
            ctx: b.build(),
            settings: config.settings.clone(),
            cookies,
            listener: None,
            peer_addr,
            failure_log: Arc::default(),
        })
    }

    /// The settings every session of this server gets.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// How many sessions OpenSSL's session cache of this server's context holds (always 0: the
    /// cache is off and no secret outlives its session; for the tests).
    #[doc(hidden)]
    pub fn cached_sessions(&self) -> i64 {
        ffi::ctx_sessions_cached(&self.ctx)
    }

    /// Answers a datagram from `peer` (any stable bytes naming the client's address and port, e.g.
    /// `"203.0.113.7:4433"`), a client that has no session yet. A ClientHello without a valid
    /// cookie gets a HelloVerifyRequest and leaves no trace; one with a valid cookie becomes a
    /// session.
    pub fn accept(&mut self, now: Instant, peer: &[u8], datagram: &[u8]) -> Accept {
        if !starts_with_client_hello(datagram) {
            return Accept::Ignored;
        }
        if let Err(e) = self.cookies.prepare(now, peer) {
            log::warn!("DTLS server: cookie computation failed: {e}");
            return Accept::Ignored;
        }
        let mut listener = match self.listener.take() {
            Some(l) => l,
            None => match self.new_listener() {
                Ok(l) => l,
                Err(e) => {
                    log::warn!("DTLS server: cannot create a listening SSL object: {e}");
                    return Accept::Ignored;
                }
            },
        };
        listener.get_mut().deliver(datagram, false);
        let result = ffi::dtls_listen(listener.ssl(), &mut self.peer_addr);
        listener.get_mut().discard_unread();
        // Garbage leaves reasons on OpenSSL's thread-local error queue: clear them.
        let _ = openssl::error::ErrorStack::get();
        if result > 0 {
            // DTLSv1_listen only accepts a datagram that starts with the ClientHello's record.
            if let Some(seq) = datagram_io::record_seq(datagram) {
                listener.get_mut().continue_after_listen(seq);
            }
            return Accept::Session(Box::new(Session::accepted(
                listener,
                &self.settings,
                now,
                Arc::clone(&self.failure_log),
                datagram.len(),
            )));
        }
        let reply = listener.get_mut().outgoing.pop();
        if result == 0 {
            self.listener = Some(listener);
        }
        match reply {
            Some(hello_verify) => Accept::HelloVerify(hello_verify),
            None => Accept::Ignored,
        }
    }

    /// Gives a HelloVerifyRequest's buffer back once it is sent, so the next one reuses it: a
    /// flood of ClientHellos then allocates nothing per datagram in the cookie step.
    pub fn recycle(&mut self, reply: Vec<u8>) {
        if let Some(listener) = self.listener.as_mut() {
            listener.get_mut().outgoing.recycle(reply);
        }
    }

    fn new_listener(&self) -> Result<SslStream<DatagramIo>, DtlsError> {
        let mut ssl = contexts::new_ssl(&self.ctx, &self.settings)?;
        ssl.set_accept_state();
        Ok(SslStream::new(ssl, DatagramIo::default())?)
    }
}

/// True when `datagram` starts with an unencrypted DTLS handshake record (epoch 0) whose first
/// message is a ClientHello: the only datagram the cookie step answers. Anything else is dropped
/// before OpenSSL or the cookie HMAC sees it.
fn starts_with_client_hello(datagram: &[u8]) -> bool {
    const HANDSHAKE: u8 = 22;
    const CLIENT_HELLO: u8 = 1;
    /// Record header (13 bytes) and handshake header (12 bytes).
    const MIN_LEN: usize = 13 + 12;
    datagram.len() >= MIN_LEN
        && datagram[0] == HANDSHAKE
        && datagram[1] == 0xFE
        && datagram[3..5] == [0, 0]
        && datagram[13] == CLIENT_HELLO
}
