# Godot's built-in DTLS (PacketPeerDTLS + DTLSServer, mbedTLS) against itself on 127.0.0.1: proves the
# harness and records, as checks, the engine behaviour the addon must interoperate with.
#
# Observed with Godot 4.6.3 (Debian build), mbedTLS error codes decoded:
# - Cookie round: DTLSServer.take_connection on the first ClientHello answers with a HelloVerifyRequest
#   and returns a peer in STATUS_ERROR (3), printing nothing; the client's second ClientHello (with the
#   cookie) shows up as a new UDPServer connection whose peer is STATUS_HANDSHAKING.
# - Handshake on loopback: a few poll rounds, ~5 ms with RSA-2048.
# - get_available_packet_count() is 1 while a decrypted record is buffered, else 0: it never counts the
#   datagrams still queued. poll() decrypts one record; get_packet() reads the next datagram itself even
#   when the count is 0, and returns an empty array with get_packet_error() == OK when there is none.
#   Packets of 4000 bytes pass on loopback (nothing enforces a path MTU).
# - disconnect_from_peer() sends close_notify and sets STATUS_DISCONNECTED at once; the other side is
#   STATUS_DISCONNECTED after its next poll(). Dropping the last reference to a connected peer does the
#   same (its destructor disconnects).
# - After a server-side disconnect the client answers the close_notify with its own; the server peer has
#   already released its UDP peer, so that datagram reaches UDPServer as a new connection, and
#   take_connection prints `ERROR: TLS handshake error: -30464` (MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE) and
#   returns a peer in STATUS_ERROR. Any late datagram of a finished session does the same: this is the
#   "-30464 noise" seen in tight benchmark loops.
# - put_packet() on a peer that is not connected returns ERR_UNCONFIGURED and prints
#   `ERROR: Condition "status != STATUS_CONNECTED" is true. Returning: ERR_UNCONFIGURED`.
# - Validation on (TLSOptions.client(cert)) with a hostname that does not match the certificate: the client
#   ends in STATUS_ERROR (3), NOT STATUS_ERROR_HOSTNAME_MISMATCH, printing
#   `ERROR: TLS handshake error: -9984` (MBEDTLS_ERR_X509_CERT_VERIFY_FAILED); the server peer, sent a
#   fatal alert, ends in STATUS_ERROR printing `ERROR: TLS handshake error: -30592`
#   (MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE). An untrusted certificate gives the same statuses and errors.
#   Validation off (TLSOptions.client_unsafe()) ignores the hostname.
# - connect_to_peer() towards a closed 127.0.0.1 port returns FAILED and leaves the client in
#   STATUS_ERROR_HOSTNAME_MISMATCH (4): the ICMP port-unreachable fails the first read inside
#   connect_to_peer, and the engine maps any failure there to that status. Printed:
#   `ERROR: Method/function failed. Returning: -0x6C00` and `ERROR: TLS handshake error: -27648`.
# - A datagram that is not DTLS: take_connection returns a peer in STATUS_ERROR and prints
#   `ERROR: TLS handshake error: -29184` (MBEDTLS_ERR_SSL_INVALID_RECORD).
#
# Engine errors this test provokes on purpose (the runner requires them to appear, and allows them):
# expect-error: TLS handshake error: -9984
# expect-error: TLS handshake error: -30592
# expect-error: TLS handshake error: -29184
# expect-error: TLS handshake error: -27648
# expect-error: Method/function failed. Returning: -0x6C00
# expect-error: Condition "status != STATUS_CONNECTED" is true. Returning: ERR_UNCONFIGURED
# expect-error: TLS handshake error: -30464
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const B := "builtin"

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	var crypto := Crypto.new()
	var key := crypto.generate_rsa(2048)
	var cert := crypto.generate_self_signed_certificate(key, "CN=localhost,O=openssl_dtls tests,C=US")
	var other_key := crypto.generate_rsa(2048)
	var other_cert := crypto.generate_self_signed_certificate(other_key, "CN=localhost,O=someone else,C=US")

	_handshake_and_echo(key, cert)
	_packet_count_semantics(key, cert)
	_disconnects(key, cert)
	_validation(key, cert, other_cert)
	_closed_port()
	_garbage_datagram(key, cert)
	_two_clients(key, cert)
	return true


func _connected_pair(key: CryptoKey, cert: X509Certificate) -> Pair:
	var pair := Pair.new(B)
	h.check_eq(pair.listen(key, cert), OK, "server listens")
	pair.add_client(B)
	h.check(pair.handshake(h), "handshake completes")
	return pair


