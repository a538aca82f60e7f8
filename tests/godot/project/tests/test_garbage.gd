# Datagrams that are not (valid) DTLS, on real UDP sockets:
# - sent to the server's UDP port from new addresses: each reaches OpenSSLDTLSServer.take_connection, which
#   returns a peer that is not handshaking, prints nothing and answers nothing; the server keeps working (our
#   client and the built-in client connect afterwards);
# - injected into established sessions (through a UDP relay, so they come from the peer's address): forged,
#   truncated, malformed records, unknown content types, plaintext alerts, replays of genuine datagrams. The
#   addon's peer, client or server side, drops them: the session stays connected, nothing spurious is delivered,
#   no duplicate either, and data keeps flowing both ways (RFC 6347 4.1.2.7: invalid records are discarded).
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Impl = preload("res://tests/dtls_impl.gd")
const Certs = preload("res://tests/certs.gd")
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const HANDSHAKING := OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING

var h := Harness.new(self)
var id: Dictionary


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	id = Certs.ecdsa()
	_garbage_to_server_port()
	for combo in [["ours", "ours"], ["ours", "builtin"], ["builtin", "ours"]]:
		_garbage_into_session(combo[0], combo[1])
	return true


# A DTLS 1.2 record: content type, epoch, sequence number, body (the length field is the body's unless given).
static func _record(type: int, epoch: int, seq: int, body: PackedByteArray, length := -1) -> PackedByteArray:
	var r := PackedByteArray([type, 0xFE, 0xFD, epoch >> 8, epoch & 0xff, 0, 0, 0, 0, (seq >> 8) & 0xff, seq & 0xff])
	var n := body.size() if length < 0 else length
	r.append_array(PackedByteArray([n >> 8, n & 0xff]))
	r.append_array(body)
	return r


# [name, datagram] pairs of things no genuine peer sends.
static func _garbage() -> Array:
	var bad_handshake := PackedByteArray([1, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 200])  # ClientHello header, 200 B claimed
	bad_handshake.append_array(Harness.pattern(10, 7))
	return [
		["text", "not a DTLS record".to_utf8_buffer()],
		["one byte", PackedByteArray([22])],
		["a record header alone", _record(22, 0, 1, PackedByteArray(), 100)],
		["random bytes", Harness.pattern(200, 5)],
		["a big random datagram", Harness.pattern(9000, 6)],
		["a handshake record whose lengths do not add up", _record(22, 0, 2, bad_handshake)],
		["forged application data (epoch 1, bad tag)", _record(23, 1, 500, Harness.pattern(60, 8))],
		["application data shorter than nonce + tag", _record(23, 1, 501, Harness.pattern(5, 9))],
		["application data at a future epoch", _record(23, 7, 1, Harness.pattern(60, 10))],
		["unknown content type", _record(99, 1, 502, Harness.pattern(30, 11))],
		["plaintext fatal alert (epoch 0)", _record(21, 0, 3, PackedByteArray([2, 40]))],
		["malformed alert (epoch 1)", _record(21, 1, 503, PackedByteArray([2]))],
		["malformed ChangeCipherSpec", _record(20, 0, 4, PackedByteArray([1, 1, 1]))],
		["a record followed by trailing junk", _record(23, 1, 504, Harness.pattern(40, 12)) + PackedByteArray([1, 2, 3])],
	]


