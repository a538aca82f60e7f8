//! The in-memory "socket" under OpenSSL: one read hands over exactly one datagram, one write
//! produces exactly one datagram. This is what makes the session sans-IO.

use std::io::{self, Read, Write};

use crate::PacketQueue;

/// Datagram pipe between a session and OpenSSL's BIO.
#[derive(Default, Debug)]
pub(crate) struct DatagramIo {
    /// The datagram OpenSSL will read next (at most one: the caller feeds them one at a time).
    inbox: Vec<u8>,
    inbox_full: bool,
    /// Datagrams OpenSSL wrote, waiting for the caller to send them.
    pub(crate) outgoing: PacketQueue,
}

impl DatagramIo {
    /// Offers one received datagram to OpenSSL's next read.
    pub(crate) fn deliver(&mut self, datagram: &[u8]) {
        self.inbox.clear();
        self.inbox.extend_from_slice(datagram);
        self.inbox_full = true;
    }

    /// Forgets a datagram OpenSSL did not read (it had no use for it in its state).
    pub(crate) fn discard_unread(&mut self) {
        self.inbox_full = false;
    }

    /// Releases buffers held for reuse (idle sessions stay small).
    pub(crate) fn shrink(&mut self) {
        self.inbox = Vec::new();
    }
}

impl Read for DatagramIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.inbox_full {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.inbox_full = false;
        // A datagram longer than OpenSSL's buffer is truncated, as a UDP socket would do.
        let n = self.inbox.len().min(buf.len());
        buf[..n].copy_from_slice(&self.inbox[..n]);
        Ok(n)
    }
}

impl Write for DatagramIo {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.outgoing.push(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
