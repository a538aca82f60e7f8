# The tuning properties of OpenSSLPacketPeerDTLS and OpenSSLDTLSServer, over UDP on 127.0.0.1:
# - mtu = 400 on both ends, RSA-2048 server certificate (a Certificate message far above 400 bytes): the
#   handshake completes, every datagram both ways (recorded by a relay) is at most 400 bytes, so the flight was
#   fragmented; get_max_packet_size() <= 400 - 37 on both ends, and a packet of exactly that size goes
#   through in one datagram of at most 400 bytes both ways; one byte more goes too, as one record in one datagram
#   above the MTU (as the built-in sends packets up to 16 KiB; test_large_packets.gd);
# - mtu = 100 (below 256): connect_to_peer returns ERR_INVALID_PARAMETER with one message, server setup too;
# - min_protocol_version: "DTLSv1.2" by default; another value is refused with ERR_INVALID_PARAMETER;
# - cipher_list "ECDHE-ECDSA-CHACHA20-POLY1305" on both ends: get_statistics().cipher is that on both;
# - get_statistics() counters (datagrams/bytes/packets sent/received) grow with traffic, and agree across
#   the two ends;
# - own_record_layer = false on the client, the server or both (OpenSSL's record layer on that end, ours on the
#   other): packets of 1 byte to get_max_packet_size() both ways, and the client's disconnect_from_peer() reaches
#   the server peer as close_notify. (Which layer ran is not visible from GDScript; the core's records tests
#   check that each setting picks its layer.)
# requires-addon
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: invalid DTLS setting: MTU 100 is outside
# expect-error: OpenSSLDTLSServer.setup: invalid DTLS setting: MTU 100 is outside
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: invalid DTLS setting: min_protocol_version "DTLSv1.3" is not available
# expect-error: OpenSSLDTLSServer.setup: invalid DTLS setting: min_protocol_version "DTLSv1.0" is not available
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const FeaturePair = preload("res://tests/feature_pair.gd")
const CHACHA := "ECDHE-ECDSA-CHACHA20-POLY1305"

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	_small_mtu()
	_invalid_mtu()
	_cipher_and_statistics()
	for layers in [[false, false], [false, true], [true, false]]:
		_record_layers(layers[0], layers[1])
	return true


func _small_mtu() -> void:
	h.section("mtu = 400, RSA-2048 server certificate")
	var rsa: Dictionary = OpenSSLDTLSCertificates.generate_self_signed(["localhost"], OpenSSLDTLSCertificates.KEY_RSA_2048)
	h.check(rsa.certificate.save_to_string().length() > 1000, "the RSA certificate is large (PEM over 1000 characters: more than 400 bytes of DER)")
	var server := OpenSSLDTLSServer.new()
	server.mtu = 400
	h.check_eq(server.setup(rsa.key, rsa.certificate), OK, "server setup returns OK")
	var pair := FeaturePair.new()
	pair.listen_with(server)
	var relay = pair.use_relay()
	var client := OpenSSLPacketPeerDTLS.new()
	client.mtu = 400
	var udp: PacketPeerUDP = pair.new_udp()
	pair.add_peer(client, client.connect_to_peer(udp, true, "localhost", rsa.certificate), udp)
	h.check_eq(pair.last_connect_error, OK, "connect_to_peer returns OK")
	if not h.check(pair.handshake(h), "client and server peer connect"):
		h.note("client: %d %s" % [client.get_status(), client.get_error_message()])
		pair.close()
		return
	var peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	var down_sizes: Array = relay.to_client.map(func(d): return d.size())
	var up_sizes: Array = relay.to_server.map(func(d): return d.size())
	h.note("handshake datagrams server->client: %s, client->server: %s" % [down_sizes, up_sizes])
	h.check(down_sizes.max() <= 400 and up_sizes.max() <= 400, "every handshake datagram is at most 400 bytes")
	var down_bytes: int = down_sizes.reduce(func(a, b): return a + b, 0)
	h.check(down_bytes > 1200, "the server's flights were larger than one datagram (%d bytes in all)" % down_bytes)
	var max_c := client.get_max_packet_size()
	var max_s := peer.get_max_packet_size()
	h.check(max_c > 0 and max_c <= 400 - 37, "client get_max_packet_size() %d <= 363" % max_c)
	h.check(max_s > 0 and max_s <= 400 - 37, "server peer get_max_packet_size() %d <= 363" % max_s)
	h.check_eq(client.get_statistics().get("mtu"), 400, "client get_statistics().mtu is 400")
	h.check_eq(peer.get_statistics().get("mtu"), 400, "server peer get_statistics().mtu is 400")
	for dir in [[client, peer, max_c, relay.to_server, "client -> server"], [peer, client, max_s, relay.to_client, "server -> client"]]:
		var data := Harness.pattern(dir[2], 5)
		var before: int = dir[3].size()
		h.check_eq(dir[0].put_packet(data), OK, "%s: put_packet of get_max_packet_size() bytes" % dir[4])
		h.check_eq(pair.receive(h, dir[1]), data, "%s: it arrives intact" % dir[4])
		var sent: Array = dir[3].slice(before)
		h.check(sent.size() == 1 and sent[0].size() <= 400,
			"%s: in one datagram of at most 400 bytes (%s)" % [dir[4], sent.map(func(d): return d.size())])
		var more := Harness.pattern(dir[2] + 1, 6)
		before = dir[3].size()
		h.check_eq(dir[0].put_packet(more), OK, "%s: one byte more is taken" % dir[4])
		h.check_eq(pair.receive(h, dir[1]), more, "%s: ... and arrives intact" % dir[4])
		sent = dir[3].slice(before)
		h.check(sent.size() == 1 and sent[0].size() > 400,
			"%s: ... in one datagram above the MTU (%s)" % [dir[4], sent.map(func(d): return d.size())])
	pair.close()


