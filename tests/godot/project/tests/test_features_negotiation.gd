# What the handshake between OpenSSLPacketPeerDTLS and OpenSSLDTLSServer agrees on, over UDP on 127.0.0.1:
# - ALPN: client alpn_protocols ["x", "game/1"], server ["game/1"]: both get_alpn_protocol() are "game/1";
#   server ["other/2"] (no overlap): both "" and still connected, packets flow; none configured: "";
# - export_keying_material(label, context, 32): 32 bytes, the same on both ends, different for another label,
#   another context, and in another session; empty (and one error message) on a peer that never connected, one disconnected, one still handshaking;
# - SRTP: srtp_profiles "SRTP_AES128_CM_SHA1_80" on both: both get_srtp_profile() are that name; not
#   configured: "".
# requires-addon
# expect-error: OpenSSLPacketPeerDTLS.export_keying_material: not connected
# expect-error: OpenSSLPacketPeerDTLS.export_keying_material: the DTLS session is not connected (status STATUS_HANDSHAKING)
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const FeaturePair = preload("res://tests/feature_pair.gd")
const SRTP := "SRTP_AES128_CM_SHA1_80"

var h := Harness.new(self)
var id: Dictionary


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	id = OpenSSLDTLSCertificates.generate_self_signed(["localhost", "127.0.0.1"])
	_alpn()
	_keying_material()
	_srtp()
	return true


## A connected pair whose ends were configured by setup_client / setup_server (Callables taking the object),
## or null (checks failed).
func _connect(what: String, setup_client: Callable, setup_server: Callable):
	var server := OpenSSLDTLSServer.new()
	setup_server.call(server)
	h.check_eq(server.setup(id.key, id.certificate), OK, "%s: server setup returns OK" % what)
	var pair := FeaturePair.new()
	pair.listen_with(server)
	var client := OpenSSLPacketPeerDTLS.new()
	setup_client.call(client)
	var udp: PacketPeerUDP = pair.new_udp()
	pair.add_peer(client, client.connect_to_peer(udp, true, "localhost", id.certificate), udp)
	h.check_eq(pair.last_connect_error, OK, "%s: connect_to_peer returns OK" % what)
	if not h.check(pair.handshake(h), "%s: client and server peer connect" % what):
		h.note("client: %d %s" % [client.get_status(), client.get_error_message()])
		pair.close()
		return null
	return pair


func _alpn() -> void:
	h.section("ALPN")
	var client_alpn := func(c): c.alpn_protocols = PackedStringArray(["x", "game/1"])
	# [what, server protocols, expected agreement]
	for c in [["overlap", ["game/1"], "game/1"], ["no overlap", ["other/2"], ""]]:
		var server_alpn := func(s): s.alpn_protocols = PackedStringArray(c[1])
		var pair = _connect("ALPN " + c[0], client_alpn, server_alpn)
		if pair == null:
			continue
		h.check_eq(pair.clients[0].get_alpn_protocol(), c[2], "ALPN %s: client get_alpn_protocol()" % c[0])
		h.check_eq(pair.server_peers[0].get_alpn_protocol(), c[2], "ALPN %s: server peer get_alpn_protocol()" % c[0])
		pair.check_data_both_ways(h, 0, "ALPN %s: " % c[0])
		pair.close()
	var pair = _connect("no ALPN configured", func(_c): pass, func(_s): pass)
	if pair != null:
		h.check_eq(pair.clients[0].get_alpn_protocol(), "", "no ALPN: client get_alpn_protocol() is empty")
		h.check_eq(pair.server_peers[0].get_alpn_protocol(), "", "no ALPN: server peer get_alpn_protocol() is empty")
		pair.close()


