//! One DTLS association: the sans-IO session, what it tells about itself (status, statistics,
//! the connected peer), the loss it sees, its packet queues, and the in-memory datagram pipe under OpenSSL.

pub(crate) mod datagram_io;
mod dtls_session;
mod heap_release;
pub(crate) mod info;
pub(crate) mod loss;
pub(crate) mod packet_queue;
pub(crate) mod stats;
pub(crate) mod status;

pub use dtls_session::{Role, Session, IDLE_BUFFER_RELEASE};
