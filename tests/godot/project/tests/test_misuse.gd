# Wrong use of the addon's classes: every refused call returns its Error and prints exactly one message naming
# the class and method (counted with an engine Logger, see harness.gd check_one_error), leaves the object
# usable, and sends nothing. Calls that are merely pointless (poll, disconnect, get_status, get_packet on an
# idle peer) print nothing.
# requires-addon
# The messages, all required to appear:
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: packet_peer is null
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: packet_peer is not connected
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: invalid certificate
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: already handshaking or connected
# expect-error: OpenSSLPacketPeerDTLS.put_packet: not connected: call connect_to_peer()
# expect-error: OpenSSLPacketPeerDTLS.put_packet: the DTLS session is not connected (status STATUS_HANDSHAKING)
# expect-error: OpenSSLPacketPeerDTLS.put_packet: packet of 16385 bytes is larger than the 16384 bytes
# expect-error: OpenSSLPacketPeerDTLS.put_packet: packet of 65000 bytes is larger than the 16384 bytes
# expect-error: OpenSSLDTLSServer.take_connection: call setup() with a key and certificate first
# expect-error: OpenSSLDTLSServer.take_connection: udp_peer is null
# expect-error: OpenSSLDTLSServer.setup: key and certificate are required
# expect-error: OpenSSLDTLSServer.setup: invalid private key: the private key does not belong to the certificate
# expect-error: OpenSSLDTLSServer.setup: key is a public key
# expect-error: OpenSSLDTLSServer.setup: invalid certificate
# expect-error: OpenSSLDTLSCertificates.generate_self_signed: unknown key_type 99
# expect-error: OpenSSLDTLSCertificates.generate_self_signed: valid_days must be within
# expect-error: OpenSSLDTLSCertificates.generate_self_signed: invalid DTLS setting: a certificate needs at least one name
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Certs = preload("res://tests/certs.gd")
const DISCONNECTED := OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED
const HANDSHAKING := OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const NOT_CONNECTED := "OpenSSLPacketPeerDTLS.put_packet: not connected: call connect_to_peer()"
const NOT_CONNECTED_HANDSHAKING := "OpenSSLPacketPeerDTLS.put_packet: the DTLS session is not connected (status STATUS_HANDSHAKING)"
const ALREADY := "OpenSSLPacketPeerDTLS.connect_to_peer: already handshaking or connected"

var h := Harness.new(self)
var id: Dictionary


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	id = Certs.ecdsa()
	_idle_peer()
	_bad_connect_arguments()
	_while_handshaking()
	_connected()
	_server_setup()
	_take_connection()
	_generate_self_signed()
	return true


func _idle_peer() -> void:
	h.section("a peer that never connected")
	var peer := OpenSSLPacketPeerDTLS.new()
	h.check_no_error(peer.poll, "poll()")
	h.check_no_error(peer.disconnect_from_peer, "disconnect_from_peer()")
	h.check_no_error(peer.disconnect_from_peer, "disconnect_from_peer() again")
	h.check_eq(h.check_no_error(peer.get_status, "get_status()"), DISCONNECTED, "get_status() is STATUS_DISCONNECTED")
	h.check_eq(peer.get_error_message(), "", "get_error_message() is empty")
	h.check_eq(peer.get_available_packet_count(), 0, "get_available_packet_count() is 0")
	h.check_eq(h.check_no_error(peer.get_packet, "get_packet()"), PackedByteArray(), "get_packet() returns an empty array")
	h.check_eq(peer.get_packet_error(), ERR_UNAVAILABLE, "... and get_packet_error() is ERR_UNAVAILABLE")
	h.check_eq(h.check_one_error(peer.put_packet.bind(PackedByteArray([1])), NOT_CONNECTED, "put_packet before connect"),
		ERR_UNCONFIGURED, "put_packet before connect returns ERR_UNCONFIGURED")


func _bad_connect_arguments() -> void:
	h.section("connect_to_peer with bad arguments, then with good ones on the same object")
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	var peer := OpenSSLPacketPeerDTLS.new()
	h.check_eq(h.check_one_error(peer.connect_to_peer.bind(null), "OpenSSLPacketPeerDTLS.connect_to_peer: packet_peer is null",
		"connect_to_peer(null)"), ERR_INVALID_PARAMETER, "connect_to_peer(null) returns ERR_INVALID_PARAMETER")
	var fresh := PacketPeerUDP.new()
	var bound := PacketPeerUDP.new()
	bound.bind(0, "127.0.0.1")
	for udp in [[fresh, "a new PacketPeerUDP"], [bound, "a bound, unconnected PacketPeerUDP"]]:
		h.check_eq(h.check_one_error(peer.connect_to_peer.bind(udp[0], false),
			"OpenSSLPacketPeerDTLS.connect_to_peer: packet_peer is not connected", "connect_to_peer(%s)" % udp[1]),
			ERR_INVALID_PARAMETER, "connect_to_peer(%s) returns ERR_INVALID_PARAMETER" % udp[1])
	var udp := PacketPeerUDP.new()
	udp.connect_to_host("127.0.0.1", pair.port)
	h.check_eq(h.check_one_error(peer.connect_to_peer.bind(udp, true, "localhost", X509Certificate.new()),
		"OpenSSLPacketPeerDTLS.connect_to_peer: invalid certificate", "connect_to_peer with an empty X509Certificate to trust"),
		ERR_INVALID_PARAMETER, "connect_to_peer with an empty X509Certificate to trust returns ERR_INVALID_PARAMETER")
	h.check_eq(peer.get_status(), DISCONNECTED, "after all that the peer is still STATUS_DISCONNECTED")
	h.check_eq(peer.connect_to_peer(udp, true, "localhost", id.certificate), OK, "then a good connect_to_peer returns OK")
	pair.clients.append(peer)
	h.check(pair.handshake(h), "... and connects")
	pair.close()


