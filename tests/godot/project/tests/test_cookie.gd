# The cookie round of OpenSSLDTLSServer, seen through a UDP relay that records every datagram.
#
# Semantics (docs/packet-peer.md, "Semantics"): the server answers a client's first ClientHello (no
# cookie) with a stateless HelloVerifyRequest carrying a cookie (an HMAC over the client's address) and keeps
# nothing. So the first take_connection for a client returns a peer in STATUS_DISCONNECTED (Godot's built-in
# DTLSServer returns STATUS_ERROR there, printing nothing either) and releases the PacketPeerUDP; the client's
# second ClientHello, which carries the cookie, then reaches the UDPServer as a NEW connection, and that
# take_connection returns the peer in STATUS_HANDSHAKING, which the application keeps. A cookie is only good
# for the address it was made for, and a replayed first ClientHello only ever earns another cookie.
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Impl = preload("res://tests/dtls_impl.gd")
const Certs = preload("res://tests/certs.gd")
const CLIENT_HELLO := 1
const HELLO_VERIFY_REQUEST := 3

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	var id := Certs.ecdsa()
	for client_impl in [Impl.OURS, Impl.BUILTIN]:
		_cookie_round(client_impl, id)
	return true


# The handshake message type of a datagram that starts with a plaintext DTLS handshake record, else -1.
func _handshake_type(d: PackedByteArray) -> int:
	return d[13] if d.size() > 13 and d[0] == 22 else -1


# Length of the cookie in a ClientHello datagram (record header 13, handshake header 12, version 2,
# random 32, session id length + session id, then the cookie length).
func _cookie_length(client_hello: PackedByteArray) -> int:
	var at := 13 + 12 + 2 + 32
	at += 1 + client_hello[at]
	return client_hello[at]


func _cookie_round(client_impl: String, id: Dictionary) -> void:
	h.section("cookie round, %s client" % client_impl)
	var pair := Pair.new(Impl.OURS)
	pair.listen(id.key, id.certificate)
	var relay := pair.use_relay()
	pair.add_client(client_impl, true, "localhost", id.certificate)
	var statuses := pair.taken_statuses  # of every peer take_connection returned, in order
	var ok: bool = h.check_no_error(func(): return h.poll_until(pair.poll, func(): return statuses.size() >= 2),
		"the cookie round")
	if not h.check(ok, "two connections reached the UDPServer (the first PacketPeerUDP was released)"):
		pair.close()
		return
	h.check_eq(statuses.slice(0, 2), [OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED, OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING],
		"take_connection: first STATUS_DISCONNECTED, then STATUS_HANDSHAKING")
	var dropped: OpenSSLPacketPeerDTLS = pair.dropped_peers[0]
	h.check_eq(dropped.get_error_message(), "", "the dropped peer has no error message")
	dropped.poll()
	h.check_eq(dropped.get_status(), OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED, "it stays DISCONNECTED when polled")
	h.check(relay.to_server.size() >= 2 and relay.to_client.size() >= 1, "datagrams were relayed")
	if relay.to_server.size() >= 2 and relay.to_client.size() >= 1:
		h.check_eq(_handshake_type(relay.to_server[0]), CLIENT_HELLO, "client's first datagram: a ClientHello")
		h.check_eq(_cookie_length(relay.to_server[0]), 0, "... without cookie")
		h.check_eq(_handshake_type(relay.to_client[0]), HELLO_VERIFY_REQUEST, "server's answer: a HelloVerifyRequest")
		h.check_eq(_handshake_type(relay.to_server[1]), CLIENT_HELLO, "client's second datagram: a ClientHello")
		h.check(_cookie_length(relay.to_server[1]) > 0, "... with a cookie (%d bytes)" % _cookie_length(relay.to_server[1]))
	h.check(pair.handshake(h), "the handshake completes on the second connection's peer")
	h.check_eq(pair.server_peers.size(), 1, "one peer kept")

	# Replays, from another address (a new socket): the first ClientHello only earns a new cookie; the second
	# one's cookie was made for the relay's address, so it is refused too. Neither gives a handshaking peer.
	if relay.to_server.size() >= 2:
		for replay in [[relay.to_server[0], "the first ClientHello"], [relay.to_server[1], "the ClientHello with the cookie"]]:
			var udp := PacketPeerUDP.new()
			udp.connect_to_host("127.0.0.1", pair.port)
			var before := statuses.size()
			udp.put_packet(replay[0])
			h.check(h.poll_until(pair.poll, func(): return statuses.size() > before),
				"%s, replayed from another address: a new connection" % replay[1])
			h.check_eq(statuses.slice(before), [OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED], "... whose peer is STATUS_DISCONNECTED")
			h.check(h.poll_until(func(): pass, func(): return udp.get_available_packet_count() > 0, 1000),
				"... answered with a datagram")
			h.check_eq(_handshake_type(udp.get_packet()), HELLO_VERIFY_REQUEST, "... a HelloVerifyRequest")
		h.check_eq(pair.server_peers.size(), 1, "still one peer kept")
		h.check_eq(pair.server_peers[0].get_status(), OpenSSLPacketPeerDTLS.STATUS_CONNECTED, "and it is still connected")
	pair.close()