func _handshake_and_echo(key: CryptoKey, cert: X509Certificate) -> void:
	h.section("handshake, cookie round, echo both ways")
	var pair := Pair.new(B)
	h.check_eq(pair.listen(key, cert), OK, "server listens on an ephemeral port")
	var client: PacketPeerDTLS = pair.add_client(B)
	h.check_eq(pair.last_connect_error, OK, "connect_to_peer returns OK")
	h.check_eq(client.get_status(), PacketPeerDTLS.STATUS_HANDSHAKING, "client is handshaking at once")
	var t0 := Time.get_ticks_usec()
	h.check(pair.handshake(h), "both sides reach STATUS_CONNECTED")
	h.note("handshake took %.2f ms (RSA-2048, cookie round included)" % ((Time.get_ticks_usec() - t0) / 1000.0))
	h.check_eq(pair.dropped_statuses, [PacketPeerDTLS.STATUS_ERROR],
		"cookie round: take_connection returned one peer, in STATUS_ERROR")
	h.check_eq(pair.server_peers.size(), 1, "the cookie-bearing ClientHello came as a second connection")
	var server_peer: PacketPeerDTLS = pair.server_peers[0]

	for size in [1, 64, 1024, 4000]:
		var data := Harness.pattern(size, 1)
		h.check_eq(client.put_packet(data), OK, "client put_packet %d B" % size)
		h.check_eq(pair.receive(h, server_peer), data, "server got the %d B packet intact" % size)
		var back := Harness.pattern(size, 2)
		h.check_eq(server_peer.put_packet(back), OK, "server put_packet %d B" % size)
		h.check_eq(pair.receive(h, client), back, "client got the %d B packet intact" % size)
	pair.close()


func _packet_count_semantics(key: CryptoKey, cert: X509Certificate) -> void:
	h.section("get_available_packet_count / get_packet")
	var pair := _connected_pair(key, cert)
	var client: PacketPeerDTLS = pair.clients[0]
	var server_peer: PacketPeerDTLS = pair.server_peers[0]
	h.check_eq(server_peer.get_packet(), PackedByteArray(), "get_packet with nothing queued: empty array")
	h.check_eq(server_peer.get_packet_error(), OK, "... and get_packet_error() is OK")
	for i in 3:
		client.put_packet(PackedByteArray([i]))
	h.check(h.poll_until(pair.poll, func(): return server_peer.get_available_packet_count() > 0), "a packet arrives")
	h.check_eq(server_peer.get_available_packet_count(), 1, "built-in counts 1 with 3 datagrams sent")
	var got := []
	for i in 3:
		got.append(server_peer.get_packet())
	h.check_eq(got, [PackedByteArray([0]), PackedByteArray([1]), PackedByteArray([2])],
		"three get_packet calls without poll() return the three packets in order")
	pair.close()


func _disconnects(key: CryptoKey, cert: X509Certificate) -> void:
	h.section("disconnects")
	var pair := _connected_pair(key, cert)
	var client: PacketPeerDTLS = pair.clients[0]
	client.disconnect_from_peer()
	h.check_eq(client.get_status(), PacketPeerDTLS.STATUS_DISCONNECTED, "client disconnect: client DISCONNECTED at once")
	h.check(pair.wait_status_change(h, pair.server_peers[0]), "client disconnect: server peer's status changes")
	h.check_eq(pair.server_peers[0].get_status(), PacketPeerDTLS.STATUS_DISCONNECTED, "... to DISCONNECTED")
	h.check_eq(client.put_packet(PackedByteArray([1])), ERR_UNCONFIGURED,
		"put_packet after disconnect: ERR_UNCONFIGURED (engine prints an ERROR)")
	pair.close()

	pair = _connected_pair(key, cert)
	pair.server_peers[0].disconnect_from_peer()
	h.check_eq(pair.server_peers[0].get_status(), PacketPeerDTLS.STATUS_DISCONNECTED, "server disconnect: server peer DISCONNECTED at once")
	h.check(pair.wait_status_change(h, pair.clients[0]), "server disconnect: client's status changes")
	h.check_eq(pair.clients[0].get_status(), PacketPeerDTLS.STATUS_DISCONNECTED, "... to DISCONNECTED")
	h.check(h.poll_until(pair.poll, func(): return pair.dropped_statuses.size() == 2),
		"the client's answering close_notify reaches the UDPServer as a new connection")
	h.check_eq(pair.dropped_statuses, [PacketPeerDTLS.STATUS_ERROR, PacketPeerDTLS.STATUS_ERROR],
		"... which take_connection returns in STATUS_ERROR (engine prints -30464)")
	pair.close()

	pair = _connected_pair(key, cert)
	pair.clients.clear()  # the last reference to the connected client
	h.check(pair.wait_status_change(h, pair.server_peers[0]), "client released without disconnect: server notices")
	h.check_eq(pair.server_peers[0].get_status(), PacketPeerDTLS.STATUS_DISCONNECTED, "... DISCONNECTED (close_notify)")
	pair.close()