func _while_handshaking() -> void:
	h.section("calls while handshaking")
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	var client: OpenSSLPacketPeerDTLS = pair.add_client("ours", true, "localhost", id.certificate)
	h.check_eq(client.get_status(), HANDSHAKING, "the client is handshaking")
	h.check_eq(h.check_one_error(client.connect_to_peer.bind(pair.client_udps[0], false), ALREADY,
		"client connect_to_peer again"), ERR_ALREADY_IN_USE, "client connect_to_peer again returns ERR_ALREADY_IN_USE")
	h.check_eq(h.check_one_error(client.put_packet.bind(PackedByteArray([1])), NOT_CONNECTED_HANDSHAKING,
		"client put_packet"), ERR_UNCONFIGURED, "client put_packet returns ERR_UNCONFIGURED")
	# The server peer is handshaking right after the poll that took it (the client has not answered yet).
	h.poll_until(pair.poll, func(): return pair.server_peers.size() == 1)
	if h.check(pair.server_peers.size() == 1 and pair.server_peers[0].get_status() == HANDSHAKING, "the server peer is handshaking"):
		h.check_eq(h.check_one_error(pair.server_peers[0].put_packet.bind(PackedByteArray([1])), NOT_CONNECTED_HANDSHAKING,
			"server peer put_packet"), ERR_UNCONFIGURED, "server peer put_packet returns ERR_UNCONFIGURED")
	h.check(pair.handshake(h), "the handshake still completes")
	h.check_eq(h.check_one_error(client.connect_to_peer.bind(pair.client_udps[0], false), ALREADY,
		"client connect_to_peer while connected"), ERR_ALREADY_IN_USE, "connect_to_peer while connected returns ERR_ALREADY_IN_USE")
	h.check_eq(client.get_status(), CONNECTED, "... and the connection is untouched")
	client.put_packet("still fine".to_utf8_buffer())
	h.check_eq(pair.receive(h, pair.server_peers[0]), "still fine".to_utf8_buffer(), "data flows")
	pair.close()


func _connected() -> void:
	h.section("calls on a connected pair")
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	var relay := pair.use_relay()
	var client: OpenSSLPacketPeerDTLS = pair.add_client("ours", true, "localhost", id.certificate)
	if not h.check(pair.handshake(h), "handshake completes"):
		pair.close()
		return
	var server_peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	h.check_eq(h.check_no_error(server_peer.get_packet, "get_packet() with nothing queued"), PackedByteArray(),
		"get_packet() with nothing queued returns an empty array")
	h.check_eq(server_peer.get_packet_error(), ERR_UNAVAILABLE, "... and get_packet_error() is ERR_UNAVAILABLE")

	for dir in [[client, server_peer, "client", relay.to_server], [server_peer, client, "server peer", relay.to_client]]:
		var sender: OpenSSLPacketPeerDTLS = dir[0]
		var receiver: OpenSSLPacketPeerDTLS = dir[1]
		var forwarded: Array = dir[3]
		var max := 16384  # one record, as the built-in takes (get_max_packet_size() is what fits the MTU)
		for size in [max + 1, 65000]:
			var before := forwarded.size()
			h.check_eq(h.check_one_error(sender.put_packet.bind(Harness.pattern(size, 1)),
				"OpenSSLPacketPeerDTLS.put_packet: packet of %d bytes is larger than the %d bytes" % [size, max],
				"%s put_packet of %d B (max %d)" % [dir[2], size, max]),
				ERR_INVALID_PARAMETER, "%s put_packet of %d B returns ERR_INVALID_PARAMETER" % [dir[2], size])
			h.check_eq(sender.get_status(), CONNECTED, "... the %s stays connected" % dir[2])
			var marker := Harness.pattern(10, size)
			sender.put_packet(marker)
			h.check_eq(pair.receive(h, receiver), marker, "... the next packet arrives")
			h.check_eq(forwarded.size(), before + 1, "... and it is the only datagram sent: nothing for the refused one")
			h.check_eq(receiver.get_available_packet_count(), 0, "... nothing else arrived")

	h.check_no_error(client.disconnect_from_peer, "disconnect_from_peer()")
	h.check_no_error(client.disconnect_from_peer, "disconnect_from_peer() again")
	h.check_eq(client.get_status(), DISCONNECTED, "the client is STATUS_DISCONNECTED")
	h.check(h.poll_until(pair.poll, func(): return server_peer.get_status() == DISCONNECTED), "the server peer saw it")
	h.check_no_error(server_peer.disconnect_from_peer, "server peer disconnect_from_peer() after the session ended")
	h.check_no_error(server_peer.disconnect_from_peer, "server peer disconnect_from_peer() again")
	pair.close()


