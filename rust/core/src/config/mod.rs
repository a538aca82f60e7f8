//! What sessions are made from: settings, client configuration and trust, certificates and
//! PEM, the optional features (PSK, client certificates, ALPN, SRTP), and the OpenSSL contexts
//! built from them.

pub(crate) mod certificates;
pub(crate) mod client_config;
pub(crate) mod contexts;
pub(crate) mod features;
pub mod pem;
pub(crate) mod secret_text;
pub(crate) mod settings;
pub(crate) mod trust_store;
