//! The floor peers (cargo feature `floor-peers`, never in the shipped addon): what any peer
//! written as a GDExtension pays before doing any work of its own, for the benchmark to set
//! beside ours. They have no handshake and no encryption, so a game must never use them.

mod multiplayer_peer;
mod packet_peer;