func _server_setup() -> void:
	h.section("OpenSSLDTLSServer.setup with bad arguments")
	var server := OpenSSLDTLSServer.new()
	var other := Certs.ecdsa()
	var public_key := CryptoKey.new()
	public_key.load_from_string(id.key.save_to_string(true), true)
	var cases := [
		["setup(null, null)", [null, null], "OpenSSLDTLSServer.setup: key and certificate are required"],
		["setup(key, null)", [id.key, null], "OpenSSLDTLSServer.setup: key and certificate are required"],
		["setup(null, certificate)", [null, id.certificate], "OpenSSLDTLSServer.setup: key and certificate are required"],
		["setup with another certificate's key", [other.key, id.certificate],
			"OpenSSLDTLSServer.setup: invalid private key: the private key does not belong to the certificate"],
		["setup with the public key only", [public_key, id.certificate], "OpenSSLDTLSServer.setup: key is a public key"],
		["setup with an empty X509Certificate", [id.key, X509Certificate.new()], "OpenSSLDTLSServer.setup: invalid certificate"],
	]
	for c in cases:
		h.check_eq(h.check_one_error(server.setup.bindv(c[1]), c[2], c[0]), ERR_INVALID_PARAMETER,
			"%s returns ERR_INVALID_PARAMETER" % c[0])
	h.check(public_key.is_public_only(), "(the public key really is public only)")
	var peer: OpenSSLPacketPeerDTLS = h.check_one_error(server.take_connection.bind(PacketPeerUDP.new()),
		"OpenSSLDTLSServer.take_connection: call setup() with a key and certificate first",
		"take_connection after the failed setups (the server stays unconfigured)")
	h.check_eq(peer.get_status(), DISCONNECTED, "... returns a STATUS_DISCONNECTED peer")
	h.check_eq(server.setup(id.key, id.certificate), OK, "then a good setup returns OK")


func _take_connection() -> void:
	h.section("OpenSSLDTLSServer.take_connection misuse")
	# A real first datagram from a client, handed to a server that was never set up.
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	pair.server = OpenSSLDTLSServer.new()
	var client: OpenSSLPacketPeerDTLS = pair.add_client("ours", true, "localhost", id.certificate)
	var udp_server := pair.udp_server
	h.check(h.poll_until(func(): client.poll(); udp_server.poll(), udp_server.is_connection_available), "a client's ClientHello arrived")
	var udp_peer := udp_server.take_connection()
	var peer: OpenSSLPacketPeerDTLS = h.check_one_error(pair.server.take_connection.bind(udp_peer),
		"OpenSSLDTLSServer.take_connection: call setup() with a key and certificate first", "take_connection before setup")
	h.check_eq(peer.get_status(), DISCONNECTED, "take_connection before setup: the peer is STATUS_DISCONNECTED")
	h.check_eq(h.check_one_error(peer.put_packet.bind(PackedByteArray([1])), NOT_CONNECTED, "put_packet on that peer"),
		ERR_UNCONFIGURED, "put_packet on that peer returns ERR_UNCONFIGURED")
	h.check_eq(pair.server.setup(id.key, id.certificate), OK, "setup now")
	peer = h.check_one_error(pair.server.take_connection.bind(null), "OpenSSLDTLSServer.take_connection: udp_peer is null",
		"take_connection(null)")
	h.check_eq(peer.get_status(), DISCONNECTED, "take_connection(null): the peer is STATUS_DISCONNECTED")
	udp_peer = null
	h.check(pair.handshake(h), "the client, retransmitting, then connects through the set-up server")
	pair.close()


func _generate_self_signed() -> void:
	h.section("OpenSSLDTLSCertificates.generate_self_signed with bad arguments")
	var names := PackedStringArray(["localhost"])
	var cases := [
		["key_type 99", func(): return OpenSSLDTLSCertificates.generate_self_signed(names, 99),
			"OpenSSLDTLSCertificates.generate_self_signed: unknown key_type 99"],
		["valid_days 0", func(): return OpenSSLDTLSCertificates.generate_self_signed(names, 0, 0),
			"OpenSSLDTLSCertificates.generate_self_signed: valid_days must be within"],
		["no host names", func(): return OpenSSLDTLSCertificates.generate_self_signed(PackedStringArray()),
			"OpenSSLDTLSCertificates.generate_self_signed: invalid DTLS setting: a certificate needs at least one name"],
	]
	for c in cases:
		h.check_eq(h.check_one_error(c[1], c[2], c[0]), {}, "%s: returns an empty Dictionary" % c[0])