func _invalid_mtu() -> void:
	h.section("mtu = 100")
	var id: Dictionary = OpenSSLDTLSCertificates.generate_self_signed()
	var pair := FeaturePair.new()
	pair.listen_with(OpenSSLDTLSServer.new())
	var client := OpenSSLPacketPeerDTLS.new()
	client.mtu = 100
	var udp: PacketPeerUDP = pair.new_udp()
	var err = h.check_one_error(client.connect_to_peer.bind(udp, false),
		"OpenSSLPacketPeerDTLS.connect_to_peer: invalid DTLS setting: MTU 100 is outside", "connect_to_peer with mtu 100")
	h.check_eq(err, ERR_INVALID_PARAMETER, "connect_to_peer with mtu 100 returns ERR_INVALID_PARAMETER")
	h.check_eq(client.get_status(), OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED, "... and the client stays disconnected")
	client.mtu = 256
	h.check_eq(client.connect_to_peer(udp, false), OK, "with mtu 256 the same call returns OK")
	client.disconnect_from_peer()
	var server := OpenSSLDTLSServer.new()
	server.mtu = 100
	err = h.check_one_error(server.setup.bind(id.key, id.certificate),
		"OpenSSLDTLSServer.setup: invalid DTLS setting: MTU 100 is outside", "server setup with mtu 100")
	h.check_eq(err, ERR_INVALID_PARAMETER, "server setup with mtu 100 returns ERR_INVALID_PARAMETER")

	h.section("min_protocol_version")
	h.check_eq(client.min_protocol_version, "DTLSv1.2", "the client's default minimum version is DTLSv1.2")
	h.check_eq(server.min_protocol_version, "DTLSv1.2", "the server's default minimum version is DTLSv1.2")
	client.min_protocol_version = "DTLSv1.3"
	err = h.check_one_error(client.connect_to_peer.bind(udp, false),
		'OpenSSLPacketPeerDTLS.connect_to_peer: invalid DTLS setting: min_protocol_version "DTLSv1.3" is not available', "connect_to_peer with DTLSv1.3")
	h.check_eq(err, ERR_INVALID_PARAMETER, "an unavailable minimum version returns ERR_INVALID_PARAMETER")
	server.mtu = 1200
	server.min_protocol_version = "DTLSv1.0"
	err = h.check_one_error(server.setup.bind(id.key, id.certificate),
		'OpenSSLDTLSServer.setup: invalid DTLS setting: min_protocol_version "DTLSv1.0" is not available', "server setup with DTLSv1.0")
	h.check_eq(err, ERR_INVALID_PARAMETER, "server setup with an unavailable minimum version returns ERR_INVALID_PARAMETER")
	server.min_protocol_version = "DTLSv1.2"
	h.check_eq(server.setup(id.key, id.certificate), OK, "server setup with DTLSv1.2 returns OK")
	pair.close()


