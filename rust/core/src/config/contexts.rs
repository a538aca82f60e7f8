//! Building OpenSSL contexts from our configs, and per-session SSL objects from them.
//! Client contexts without secrets are cached: building one can mean loading the whole system
//! trust store.

use std::ffi::c_uint;
use std::sync::OnceLock;

use openssl::ex_data::Index;
use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslOptions, SslSessionCacheMode,
    SslVerifyMode, SslVersion,
};
use parking_lot::Mutex;

use crate::config::{features, trust_store};
use crate::{ffi, ClientConfig, DtlsError, DtlsVersion, Settings, Verification};

/// How many distinct client contexts stay cached.
const CLIENT_CACHE_SIZE: usize = 16;

type CacheEntry = (ClientConfig, SslContext);
static CLIENT_CACHE: Mutex<Vec<CacheEntry>> = Mutex::new(Vec::new());

fn ssl_version(v: DtlsVersion) -> SslVersion {
    match v {
        DtlsVersion::Dtls1_2 => SslVersion::DTLS1_2,
    }
}

/// A DTLS context with our common settings applied.
pub(crate) fn base_builder(settings: &Settings) -> Result<SslContextBuilder, DtlsError> {
    settings.validate()?;
    let mut b = SslContextBuilder::new(SslMethod::dtls())?;
    b.set_min_proto_version(Some(ssl_version(settings.min_version)))?;
    b.set_max_proto_version(Some(ssl_version(settings.max_version)))?;
    b.set_cipher_list(&settings.cipher_list).map_err(|e| {
        DtlsError::InvalidConfig(format!("cipher list {:?}: {e}", settings.cipher_list))
    })?;
    // We set the MTU ourselves (no socket to query); no renegotiation; the server picks the cipher.
    // No session tickets: clients never resume, and a NewSessionTicket makes the server's last
    // flight three messages (ticket, CCS, Finished) retransmitted as three datagrams; a CCS that
    // overtakes the ticket is dropped (it has no sequence number), which under loss and
    // reordering stalled about 1 handshake in 75 until the timeout (tests/impairment.rs).
    b.set_options(
        SslOptions::NO_QUERY_MTU
            | SslOptions::NO_RENEGOTIATION
            | SslOptions::CIPHER_SERVER_PREFERENCE
            | SslOptions::NO_TICKET,
    );
    // No session cache (issue 25): no client of ours resumes, and master secrets must die with
    // their session (they are wiped there), not wait up to 2 hours in the cache of the context
    // for a resumption. With tickets off too (above), every handshake is a full one.
    b.set_session_cache_mode(SslSessionCacheMode::OFF);
    // The unencrypted record layers the handshake starts with give their buffers back after
    // every record: DTLS keeps the last one for retransmissions for the session's whole life.
    // Sessions clear the mode before the handshake goes on (`Session::new`), so the encrypted
    // record layers keep theirs: releasing them costs an allocation of about 17 KiB per record.
    b.set_mode(SslMode::RELEASE_BUFFERS);
    Ok(b)
}

/// The client context for `config` (everything but the host name, which is per session), from
/// the cache when possible. A config holding a secret (a PSK, a client certificate's private
/// key) is never cached: its context, and the key in it, go with the last session using it.
pub(crate) fn client_context(config: &ClientConfig) -> Result<SslContext, DtlsError> {
    if config.psk.is_some() || config.certificate.is_some() {
        return build_client_context(config);
    }
    let key = ClientConfig {
        hostname: None,
        ..config.clone()
    };
    if let Some((_, ctx)) = CLIENT_CACHE.lock().iter().find(|(k, _)| *k == key) {
        return Ok(ctx.clone());
    }
    let ctx = build_client_context(config)?;
    let mut cache = CLIENT_CACHE.lock();
    if cache.len() >= CLIENT_CACHE_SIZE {
        cache.remove(0);
    }
    cache.push((key, ctx.clone()));
    Ok(ctx)
}

fn build_client_context(config: &ClientConfig) -> Result<SslContext, DtlsError> {
    let mut b = base_builder(&config.settings)?;
    match &config.verification {
        Verification::Off => b.set_verify(SslVerifyMode::NONE),
        Verification::SystemRoots => {
            let source = trust_store::load_system_roots(&mut b);
            log::debug!("DTLS client trusts the system roots from {source}");
            b.set_verify(SslVerifyMode::PEER);
        }
        Verification::TrustedPem(pem) => {
            b.set_cert_store(features::trust_store(pem)?);
            b.set_verify(SslVerifyMode::PEER);
        }
    }
    if let Some(own) = &config.certificate {
        features::use_certificate(&mut b, own)?;
    }
    if let Some(psk) = &config.psk {
        features::use_client_psk(&mut b, psk)?;
        b.set_cipher_list(features::PSK_CIPHERS)?;
    }
    features::offer_alpn(&mut b, &config.alpn)?;
    features::use_srtp(&mut b, config.srtp_profiles.as_deref())?;
    Ok(b.build())
}

/// Index of the per-SSL initial retransmission timeout (µs) read by [`retransmit_timer`].
fn rto_index() -> Result<Index<Ssl, c_uint>, DtlsError> {
    static INDEX: OnceLock<Result<Index<Ssl, c_uint>, String>> = OnceLock::new();
    INDEX
        .get_or_init(|| Ssl::new_ex_index::<c_uint>().map_err(|e| e.to_string()))
        .clone()
        .map_err(DtlsError::Ssl)
}

/// OpenSSL's DTLS timer callback: the first timeout is the session's configured initial value,
/// each retry doubles it, up to 60 s (RFC 6347 4.2.4.1).
unsafe extern "C" fn retransmit_timer(s: *mut openssl_sys::SSL, timer_us: c_uint) -> c_uint {
    const MAX_US: c_uint = 60_000_000;
    if timer_us > 0 {
        return timer_us.saturating_mul(2).min(MAX_US);
    }
    let initial = match rto_index() {
        // SAFETY: `s` is the live SSL object OpenSSL calls us for; the slot, when set, holds a
        // `Box<c_uint>` stored by `new_ssl` through `set_ex_data`, so the pointer reads a c_uint.
        Ok(index) => unsafe {
            let p = openssl_sys::SSL_get_ex_data(s, index.as_raw()) as *const c_uint;
            if p.is_null() {
                None
            } else {
                Some(*p)
            }
        },
        Err(_) => None,
    };
    initial.unwrap_or(1_000_000).clamp(1_000, MAX_US)
}

/// A new SSL object from `ctx` with the session settings (MTU, retransmission timer) applied.
pub(crate) fn new_ssl(ctx: &SslContext, settings: &Settings) -> Result<Ssl, DtlsError> {
    let mut ssl = Ssl::new(ctx)?;
    let mtu = u32::try_from(settings.mtu)
        .map_err(|_| DtlsError::InvalidConfig(format!("MTU {} too large", settings.mtu)))?;
    ssl.set_mtu(mtu)?;
    let initial_us =
        c_uint::try_from(settings.initial_retransmit.as_micros()).unwrap_or(c_uint::MAX);
    ssl.set_ex_data(rto_index()?, initial_us);
    ffi::dtls_set_timer_cb(&ssl, retransmit_timer);
    Ok(ssl)
}
