# OpenSSLPacketPeerDTLS (client) and OpenSSLDTLSServer on 127.0.0.1, with each other: the handshake (ECDSA and
# RSA identities, server certificate validated) and data both ways: put_packet/get_packet of several sizes up
# to exactly get_max_packet_size(), bursts of packets in order, put_var/get_var, and the empty packet.
# get_packet() and get_packet_error() are the addon's own (one copy instead of the engine's byte loop): read
# through a variable typed OpenSSLPacketPeerDTLS, untyped, or typed PacketPeer (the engine's), the packets are
# the same, in order, and get_packet_error() says ERR_UNAVAILABLE after a read that found none, OK after one
# that found a packet, whichever way the read went.
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Certs = preload("res://tests/certs.gd")
const OURS := "ours"
const MTU := 1200  # the addon's default datagram size limit (docs/packet-peer.md)
const MAX_PACKET := 1163  # docs/packet-peer.md: the largest packet at the default MTU, with AES-GCM

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	var ecdsa := Certs.ecdsa()
	_handshake("ECDSA P-256 identity from OpenSSLDTLSCertificates", ecdsa)
	_handshake("RSA-2048 identity from Godot's Crypto", Certs.rsa())
	_packets(ecdsa)
	_bursts(ecdsa)
	_read_paths(ecdsa)
	_vars(ecdsa)
	_max_size(ecdsa)
	_empty_packet(ecdsa)
	return true


func _connected_pair(id: Dictionary, relay := false) -> Pair:
	var pair := Pair.new(OURS)
	h.check_eq(pair.listen(id.key, id.certificate), OK, "server listens")
	if relay:
		pair.use_relay()
	pair.add_client(OURS, true, "localhost", id.certificate)
	h.check(pair.handshake(h), "handshake completes")
	return pair


func _handshake(what: String, id: Dictionary) -> void:
	h.section("handshake, %s" % what)
	var pair := Pair.new(OURS)
	h.check_eq(pair.listen(id.key, id.certificate), OK, "setup and listen")
	var client: OpenSSLPacketPeerDTLS = pair.add_client(OURS, true, "localhost", id.certificate)
	h.check_eq(pair.last_connect_error, OK, "connect_to_peer(udp, true, \"localhost\", cert) returns OK")
	h.check_eq(client.get_status(), OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING, "client is handshaking at once")
	var t0 := Time.get_ticks_usec()
	if not h.check(pair.handshake(h), "both sides reach STATUS_CONNECTED"):
		pair.close()
		return
	h.note("handshake took %.2f ms (cookie round included)" % ((Time.get_ticks_usec() - t0) / 1000.0))
	var server_peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	h.check_eq(pair.dropped_statuses, [OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED],
		"one peer dropped for the cookie round (see test_cookie.gd)")
	h.check_eq(client.get_error_message(), "", "client: no error message")
	h.check_eq(server_peer.get_error_message(), "", "server peer: no error message")
	var ping := "ping".to_utf8_buffer()
	h.check_eq(client.put_packet(ping), OK, "client put_packet")
	h.check_eq(pair.receive(h, server_peer), ping, "server got it")
	var pong := "pong".to_utf8_buffer()
	h.check_eq(server_peer.put_packet(pong), OK, "server put_packet")
	h.check_eq(pair.receive(h, client), pong, "client got it")
	pair.close()


func _packets(id: Dictionary) -> void:
	h.section("put_packet / get_packet, both ways")
	var pair := _connected_pair(id)
	var client: OpenSSLPacketPeerDTLS = pair.clients[0]
	var server_peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	for size in [1, 2, 100, 512, 1000]:
		var data := Harness.pattern(size, size)
		h.check_eq(client.put_packet(data), OK, "client put_packet %d B" % size)
		h.check_eq(pair.receive(h, server_peer), data, "server got the %d B packet intact" % size)
		h.check_eq(server_peer.get_packet_error(), OK, "... get_packet_error() OK")
		var back := Harness.pattern(size, size + 1)
		h.check_eq(server_peer.put_packet(back), OK, "server put_packet %d B" % size)
		h.check_eq(pair.receive(h, client), back, "client got the %d B packet intact" % size)
	h.check_eq([client.get_available_packet_count(), server_peer.get_available_packet_count()], [0, 0],
		"nothing left to read on either side")
	pair.close()


