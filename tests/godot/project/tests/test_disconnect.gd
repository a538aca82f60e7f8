# Disconnects, for every pairing of the addon with itself and with Godot's built-in DTLS:
# - disconnect_from_peer() on either side: that side is STATUS_DISCONNECTED at once, the other side reaches
#   STATUS_DISCONNECTED (close_notify) after polling; put_packet on either then returns ERR_UNCONFIGURED,
#   printing one error;
# - packets that arrived before the close_notify stay readable after the status turned to DISCONNECTED
#   (docs/packet-peer.md), on the addon's side; disconnect_from_peer() itself drops the unread ones (docs/packet-peer.md).
# What a finished or released peer lets go of: test_peer_release.gd.
# requires-addon
# put_packet after a disconnect (the addon's message, and the built-in's):
# expect-error: OpenSSLPacketPeerDTLS.put_packet: not connected: call connect_to_peer()
# expect-error: OpenSSLPacketPeerDTLS.put_packet: the DTLS session is not connected (status STATUS_DISCONNECTED)
# expect-error: Condition "status != STATUS_CONNECTED" is true. Returning: ERR_UNCONFIGURED
# When a built-in server disconnects, the client's answering close_notify reaches the UDPServer as a new
# connection (the built-in server peer released its UDP peer) and DTLSServer.take_connection prints
# MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE (see test_builtin_dtls.gd):
# expect-error: TLS handshake error: -30464
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Impl = preload("res://tests/dtls_impl.gd")
const Certs = preload("res://tests/certs.gd")
const DISCONNECTED := OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const COMBOS := [["ours", "ours"], ["ours", "builtin"], ["builtin", "ours"]]  # [client, server]

var h := Harness.new(self)
var id: Dictionary


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	id = Certs.ecdsa()
	for combo in COMBOS:
		for initiator in ["client", "server"]:
			_disconnect(combo[0], combo[1], initiator)
	for combo in COMBOS:
		_packets_before_close_notify(combo[0], combo[1])
	_local_disconnect_drops_unread()
	return true


func _connected_pair(client_impl: String, server_impl: String) -> Pair:
	var pair := Pair.new(server_impl)
	pair.listen(id.key, id.certificate)
	pair.add_client(client_impl, true, "localhost", id.certificate)
	h.check(pair.handshake(h), "handshake completes")
	return pair


# What put_packet on a disconnected peer prints: the addon names the method and says "not connected" (in
# one of two wordings: no session at all, or a session that ended).
func _error_text(impl: String) -> Array:
	return ["OpenSSLPacketPeerDTLS.put_packet: ", "not connected"] if impl == "ours" \
		else ["Condition \"status != STATUS_CONNECTED\" is true"]


func _disconnect(client_impl: String, server_impl: String, initiator: String) -> void:
	var what := "%s client, %s server, %s disconnects" % [client_impl, server_impl, initiator]
	h.section(what)
	var pair := _connected_pair(client_impl, server_impl)
	if pair.server_peers.is_empty():
		pair.close()
		return
	var sides := {"client": [pair.clients[0], client_impl], "server": [pair.server_peers[0], server_impl]}
	var local: Object = sides[initiator][0]
	var remote_side := "server" if initiator == "client" else "client"
	var remote: Object = sides[remote_side][0]
	local.disconnect_from_peer()
	h.check_eq(local.get_status(), DISCONNECTED, "the %s is STATUS_DISCONNECTED at once" % initiator)
	h.check(pair.wait_status_change(h, remote), "the %s's status changes" % remote_side)
	h.check_eq(remote.get_status(), DISCONNECTED, "... to STATUS_DISCONNECTED")
	if remote_side == "client" and client_impl == "ours":
		h.check_eq(remote.get_error_message(), "", "... with no error message")
	for side in [initiator, remote_side]:
		var impl: String = sides[side][1]
		var err = h.check_one_error(sides[side][0].put_packet.bind(PackedByteArray([1, 2, 3])), _error_text(impl),
			"%s (%s) put_packet after the disconnect" % [side, impl])
		h.check_eq(err, ERR_UNCONFIGURED, "%s (%s) put_packet after the disconnect returns ERR_UNCONFIGURED" % [side, impl])
	if initiator == "server" and server_impl == "builtin":
		h.check(h.poll_until(pair.poll, func(): return pair.dropped_statuses.size() == 2),
			"the client's answering close_notify reaches the built-in UDPServer as a new connection")
	pair.close()


func _packets_before_close_notify(client_impl: String, server_impl: String) -> void:
	var what := "%s client, %s server" % [client_impl, server_impl]
	h.section("packets sent just before a disconnect stay readable (%s)" % what)
	var pair := _connected_pair(client_impl, server_impl)
	if pair.server_peers.is_empty():
		pair.close()
		return
	# The addon's side receives: the server peer when the server is ours, else the client.
	var sender: Object = pair.clients[0] if server_impl == "ours" else pair.server_peers[0]
	var receiver: Object = pair.server_peers[0] if server_impl == "ours" else pair.clients[0]
	var sent := [Harness.pattern(10, 1), Harness.pattern(20, 2), Harness.pattern(30, 3)]
	for p in sent:
		sender.put_packet(p)
	sender.disconnect_from_peer()
	h.check(h.poll_until(pair.poll, func(): return receiver.get_status() == DISCONNECTED),
		"the receiver reaches STATUS_DISCONNECTED")
	h.check_eq(receiver.get_available_packet_count(), 3, "... with the 3 packets still counted")
	var got := []
	while receiver.get_available_packet_count() > 0:
		got.append(receiver.get_packet())
	h.check_eq(got, sent, "... and readable, in order")
	pair.close()


func _local_disconnect_drops_unread() -> void:
	h.section("disconnect_from_peer() drops the packets not yet read (ours client, ours server)")
	var pair := _connected_pair("ours", "ours")
	if pair.server_peers.is_empty():
		pair.close()
		return
	var client: OpenSSLPacketPeerDTLS = pair.clients[0]
	pair.server_peers[0].put_packet(PackedByteArray([1]))
	pair.server_peers[0].put_packet(PackedByteArray([2]))
	h.check(h.poll_until(pair.poll, func(): return client.get_available_packet_count() == 2), "2 packets wait on the client")
	client.disconnect_from_peer()
	h.check_eq(client.get_available_packet_count(), 0, "after its disconnect_from_peer() none is counted")
	h.check_eq(client.get_packet(), PackedByteArray(), "get_packet() returns an empty array")
	h.check_eq(client.get_packet_error(), ERR_UNAVAILABLE, "... with ERR_UNAVAILABLE")
	pair.close()