func _cipher_and_statistics() -> void:
	h.section("cipher_list and get_statistics()")
	var id: Dictionary = OpenSSLDTLSCertificates.generate_self_signed()  # ECDSA P-256
	var server := OpenSSLDTLSServer.new()
	server.cipher_list = CHACHA
	h.check_eq(server.setup(id.key, id.certificate), OK, "server setup returns OK")
	var pair := FeaturePair.new()
	pair.listen_with(server)
	var client := OpenSSLPacketPeerDTLS.new()
	client.cipher_list = CHACHA
	h.check_eq(client.get_statistics(), {}, "get_statistics() of a peer never connected is empty")
	var peer := _connect(pair, client, id.certificate)
	if peer == null:
		return
	var c0 := client.get_statistics()
	var s0 := peer.get_statistics()
	h.note("client statistics after the handshake: %s" % c0)
	h.check_eq(c0.get("cipher"), CHACHA, "client get_statistics().cipher")
	h.check_eq(s0.get("cipher"), CHACHA, "server peer get_statistics().cipher")
	h.check_eq(c0.get("protocol"), "DTLSv1.2", "client get_statistics().protocol")
	for k in ["datagrams_sent", "datagrams_received", "bytes_sent", "bytes_received"]:
		h.check(c0.get(k, 0) > 0, "client %s > 0 after the handshake" % k)
	const N := 10
	const SIZE := 300
	for i in N:
		client.put_packet(Harness.pattern(SIZE, i))
	for i in N:
		peer.put_packet(Harness.pattern(SIZE, 100 + i))
	h.poll_until(pair.poll, func(): return client.get_available_packet_count() == N and peer.get_available_packet_count() == N)
	h.check_eq([client.get_available_packet_count(), peer.get_available_packet_count()], [N, N], "%d packets arrived each way" % N)
	var c1 := client.get_statistics()
	var s1 := peer.get_statistics()
	h.check_eq(c1.packets_sent - c0.packets_sent, N, "client packets_sent grew by %d" % N)
	h.check_eq(s1.packets_received - s0.packets_received, N, "server peer packets_received grew by %d" % N)
	h.check_eq(s1.packets_sent - s0.packets_sent, N, "server peer packets_sent grew by %d" % N)
	h.check_eq(c1.packets_received - c0.packets_received, N, "client packets_received grew by %d" % N)
	h.check(c1.datagrams_sent - c0.datagrams_sent >= N and c1.datagrams_received - c0.datagrams_received >= N,
		"client datagrams_sent/received grew by at least %d" % N)
	h.check(c1.bytes_sent - c0.bytes_sent >= N * SIZE, "client bytes_sent grew by at least %d" % (N * SIZE))
	h.check(c1.bytes_received - c0.bytes_received >= N * SIZE, "client bytes_received grew by at least %d" % (N * SIZE))
	h.check_eq(c1.bytes_sent - c0.bytes_sent, s1.bytes_received - s0.bytes_received,
		"bytes the client sent = bytes the server peer received")
	h.check_eq(s1.bytes_sent - s0.bytes_sent, c1.bytes_received - c0.bytes_received,
		"bytes the server peer sent = bytes the client received")
	pair.close()


func _record_layers(client_own: bool, server_own: bool) -> void:
	h.section("own_record_layer: client %s, server %s" % [client_own, server_own])
	var id: Dictionary = OpenSSLDTLSCertificates.generate_self_signed()
	var server := OpenSSLDTLSServer.new()
	h.check_eq(server.own_record_layer, true, "on by default")
	server.own_record_layer = server_own
	h.check_eq(server.setup(id.key, id.certificate), OK, "server setup returns OK")
	var pair := FeaturePair.new()
	pair.listen_with(server)
	var client := OpenSSLPacketPeerDTLS.new()
	client.own_record_layer = client_own
	var peer := _connect(pair, client, id.certificate)
	if peer == null:
		return
	var sizes := [1, 100, client.get_max_packet_size()]
	for size in sizes:
		var up := Harness.pattern(size, size)
		h.check_eq(client.put_packet(up), OK, "client put_packet of %d bytes" % size)
		h.check_eq(pair.receive(h, peer), up, "the server peer receives it intact")
	for size in [1, 100, peer.get_max_packet_size()]:
		var down := Harness.pattern(size, size + 1)
		h.check_eq(peer.put_packet(down), OK, "server peer put_packet of %d bytes" % size)
		h.check_eq(pair.receive(h, client), down, "the client receives it intact")
	client.disconnect_from_peer()
	h.check(h.poll_until(pair.poll, func(): return peer.get_status() == OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED),
		"the client's close_notify disconnects the server peer")
	pair.close()


## Connects client (validating against certificate, host name "localhost") to pair's server; returns the server
## peer, or null (the pair closed) when they did not connect.
func _connect(pair: FeaturePair, client: OpenSSLPacketPeerDTLS, certificate: X509Certificate) -> OpenSSLPacketPeerDTLS:
	var udp: PacketPeerUDP = pair.new_udp()
	pair.add_peer(client, client.connect_to_peer(udp, true, "localhost", certificate), udp)
	if not h.check(pair.handshake(h), "client and server peer connect"):
		h.note("client: %d %s" % [client.get_status(), client.get_error_message()])
		pair.close()
		return null
	return pair.server_peers[0]