func _bursts(id: Dictionary) -> void:
	h.section("bursts: many packets sent before the other side polls")
	var pair := _connected_pair(id)
	var client: OpenSSLPacketPeerDTLS = pair.clients[0]
	var server_peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	const N := 20
	for dir in [[client, server_peer, "client -> server"], [server_peer, client, "server -> client"]]:
		var sender: OpenSSLPacketPeerDTLS = dir[0]
		var receiver: OpenSSLPacketPeerDTLS = dir[1]
		var sent := []
		var put_ok := true
		for i in N:
			var p := Harness.pattern(50 + i, i)
			sent.append(p)
			put_ok = put_ok and sender.put_packet(p) == OK
		h.check(put_ok, "%s: %d put_packet calls return OK" % [dir[2], N])
		h.check(h.poll_until(pair.poll, func(): return receiver.get_available_packet_count() >= N),
			"%s: get_available_packet_count() reaches %d (it counts every decrypted packet)" % [dir[2], N])
		var got := []
		while receiver.get_available_packet_count() > 0:
			got.append(receiver.get_packet())
		h.check_eq(got, sent, "%s: the %d packets, intact and in order" % [dir[2], N])
	pair.close()


func _read_paths(id: Dictionary) -> void:
	h.section("get_packet / get_packet_error, the addon's and the engine's")
	var pair := _connected_pair(id)
	var client: OpenSSLPacketPeerDTLS = pair.clients[0]
	var ours: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	var untyped = ours
	var engine: PacketPeer = ours
	var readers := [["typed OpenSSLPacketPeerDTLS", func(): return ours.get_packet()],
		["untyped", func(): return untyped.get_packet()], ["typed PacketPeer", func(): return engine.get_packet()]]
	var errors := [["typed OpenSSLPacketPeerDTLS", func(): return ours.get_packet_error()],
		["typed PacketPeer", func(): return engine.get_packet_error()]]
	var sent := []
	for i in 6:
		sent.append(Harness.pattern(700 + i, i))
		client.put_packet(sent[-1])
	h.check(h.poll_until(pair.poll, func(): return ours.get_available_packet_count() >= sent.size()),
		"the %d packets arrive" % sent.size())
	for i in sent.size():
		var r: Array = readers[i % readers.size()]
		h.check_eq(r[1].call(), sent[i], "packet %d read %s: intact, in order" % [i, r[0]])
		h.check_eq(ours.get_packet_error(), OK, "after packet %d read %s: get_packet_error() is OK" % [i, r[0]])
	for r in readers:
		h.check_eq(r[1].call(), PackedByteArray(), "nothing waiting, read %s: an empty array" % r[0])
		h.check_eq(ours.get_packet_error(), ERR_UNAVAILABLE, "then get_packet_error() is ERR_UNAVAILABLE (read %s)" % r[0])
	client.put_packet(sent[0])
	h.check(h.poll_until(pair.poll, func(): return ours.get_available_packet_count() == 1), "one more packet arrives")
	h.check_eq(engine.get_packet(), sent[0], "it reads through the engine's get_packet")
	for e in errors:
		h.check_eq(e[1].call(), OK, "get_packet_error() %s: OK after that read" % e[0])
	pair.close()


