//! The few OpenSSL DTLS entry points the `openssl` crate does not bind: the DTLS timer macros,
//! `DTLSv1_listen`, `DTLS_get_data_mtu` and `DTLS_set_timer_cb`; and alert names.

use std::time::Duration;

use foreign_types::ForeignTypeRef;
// C types from `libc`: `struct timeval` differs between platforms (macOS's `tv_usec` is 32-bit,
// Windows' `long` is 32-bit), so none is declared here by hand.
use libc::{c_char, c_int, c_long, c_uint, c_void, timeval};
use openssl::ssl::SslRef;
use openssl_sys::SSL;

const DTLS_CTRL_GET_TIMEOUT: c_int = 73;
const DTLS_CTRL_HANDLE_TIMEOUT: c_int = 74;
const SSL_CTRL_CLEAR_MODE: c_int = 78;
const SSL_CTRL_SESS_NUMBER: c_int = 20;

/// Signature of OpenSSL's `DTLS_timer_cb`.
pub(crate) type TimerCallback = unsafe extern "C" fn(s: *mut SSL, timer_us: c_uint) -> c_uint;

extern "C" {
    fn DTLSv1_listen(s: *mut SSL, client: *mut c_void) -> c_int;
    fn BIO_ADDR_new() -> *mut c_void;
    fn BIO_ADDR_free(addr: *mut c_void);
    fn DTLS_get_data_mtu(s: *const SSL) -> usize;
    fn DTLS_set_timer_cb(s: *mut SSL, cb: Option<TimerCallback>);
    fn SSL_free_buffers(s: *mut SSL) -> c_int;
    fn SSL_has_pending(s: *const SSL) -> c_int;
    fn SSL_get_state(s: *const SSL) -> c_int;
    fn SSL_CTX_use_psk_identity_hint(ctx: *mut openssl_sys::SSL_CTX, hint: *const c_char) -> c_int;
}

/// Sets the PSK identity hint a server sends.
pub(crate) fn set_psk_identity_hint(
    b: &mut openssl::ssl::SslContextBuilder,
    hint: &str,
) -> Result<(), crate::DtlsError> {
    let hint = std::ffi::CString::new(hint)
        .map_err(|_| crate::DtlsError::InvalidConfig("PSK hint contains NUL".into()))?;
    // SAFETY: the builder owns a live SSL_CTX; OpenSSL copies the NUL-terminated hint.
    let ok = unsafe { SSL_CTX_use_psk_identity_hint(b.as_ptr(), hint.as_ptr()) };
    if ok == 1 {
        Ok(())
    } else {
        Err(openssl::error::ErrorStack::get().into())
    }
}

/// OpenSSL's name of a TLS alert description, e.g. "handshake failure".
pub(crate) fn alert_description(description: u8) -> String {
    // SAFETY: SSL_alert_desc_string_long takes any int and returns a pointer to a static
    // NUL-terminated string ("unknown" for values it does not know), never null.
    let name = unsafe {
        std::ffi::CStr::from_ptr(openssl_sys::SSL_alert_desc_string_long(c_int::from(
            description,
        )))
    };
    name.to_string_lossy().into_owned()
}

/// Time left on the DTLS retransmission timer, or `None` when it is not running.
pub(crate) fn dtls_get_timeout(ssl: &SslRef) -> Option<Duration> {
    let mut tv = timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: `ssl` is a live SSL object; DTLS_CTRL_GET_TIMEOUT writes one `struct timeval` of
    // this platform (the `libc` definition, the one OpenSSL was compiled against) through the
    // pointer, which points at `tv`.
    let running = unsafe {
        openssl_sys::SSL_ctrl(
            ssl.as_ptr(),
            DTLS_CTRL_GET_TIMEOUT,
            0,
            &mut tv as *mut timeval as *mut c_void,
        )
    };
    if running <= 0 {
        return None;
    }
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u64::try_from(tv.tv_usec).unwrap_or(0);
    Some(Duration::from_secs(secs) + Duration::from_micros(micros))
}

/// Runs OpenSSL's timeout handling: retransmits the last flight if the timer expired.
/// Returns OpenSSL's result: 1 retransmitted, 0 nothing to do, negative on failure.
pub(crate) fn dtls_handle_timeout(ssl: &SslRef) -> c_long {
    // SAFETY: `ssl` is a live SSL object and DTLS_CTRL_HANDLE_TIMEOUT takes no pointer argument.
    unsafe {
        openssl_sys::SSL_ctrl(
            ssl.as_ptr(),
            DTLS_CTRL_HANDLE_TIMEOUT,
            0,
            std::ptr::null_mut(),
        )
    }
}

/// Largest application payload one record can carry in one datagram with the current cipher;
/// 0 before a cipher is negotiated.
pub(crate) fn dtls_data_mtu(ssl: &SslRef) -> usize {
    // SAFETY: `ssl` is a live SSL object; the call only reads it.
    unsafe { DTLS_get_data_mtu(ssl.as_ptr()) }
}

