# What a DTLS peer of the addon lets go of when its session ends, compared with Godot's built-in DTLS:
# - A session ended by the other side (its close_notify) or by a failed handshake releases the PacketPeerUDP,
#   as the built-in does (PacketPeerMbedDTLS::_cleanup drops its base peer): so a client can start a new
#   session on the same PacketPeerUDP while the application still holds, and polls, the finished peer
#   objects. (A session ended locally by disconnect_from_peer() already releases it.) On the server side
#   that matters because UDPServer routes a known address to its existing PacketPeerUDP for as long as that
#   object lives, instead of announcing a new connection; on the client side, a finished peer that still reads
#   the socket eats the new session's datagrams. Every pairing runs; the built-in ones are the reference.
# - Dropping the last reference to a connected peer disconnects it (close_notify), as the built-in's
#   destructor does (test_builtin_dtls.gd), so the other side does not keep a dead peer in STATUS_CONNECTED.
# requires-addon
# A built-in peer that refuses or is refused a handshake prints why: MBEDTLS_ERR_X509_CERT_VERIFY_FAILED (-0x2700)
# when it rejects the certificate, MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE (-0x7780) when the other side's alert ends it;
# any other handshake error is a failure:
# allow-error: TLS handshake error: -9984
# allow-error: TLS handshake error: -30592
# When a built-in server disconnects, the client's answering close_notify reaches the UDPServer as a new
# connection and DTLSServer.take_connection prints MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE (test_builtin_dtls.gd):
# expect-error: TLS handshake error: -30464
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Certs = preload("res://tests/certs.gd")
const DISCONNECTED := OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED

var h := Harness.new(self)
var id: Dictionary


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	id = Certs.ecdsa()
	for server_impl in ["builtin", "ours"]:
		for client_impl in ["builtin", "ours"]:
			for how in ["client disconnects", "server disconnects", "handshake fails (host name mismatch)"]:
				_reconnect_same_socket(client_impl, server_impl, how, true)
	for how in ["client disconnects", "server disconnects", "handshake fails (host name mismatch)"]:
		_reconnect_same_socket("ours", "ours", how, false)
	_release_connected_peer()
	return true


func _connected_pair(client_impl: String, server_impl: String) -> Pair:
	var pair := Pair.new(server_impl)
	pair.listen(id.key, id.certificate)
	pair.add_client(client_impl, true, "localhost", id.certificate)
	h.check(pair.handshake(h), "handshake completes")
	return pair


# A client's session ends (it disconnects, is disconnected, or its handshake fails) and it starts a new one on
# the same PacketPeerUDP, while the application still holds the finished peers and keeps polling them. The
# built-in releases a peer's UDP socket when its session ends (PacketPeerMbedDTLS::_cleanup), so the server's
# UDPServer sees the new ClientHello as a new connection and the finished client peer no longer reads the socket.
# With keep=false the application drops the finished peers first (the usual code): that works today.
func _reconnect_same_socket(client_impl: String, server_impl: String, how: String, keep: bool) -> void:
	var what := "%s client, %s server, %s%s" % [client_impl, server_impl, how, "" if keep else ", finished peers dropped"]
	h.section("a new session on the same client socket (%s)" % what)
	var pair := Pair.new(server_impl)
	pair.listen(id.key, id.certificate)
	if how.begins_with("handshake fails"):
		pair.add_client(client_impl, true, "wrong.example", id.certificate)
		h.check(pair.settle(h) and not pair.connected(0), "%s: the first session fails" % what)
	else:
		pair.add_client(client_impl, true, "localhost", id.certificate)
		if not h.check(pair.handshake(h), "%s: handshake completes" % what):
			pair.close()
			return
		var client_ends := how.begins_with("client")
		var local: Object = pair.clients[0] if client_ends else pair.server_peers[0]
		var remote: Object = pair.server_peers[0] if client_ends else pair.clients[0]
		local.disconnect_from_peer()
		h.check(h.poll_until(pair.poll, func(): return remote.get_status() == DISCONNECTED),
			"%s: the first session ends" % what)
	var i := 1
	if not keep:
		pair.clients.clear()
		pair.server_peers.clear()
		i = 0
	pair.add_client(client_impl, true, "localhost", id.certificate, pair.client_udps[0])
	h.check_eq(pair.last_connect_error, OK, "%s: a new client on the same PacketPeerUDP: connect_to_peer returns OK" % what)
	h.check(h.poll_until(pair.poll, func(): return pair.connected(i), 2000),
		"%s: the new session connects%s" % [what, " (the finished peers, still held and polled, let go of the socket)" if keep else ""])
	pair.close()


# The built-in's destructor disconnects (test_builtin_dtls.gd): the other side sees close_notify.
func _release_connected_peer() -> void:
	for side in ["client", "server peer"]:
		h.section("the last reference to a connected %s of the addon is dropped" % side)
		var pair := _connected_pair("ours", "ours")
		if pair.server_peers.is_empty():
			pair.close()
			return
		var other: Object = pair.server_peers[0] if side == "client" else pair.clients[0]
		if side == "client":
			pair.clients.clear()
		else:
			pair.server_peers.clear()
		h.check(h.poll_until(pair.poll, func(): return other.get_status() != CONNECTED, 2000),
			"%s dropped: the other side's status changes" % side)
		h.check_eq(other.get_status(), DISCONNECTED, "%s dropped: the other side is STATUS_DISCONNECTED (close_notify sent on release)" % side)
		pair.close()
