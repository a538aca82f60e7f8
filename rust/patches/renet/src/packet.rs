use bytes::Bytes;
use std::{fmt, ops::Range};

pub type Payload = Vec<u8>;

// Sliced messages are split into SLICE_SIZE bytes chunks
// PATCHED (openssl-dtls): 1300 instead of 1200, so that a slice fills a 1400-byte datagram with its
// DTLS record around it (see PATCHED.md).
pub const SLICE_SIZE: usize = 1300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub message_id: u64,
    pub slice_index: usize,
    pub num_slices: usize,
    pub payload: Bytes,
}

/// PATCHED (openssl-dtls): a received `Packet::ReliableSlice` whose payload is borrowed from the
/// packet's bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct ReliableSliceRef<'a> {
    pub sequence: u64,
    pub channel_id: u8,
    pub message_id: u64,
    pub slice_index: usize,
    pub num_slices: usize,
    pub payload: &'a [u8],
}

impl<'a> ReliableSliceRef<'a> {
    /// The packet in `bytes` if it is a reliable slice (its type byte is 2): as
    /// `Packet::from_bytes` reads it, with the same checks.
    pub fn from_bytes(bytes: &'a [u8]) -> Option<Result<Self, SerializationError>> {
        let mut b = octets::Octets::with_slice(bytes);
        match b.get_u8() {
            Ok(2) => Some(Self::read_body(&mut b)),
            _ => None,
        }
    }

    /// The packet after its type byte.
    fn read_body(b: &mut octets::Octets<'a>) -> Result<Self, SerializationError> {
        let (sequence, channel_id, message_id, slice_index, num_slices) = read_slice_header(b)?;

        let payload = b.get_bytes_with_varint_length()?.buf();

        if payload.is_empty() {
            return Err(SerializationError::EmptySlice);
        }

        if payload.len() > SLICE_SIZE {
            return Err(SerializationError::SliceSizeAboveLimit);
        }

        Ok(Self {
            sequence,
            channel_id,
            message_id,
            slice_index,
            num_slices,
            payload,
        })
    }
}

/// PATCHED (openssl-dtls): the header of a slice packet, reliable or unreliable, after its type byte
/// (sequence, channel id, message id, slice index, number of slices), as upstream read it for both.
fn read_slice_header(b: &mut octets::Octets) -> Result<(u64, u8, u64, usize, usize), SerializationError> {
    let sequence = b.get_varint()?;
    let channel_id = b.get_u8()?;
    let message_id = b.get_varint()?;
    let slice_index = b.get_varint()? as usize;
    let num_slices = b.get_varint()? as usize;
    if num_slices == 0 || num_slices > 1_000_000 {
        return Err(SerializationError::InvalidNumSlices);
    }
    Ok((sequence, channel_id, message_id, slice_index, num_slices))
}

