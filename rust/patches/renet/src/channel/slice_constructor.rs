use bytes::Bytes;

use crate::{error::ChannelError, packet::SLICE_SIZE};

// PATCHED (openssl-dtls): the message is put together in uninitialised capacity (upstream zeroed
// all of it first: a memset of the whole message, about 2% of a 1 MiB transfer's CPU), its length
// set once every slice is in. Not `Clone`: a clone would copy none of the slices received.
#[derive(Debug)]
pub struct SliceConstructor {
    message_id: u64,
    pub num_slices: usize,
    num_received_slices: usize,
    received: Vec<bool>,
    /// Length 0 until the message is complete; the slices are written into its capacity.
    sliced_data: Vec<u8>,
    /// The last slice's length, once it came.
    last_len: usize,
    /// The message was handed out: later slices of it are ignored.
    done: bool,
}

impl SliceConstructor {
    pub fn new(message_id: u64, num_slices: usize) -> Self {
        SliceConstructor {
            message_id,
            num_slices,
            num_received_slices: 0,
            received: vec![false; num_slices],
            sliced_data: Vec::with_capacity(num_slices * SLICE_SIZE),
            last_len: 0,
            done: false,
        }
    }

    pub fn process_slice(&mut self, slice_index: usize, bytes: &[u8]) -> Result<Option<Bytes>, ChannelError> {
        let is_last_slice = slice_index == self.num_slices - 1;
        if is_last_slice {
            if bytes.len() > SLICE_SIZE {
                log::error!(
                    "Invalid last slice_size for SliceMessage, got {}, expected less than {}.",
                    bytes.len(),
                    SLICE_SIZE,
                );
                return Err(ChannelError::InvalidSliceMessage);
            }
        } else if bytes.len() != SLICE_SIZE {
            log::error!("Invalid slice_size for SliceMessage, got {}, expected {}.", bytes.len(), SLICE_SIZE);
            return Err(ChannelError::InvalidSliceMessage);
        }

        if self.done {
            return Ok(None);
        }
        if !self.received[slice_index] {
            self.received[slice_index] = true;
            self.num_received_slices += 1;

            if is_last_slice {
                self.last_len = bytes.len();
            }

            let start = slice_index * SLICE_SIZE;
            // Within the capacity: slice_index < num_slices and bytes.len() <= SLICE_SIZE (checked
            // above); the indexing checks it again.
            let target = &mut self.sliced_data.spare_capacity_mut()[start..start + bytes.len()];
            // SAFETY: `target` is `bytes.len()` writable bytes of the vector's spare capacity, which
            // `bytes` (a borrowed input) cannot overlap; MaybeUninit<u8> has u8's layout.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), target.as_mut_ptr().cast::<u8>(), bytes.len()) };
            log::trace!(
                "Received slice {} from message {}. ({}/{})",
                slice_index,
                self.message_id,
                self.num_received_slices,
                self.num_slices
            );
        }

        if self.num_received_slices == self.num_slices {
            log::trace!("Received all slices for message {}.", self.message_id);
            let len = (self.num_slices - 1) * SLICE_SIZE + self.last_len;
            // SAFETY: every slice has been written once (`received` counts each index once): slice i
            // < num_slices - 1 filled [i * SLICE_SIZE, (i + 1) * SLICE_SIZE) (those are exactly
            // SLICE_SIZE long, checked above) and the last one [(num_slices - 1) * SLICE_SIZE, len),
            // so the first `len` bytes of the capacity (at least num_slices * SLICE_SIZE) are initialised.
            unsafe { self.sliced_data.set_len(len) };
            self.done = true;
            let payload = std::mem::take(&mut self.sliced_data);
            return Ok(Some(payload.into()));
        }

        Ok(None)
    }
}

// PATCHED (openssl-dtls): tests of the message put together in uninitialised capacity.
#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 7) as u8).collect()
    }

    fn slices(m: &[u8]) -> Vec<&[u8]> {
        m.chunks(SLICE_SIZE).collect()
    }

    #[test]
    fn slices_in_any_order_and_repeated_give_the_message_once() {
        for len in [1, SLICE_SIZE - 1, SLICE_SIZE, SLICE_SIZE + 1, 5 * SLICE_SIZE + 17, 8 * SLICE_SIZE] {
            let m = message(len);
            let parts = slices(&m);
            let n = parts.len();
            // Last first, then the rest backwards, each twice.
            let order: Vec<usize> = (0..n).rev().flat_map(|i| [i, i]).collect();
            let mut c = SliceConstructor::new(1, n);
            let mut done = None;
            for (k, &i) in order.iter().enumerate() {
                let got = c.process_slice(i, parts[i]).unwrap();
                if got.is_some() {
                    assert_eq!(k, order.len() - 2, "complete at the last new slice, len {len}");
                    done = got;
                }
            }
            assert_eq!(done.as_deref(), Some(&m[..]), "len {len}");
            assert!(c.process_slice(0, parts[0]).unwrap().is_none(), "handed out once");
        }
    }

    #[test]
    fn a_slice_of_the_wrong_length_is_refused_and_writes_nothing() {
        let m = message(3 * SLICE_SIZE);
        let mut c = SliceConstructor::new(1, 3);
        assert!(c.process_slice(0, &m[..SLICE_SIZE - 1]).is_err());
        // The last one longer than a slice.
        assert!(c.process_slice(2, &m[..SLICE_SIZE + 1]).is_err());
        for i in [2, 0, 1] {
            let got = c.process_slice(i, &m[i * SLICE_SIZE..(i + 1) * SLICE_SIZE]).unwrap();
            assert_eq!(got.is_some(), i == 1);
            if let Some(whole) = got {
                assert_eq!(&whole[..], &m[..]);
            }
        }
    }
}
