# Packets larger than one datagram of the MTU, as Godot's built-in DTLS sends them: 1,400, 4,000, 8,000 and
# 16,384 bytes (one record in one datagram above the MTU) both ways between our client and the built-in server,
# the built-in client and our server, and two of ours, each intact; get_max_packet_size() stays what fits the
# MTU (1163 at the default), and 16,385 bytes are refused with one message.
# requires-addon
# expect-error: OpenSSLPacketPeerDTLS.put_packet: packet of 16385 bytes is larger than the 16384 bytes
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")

const SIZES := [1400, 4000, 8000, 16384]

var h := Harness.new(self)
var id


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	id = OpenSSLDTLSCertificates.generate_self_signed(["localhost"])
	for impls in [["ours", "builtin"], ["builtin", "ours"], ["ours", "ours"]]:
		_both_ways(impls[0], impls[1])
	return true


func _both_ways(client_impl: String, server_impl: String) -> void:
	h.section("%s client, %s server" % [client_impl, server_impl])
	var p := Pair.new(server_impl)
	if not h.check_eq(p.listen(id.key, id.certificate), OK, "listens"):
		return
	var client: Object = p.add_client(client_impl, true, "localhost", id.certificate)
	if not h.check(p.handshake(h), "connected"):
		p.close()
		return
	var server: Object = p.server_peers[0]
	for size in SIZES:
		var up := Harness.pattern(size, 1)
		h.check_eq(client.put_packet(up), OK, "client put_packet(%d B)" % size)
		h.check(p.receive(h, server) == up, "%d B client to server, intact" % size)
		var down := Harness.pattern(size, 2)
		h.check_eq(server.put_packet(down), OK, "server put_packet(%d B)" % size)
		h.check(p.receive(h, client) == down, "%d B server to client, intact" % size)
	for peer in [client, server]:
		if peer is OpenSSLPacketPeerDTLS:
			var fits: int = peer.get_max_packet_size()
			h.check(fits >= 1163 and fits < 1200, "get_max_packet_size() is what fits the default 1200-byte MTU (%d)" % fits)
			var err: Variant = h.check_one_error(peer.put_packet.bind(Harness.pattern(16385, 3)),
				"packet of 16385 bytes is larger than the 16384 bytes", "16,385 B refused")
			h.check_eq(err, ERR_INVALID_PARAMETER, "with ERR_INVALID_PARAMETER")
			h.check_eq(peer.get_status(), PacketPeerDTLS.STATUS_CONNECTED, "and stays connected")
	p.close()
