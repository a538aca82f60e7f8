//! The framing inside each DTLS packet of a multiplayer connection: one tag byte, then a renet
//! packet (the channels), or one of the peer's own control messages: a keepalive, a goodbye with
//! its reason, a ping (every second, the keepalive of this version) and its pong, which measure
//! the round trip. The id the server gives a client uses the same encoding, sent as a message on the
//! reliable control channel (so it is retransmitted). Unknown tags are ignored, so later versions
//! can add messages; so are ids outside 2..=2^31-1. A goodbye's reason is cut to 200 bytes.

const TAG_CHANNELS: u8 = 1;
const TAG_ASSIGN_ID: u8 = 2;
const TAG_KEEPALIVE: u8 = 3;
const TAG_GOODBYE: u8 = 4;
const TAG_PING: u8 = 5;
const TAG_PONG: u8 = 6;

/// Longest channels frame: the tag and renet's largest packet.
pub(crate) const MAX_CHANNELS_FRAME: usize = 1 + super::guard::MAX_RENET_PACKET;

/// Longest goodbye reason sent, in bytes.
const MAX_REASON: usize = 200;

/// One DTLS packet of a multiplayer connection, as read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// A renet packet of the channels.
    Channels(&'a [u8]),
    /// Server to client: the client's unique id, within 2..=2^31-1 (Godot's ids are positive
    /// 32-bit integers, 1 the server's).
    AssignId(u32),
    /// Sent every second while nothing else is, so the peer's idle timer sees us alive.
    Keepalive,
    /// The sender closes the connection, for this reason.
    Goodbye(&'a str),
    /// Answer with a pong of this token.
    Ping(u32),
    /// The answer to our ping of this token.
    Pong(u32),
    /// Unknown tag, empty or malformed: ignored.
    Unknown,
}

impl<'a> Frame<'a> {
    /// Reads one DTLS packet.
    pub(crate) fn parse(packet: &'a [u8]) -> Frame<'a> {
        let Some((&tag, body)) = packet.split_first() else {
            return Frame::Unknown;
        };
        match tag {
            TAG_CHANNELS => Frame::Channels(body),
            TAG_ASSIGN_ID => match <[u8; 4]>::try_from(body).map(u32::from_be_bytes) {
                Ok(id) if (2..=0x7FFF_FFFF).contains(&id) => Frame::AssignId(id),
                _ => Frame::Unknown,
            },
            TAG_KEEPALIVE => Frame::Keepalive,
            TAG_PING | TAG_PONG => match <[u8; 4]>::try_from(body).map(u32::from_be_bytes) {
                Ok(token) if tag == TAG_PING => Frame::Ping(token),
                Ok(token) => Frame::Pong(token),
                Err(_) => Frame::Unknown,
            },
            TAG_GOODBYE => {
                let body = &body[..body.len().min(MAX_REASON)];
                match std::str::from_utf8(body) {
                    Ok(reason) => Frame::Goodbye(reason),
                    // Cut inside a character (or not text): what is valid of it.
                    Err(e) => Frame::Goodbye(
                        std::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or_default(),
                    ),
                }
            }
            _ => Frame::Unknown,
        }
    }
}

/// The head of a renet packet's frame: the packet follows it (sent as two parts, so the packet
/// is not copied to join them: `Session::send_packed_parts`).
pub(crate) const CHANNELS_HEAD: [u8; 1] = [TAG_CHANNELS];

/// The frame that tells a client its id.
pub(crate) fn assign_id(id: u32) -> [u8; 5] {
    let b = id.to_be_bytes();
    [TAG_ASSIGN_ID, b[0], b[1], b[2], b[3]]
}

/// The ping frame with `token`.
pub(crate) fn ping(token: u32) -> [u8; 5] {
    let b = token.to_be_bytes();
    [TAG_PING, b[0], b[1], b[2], b[3]]
}

/// The pong frame answering the ping of `token`.
pub(crate) fn pong(token: u32) -> [u8; 5] {
    let b = token.to_be_bytes();
    [TAG_PONG, b[0], b[1], b[2], b[3]]
}

/// The keepalive frame (sent by earlier versions; the ping is this one's).
#[cfg(test)]
pub(crate) const KEEPALIVE: [u8; 1] = [TAG_KEEPALIVE];

/// The goodbye frame with `reason` (cut at a character boundary to at most 200 bytes).
pub(crate) fn goodbye(reason: &str) -> Vec<u8> {
    let mut end = reason.len().min(MAX_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = Vec::with_capacity(1 + end);
    out.push(TAG_GOODBYE);
    out.extend_from_slice(&reason.as_bytes()[..end]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_read_back_as_written() {
        let out = [&CHANNELS_HEAD[..], b"abc"].concat();
        assert_eq!(Frame::parse(&out), Frame::Channels(b"abc"));
        assert_eq!(
            Frame::parse(&assign_id(0x1234_5678)),
            Frame::AssignId(0x1234_5678)
        );
        assert_eq!(Frame::parse(&KEEPALIVE), Frame::Keepalive);
        assert_eq!(Frame::parse(&ping(0xDEAD_BEEF)), Frame::Ping(0xDEAD_BEEF));
        assert_eq!(Frame::parse(&pong(7)), Frame::Pong(7));
        assert_eq!(Frame::parse(&[TAG_PONG, 1]), Frame::Unknown);
        assert_eq!(
            Frame::parse(&goodbye("server full")),
            Frame::Goodbye("server full")
        );
        let long = "é".repeat(150);
        assert!(goodbye(&long).len() <= 1 + MAX_REASON);
        assert!(matches!(Frame::parse(&goodbye(&long)), Frame::Goodbye(r) if r.len() == 200));
    }

    #[test]
    fn malformed_frames_are_ignored() {
        assert_eq!(Frame::parse(&[]), Frame::Unknown);
        assert_eq!(Frame::parse(&[TAG_ASSIGN_ID, 1, 2]), Frame::Unknown);
        assert_eq!(Frame::parse(&[99, 1]), Frame::Unknown);
        assert_eq!(Frame::parse(&[TAG_GOODBYE, 0xFF]), Frame::Goodbye(""));
        assert_eq!(Frame::parse(&assign_id(1)), Frame::Unknown);
        assert_eq!(Frame::parse(&assign_id(0x8000_0000)), Frame::Unknown);
        let mut long = vec![TAG_GOODBYE];
        long.extend_from_slice("é".repeat(700).as_bytes());
        assert!(matches!(Frame::parse(&long), Frame::Goodbye(r) if r.len() == MAX_REASON));
    }
}
