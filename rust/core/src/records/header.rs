//! The DTLS 1.2 record header (RFC 6347 4.1), parsed in this one place for the screen, the
//! datagram pipe under OpenSSL and our own record layer.

/// type (1), version (2), epoch (2), sequence number (6), length (2).
pub(crate) const HEADER_LEN: usize = 13;
/// Largest 48-bit record sequence number.
pub(crate) const SEQ_MAX: u64 = (1 << 48) - 1;
/// DTLS 1.2 on the wire.
pub(crate) const DTLS1_2: [u8; 2] = [0xfe, 0xfd];

pub(crate) const CHANGE_CIPHER_SPEC: u8 = 20;
pub(crate) const ALERT: u8 = 21;
pub(crate) const HANDSHAKE: u8 = 22;
pub(crate) const APPLICATION_DATA: u8 = 23;

/// One record header as it is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) content_type: u8,
    pub(crate) version: [u8; 2],
    pub(crate) epoch: u16,
    pub(crate) seq: u64,
    /// Length of the record body that follows the header.
    pub(crate) len: usize,
}

impl Header {
    /// The header at the start of `bytes`, when 13 bytes are there.
    pub(crate) fn parse(bytes: &[u8]) -> Option<Header> {
        let h = bytes.get(..HEADER_LEN)?;
        let mut seq = [0u8; 8];
        seq[2..].copy_from_slice(&h[5..11]);
        Some(Header {
            content_type: h[0],
            version: [h[1], h[2]],
            epoch: u16::from_be_bytes([h[3], h[4]]),
            seq: u64::from_be_bytes(seq),
            len: usize::from(u16::from_be_bytes([h[11], h[12]])),
        })
    }

    /// The 8 bytes epoch || sequence number (the AEAD nonce part and the AAD's first field).
    pub(crate) fn epoch_seq(&self) -> [u8; 8] {
        (u64::from(self.epoch) << 48 | (self.seq & SEQ_MAX)).to_be_bytes()
    }

    /// The header's 13 bytes (the length field saturates at 65535).
    pub(crate) fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0] = self.content_type;
        h[1..3].copy_from_slice(&self.version);
        h[3..11].copy_from_slice(&self.epoch_seq());
        let len = u16::try_from(self.len).unwrap_or(u16::MAX);
        h[11..13].copy_from_slice(&len.to_be_bytes());
        h
    }
}

/// Writes `seq` into the sequence number field of the header at the start of `record`.
pub(crate) fn set_seq(record: &mut [u8], seq: u64) {
    if let Some(field) = record.get_mut(5..11) {
        field.copy_from_slice(&(seq & SEQ_MAX).to_be_bytes()[2..]);
    }
}

/// The whole records of a datagram, in order: (offset of the header, header, body). Stops at the
/// first record whose body runs past the end of the datagram (trailing bytes are not a record).
pub(crate) fn records(datagram: &[u8]) -> Records<'_> {
    Records { datagram, at: 0 }
}

/// Iterator returned by [`records`].
pub(crate) struct Records<'a> {
    datagram: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = (usize, Header, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.datagram.get(self.at..)?;
        let header = Header::parse(rest)?;
        let body = rest.get(HEADER_LEN..HEADER_LEN + header.len)?;
        let at = self.at;
        self.at += HEADER_LEN + header.len;
        Some((at, header, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_write_round_trip() {
        let h = Header {
            content_type: APPLICATION_DATA,
            version: DTLS1_2,
            epoch: 1,
            seq: 0x0102_0304_0506,
            len: 300,
        };
        let bytes = h.to_bytes();
        assert_eq!(
            bytes,
            [23, 0xfe, 0xfd, 0, 1, 1, 2, 3, 4, 5, 6, 1, 44],
            "RFC 6347 4.1 layout"
        );
        assert_eq!(Header::parse(&bytes), Some(h));
        assert_eq!(Header::parse(&bytes[..12]), None);
        let mut r = bytes.to_vec();
        set_seq(&mut r, SEQ_MAX);
        assert_eq!(Header::parse(&r).map(|h| h.seq), Some(SEQ_MAX));
    }

    #[test]
    fn records_stop_at_a_truncated_one() {
        let mut d = Vec::new();
        for (seq, body) in [(1u64, &[1u8, 2][..]), (2, &[][..]), (3, &[9; 5][..])] {
            let h = Header {
                content_type: HANDSHAKE,
                version: DTLS1_2,
                epoch: 0,
                seq,
                len: body.len(),
            };
            d.extend_from_slice(&h.to_bytes());
            d.extend_from_slice(body);
        }
        let whole = d.len();
        d.extend_from_slice(&[23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 1]);
        let got: Vec<(usize, u64, usize)> =
            records(&d).map(|(at, h, b)| (at, h.seq, b.len())).collect();
        assert_eq!(got, vec![(0, 1, 2), (15, 2, 0), (28, 3, 5)]);
        assert_eq!(28 + 13 + 5, whole);
    }
}
