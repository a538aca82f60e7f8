# A packet lent by get_packet() stays valid until the next get_packet() on the same peer (as with Godot's own
# peers), not merely until this thread's next read of any peer: get_var(true) decodes an object whose setter
# (reentrant_setter.gd) reads another peer and polls it, while Godot still decodes the rest of the object from
# the first peer's packet. The object's later property must arrive intact. Before the buffers were per peer,
# the setter's read handed the first packet's buffer back to the other peer, and its poll wrote a new packet
# into it under Godot's decoder.
# Then the setter reads (and polls) the very peer Godot is decoding from, with packets above 4 KiB, on
# OpenSSLPacketPeerDTLS and on OpenSSLDTLSMultiplayerPeer (issue 25, defect 6): that read is the peer's next
# get_packet on this thread, which must lend another buffer and leave the one Godot decodes from alive. Before,
# the packet peer's queue freed a lent buffer above 4 KiB instead of keeping it for reuse and the multiplayer
# peer freed every one, so the poll's new packet could land in the freed memory Godot was still decoding.
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Certs = preload("res://tests/certs.gd")
const Setter = preload("res://tests/reentrant_setter.gd")
const Peers = preload("res://tests/mp_peers.gd")

const FeaturePair = preload("res://tests/feature_pair.gd")

const BIG := 6000  ## bytes of each packet of the same-peer cases: above the packet queue's 4 KiB of recycled buffers
const BIG_MTU := 9000  ## so that a packet of BIG bytes fits one datagram

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
	_check_decoded(got, 7, Harness.pattern(600, 3), "the setter ran")
	h.check_eq(Engine.get_meta("other_read", PackedByteArray()), filler_a, "the setter read the other peer's packet")
	h.check_eq(other.get_packet(), filler_b, "and its poll received the next one")
	Engine.remove_meta("other_read")
	pair.close()

	h.section("get_var(true) whose setter reads and polls the same OpenSSLPacketPeerDTLS, packets of 6000 bytes")
	var big_server := OpenSSLDTLSServer.new()
	big_server.mtu = BIG_MTU
	h.check_eq(big_server.setup(id.key, id.certificate), OK, "server setup with mtu %d" % BIG_MTU)
	var big_pair := FeaturePair.new()
	big_pair.listen_with(big_server)
	var same := OpenSSLPacketPeerDTLS.new()
	same.mtu = BIG_MTU
	var udp: PacketPeerUDP = big_pair.new_udp()
	big_pair.add_peer(same, same.connect_to_peer(udp, true, "localhost", id.certificate), udp)
	if not h.check(big_pair.handshake(h), "client with mtu %d connected" % BIG_MTU):
		big_pair.close()
		return true
	var big_a := PackedByteArray()
	big_a.resize(BIG)
	big_a.fill(0xAA)
	var big_b := PackedByteArray()
	big_b.resize(BIG)
	big_b.fill(0xBB)
	var obj := Setter.new()
	obj.first = 8
	obj.second = Harness.pattern(BIG, 5)
	var to_same: OpenSSLPacketPeerDTLS = big_pair.server_peers[0]
	h.check_eq(to_same.put_var(obj, true), OK, "the object is sent")
	h.check_eq(to_same.put_packet(big_a), OK, "and a packet after it")
	h.check(h.poll_until(func(): same.poll(), func(): return same.get_available_packet_count() >= 2),
		"the object and the next packet arrived")
	to_same.put_packet(big_b)
	Engine.set_meta("other_peer", same)
	got = same.get_var(true)
	Engine.remove_meta("other_peer")
	_check_decoded(got, 8, Harness.pattern(BIG, 5), "the setter read the same peer")
	h.check(Engine.get_meta("other_read", PackedByteArray()) == big_a, "the setter read the peer's next packet")
	h.check(h.poll_until(func(): same.poll(), func(): return same.get_available_packet_count() > 0),
		"the setter's poll brought the one after")
	h.check(same.get_packet() == big_b, "which is intact too")
	Engine.remove_meta("other_read")
	big_pair.close()

	h.section("get_var(true) whose setter reads and polls the same OpenSSLDTLSMultiplayerPeer, messages of 6000 bytes")
	if not h.require_classes(["OpenSSLDTLSMultiplayerPeer"]):
		return true
	var peers := Peers.new(Peers.DTLS)
	var server: MultiplayerPeer = peers.make_server()
	if not h.check(server != null, "multiplayer server: %s" % peers.last_error_text):
		return true
	var client: MultiplayerPeer = peers.make_client(Peers.local_port(server))
	if not h.check(client != null, "multiplayer client: %s" % peers.last_error_text):
		server.close()
		return true
	var poll_both := func():
		server.poll()
		client.poll()
	if not h.check(h.poll_until(poll_both, func(): return client.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED \
			and server.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED), "multiplayer client connected"):
		client.close()
		server.close()
		return true
	var mp_obj := Setter.new()
	mp_obj.first = 9
	mp_obj.second = Harness.pattern(BIG, 6)
	server.set_target_peer(client.get_unique_id())
	server.put_var(mp_obj, true)
	server.put_packet(big_a)
	h.check(h.poll_until(poll_both, func(): return client.get_available_packet_count() >= 2),
		"the object and the next message arrived")
	server.put_packet(big_b)
	server.poll()  # sends it: the setter's poll of the client receives it
	Engine.set_meta("other_peer", client)
	got = client.get_var(true)
	Engine.remove_meta("other_peer")
	_check_decoded(got, 9, Harness.pattern(BIG, 6), "the setter read the same peer")
	h.check(Engine.get_meta("other_read", PackedByteArray()) == big_a, "the setter read the peer's next message")
	h.check(h.poll_until(poll_both, func(): return client.get_available_packet_count() > 0), "then the one after came")
	h.check(client.get_packet() == big_b, "intact too")
	Engine.remove_meta("other_read")
	client.close()
	server.close()
	return true


## get_var(true) decoded a Setter with these properties, the second decoded after `after`.
func _check_decoded(got: Variant, first: int, second: PackedByteArray, after: String) -> void:
	if not h.check(got is RefCounted and got.get_script() == Setter, "get_var(true) decoded the object: %s" % [got]):
		return
	h.check_eq(got.first, first, "its first property")
	h.check(got.second == second, "its second property, decoded after %s, is intact" % after)
