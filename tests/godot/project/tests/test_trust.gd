# What OpenSSLPacketPeerDTLS trusts when it validates certificates without a valid_certificate: what Godot's own
# TLS trusts, in Godot's order. The project setting network/tls/certificate_bundle_override (a PEM file) replaces
# the system's roots: a self-signed server in that bundle connects, one not in it fails (the bundle is all that is
# trusted), and a setting naming no PEM file refuses the connection with one message. Without the setting, the
# system's store (OS.get_system_ca_certificates()) decides, and it does not trust a self-signed server. Both
# entry points (connect_to_peer with null, connect_to_peer_with_options with TLSOptions.client()) follow it.
# Godot reads the system's store from fixed paths a test cannot redirect without editing system files, so the
# positive case of a system store is the core's rust/core/tests/system_roots.rs (a chain to a root in the
# bundle SSL_CERT_FILE names connects, one to a root not in it fails); the override above is the same trust
# path with a store this test builds.
# requires-addon
# expect-error: network/tls/certificate_bundle_override
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Impl = preload("res://tests/dtls_impl.gd")
const Certs = preload("res://tests/certs.gd")
const OVERRIDE := "network/tls/certificate_bundle_override"
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const ERROR := OpenSSLPacketPeerDTLS.STATUS_ERROR

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	var server_id := Certs.ecdsa()
	var stranger := Certs.ecdsa()
	h.note("OS.get_system_ca_certificates(): %d bytes of PEM" % OS.get_system_ca_certificates().length())
	DirAccess.make_dir_recursive_absolute("user://trust")
	var bundle := "user://trust/bundle.pem"
	var other := "user://trust/other.pem"
	_write(bundle, _pem(stranger.certificate) + _pem(server_id.certificate))
	_write(other, _pem(stranger.certificate))

	for with_options in [false, true]:
		var how := "connect_to_peer_with_options(TLSOptions.client())" if with_options else "connect_to_peer(udp, true, host, null)"
		h.section(how)
		ProjectSettings.set_setting(OVERRIDE, "")
		_case(how + ", no override: the system's roots", server_id, with_options, ERROR)
		ProjectSettings.set_setting(OVERRIDE, bundle)
		_case(how + ", override bundle holding the server's certificate", server_id, with_options, CONNECTED)
		ProjectSettings.set_setting(OVERRIDE, other)
		_case(how + ", override bundle without it", server_id, with_options, ERROR)
		ProjectSettings.set_setting(OVERRIDE, "user://trust/missing.pem")
		var udp := PacketPeerUDP.new()
		udp.connect_to_host("127.0.0.1", 9)
		var client := OpenSSLPacketPeerDTLS.new()
		var err = h.check_one_error(func():
			return client.connect_to_peer_with_options(udp, "localhost", TLSOptions.client()) if with_options \
				else client.connect_to_peer(udp, true, "localhost", null),
			[OVERRIDE, "missing.pem"], how + ", override naming no file")
		h.check_eq(err, ERR_FILE_CANT_OPEN, how + ", override naming no file: refused")
		h.check_eq(client.get_status(), OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED, how + ", override naming no file: not started")
	ProjectSettings.set_setting(OVERRIDE, "")
	return true


# PEM text without the NUL that save_to_string() ends with (a bundle file has none).
func _pem(cert: X509Certificate) -> String:
	return cert.save_to_string().replace(String.chr(0), "")


func _write(path: String, text: String) -> void:
	var f := FileAccess.open(path, FileAccess.WRITE)
	f.store_string(text)
	f.close()


func _case(what: String, id: Dictionary, with_options: bool, expected: int) -> void:
	var pair := Pair.new(Impl.OURS)
	pair.listen(id.key, id.certificate)
	var udp := PacketPeerUDP.new()
	udp.connect_to_host("127.0.0.1", pair.port)
	var client := OpenSSLPacketPeerDTLS.new()
	var err := client.connect_to_peer_with_options(udp, "localhost", TLSOptions.client()) if with_options \
		else client.connect_to_peer(udp, true, "localhost", null)
	h.check_eq(err, OK, "%s: returns OK" % what)
	pair.clients.append(client)
	pair.client_udps.append(udp)
	h.check(pair.settle(h), "%s: both sides leave STATUS_HANDSHAKING" % what)
	h.check_eq(client.get_status(), expected, "%s: client status" % what)
	if expected == CONNECTED:
		client.put_packet("trusted".to_utf8_buffer())
		h.check_eq(pair.receive(h, pair.server_peers[0]), "trusted".to_utf8_buffer(), "%s: data flows" % what)
	else:
		h.check(client.get_error_message().contains("certificate verification failed"),
			"%s: error message names the verification (%s)" % [what, client.get_error_message()])
	pair.close()
