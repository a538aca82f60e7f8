//! The packet Godot hands an extension's `put_packet`: its raw pointer and size as a slice.

use godot::meta::conv::RawPtr;

/// The `size` bytes at `buffer` (empty for a null pointer or a zero size); `None` for a negative
/// size.
///
/// # Safety
/// `buffer` must point at `size` readable bytes that stay alive and unchanged while the slice is
/// used: what Godot's `PacketPeer::put_packet` and `MultiplayerPeer::put_packet` pass to an
/// extension's `_put_packet` (a `PackedByteArray`'s bytes) for the duration of that call.
pub unsafe fn packet_from_godot<'a>(buffer: RawPtr<*const u8>, size: i32) -> Option<&'a [u8]> {
    let len = usize::try_from(size).ok()?;
    let ptr = buffer.ptr();
    if len == 0 || ptr.is_null() {
        return Some(&[]);
    }
    // SAFETY: the caller's contract (above); null and zero length were handled.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}
