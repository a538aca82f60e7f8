# The addon loads, its status constants equal the built-in's, and its peer and server complete a handshake
# and echo with each other and with Godot's built-in DTLS, in each direction (one small case each).
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Impl = preload("res://tests/dtls_impl.gd")

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer"]):
		return true
	h.section("status constants")
	for name in ["STATUS_DISCONNECTED", "STATUS_HANDSHAKING", "STATUS_CONNECTED", "STATUS_ERROR",
			"STATUS_ERROR_HOSTNAME_MISMATCH"]:
		h.check_eq(ClassDB.class_get_integer_constant("OpenSSLPacketPeerDTLS", name),
			ClassDB.class_get_integer_constant("PacketPeerDTLS", name), name)

	var crypto := Crypto.new()
	var key := crypto.generate_rsa(2048)
	var cert := crypto.generate_self_signed_certificate(key, "CN=localhost,O=openssl_dtls tests,C=US")
	for combo in [[Impl.OURS, Impl.OURS], [Impl.BUILTIN, Impl.OURS], [Impl.OURS, Impl.BUILTIN]]:
		_handshake_and_echo(combo[0], combo[1], key, cert)
	return true


func _handshake_and_echo(client_impl: String, server_impl: String, key: CryptoKey, cert: X509Certificate) -> void:
	var what := "%s client, %s server" % [client_impl, server_impl]
	h.section(what)
	var pair := Pair.new(server_impl)
	h.check_eq(pair.listen(key, cert), OK, "%s: server listens" % what)
	var client: Object = pair.add_client(client_impl, true, "localhost", cert)
	h.check_eq(pair.last_connect_error, OK, "%s: connect_to_peer returns OK" % what)
	if not h.check(pair.handshake(h), "%s: both sides connected (validating the certificate)" % what):
		pair.close()
		return
	var ping := "ping from the client".to_utf8_buffer()
	client.put_packet(ping)
	h.check_eq(pair.receive(h, pair.server_peers[0]), ping, "%s: server got the client's packet" % what)
	var pong := "pong from the server".to_utf8_buffer()
	pair.server_peers[0].put_packet(pong)
	h.check_eq(pair.receive(h, client), pong, "%s: client got the server's packet" % what)
	client.disconnect_from_peer()
	h.check(pair.wait_status_change(h, pair.server_peers[0]), "%s: server sees the client's disconnect" % what)
	h.check_eq(pair.server_peers[0].get_status(), PacketPeerDTLS.STATUS_DISCONNECTED, "%s: ... DISCONNECTED" % what)
	pair.close()
