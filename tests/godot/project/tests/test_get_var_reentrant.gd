# A packet lent by get_packet() stays valid until the next get_packet() on the same peer (as with Godot's own
# peers), not merely until this thread's next read of any peer: get_var(true) decodes an object whose setter
# (reentrant_setter.gd) reads another peer and polls it, while Godot still decodes the rest of the object from
# the first peer's packet. The object's later property must arrive intact. Before the buffers were per peer,
# the setter's read handed the first packet's buffer back to the other peer, and its poll wrote a new packet
# into it under Godot's decoder.
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Certs = preload("res://tests/certs.gd")
const Setter = preload("res://tests/reentrant_setter.gd")

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer"]):
		return true
	h.section("get_var(true) whose setter reads and polls another peer")
	var id := Certs.ecdsa()
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	var first: OpenSSLPacketPeerDTLS = pair.add_client("ours", true, "localhost", id.certificate)
	if not h.check(pair.handshake(h, 0), "first client connected"):
		pair.close()
		return true
	var other: OpenSSLPacketPeerDTLS = pair.add_client("ours", true, "localhost", id.certificate)
	if not h.check(pair.handshake(h, 1), "second client connected"):
		pair.close()
		return true
	var filler_a := PackedByteArray()
	filler_a.resize(500)
	filler_a.fill(0xEE)
	var filler_b := PackedByteArray()
	filler_b.resize(500)
	filler_b.fill(0xDD)
	# The other peer holds one packet read by the setter; a second waits in its socket for the setter's poll.
	pair.server_peers[1].put_packet(filler_a)
	h.check(h.poll_until(func(): other.poll(), func(): return other.get_available_packet_count() > 0),
		"the other peer holds a packet")
	var sent := Setter.new()
	sent.first = 7
	sent.second = Harness.pattern(600, 3)
	pair.server_peers[0].put_var(sent, true)
	pair.server_peers[1].put_packet(filler_b)
	h.check(h.poll_until(func(): first.poll(), func(): return first.get_available_packet_count() > 0),
		"the object arrived")
	Engine.set_meta("other_peer", other)
	var got = first.get_var(true)
	Engine.remove_meta("other_peer")
	h.check(got is RefCounted and got.get_script() == Setter, "get_var(true) decoded the object: %s" % [got])
	if got is RefCounted and got.get_script() == Setter:
		h.check_eq(got.first, 7, "its first property")
		h.check_eq(got.second, Harness.pattern(600, 3), "its second property, decoded after the setter ran, is intact")
	h.check_eq(Engine.get_meta("other_read", PackedByteArray()), filler_a, "the setter read the other peer's packet")
	h.check_eq(other.get_packet(), filler_b, "and its poll received the next one")
	Engine.remove_meta("other_read")
	pair.close()
	return true
