//! Screening of received datagrams before OpenSSL sees them.
//!
//! RFC 6347 4.1.2.7: invalid DTLS records SHOULD be silently discarded, so that anyone able to
//! send a UDP datagram with the peer's address cannot end the association. OpenSSL 3.6 instead
//! fails the whole session on some malformed records (openssl/openssl#25389, #25840): an
//! encrypted record shorter than the AEAD nonce and tag, a handshake fragment whose lengths
//! do not add up, a malformed ChangeCipherSpec or alert, an unknown content type. Such records
//! are never sent by a real peer, so a datagram that contains one is dropped here whole.

use openssl::ssl::SslCipherRef;

use crate::records::header::{records, ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE};
use crate::records::suite::protected_overhead;

/// DTLS handshake header: type (1), length (3), message_seq (2), fragment offset (3) and
/// fragment length (3).
const HANDSHAKE_HEADER_LEN: usize = 12;

/// Longest handshake message OpenSSL takes: its default certificate list limit (100 KiB,
/// `SSL_MAX_CERT_LIST_DEFAULT`, which the core never changes). A longer one fails the handshake.
const MAX_HANDSHAKE_MESSAGE_LEN: usize = 100 * 1024;

/// Smallest protected (epoch > 0) record OpenSSL accepts without failing the session: the
/// negotiated suite's explicit nonce plus tag. `None` (no cipher negotiated yet) counts as
/// AES-GCM: no genuine protected record can arrive before then.
pub(crate) fn min_protected_len(cipher: Option<&SslCipherRef>) -> usize {
    cipher.map_or(8 + 16, protected_overhead)
}

fn u24(b: &[u8]) -> usize {
    (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
}

/// True when the handshake fragments in a plaintext record body are consistent.
fn handshake_fragments_ok(mut body: &[u8]) -> bool {
    if body.is_empty() {
        return false;
    }
    while !body.is_empty() {
        let Some(header) = body.get(..HANDSHAKE_HEADER_LEN) else {
            return false;
        };
        let message_len = u24(&header[1..4]);
        let fragment_offset = u24(&header[6..9]);
        let fragment_len = u24(&header[9..12]);
        let rest = &body[HANDSHAKE_HEADER_LEN..];
        if fragment_len > rest.len()
            || fragment_offset + fragment_len > message_len
            || message_len > MAX_HANDSHAKE_MESSAGE_LEN
        {
            return false;
        }
        body = &rest[fragment_len..];
    }
    true
}

/// False when `datagram` holds a record that OpenSSL would fail the session on; such a
/// datagram must be dropped. Bytes after the last whole record are left to OpenSSL, which
/// ignores them.
pub(crate) fn acceptable(datagram: &[u8], min_protected_len: usize) -> bool {
    records(datagram).all(
        |(_, header, body)| match (header.content_type, header.epoch) {
            (CHANGE_CIPHER_SPEC, 0) => body == [1],
            (ALERT, 0) => body.len() == 2,
            (HANDSHAKE, 0) => handshake_fragments_ok(body),
            (APPLICATION_DATA, 0) => false,
            (CHANGE_CIPHER_SPEC..=APPLICATION_DATA, _) => body.len() >= min_protected_len,
            _ => false,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, epoch: u16, body: &[u8]) -> Vec<u8> {
        let mut r = vec![content_type, 0xfe, 0xfd];
        r.extend_from_slice(&epoch.to_be_bytes());
        r.extend_from_slice(&[0, 0, 0, 0, 0, 7]);
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn fragment(message_len: usize, offset: usize, body: &[u8]) -> Vec<u8> {
        let mut f = vec![11];
        f.extend_from_slice(&(message_len as u32).to_be_bytes()[1..]);
        f.extend_from_slice(&[0, 3]);
        f.extend_from_slice(&(offset as u32).to_be_bytes()[1..]);
        f.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        f.extend_from_slice(body);
        f
    }

    #[test]
    fn genuine_shapes_pass() {
        let gcm = min_protected_len(None);
        assert_eq!(gcm, 24);
        assert!(acceptable(
            &record(HANDSHAKE, 0, &fragment(100 * 1024, 0, &[0; 10])),
            gcm
        ));
        let mut flight = record(HANDSHAKE, 0, &fragment(100, 0, &[0; 60]));
        flight.extend(record(HANDSHAKE, 0, &fragment(100, 60, &[0; 40])));
        let mut two = fragment(4, 0, &[1, 2, 3, 4]);
        two.extend(fragment(0, 0, &[]));
        flight.extend(record(HANDSHAKE, 0, &two));
        flight.extend(record(CHANGE_CIPHER_SPEC, 0, &[1]));
        flight.extend(record(HANDSHAKE, 1, &[0; 40]));
        assert!(acceptable(&flight, gcm));
        assert!(acceptable(&record(APPLICATION_DATA, 1, &[0; 24]), gcm));
        assert!(acceptable(&record(ALERT, 0, &[2, 40]), gcm));
        assert!(acceptable(&record(ALERT, 1, &[0; 26]), gcm));
        // Truncated trailing bytes are OpenSSL's to ignore.
        let mut trailing = record(APPLICATION_DATA, 1, &[0; 30]);
        trailing.extend_from_slice(&[23, 0xfe]);
        assert!(acceptable(&trailing, gcm));
        assert!(acceptable(&[], gcm));
    }

    #[test]
    fn fatal_shapes_are_refused() {
        let gcm = 24;
        for bad in [
            record(APPLICATION_DATA, 1, &[0; 23]),
            record(APPLICATION_DATA, 1, &[]),
            record(ALERT, 1, &[0; 8]),
            record(APPLICATION_DATA, 0, &[0; 40]),
            record(CHANGE_CIPHER_SPEC, 0, &[2]),
            record(CHANGE_CIPHER_SPEC, 0, &[1, 1]),
            record(ALERT, 0, &[2]),
            record(HANDSHAKE, 0, &[]),
            record(HANDSHAKE, 0, &[1, 0, 0]),
            record(HANDSHAKE, 0, &fragment(10, 0, &[0; 11])),
            record(HANDSHAKE, 0, &fragment(100, 95, &[0; 10])),
            record(HANDSHAKE, 0, &fragment(100, 0, &[0; 10])[..15]),
            record(HANDSHAKE, 0, &fragment(100 * 1024 + 1, 0, &[0; 10])),
            record(99, 0, &[0; 10]),
            record(24, 1, &[0; 40]),
        ] {
            assert!(!acceptable(&bad, gcm), "{bad:02x?}");
            // Also when it follows a good record in the same datagram.
            let mut d = record(APPLICATION_DATA, 1, &[0; 30]);
            d.extend(&bad);
            assert!(!acceptable(&d, gcm), "{bad:02x?}");
        }
        assert!(!acceptable(&record(APPLICATION_DATA, 1, &[0; 15]), 16));
    }
}
