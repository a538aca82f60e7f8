# Hardening of OpenSSLPacketPeerDTLS and OpenSSLDTLSServer, over UDP on 127.0.0.1:
# - host names with the system's roots: connect_to_peer(udp) (validate_certs, no valid_certificate, no name)
#   and connect_to_peer_with_options(udp, "", TLSOptions.client()) return ERR_INVALID_PARAMETER with one
#   message telling to pass the server's name; with a valid_certificate, without validation, or with a PSK
#   an empty name is accepted;
# - idle_timeout, max_queued_packets, max_queued_bytes on both classes: defaults 30 s, 1024, 65536; bad values
#   refused with ERR_INVALID_PARAMETER;
# - a client with max_queued_packets = 10 that does not read while its server peer sends 50 packets holds 10,
#   counts 40 in get_statistics().packets_dropped, stays connected and receives again once read;
# - idle_timeout = 0.3 on both ends: when the client stops polling (a vanished peer), the server peer ends in
#   STATUS_ERROR with a message saying how long the client was silent.
# requires-addon
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: pass the server's name as for_hostname
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer_with_options: pass the server's name as hostname
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: invalid DTLS setting: idle_timeout must be within
# expect-error: OpenSSLDTLSServer.setup: invalid DTLS setting: max_queued_packets must be at least 1
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const FeaturePair = preload("res://tests/feature_pair.gd")
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const ERROR := OpenSSLPacketPeerDTLS.STATUS_ERROR

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	_host_names()
	_properties()
	_bounded_queue()
	_idle_timeout()
	return true


func _connected_udp(target: UDPServer) -> PacketPeerUDP:
	var udp := PacketPeerUDP.new()
	udp.connect_to_host("127.0.0.1", target.get_local_port())
	return udp


func _host_names() -> void:
	h.section("host names with the system's roots")
	var target := UDPServer.new()
	target.listen(0, "127.0.0.1")
	var cert: X509Certificate = OpenSSLDTLSCertificates.generate_self_signed().certificate
	var refused := {
		"connect_to_peer(udp)": [func(p, u): return p.connect_to_peer(u),
			"OpenSSLPacketPeerDTLS.connect_to_peer: pass the server's name as for_hostname"],
		"connect_to_peer(udp, true, \"\", null)": [func(p, u): return p.connect_to_peer(u, true, "", null),
			"OpenSSLPacketPeerDTLS.connect_to_peer: pass the server's name as for_hostname"],
		"connect_to_peer_with_options(udp, \"\", TLSOptions.client())": [
			func(p, u): return p.connect_to_peer_with_options(u, "", TLSOptions.client()),
			"OpenSSLPacketPeerDTLS.connect_to_peer_with_options: pass the server's name as hostname"],
		"connect_to_peer_with_options(udp, \"\")": [func(p, u): return p.connect_to_peer_with_options(u, ""),
			"OpenSSLPacketPeerDTLS.connect_to_peer_with_options: pass the server's name as hostname"],
	}
	for form in refused:
		var peer := OpenSSLPacketPeerDTLS.new()
		var udp := _connected_udp(target)
		h.check_eq(h.check_one_error(refused[form][0].bind(peer, udp), refused[form][1], form), ERR_INVALID_PARAMETER,
			"%s returns ERR_INVALID_PARAMETER" % form)
		h.check_eq(peer.get_status(), OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED, "... and the peer stays disconnected")
	var psk_peer := OpenSSLPacketPeerDTLS.new()
	psk_peer.set_psk("player", "0123456789abcdef".to_utf8_buffer())
	var accepted := {
		"connect_to_peer(udp, true, \"\", cert)": [OpenSSLPacketPeerDTLS.new(),
			func(p, u): return p.connect_to_peer(u, true, "", cert)],
		"connect_to_peer(udp, false)": [OpenSSLPacketPeerDTLS.new(), func(p, u): return p.connect_to_peer(u, false)],
		"connect_to_peer(udp, true, \"example.com\")": [OpenSSLPacketPeerDTLS.new(),
			func(p, u): return p.connect_to_peer(u, true, "example.com")],
		"connect_to_peer_with_options(udp, \"\", TLSOptions.client(cert))": [OpenSSLPacketPeerDTLS.new(),
			func(p, u): return p.connect_to_peer_with_options(u, "", TLSOptions.client(cert))],
		"connect_to_peer(udp) after set_psk": [psk_peer, func(p, u): return p.connect_to_peer(u)],
	}
	for form in accepted:
		var peer: OpenSSLPacketPeerDTLS = accepted[form][0]
		h.check_eq(h.check_no_error(accepted[form][1].bind(peer, _connected_udp(target)), form), OK,
			"%s returns OK" % form)
		peer.disconnect_from_peer()
	target.stop()


