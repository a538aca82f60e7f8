//! A model of a network link, sans-IO and deterministic by seed, for tests, the link emulator and
//! the multiplayer peer's network simulation: per direction a bottleneck with a rate and a
//! drop-tail queue, propagation delay with jitter, random and bursty (Gilbert-Elliott) loss,
//! reordering and duplication; named profiles of both directions. No Godot types, no I/O.

mod direction;
mod loss;
mod profiles;
mod rng;

pub use direction::{Counters, Datagram, Direction, DirectionConfig};
pub use loss::GilbertElliott;
pub use profiles::{Link, PROFILES};
pub use rng::Rng;
