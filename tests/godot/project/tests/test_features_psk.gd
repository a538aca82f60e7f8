# Pre-shared keys between OpenSSLPacketPeerDTLS (set_psk) and a PSK-only OpenSSLDTLSServer (set_psk_keys, then
# setup(null, null)), over UDP on 127.0.0.1:
# - the right identity and key: both ends connect (the client's certificate validation, left at its default
#   "system roots", does not apply to PSK), packets go both ways, get_statistics().cipher is a PSK suite, the
#   server peer's get_psk_identity() is the identity the client announced;
# - the right identity with a wrong key, and an unknown identity: the client ends in STATUS_ERROR, and so does
#   the server peer, well within the 1 s handshake_timeout set on both ends (initial_retransmit_timeout 0.2).
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const FeaturePair = preload("res://tests/feature_pair.gd")
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const ERROR := OpenSSLPacketPeerDTLS.STATUS_ERROR
const IDENTITY := "sensor-17"

var h := Harness.new(self)
var key := "0123456789abcdef0123456789abcdef".to_utf8_buffer()


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer"]):
		return true
	_right_key()
	# A wrong key: the server cannot open the client's Finished and drops it, as DTLS drops bad records, so
	# the handshake timeout (1 s) ends both. An unknown identity: the server refuses it with an alert at once.
	_failing("wrong key", IDENTITY, "another key, 32 bytes long....".to_utf8_buffer(), "did not finish within 1s")
	_failing("unknown identity", "sensor-99", key, "unknown psk identity")
	return true


func _psk_server() -> OpenSSLDTLSServer:
	var server := OpenSSLDTLSServer.new()
	server.handshake_timeout = 1.0
	server.initial_retransmit_timeout = 0.2
	h.check_eq(server.set_psk_keys({IDENTITY: key, "other": "x".repeat(16).to_utf8_buffer()}, "the hint"), OK,
		"set_psk_keys returns OK")
	h.check_eq(server.setup(null, null), OK, "setup(null, null) after set_psk_keys returns OK (PSK-only server)")
	return server


func _psk_client(pair, identity: String, psk: PackedByteArray) -> OpenSSLPacketPeerDTLS:
	var client := OpenSSLPacketPeerDTLS.new()
	client.handshake_timeout = 1.0
	client.initial_retransmit_timeout = 0.2
	h.check_eq(client.set_psk(identity, psk), OK, "set_psk returns OK")
	var udp: PacketPeerUDP = pair.new_udp()
	pair.add_peer(client, client.connect_to_peer(udp), udp)
	h.check_eq(pair.last_connect_error, OK, "connect_to_peer returns OK")
	return client


func _right_key() -> void:
	h.section("PSK: right identity and key")
	var pair := FeaturePair.new()
	h.check_eq(pair.listen_with(_psk_server()), OK, "listening")
	var client := _psk_client(pair, IDENTITY, key)
	if not h.check(pair.handshake(h), "client and server peer connect"):
		h.note("client status %d (%s)" % [client.get_status(), client.get_error_message()])
		pair.close()
		return
	var peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	pair.check_data_both_ways(h)
	var cipher: String = client.get_statistics().get("cipher", "")
	h.check("PSK" in cipher, "client get_statistics().cipher is a PSK suite (%s)" % cipher)
	h.check_eq(peer.get_statistics().get("cipher", ""), cipher, "the server peer reports the same cipher")
	h.check_eq(peer.get_psk_identity(), IDENTITY, "server peer get_psk_identity() is the client's identity")
	h.check_eq(client.get_psk_identity(), IDENTITY, "client get_psk_identity() is its own identity")
	h.check(client.get_peer_certificate() == null, "no certificate in a PSK handshake (client get_peer_certificate() is null)")
	pair.close()


func _failing(what: String, identity: String, psk: PackedByteArray, reason: String) -> void:
	h.section("PSK: " + what)
	var pair := FeaturePair.new()
	h.check_eq(pair.listen_with(_psk_server()), OK, "listening")
	var client := _psk_client(pair, identity, psk)
	var started := Time.get_ticks_msec()
	# Settled: the client has left STATUS_HANDSHAKING and so has the server peer, if the server kept one.
	var both := func() -> bool:
		return pair.settled() and (pair.server_peers.is_empty() or pair.server_peers[0].get_status() == ERROR)
	var settled := h.poll_until(pair.poll, both, 4000)
	var ms := Time.get_ticks_msec() - started
	h.check(settled, "%s: both ends settle" % what)
	h.check_eq(client.get_status(), ERROR, "%s: client ends in STATUS_ERROR" % what)
	h.note("client error message: " + client.get_error_message())
	h.check(reason in client.get_error_message(), "%s: the client's error message says why: %s" % [what, reason])
	if h.check(pair.server_peers.size() == 1, "%s: the server kept one peer (past the cookie round)" % what):
		h.check_eq(pair.server_peers[0].get_status(), ERROR, "%s: server peer ends in STATUS_ERROR" % what)
		h.note("server peer error message: " + pair.server_peers[0].get_error_message())
	h.note("%s: settled in %d ms (handshake_timeout 1 s)" % [what, ms])
	pair.close()