func _properties() -> void:
	h.section("idle_timeout, max_queued_packets, max_queued_bytes")
	for obj in [OpenSSLPacketPeerDTLS.new(), OpenSSLDTLSServer.new()]:
		var name: String = obj.get_class()
		h.check_eq(obj.idle_timeout, 30.0, "%s.idle_timeout defaults to 30 s" % name)
		h.check_eq(obj.max_queued_packets, 1024, "%s.max_queued_packets defaults to 1024" % name)
		h.check_eq(obj.max_queued_bytes, 65536, "%s.max_queued_bytes defaults to 65536" % name)
	var target := UDPServer.new()
	target.listen(0, "127.0.0.1")
	var peer := OpenSSLPacketPeerDTLS.new()
	peer.idle_timeout = -1.0
	h.check_eq(h.check_one_error(peer.connect_to_peer.bind(_connected_udp(target), false),
		"OpenSSLPacketPeerDTLS.connect_to_peer: invalid DTLS setting: idle_timeout must be within", "idle_timeout -1"),
		ERR_INVALID_PARAMETER, "idle_timeout -1: connect_to_peer returns ERR_INVALID_PARAMETER")
	peer.idle_timeout = 0.0
	h.check_eq(peer.connect_to_peer(_connected_udp(target), false), OK, "idle_timeout 0 (disabled) is accepted")
	peer.disconnect_from_peer()
	target.stop()
	var server := OpenSSLDTLSServer.new()
	server.max_queued_packets = 0
	var id := OpenSSLDTLSCertificates.generate_self_signed()
	h.check_eq(h.check_one_error(server.setup.bind(id.key, id.certificate),
		"OpenSSLDTLSServer.setup: invalid DTLS setting: max_queued_packets must be at least 1", "max_queued_packets 0"),
		ERR_INVALID_PARAMETER, "max_queued_packets 0: setup returns ERR_INVALID_PARAMETER")


func _pair(client_setup: Callable, server_setup: Callable) -> Array:
	var id := OpenSSLDTLSCertificates.generate_self_signed()
	var server := OpenSSLDTLSServer.new()
	server_setup.call(server)
	h.check_eq(server.setup(id.key, id.certificate), OK, "server setup")
	var pair := FeaturePair.new()
	pair.listen_with(server)
	var client := OpenSSLPacketPeerDTLS.new()
	client_setup.call(client)
	var udp: PacketPeerUDP = pair.new_udp()
	pair.add_peer(client, client.connect_to_peer(udp, true, "localhost", id.certificate), udp)
	h.check_eq(pair.last_connect_error, OK, "connect_to_peer returns OK")
	return [pair, client]


func _bounded_queue() -> void:
	h.section("a client that does not read holds at most max_queued_packets")
	var made := _pair(func(c): c.max_queued_packets = 10, func(_s): pass)
	var pair: FeaturePair = made[0]
	var client: OpenSSLPacketPeerDTLS = made[1]
	if not h.check(pair.handshake(h), "client and server peer connect"):
		pair.close()
		return
	var peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	for i in 50:
		peer.put_packet(Harness.pattern(100, i))
	h.check(h.poll_until(pair.poll, func(): return client.get_statistics().packets_received >= 50),
		"the client decrypts all 50 packets")
	var stats := client.get_statistics()
	h.check_eq(client.get_available_packet_count(), 10, "10 packets held")
	h.check_eq(stats.packets_dropped, 40, "40 counted in get_statistics().packets_dropped")
	h.check_eq(client.get_status(), CONNECTED, "still connected")
	h.check_eq(client.get_packet(), Harness.pattern(100, 0), "the oldest packet comes first")
	while client.get_available_packet_count() > 0:
		client.get_packet()
	peer.put_packet("again".to_utf8_buffer())
	h.check_eq(pair.receive(h, client), "again".to_utf8_buffer(), "once read, the client receives again")
	pair.close()


func _idle_timeout() -> void:
	h.section("idle_timeout = 0.3 s: a vanished client ends its server peer")
	var made := _pair(func(c): c.idle_timeout = 0.3, func(s): s.idle_timeout = 0.3)
	var pair: FeaturePair = made[0]
	var client: OpenSSLPacketPeerDTLS = made[1]
	if not h.check(pair.handshake(h), "client and server peer connect"):
		pair.close()
		return
	var peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	var start := Time.get_ticks_msec()
	# The client vanishes: nobody polls it any more. The server side keeps polling.
	var step := func():
		pair.udp_server.poll()
		peer.poll()
	h.check(h.poll_until(step, func(): return peer.get_status() != CONNECTED, 5000),
		"the server peer leaves STATUS_CONNECTED")
	var waited := Time.get_ticks_msec() - start
	h.check_eq(peer.get_status(), ERROR, "it ends in STATUS_ERROR")
	h.check(waited >= 250, "not before the timeout (%d ms)" % waited)
	var message := peer.get_error_message()
	h.check(message.contains("sent nothing for 300ms"), "the message says how long: %s" % message)
	client.poll()
	h.check_eq(client.get_status(), ERROR, "the client, silent too (nothing came back), also ends")
	pair.close()