func _garbage_to_server_port() -> void:
	h.section("garbage datagrams to OpenSSLDTLSServer's port, each from a new address")
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	# A genuine first ClientHello, to send truncated.
	var relay := pair.use_relay()
	pair.add_client("ours", true, "localhost", id.certificate)
	h.poll_until(pair.poll, func(): return relay.to_server.size() > 0)
	var client_hello: PackedByteArray = relay.to_server[0] if relay.to_server.size() > 0 else PackedByteArray([22])
	pair.close()
	pair = Pair.new("ours")
	pair.listen(id.key, id.certificate)

	var garbage := _garbage() + [["a truncated ClientHello", client_hello.slice(0, 60)]]
	for g in garbage:
		var udp := PacketPeerUDP.new()
		udp.connect_to_host("127.0.0.1", pair.port)
		udp.put_packet(g[1])
		var before := pair.taken_statuses.size()
		var reached: bool = h.check_no_error(func(): return h.poll_until(pair.poll, func(): return pair.taken_statuses.size() > before, 2000),
			"%s: take_connection" % g[0])
		h.check(reached, "%s: reached take_connection" % g[0])
		h.check(reached and pair.taken_statuses[before] != HANDSHAKING,
			"%s: the peer is not handshaking (status %s)" % [g[0], pair.taken_statuses.slice(before)])
		h.check_eq(udp.get_available_packet_count(), 0, "%s: no answer" % g[0])
	h.check_eq(pair.server_peers.size(), 0, "no peer kept")
	for client_impl in ["ours", "builtin"]:
		var i := pair.clients.size()
		var client: Object = pair.add_client(client_impl, true, "localhost", id.certificate)
		if h.check(pair.handshake(h, i), "then a %s client connects" % client_impl):
			client.put_packet("hello".to_utf8_buffer())
			h.check_eq(pair.receive(h, pair.server_peers[i]), "hello".to_utf8_buffer(), "... and its data arrives")
	pair.close()


func _garbage_into_session(client_impl: String, server_impl: String) -> void:
	var what := "%s client, %s server" % [client_impl, server_impl]
	h.section("garbage injected into an established session (%s)" % what)
	var pair := Pair.new(server_impl)
	pair.listen(id.key, id.certificate)
	var relay := pair.use_relay()
	var client: Object = pair.add_client(client_impl, true, "localhost", id.certificate)
	if not h.check(pair.handshake(h), "handshake completes"):
		pair.close()
		return
	var server_peer: Object = pair.server_peers[0]
	# Genuine traffic first, to have real datagrams to replay.
	client.put_packet("genuine c->s".to_utf8_buffer())
	h.check_eq(pair.receive(h, server_peer), "genuine c->s".to_utf8_buffer(), "genuine packet client -> server")
	server_peer.put_packet("genuine s->c".to_utf8_buffer())
	h.check_eq(pair.receive(h, client), "genuine s->c".to_utf8_buffer(), "genuine packet server -> client")

	# [target peer, its sender, relay's injection into it, genuine datagrams towards it, name]
	var targets := []
	if server_impl == "ours":
		targets.append([server_peer, client, relay.send_to_server, relay.to_server, "server peer"])
	if client_impl == "ours":
		targets.append([client, server_peer, relay.send_to_client, relay.to_client, "client"])
	for t in targets:
		var target: Object = t[0]
		var sender: Object = t[1]
		var inject: Callable = t[2]
		var genuine: Array = t[3]
		var garbage := _garbage()
		garbage.append(["a replay of the last genuine datagram", genuine[-1]])
		garbage.append(["a replay of the first handshake datagram", genuine[0]])
		for g in garbage:
			inject.call(g[1])
		# The relay forwards in order and loopback keeps it: once the packet sent after the garbage is read,
		# every injected datagram has been processed before it.
		var after := "after the garbage".to_utf8_buffer()
		sender.put_packet(after)
		var got := []
		var arrived: bool = h.check_no_error(func(): return h.poll_until(pair.poll, func():
				while target.get_available_packet_count() > 0:
					got.append(target.get_packet())
				return got.size() > 0 and got[-1] == after), "the %s, fed %d bad datagrams" % [t[4], garbage.size()])
		h.check(arrived, "the %s got the packet sent after %d bad datagrams" % [t[4], garbage.size()])
		h.check_eq(got, [after], "the %s got that packet only: nothing spurious, no duplicate" % t[4])
		h.check_eq(target.get_status(), CONNECTED, "the %s is still connected" % t[4])
		h.check_eq(sender.get_status(), CONNECTED, "the other side too")
		target.put_packet("reply".to_utf8_buffer())
		h.check_eq(pair.receive(h, sender), "reply".to_utf8_buffer(), "data flows back from the %s" % t[4])
	pair.close()