/// `SSL_free_buffers`: gives the record layer's read and write buffers back when they hold no
/// pending data.
/// True when they were freed (or there were none).
pub(crate) fn free_buffers(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is a live SSL object; the call frees only buffers without pending data and
    // OpenSSL reallocates them on the next read or write.
    unsafe { SSL_free_buffers(ssl.as_ptr()) == 1 }
}

/// `SSL_has_pending`: true while OpenSSL holds received bytes it has not processed yet (more
/// records of a datagram it already read).
pub(crate) fn has_pending(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is a live SSL object; the call only reads its record layer's state.
    unsafe { SSL_has_pending(ssl.as_ptr()) == 1 }
}

/// `SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS)`. The mode is copied into each record layer
/// when OpenSSL creates it, so clearing it on the session only affects record layers made
/// afterwards: the encrypted ones of the handshake's end.
pub(crate) fn clear_release_buffers_mode(ssl: &SslRef) {
    // SAFETY: `ssl` is a live SSL object; SSL_CTRL_CLEAR_MODE only clears bits of its mode and
    // takes no pointer argument.
    unsafe {
        openssl_sys::SSL_ctrl(
            ssl.as_ptr(),
            SSL_CTRL_CLEAR_MODE,
            openssl_sys::SSL_MODE_RELEASE_BUFFERS,
            std::ptr::null_mut(),
        );
    }
}

/// True when OpenSSL has read the peer's ChangeCipherSpec and waits for its Finished
/// (`SSL_get_state` is `TLS_ST_CR_CHANGE` or `TLS_ST_SR_CHANGE`): from then on it reads the
/// peer's protected records at once instead of buffering them. The enum gained two states
/// before these in OpenSSL 3.2 (certificate compression), hence the version test.
pub(crate) fn peer_change_cipher_spec_read(ssl: &SslRef) -> bool {
    let (client_read_change, server_read_change) = if openssl::version::number() >= 0x3020_0000 {
        (11, 35)
    } else {
        (10, 31)
    };
    // SAFETY: `ssl` is a live SSL object; the call only reads its handshake state.
    let state = unsafe { SSL_get_state(ssl.as_ptr()) };
    state == client_read_change || state == server_read_change
}

/// `SSL_CTX_sess_number`: how many sessions the context's session cache holds.
pub(crate) fn ctx_sessions_cached(ctx: &openssl::ssl::SslContextRef) -> i64 {
    // SAFETY: `ctx` is a live SSL_CTX; SSL_CTRL_SESS_NUMBER only reads the cache's length and
    // takes no pointer argument.
    let n = unsafe {
        openssl_sys::SSL_CTX_ctrl(ctx.as_ptr(), SSL_CTRL_SESS_NUMBER, 0, std::ptr::null_mut())
    };
    // c_long is i32 on Windows, i64 elsewhere.
    #[allow(clippy::useless_conversion)]
    i64::from(n)
}

/// Installs the function OpenSSL asks for the next retransmission timeout.
pub(crate) fn dtls_set_timer_cb(ssl: &SslRef, cb: TimerCallback) {
    // SAFETY: `ssl` is a live SSL object; `cb` is a plain function that lives forever.
    unsafe { DTLS_set_timer_cb(ssl.as_ptr(), Some(cb)) }
}

/// Owned `BIO_ADDR`, which `DTLSv1_listen` fills with the peer address (unused: our BIO has none).
pub(crate) struct BioAddr(*mut c_void);

impl BioAddr {
    pub(crate) fn new() -> Option<BioAddr> {
        // SAFETY: BIO_ADDR_new has no preconditions; a null result is checked.
        let p = unsafe { BIO_ADDR_new() };
        (!p.is_null()).then_some(BioAddr(p))
    }
}

impl Drop for BioAddr {
    fn drop(&mut self) {
        // SAFETY: the pointer came from BIO_ADDR_new, is non-null and is freed once.
        unsafe { BIO_ADDR_free(self.0) }
    }
}

// SAFETY: a BIO_ADDR is plain memory with no thread affinity; it is only used through &mut.
unsafe impl Send for BioAddr {}

/// `DTLSv1_listen`: reads one datagram from the SSL's BIO and answers it statelessly.
/// 1: a ClientHello with a valid cookie arrived and the SSL continues as a server session;
/// 0: nothing to accept (a HelloVerifyRequest may have been written); negative: fatal.
pub(crate) fn dtls_listen(ssl: &SslRef, addr: &mut BioAddr) -> c_int {
    // SAFETY: `ssl` is a live SSL object with a BIO attached; `addr` is a live BIO_ADDR.
    unsafe { DTLSv1_listen(ssl.as_ptr(), addr.0) }
}