func _validation(key: CryptoKey, cert: X509Certificate, other_cert: X509Certificate) -> void:
	h.section("certificate validation")
	var cases := [
		# [what, validate, hostname, trusted cert, expected client status, expected server peer status]
		["validate, trusted cert, matching hostname", true, "localhost", cert,
			PacketPeerDTLS.STATUS_CONNECTED, PacketPeerDTLS.STATUS_CONNECTED],
		["validate, trusted cert, hostname mismatch", true, "wrong.example", cert,
			PacketPeerDTLS.STATUS_ERROR, PacketPeerDTLS.STATUS_ERROR],
		["validate, untrusted cert", true, "localhost", other_cert,
			PacketPeerDTLS.STATUS_ERROR, PacketPeerDTLS.STATUS_ERROR],
		["no validation, hostname mismatch", false, "wrong.example", null,
			PacketPeerDTLS.STATUS_CONNECTED, PacketPeerDTLS.STATUS_CONNECTED],
	]
	for c in cases:
		var pair := Pair.new(B)
		pair.listen(key, cert)
		var client: PacketPeerDTLS = pair.add_client(B, c[1], c[2], c[3])
		var settled := func():
			return client.get_status() != PacketPeerDTLS.STATUS_HANDSHAKING and pair.server_peers.size() == 1 \
				and pair.server_peers[0].get_status() != PacketPeerDTLS.STATUS_HANDSHAKING
		h.check(h.poll_until(pair.poll, settled), "%s: both sides settle" % c[0])
		h.check_eq(client.get_status(), c[4], "%s: client status" % c[0])
		if pair.server_peers.size() == 1:
			h.check_eq(pair.server_peers[0].get_status(), c[5], "%s: server peer status" % c[0])
		pair.close()


func _closed_port() -> void:
	h.section("connect towards a closed port")
	var probe := UDPServer.new()
	probe.listen(0, "127.0.0.1")
	var port := probe.get_local_port()
	probe.stop()
	var udp := PacketPeerUDP.new()
	udp.connect_to_host("127.0.0.1", port)
	var client := PacketPeerDTLS.new()
	h.check_eq(client.connect_to_peer(udp, "localhost", TLSOptions.client_unsafe()), FAILED,
		"connect_to_peer returns FAILED (ICMP port unreachable)")
	h.check_eq(client.get_status(), PacketPeerDTLS.STATUS_ERROR_HOSTNAME_MISMATCH,
		"... and the status is STATUS_ERROR_HOSTNAME_MISMATCH")


func _garbage_datagram(key: CryptoKey, cert: X509Certificate) -> void:
	h.section("a datagram that is not DTLS")
	var pair := Pair.new(B)
	pair.listen(key, cert)
	var udp := PacketPeerUDP.new()
	udp.connect_to_host("127.0.0.1", pair.port)
	udp.put_packet("not a DTLS record".to_utf8_buffer())
	h.check(h.poll_until(pair.poll, func(): return pair.dropped_statuses.size() > 0), "take_connection ran")
	h.check_eq(pair.dropped_statuses, [PacketPeerDTLS.STATUS_ERROR], "the peer it returned is in STATUS_ERROR")
	h.check_eq(pair.server_peers.size(), 0, "nothing kept")
	pair.close()


func _two_clients(key: CryptoKey, cert: X509Certificate) -> void:
	h.section("two clients on one server")
	var pair := Pair.new(B)
	pair.listen(key, cert)
	pair.add_client(B)
	h.check(pair.handshake(h, 0), "first client connects")
	pair.add_client(B)
	h.check(pair.handshake(h, 1), "second client connects")
	for i in 2:
		pair.clients[i].put_packet(Harness.pattern(100, 10 + i))
	for i in 2:
		h.check_eq(pair.receive(h, pair.server_peers[i]), Harness.pattern(100, 10 + i), "server peer %d got its client's data" % i)
		pair.server_peers[i].put_packet(Harness.pattern(100, 20 + i))
	for i in 2:
		h.check_eq(pair.receive(h, pair.clients[i]), Harness.pattern(100, 20 + i), "client %d got its server peer's data" % i)
	pair.close()