func _keying_material() -> void:
	h.section("export_keying_material")
	var ctx := "context-1".to_utf8_buffer()
	var first = _connect("session 1", func(_c): pass, func(_s): pass)
	var second = _connect("session 2", func(_c): pass, func(_s): pass)
	if first == null or second == null:
		return
	var c: OpenSSLPacketPeerDTLS = first.clients[0]
	var s: OpenSSLPacketPeerDTLS = first.server_peers[0]
	var a := c.export_keying_material("EXPORTER-game-login", ctx, 32)
	h.check_eq(a.size(), 32, "client: 32 bytes")
	h.check_eq(s.export_keying_material("EXPORTER-game-login", ctx, 32), a, "server peer: the same 32 bytes")
	var zeros := PackedByteArray()
	zeros.resize(32)
	h.check(a != zeros, "the material is not all zeros")
	var other_label := c.export_keying_material("EXPORTER-other", ctx, 32)
	h.check(other_label.size() == 32 and other_label != a, "another label gives other bytes")
	h.check_eq(s.export_keying_material("EXPORTER-other", ctx, 32), other_label, "... the same on the server peer")
	var other_ctx := c.export_keying_material("EXPORTER-game-login", "context-2".to_utf8_buffer(), 32)
	h.check(other_ctx.size() == 32 and other_ctx != a, "another context gives other bytes")
	var no_ctx := c.export_keying_material("EXPORTER-game-login", PackedByteArray(), 32)
	h.check(no_ctx.size() == 32 and no_ctx != a, "no context gives other bytes")
	h.check_eq(s.export_keying_material("EXPORTER-game-login", PackedByteArray(), 32), no_ctx,
		"... the same on the server peer")
	h.check_eq(c.export_keying_material("EXPORTER-game-login", ctx, 64).size(), 64, "64 bytes when asked for 64")
	var b: PackedByteArray = second.clients[0].export_keying_material("EXPORTER-game-login", ctx, 32)
	h.check(b.size() == 32 and b != a, "another session gives other bytes")
	first.close()
	second.close()
	var after = h.check_one_error(c.export_keying_material.bind("EXPORTER-game-login", ctx, 32),
		"OpenSSLPacketPeerDTLS.export_keying_material: not connected", "export_keying_material after disconnect_from_peer")
	h.check_eq(after, PackedByteArray(), "... returns an empty array")
	var hs_pair := FeaturePair.new()
	hs_pair.listen_with(OpenSSLDTLSServer.new())  # never set up: the handshake stays unanswered
	var hs := OpenSSLPacketPeerDTLS.new()
	var hs_udp: PacketPeerUDP = hs_pair.new_udp()
	h.check_eq(hs.connect_to_peer(hs_udp, false), OK, "a client starts a handshake nobody answers")
	var during = h.check_one_error(hs.export_keying_material.bind("EXPORTER-game-login", ctx, 32),
		"OpenSSLPacketPeerDTLS.export_keying_material: the DTLS session is not connected (status STATUS_HANDSHAKING)", "export_keying_material while handshaking")
	h.check_eq(during, PackedByteArray(), "... returns an empty array")
	hs.disconnect_from_peer()
	hs_pair.close()
	var idle := OpenSSLPacketPeerDTLS.new()
	var got = h.check_one_error(idle.export_keying_material.bind("EXPORTER-game-login", ctx, 32),
		"OpenSSLPacketPeerDTLS.export_keying_material: not connected", "export_keying_material on a peer never connected")
	h.check_eq(got, PackedByteArray(), "... returns an empty array")


func _srtp() -> void:
	h.section("SRTP")
	var pair = _connect("SRTP", func(c): c.srtp_profiles = SRTP, func(s): s.srtp_profiles = SRTP)
	if pair != null:
		h.check_eq(pair.clients[0].get_srtp_profile(), SRTP, "client get_srtp_profile()")
		h.check_eq(pair.server_peers[0].get_srtp_profile(), SRTP, "server peer get_srtp_profile()")
		pair.close()
	pair = _connect("no SRTP", func(_c): pass, func(_s): pass)
	if pair != null:
		h.check_eq(pair.clients[0].get_srtp_profile(), "", "no SRTP: client get_srtp_profile() is empty")
		h.check_eq(pair.server_peers[0].get_srtp_profile(), "", "no SRTP: server peer get_srtp_profile() is empty")
		pair.close()