/// PATCHED (openssl-dtls): a slice packet of `packet_type` (2 reliable, 3 unreliable) with `header`
/// as `read_slice_header` reads it and its payload, as upstream wrote both.
pub(crate) fn write_slice(
    b: &mut octets::OctetsMut,
    packet_type: u8,
    (sequence, channel_id, message_id, slice_index, num_slices): (u64, u8, u64, usize, usize),
    payload: &[u8],
) -> Result<(), octets::BufferTooShortError> {
    b.put_u8(packet_type)?;
    b.put_varint(sequence)?;
    b.put_u8(channel_id)?;
    b.put_varint(message_id)?;
    b.put_varint(slice_index as u64)?;
    b.put_varint(num_slices as u64)?;
    b.put_varint(payload.len() as u64)?;
    b.put_bytes(payload)?;
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Packet {
    // Small messages in a reliable channel are aggregated and sent in this packet
    SmallReliable {
        sequence: u64,
        channel_id: u8,
        messages: Vec<(u64, Bytes)>,
    },
    // Small messages in a unreliable channel are aggregated and sent in this packet
    SmallUnreliable {
        sequence: u64,
        channel_id: u8,
        messages: Vec<Bytes>,
    },
    // A big unreliable message is sliced in multiples slice packets
    UnreliableSlice {
        sequence: u64,
        channel_id: u8,
        slice: Slice,
    },
    // A big reliable messages is sliced in multiples slice packets
    ReliableSlice {
        sequence: u64,
        channel_id: u8,
        slice: Slice,
    },
    // Contains the packets that were acked
    // Acks are saved in multiples ranges, all values in the ranges are considered acked.
    Ack {
        sequence: u64,
        ack_ranges: Vec<Range<u64>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerializationError {
    BufferTooShort,
    InvalidNumSlices,
    SliceSizeAboveLimit,
    EmptySlice,
    InvalidAckRange,
    InvalidPacketType,
}

impl std::error::Error for SerializationError {}

impl fmt::Display for SerializationError {
    fn fmt(&self, fmt: &mut fmt::Formatter) -> fmt::Result {
        use SerializationError::*;

        match *self {
            BufferTooShort => write!(fmt, "buffer too short"),
            InvalidNumSlices => write!(fmt, "invalid number of slices"),
            InvalidAckRange => write!(fmt, "invalid ack range"),
            InvalidPacketType => write!(fmt, "invalid packet type"),
            SliceSizeAboveLimit => write!(fmt, "invalid slice size, it's above the limit of {} bytes", SLICE_SIZE),
            EmptySlice => write!(fmt, "invalid slice, slices cannot be empty"),
        }
    }
}

impl From<octets::BufferTooShortError> for SerializationError {
    fn from(_: octets::BufferTooShortError) -> Self {
        SerializationError::BufferTooShort
    }
}

impl Packet {
    pub fn sequence(&self) -> u64 {
        match self {
            Packet::SmallReliable { sequence, .. }
            | Packet::SmallUnreliable { sequence, .. }
            | Packet::UnreliableSlice { sequence, .. }
            | Packet::ReliableSlice { sequence, .. }
            | Packet::Ack { sequence, .. } => *sequence,
        }
    }

    pub fn to_bytes(&self, b: &mut octets::OctetsMut) -> Result<usize, SerializationError> {
        let before = b.cap();

        match self {
            Packet::SmallReliable {
                sequence,
                channel_id,
                messages,
            } => {
                b.put_u8(0)?;
                b.put_varint(*sequence)?;
                b.put_u8(*channel_id)?;
                b.put_u16(messages.len() as u16)?;
                for (message_id, message) in messages {
                    b.put_varint(*message_id)?;
                    b.put_varint(message.len() as u64)?;
                    b.put_bytes(message)?;
                }
            }
            Packet::SmallUnreliable {
                sequence,
                channel_id,
                messages,
            } => {
                b.put_u8(1)?;
                b.put_varint(*sequence)?;
                b.put_u8(*channel_id)?;
                b.put_u16(messages.len() as u16)?;
                for message in messages {
                    b.put_varint(message.len() as u64)?;
                    b.put_bytes(message)?;
                }
            }
            Packet::ReliableSlice {
                sequence,
                channel_id,
                slice,
            } => {
                // PATCHED (openssl-dtls): written by `write_slice`, as `SliceRef::to_bytes` writes it.
                let header = (*sequence, *channel_id, slice.message_id, slice.slice_index, slice.num_slices);
                write_slice(b, 2, header, &slice.payload)?;
            }
            Packet::UnreliableSlice {
                sequence,
                channel_id,
                slice,
            } => {
                // PATCHED (openssl-dtls): written by `write_slice`, as `SliceRef::to_bytes` writes it.
                let header = (*sequence, *channel_id, slice.message_id, slice.slice_index, slice.num_slices);
                write_slice(b, 3, header, &slice.payload)?;
            }
            Packet::Ack { sequence, ack_ranges } => {
                b.put_u8(4)?;
                b.put_varint(*sequence)?;

                // Consider this ranges:
                // [20010..20020   ,  20035..20040]
                //  <----10----><-15-><----5------>
                //
                // We can represented more compactly each range if we serialize it based
                // on the start of the previous one, since the difference is usually small
                // The ranges would become before serializing:
                // 20040 5 1 15 10
                //   |   | |  |  |
                //   |   | |  |  +-> 10: size of 20010..20020
                //   |   | |  +----> 15: gap between ranges 20010..20020 and 20035..20040
                //   |   | +--------> 1: remaining number of ranges
                //   |   +----------> 5: size of 20035..20040
                //   +----------> 20040:  end of 20035..20040
                //
                // We can always reconstruct the ranges using the start of the previous one and the gap.

                // Iterate in reverse order
                let mut it = ack_ranges.iter().rev();

                // Extract the last range (first in the iterator)
                let last = it.next().unwrap();
                let last_range_size = (last.end - 1) - last.start;

                b.put_varint(last.end - 1)?;
                b.put_varint(last_range_size)?;

                // Write the number of remaining ranges
                b.put_varint(it.len() as u64)?;

                let mut previous_range_start = last.start;
                // For each subsequent range:
                for range in it {
                    // Calculate the gap between the start of the previous range and the end of the current range
                    let gap = previous_range_start - range.end - 1;
                    let range_size = (range.end - 1) - range.start;

                    b.put_varint(gap)?;
                    b.put_varint(range_size)?;

                    previous_range_start = range.start;
                }
            }
        }

        Ok(before - b.cap())
    }

    pub fn from_bytes(b: &mut octets::Octets) -> Result<Packet, SerializationError> {
        let packet_type = b.get_u8()?;
        match packet_type {
            0 => {
                // SmallReliable
                let sequence = b.get_varint()?;
                let channel_id = b.get_u8()?;
                let messages_len = b.get_u16()?;
                // PATCHED (openssl-dtls): room for the messages announced (at most 64 up front, as
                // upstream reserved for every packet), not 64 for a packet of a few.
                let mut messages: Vec<(u64, Bytes)> = Vec::with_capacity(usize::from(messages_len).min(64));
                for _ in 0..messages_len {
                    let message_id = b.get_varint()?;
                    let payload = b.get_bytes_with_varint_length()?;

                    messages.push((message_id, payload.to_vec().into()));
                }

                Ok(Packet::SmallReliable {
                    sequence,
                    channel_id,
                    messages,
                })
            }
            1 => {
                // SmallUnreliable
                let sequence = b.get_varint()?;
                let channel_id = b.get_u8()?;
                let messages_len = b.get_u16()?;
                // PATCHED (openssl-dtls): as for SmallReliable.
                let mut messages: Vec<Bytes> = Vec::with_capacity(usize::from(messages_len).min(64));
                for _ in 0..messages_len {
                    let payload = b.get_bytes_with_varint_length()?;
                    messages.push(payload.to_vec().into());
                }

                Ok(Packet::SmallUnreliable {
                    sequence,
                    channel_id,
                    messages,
                })
            }
            2 => {
                // ReliableSlice
                // PATCHED (openssl-dtls): read by `ReliableSliceRef::read_body`, also used where
                // the slice is processed without a copy of its payload.
                let slice = ReliableSliceRef::read_body(b)?;
                Ok(Packet::ReliableSlice {
                    sequence: slice.sequence,
                    channel_id: slice.channel_id,
                    slice: Slice {
                        message_id: slice.message_id,
                        slice_index: slice.slice_index,
                        num_slices: slice.num_slices,
                        payload: slice.payload.to_vec().into(),
                    },
                })
            }
            3 => {
                // UnreliableSlice
                let (sequence, channel_id, message_id, slice_index, num_slices) = read_slice_header(b)?;

                let payload = b.get_bytes_with_varint_length()?;

                let slice = Slice {
                    message_id,
                    slice_index,
                    num_slices,
                    payload: payload.to_vec().into(),
                };
                Ok(Packet::UnreliableSlice {
                    sequence,
                    channel_id,
                    slice,
                })
            }
            4 => {
                // Ack
                let sequence = b.get_varint()?;

                let first_range_end = b.get_varint()?;
                let first_range_size = b.get_varint()?;
                let num_remaining_ranges = b.get_varint()?;

                if first_range_end < first_range_size {
                    return Err(SerializationError::InvalidAckRange);
                }

                let mut ack_ranges: Vec<Range<u64>> = Vec::with_capacity(32);

                let first_range_start = first_range_end - first_range_size;
                ack_ranges.push(first_range_start..first_range_end + 1);

                let mut previous_range_start = first_range_start;
                for _ in 0..num_remaining_ranges {
                    // Get the gap between the previous range and the current one
                    let gap = b.get_varint()?;

                    if previous_range_start < 2 + gap {
                        return Err(SerializationError::InvalidAckRange);
                    }

                    // Get the end of the current range using the start of the previous one and the gap
                    let range_end = (previous_range_start - gap) - 2;
                    let range_size = b.get_varint()?;

                    if range_end < range_size {
                        return Err(SerializationError::InvalidAckRange);
                    }

                    let range_start = range_end - range_size;
                    ack_ranges.push(range_start..range_end + 1);

                    previous_range_start = range_start;
                }

                ack_ranges.reverse();

                Ok(Packet::Ack { sequence, ack_ranges })
            }
            _ => Err(SerializationError::InvalidPacketType),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // PATCHED (openssl-dtls): a reliable slice read with its payload borrowed is what
    // `Packet::from_bytes` reads, and refused where it is refused: num_slices 0 or above a million,
    // an empty payload or one above SLICE_SIZE, a truncated packet; other packet types are not
    // reliable slices.
    #[test]
    fn reliable_slices_read_borrowed_are_read_as_packets() {
        let packet = |num_slices: u64, payload_len: usize, cut: usize| {
            let mut buffer = vec![0u8; SLICE_SIZE + 64];
            let mut b = octets::OctetsMut::with_slice(&mut buffer);
            b.put_u8(2).unwrap();
            b.put_varint(70_000).unwrap(); // sequence
            b.put_u8(4).unwrap(); // channel
            b.put_varint(12).unwrap(); // message id
            b.put_varint(3).unwrap(); // slice index
            b.put_varint(num_slices).unwrap();
            b.put_varint(payload_len as u64).unwrap();
            b.put_bytes(&vec![0x5A; payload_len]).unwrap();
            let len = b.off() - cut;
            buffer.truncate(len);
            buffer
        };
        let cases = [
            (packet(9, SLICE_SIZE, 0), true),
            (packet(1, 1, 0), true),
            (packet(0, 10, 0), false),
            (packet(1_000_001, 10, 0), false),
            (packet(9, 0, 0), false),
            (packet(9, SLICE_SIZE + 1, 0), false),
            (packet(9, 100, 1), false),
            (packet(9, 100, 100 + 10), false),
        ];
        for (i, (bytes, valid)) in cases.iter().enumerate() {
            let borrowed = ReliableSliceRef::from_bytes(bytes).expect("a reliable slice");
            let owned = Packet::from_bytes(&mut octets::Octets::with_slice(bytes));
            assert_eq!(borrowed.is_ok(), *valid, "case {i}");
            match (borrowed, owned) {
                (
                    Ok(r),
                    Ok(Packet::ReliableSlice {
                        sequence,
                        channel_id,
                        slice,
                    }),
                ) => {
                    assert_eq!((r.sequence, r.channel_id), (sequence, channel_id), "case {i}");
                    assert_eq!(
                        (r.message_id, r.slice_index, r.num_slices),
                        (slice.message_id, slice.slice_index, slice.num_slices)
                    );
                    assert_eq!(r.payload, &slice.payload[..], "case {i}");
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "case {i}"),
                (a, b) => panic!("case {i}: borrowed {a:?}, owned {b:?}"),
            }
        }
        let ack = Packet::Ack {
            sequence: 1,
            ack_ranges: vec![0..1],
        };
        let mut buffer = vec![0u8; 64];
        let len = ack.to_bytes(&mut octets::OctetsMut::with_slice(&mut buffer)).unwrap();
        assert!(ReliableSliceRef::from_bytes(&buffer[..len]).is_none());
        assert!(ReliableSliceRef::from_bytes(&[]).is_none());
    }

    #[test]
    fn serialize_small_reliable_packet() {
        // PATCHED (openssl-dtls): room for a slice and its header, whatever SLICE_SIZE is.
        let mut buffer = [0u8; SLICE_SIZE + 100];
        let packet = Packet::SmallReliable {
            sequence: 0,
            channel_id: 0,
            messages: vec![(0, vec![0, 0, 0].into()), (1, vec![1, 1, 1].into()), (2, vec![2, 2, 2].into())],
        };

        let mut b = octets::OctetsMut::with_slice(&mut buffer);
        packet.to_bytes(&mut b).unwrap();

        let mut b = octets::Octets::with_slice(&buffer);
        let recv_packet = Packet::from_bytes(&mut b).unwrap();
        assert_eq!(packet, recv_packet);
    }

    #[test]
    fn serialize_small_unreliable_packet() {
        // PATCHED (openssl-dtls): room for a slice and its header, whatever SLICE_SIZE is.
        let mut buffer = [0u8; SLICE_SIZE + 100];
        let packet = Packet::SmallUnreliable {
            sequence: 0,
            channel_id: 0,
            messages: vec![vec![0, 0, 0].into(), vec![1, 1, 1].into(), vec![2, 2, 2].into()],
        };

        let mut b = octets::OctetsMut::with_slice(&mut buffer);
        packet.to_bytes(&mut b).unwrap();

        let mut b = octets::Octets::with_slice(&buffer);
        let recv_packet = Packet::from_bytes(&mut b).unwrap();
        assert_eq!(packet, recv_packet);
    }

    #[test]
    fn serialize_reliable_slice_packet() {
        // PATCHED (openssl-dtls): room for a slice and its header, whatever SLICE_SIZE is.
        let mut buffer = [0u8; SLICE_SIZE + 100];

        let packet = Packet::ReliableSlice {
            sequence: 0,
            channel_id: 0,
            slice: Slice {
                message_id: 0,
                slice_index: 0,
                num_slices: 1,
                payload: vec![5; SLICE_SIZE].into(),
            },
        };

        let mut b = octets::OctetsMut::with_slice(&mut buffer);
        packet.to_bytes(&mut b).unwrap();

        let mut b = octets::Octets::with_slice(&buffer);
        let recv_packet = Packet::from_bytes(&mut b).unwrap();
        assert_eq!(packet, recv_packet);
    }

    #[test]
    fn serialize_unreliable_slice_packet() {
        // PATCHED (openssl-dtls): room for a slice and its header, whatever SLICE_SIZE is.
        let mut buffer = [0u8; SLICE_SIZE + 100];

        let packet = Packet::UnreliableSlice {
            sequence: 0,
            channel_id: 0,
            slice: Slice {
                message_id: 0,
                slice_index: 0,
                num_slices: 1,
                payload: vec![5; SLICE_SIZE].into(),
            },
        };

        let mut b = octets::OctetsMut::with_slice(&mut buffer);
        packet.to_bytes(&mut b).unwrap();

        let mut b = octets::Octets::with_slice(&buffer);
        let recv_packet = Packet::from_bytes(&mut b).unwrap();
        assert_eq!(packet, recv_packet);
    }

    #[test]
    fn serialize_ack_packet() {
        // PATCHED (openssl-dtls): room for a slice and its header, whatever SLICE_SIZE is.
        let mut buffer = [0u8; SLICE_SIZE + 100];

        let packet = Packet::Ack {
            sequence: 0,
            ack_ranges: vec![3..7, 10..20, 30..100],
        };

        let mut b = octets::OctetsMut::with_slice(&mut buffer);
        packet.to_bytes(&mut b).unwrap();

        let mut b = octets::Octets::with_slice(&buffer);
        let recv_packet = Packet::from_bytes(&mut b).unwrap();
        assert_eq!(packet, recv_packet);
    }
}
