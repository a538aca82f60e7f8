//! Received messages waiting for the game, oldest first, with the bytes each peer has waiting
//! (what the per-peer memory bound counts: each message its bytes and an overhead, so that a
//! flood of empty messages counts too).

use std::collections::{HashMap, VecDeque};

use super::channels::TransferMode;
use super::guard::ENTRY_OVERHEAD;

/// One message received from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The sender's id (1 for the server).
    pub from: u32,
    /// The transfer channel it was sent on.
    pub channel: u8,
    /// The transfer mode it was sent with.
    pub mode: TransferMode,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// The received messages of every peer, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    queue: VecDeque<Message>,
    bytes: HashMap<u32, usize>,
}

impl Inbox {
    pub(crate) fn push(&mut self, message: Message) {
        *self.bytes.entry(message.from).or_default() += message.data.len() + ENTRY_OVERHEAD;
        self.queue.push_back(message);
    }

    pub(crate) fn pop(&mut self) -> Option<Message> {
        let message = self.queue.pop_front()?;
        if let Some(b) = self.bytes.get_mut(&message.from) {
            *b -= message.data.len() + ENTRY_OVERHEAD;
            if *b == 0 {
                self.bytes.remove(&message.from);
            }
        }
        Some(message)
    }

    pub(crate) fn front(&self) -> Option<&Message> {
        self.queue.front()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Bytes of the messages from `peer` waiting, overheads included.
    pub(crate) fn bytes_from(&self, peer: u32) -> usize {
        self.bytes.get(&peer).copied().unwrap_or(0)
    }

    /// Drops the messages from `peer` (it is gone: nothing of it surfaces after its
    /// disconnection is reported).
    pub(crate) fn remove_from(&mut self, peer: u32) {
        if self.bytes.remove(&peer).is_some() || self.queue.iter().any(|m| m.from == peer) {
            self.queue.retain(|m| m.from != peer);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.bytes.clear();
    }
}
