//! Records of the established epoch in a layer of our own. OpenSSL does every handshake; once a
//! session is connected with an AEAD suite, its records are sealed and opened here (keys from
//! OpenSSL's TLS1-PRF, the AEAD itself on `ring`, see `aead.rs`) and the `SSL` object with its
//! buffers is freed (the split kernel TLS makes).
//! One job per file: the record header (also used by the screen and the datagram pipe), the
//! suite's parameters, the keys, one record's AEAD, the replay window, one epoch's protection,
//! the connected session's record handling, and the screen that keeps malformed records away
//! from OpenSSL while it still reads them (handshakes, or records left to its layer).

mod aead;
mod connected;
mod epoch;
pub(crate) mod header;
mod keys;
mod replay;
pub(crate) mod screen;
pub(crate) mod suite;
#[cfg(test)]
mod tests;

pub(crate) use connected::{Handover, Outcome, OwnRecords};
