# Decoded by test_get_var_reentrant.gd with get_var(true): setting `first` reads a packet from another peer
# (Engine meta "other_peer") and polls that peer once more, while Godot is still decoding `second` from the
# buffer the first peer's get_packet lent it. What it read goes to Engine meta "other_read".
extends RefCounted

@export var first: int:
	set(value):
		first = value
		if Engine.has_meta("other_peer"):
			var other = Engine.get_meta("other_peer")
			Engine.set_meta("other_read", other.get_packet())
			other.poll()
@export var second: PackedByteArray
