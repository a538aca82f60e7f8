# The Godot 4 style (TLSOptions) API of the addon, over UDP on 127.0.0.1, against an OpenSSLDTLSServer set up
# with setup_with_options(TLSOptions.server(key, cert)):
# - connect_to_peer_with_options(udp, "localhost", TLSOptions.client(cert)) connects (and the same with
#   hostname "wrong" gives STATUS_ERROR_HOSTNAME_MISMATCH, so the host name is checked);
# - TLSOptions.client_unsafe() connects whatever the host name;
# - TLSOptions.client(cert, "localhost") with hostname "wrong": the common name override is used, connects;
# - TLSOptions.client(other_cert): STATUS_ERROR (and the server peer too);
# - TLSOptions.server(...) given to connect_to_peer_with_options, and TLSOptions.client() given to
#   setup_with_options: ERR_INVALID_PARAMETER with one message each;
# - Godot's built-in PacketPeerDTLS, connect_to_peer(udp, "localhost", TLSOptions.client(cert)), no ALPN,
#   against that server: connects, packets both ways.
# requires-addon
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer_with_options: client_options are server options
# expect-error: OpenSSLDTLSServer.setup_with_options: server_options must come from TLSOptions.server()
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const FeaturePair = preload("res://tests/feature_pair.gd")
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const ERROR := OpenSSLPacketPeerDTLS.STATUS_ERROR
const MISMATCH := OpenSSLPacketPeerDTLS.STATUS_ERROR_HOSTNAME_MISMATCH

var h := Harness.new(self)
var id: Dictionary
var other: Dictionary


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	id = OpenSSLDTLSCertificates.generate_self_signed(["localhost"])
	other = OpenSSLDTLSCertificates.generate_self_signed(["localhost"])
	# [what, hostname, options, client status, server peer status]
	var cases := [
		["TLSOptions.client(cert), hostname localhost", "localhost", TLSOptions.client(id.certificate), CONNECTED, CONNECTED],
		["TLSOptions.client(cert), hostname wrong", "wrong", TLSOptions.client(id.certificate), MISMATCH, ERROR],
		["TLSOptions.client_unsafe(), hostname wrong", "wrong", TLSOptions.client_unsafe(), CONNECTED, CONNECTED],
		["TLSOptions.client_unsafe(), empty hostname", "", TLSOptions.client_unsafe(), CONNECTED, CONNECTED],
		["TLSOptions.client(cert, \"localhost\"), hostname wrong", "wrong", TLSOptions.client(id.certificate, "localhost"), CONNECTED, CONNECTED],
		["TLSOptions.client(cert, \"wrong\"), hostname localhost", "localhost", TLSOptions.client(id.certificate, "wrong"), MISMATCH, ERROR],
		["TLSOptions.client(other_cert)", "localhost", TLSOptions.client(other.certificate), ERROR, ERROR],
	]
	for c in cases:
		_case(c[0], "ours", c[1], c[2], c[3], c[4])
	_case("built-in PacketPeerDTLS, TLSOptions.client(cert)", "builtin", "localhost", TLSOptions.client(id.certificate), CONNECTED, CONNECTED)
	_wrong_kind_of_options()
	return true


func _server() -> OpenSSLDTLSServer:
	var server := OpenSSLDTLSServer.new()
	server.handshake_timeout = 2.0
	server.initial_retransmit_timeout = 0.2
	h.check_eq(server.setup_with_options(TLSOptions.server(id.key, id.certificate)), OK, "setup_with_options(TLSOptions.server(key, cert)) returns OK")
	return server


func _case(what: String, impl: String, hostname: String, options: TLSOptions, client_status: int, server_status: int) -> void:
	h.section(what)
	var pair := FeaturePair.new()
	pair.listen_with(_server())
	var udp: PacketPeerUDP = pair.new_udp()
	var client: Object
	if impl == "builtin":
		client = PacketPeerDTLS.new()
		pair.add_peer(client, client.connect_to_peer(udp, hostname, options), udp)
	else:
		client = OpenSSLPacketPeerDTLS.new()
		client.handshake_timeout = 2.0
		client.initial_retransmit_timeout = 0.2
		pair.add_peer(client, client.connect_to_peer_with_options(udp, hostname, options), udp)
	h.check_eq(pair.last_connect_error, OK, "connect returns OK")
	var done := func() -> bool:
		return pair.settled() and pair.server_peers.size() == 1 and pair.server_peers[0].get_status() != OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING
	h.poll_until(pair.poll, done, 4000)
	var msg: String = client.get_error_message() if client.has_method("get_error_message") else ""
	h.check_eq(client.get_status(), client_status, "client status (%s)" % msg)
	if h.check_eq(pair.server_peers.size(), 1, "the server kept one peer"):
		h.check_eq(pair.server_peers[0].get_status(), server_status, "server peer status (%s)" % pair.server_peers[0].get_error_message())
	if client_status == CONNECTED and pair.connected():
		pair.check_data_both_ways(h)
	pair.close()


func _wrong_kind_of_options() -> void:
	h.section("options of the wrong kind")
	var pair := FeaturePair.new()
	pair.listen_with(_server())
	var client := OpenSSLPacketPeerDTLS.new()
	var udp: PacketPeerUDP = pair.new_udp()
	var err = h.check_one_error(client.connect_to_peer_with_options.bind(udp, "localhost", TLSOptions.server(id.key, id.certificate)),
		"OpenSSLPacketPeerDTLS.connect_to_peer_with_options: client_options are server options",
		"connect_to_peer_with_options(TLSOptions.server(...))")
	h.check_eq(err, ERR_INVALID_PARAMETER, "connect_to_peer_with_options(TLSOptions.server(...)) returns ERR_INVALID_PARAMETER")
	h.check_eq(client.get_status(), OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED, "... the client stays disconnected")
	h.check_eq(client.connect_to_peer_with_options(udp, "localhost", TLSOptions.client(id.certificate)), OK,
		"... and can connect afterwards with TLSOptions.client(cert)")
	pair.add_peer(client, OK, udp)
	h.check(pair.handshake(h), "... and connects")
	pair.close()
	var server := OpenSSLDTLSServer.new()
	err = h.check_one_error(server.setup_with_options.bind(TLSOptions.client()),
		"OpenSSLDTLSServer.setup_with_options: server_options must come from TLSOptions.server()", "setup_with_options(TLSOptions.client())")
	h.check_eq(err, ERR_INVALID_PARAMETER, "setup_with_options(TLSOptions.client()) returns ERR_INVALID_PARAMETER")
	h.check_eq(server.setup_with_options(TLSOptions.server(id.key, id.certificate)), OK, "... then TLSOptions.server(key, cert) returns OK")
