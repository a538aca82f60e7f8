# Certificate and host name validation by OpenSSLPacketPeerDTLS (the client), against OpenSSLDTLSServer and
# against Godot's built-in DTLSServer:
# - a for_hostname the certificate does not name: STATUS_ERROR_HOSTNAME_MISMATCH (the built-in client gives
#   STATUS_ERROR there, see test_builtin_dtls.gd; the addon follows the enum's meaning);
# - a server certificate that does not chain to valid_certificate (it trusts another one): STATUS_ERROR;
# - validate_certs=false: any self-signed server, any host name, connects;
# - valid_certificate=null with validation: the system's roots decide, and they do not trust a self-signed
#   server: STATUS_ERROR (also with only the host name given; with no name at all connect_to_peer refuses,
#   see test_limits.gd);
# - an IP address as for_hostname matches the certificate's IP subjectAltName, and only that;
# - an empty for_hostname skips the host name check.
# The server side of a refused handshake gets the client's fatal alert and ends in STATUS_ERROR.
# Each X509Certificate object is read once and remembered by the addon: trust still follows the object passed,
# alternating between objects, for a fresh object holding the same certificate, for the certificate object
# get_peer_certificate() made, and for an object read again after more objects than the addon remembers.
# requires-addon
# The built-in server peer prints its fatal-alert error (MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE):
# expect-error: TLS handshake error: -30592
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Impl = preload("res://tests/dtls_impl.gd")
const Certs = preload("res://tests/certs.gd")
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const ERROR := OpenSSLPacketPeerDTLS.STATUS_ERROR
const MISMATCH := OpenSSLPacketPeerDTLS.STATUS_ERROR_HOSTNAME_MISMATCH

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	var ecdsa := Certs.ecdsa()  # DNS localhost, IP 127.0.0.1
	var dns_only := Certs.ecdsa(PackedStringArray(["localhost"]))
	var rsa := Certs.rsa()  # CN=localhost, no subjectAltName
	var stranger := Certs.ecdsa()  # same names, another key: not trusted by whoever trusts ecdsa

	for server_impl in [Impl.OURS, Impl.BUILTIN]:
		# [what, identity of the server, validate, for_hostname, trusted cert, client status, server peer status]
		var cases := [
			["trusted cert, matching host name", ecdsa, true, "localhost", ecdsa.certificate, CONNECTED, CONNECTED],
			["trusted RSA cert, host name matching its CN", rsa, true, "localhost", rsa.certificate, CONNECTED, CONNECTED],
			["host name mismatch", ecdsa, true, "wrong.example", ecdsa.certificate, MISMATCH, ERROR],
			["host name mismatch (RSA, CN only)", rsa, true, "wrong.example", rsa.certificate, MISMATCH, ERROR],
			["untrusted certificate (client trusts another one)", ecdsa, true, "localhost", stranger.certificate, ERROR, ERROR],
			["validate_certs=false, wrong host name, no trusted cert", ecdsa, false, "wrong.example", null, CONNECTED, CONNECTED],
			["validate_certs=false, empty host name, unrelated trusted cert", rsa, false, "", stranger.certificate, CONNECTED, CONNECTED],
			["valid_certificate=null (system roots) vs a self-signed server", ecdsa, true, "localhost", null, ERROR, ERROR],
			["IP address 127.0.0.1 vs a cert with that IP subjectAltName", ecdsa, true, "127.0.0.1", ecdsa.certificate, CONNECTED, CONNECTED],
			["IP address 127.0.0.2 vs a cert for 127.0.0.1", ecdsa, true, "127.0.0.2", ecdsa.certificate, MISMATCH, ERROR],
			["IP address 127.0.0.1 vs a cert without IP subjectAltName", dns_only, true, "127.0.0.1", dns_only.certificate, MISMATCH, ERROR],
			["empty host name: no host name check", ecdsa, true, "", ecdsa.certificate, CONNECTED, CONNECTED],
		]
		h.section("our client vs %s server" % server_impl)
		for c in cases:
			_case(server_impl, c)
		_all_defaults(server_impl, ecdsa)
	h.section("trust follows each certificate object")
	_trust_follows_objects(ecdsa, stranger)
	return true