func _vars(id: Dictionary) -> void:
	h.section("put_var / get_var, both ways")
	var pair := _connected_pair(id)
	var client: OpenSSLPacketPeerDTLS = pair.clients[0]
	var server_peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	var values := [42, -1.5, "héllo ünïcödé", [1, "two", 3.0], {"hello": "server", "list": [true, false]},
		Vector3(1, 2, 3), Color(0.25, 0.5, 1), PackedByteArray([0, 1, 255]), StringName("name")]
	for v in values:
		var what := type_string(typeof(v))
		h.check_eq(client.put_var(v), OK, "client put_var(%s)" % what)
		h.check_eq(pair.receive_var(h, server_peer), v, "server get_var() returns the %s" % what)
		h.check_eq(server_peer.put_var(v), OK, "server put_var(%s)" % what)
		h.check_eq(pair.receive_var(h, client), v, "client get_var() returns the %s" % what)
	pair.close()


func _max_size(id: Dictionary) -> void:
	h.section("a packet of exactly get_max_packet_size() bytes")
	h.check_eq(OpenSSLPacketPeerDTLS.new().get_max_packet_size(), MAX_PACKET,
		"a new peer reports %d (docs/packet-peer.md: 1163 at the default 1200-byte MTU)" % MAX_PACKET)
	var pair := _connected_pair(id, true)
	var client: OpenSSLPacketPeerDTLS = pair.clients[0]
	var server_peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	h.check_eq(client.get_max_packet_size(), MAX_PACKET, "connected client reports %d" % MAX_PACKET)
	h.check_eq(server_peer.get_max_packet_size(), MAX_PACKET, "connected server peer reports %d" % MAX_PACKET)
	var max := client.get_max_packet_size()
	var data := Harness.pattern(max, 3)
	h.check_eq(client.put_packet(data), OK, "client put_packet of %d B returns OK" % max)
	h.check_eq(pair.receive(h, server_peer), data, "server got the %d B packet intact" % max)
	var datagram: PackedByteArray = pair.relay.to_server[-1]
	h.check(datagram.size() > max and datagram.size() <= MTU,
		"it travelled in one datagram of at most %d bytes (%d)" % [MTU, datagram.size()])
	max = server_peer.get_max_packet_size()
	data = Harness.pattern(max, 4)
	h.check_eq(server_peer.put_packet(data), OK, "server put_packet of %d B returns OK" % max)
	h.check_eq(pair.receive(h, client), data, "client got the %d B packet intact" % max)
	datagram = pair.relay.to_client[-1]
	h.check(datagram.size() > max and datagram.size() <= MTU,
		"it travelled in one datagram of at most %d bytes (%d)" % [MTU, datagram.size()])
	pair.close()


func _empty_packet(id: Dictionary) -> void:
	h.section("the empty packet")
	# Godot's PacketPeer.put_packet returns OK for an empty array without calling the implementation (the
	# built-in PacketPeerDTLS does the same), so nothing is sent and the next packet read is the next non-empty one.
	var pair := _connected_pair(id, true)
	var client: OpenSSLPacketPeerDTLS = pair.clients[0]
	var server_peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	for dir in [[client, server_peer, "client -> server", pair.relay.to_server],
			[server_peer, client, "server -> client", pair.relay.to_client]]:
		var sender: OpenSSLPacketPeerDTLS = dir[0]
		var receiver: OpenSSLPacketPeerDTLS = dir[1]
		var forwarded: Array = dir[3]
		var before := forwarded.size()
		h.check_eq(sender.put_packet(PackedByteArray()), OK, "%s: put_packet([]) returns OK" % dir[2])
		pair.poll()
		h.check_eq(forwarded.size(), before, "%s: ... and sends no datagram" % dir[2])
		var marker := "after the empty one".to_utf8_buffer()
		sender.put_packet(marker)
		h.check_eq(pair.receive(h, receiver), marker, "%s: the next packet read is the next non-empty one" % dir[2])
		h.check_eq(receiver.get_available_packet_count(), 0, "%s: nothing else arrived" % dir[2])
	pair.close()