func _trust_follows_objects(id: Dictionary, stranger: Dictionary) -> void:
	var same := X509Certificate.new()
	h.check_eq(id.certificate.save("user://same.crt"), OK, "the trusted certificate saved")
	h.check_eq(same.load("user://same.crt"), OK, "a fresh object with the same certificate")
	var seen := _peer_certificate(id)
	h.check(seen != null, "get_peer_certificate() of a connected client")
	var order := [[id.certificate, CONNECTED], [stranger.certificate, ERROR], [id.certificate, CONNECTED],
		[same, CONNECTED], [stranger.certificate, ERROR], [seen, CONNECTED]]
	for i in order.size():
		var c: Array = order[i]
		_case(Impl.OURS, ["object %d of the sequence" % i, id, true, "localhost", c[0], c[1], c[1]])
	# More objects than the addon remembers (64), each with another certificate: the first ones are read again.
	var strangers := []
	for i in 70:
		strangers.append(Certs.ecdsa().certificate)
	for i in strangers.size():
		var udp := PacketPeerUDP.new()
		udp.connect_to_host("127.0.0.1", 9)
		h.check_eq(OpenSSLPacketPeerDTLS.new().connect_to_peer(udp, true, "localhost", strangers[i]), OK,
			"stranger object %d accepted as valid_certificate" % i)
	_case(Impl.OURS, ["the trusted object after 70 others", id, true, "localhost", id.certificate, CONNECTED, CONNECTED])
	_case(Impl.OURS, ["the first stranger object after 70 others", id, true, "localhost", strangers[0], ERROR, ERROR])


func _peer_certificate(id: Dictionary) -> X509Certificate:
	var pair := Pair.new(Impl.OURS)
	pair.listen(id.key, id.certificate)
	var client: OpenSSLPacketPeerDTLS = pair.add_client(Impl.OURS, true, "localhost", id.certificate)
	var cert: X509Certificate = client.get_peer_certificate() if pair.settle(h) else null
	pair.close()
	return cert


func _case(server_impl: String, c: Array) -> void:
	var what: String = c[0]
	var id: Dictionary = c[1]
	var pair := Pair.new(server_impl)
	pair.listen(id.key, id.certificate)
	var client: OpenSSLPacketPeerDTLS = pair.add_client(Impl.OURS, c[2], c[3], c[4])
	h.check_eq(pair.last_connect_error, OK, "%s: connect_to_peer returns OK" % what)
	h.check(pair.settle(h), "%s: both sides leave STATUS_HANDSHAKING" % what)
	h.check_eq(client.get_status(), c[5], "%s: client status" % what)
	if pair.server_peers.size() == 1:
		h.check_eq(pair.server_peers[0].get_status(), c[6], "%s: server peer status" % what)
	var message := client.get_error_message()
	match c[5]:
		CONNECTED:
			h.check_eq(message, "", "%s: no error message" % what)
		MISMATCH:
			h.check(message.contains("not valid for this host"), "%s: error message names the host check (%s)" % [what, message])
		ERROR:
			h.check(message.contains("certificate verification failed"),
				"%s: error message names the verification (%s)" % [what, message])
	if c[5] == CONNECTED:
		client.put_packet("hello".to_utf8_buffer())
		h.check_eq(pair.receive(h, pair.server_peers[0]), "hello".to_utf8_buffer(), "%s: data flows" % what)
	pair.close()


# connect_to_peer(udp, true, "localhost"): valid_certificate defaults to null (system roots).
func _all_defaults(server_impl: String, id: Dictionary) -> void:
	var what := "connect_to_peer(udp, true, \"localhost\"), valid_certificate at its default"
	var pair := Pair.new(server_impl)
	pair.listen(id.key, id.certificate)
	var udp := PacketPeerUDP.new()
	udp.connect_to_host("127.0.0.1", pair.port)
	var client := OpenSSLPacketPeerDTLS.new()
	h.check_eq(client.connect_to_peer(udp, true, "localhost"), OK, "%s: returns OK" % what)
	pair.clients.append(client)
	h.check(pair.settle(h), "%s: both sides leave STATUS_HANDSHAKING" % what)
	h.check_eq(client.get_status(), ERROR, "%s: STATUS_ERROR against a self-signed server" % what)
	pair.close()
