# One round of the echo benchmark: one established session; the client keeps `inflight` packets of
# `size` bytes in flight, the server echoes each back, for `seconds`. One loop polls both sides the way a
# game would: poll(), then read while get_available_packet_count() > 0. Packets are moved through
# PacketPeer-typed variables (the base class of all three peers: typed calls, the same for each); poll()
# is an untyped call, as it has to be for the addon's class. With count > 0 the round ends after that many
# round trips instead (at most 120 s; for counting system calls per round trip). Returns round trips per
# second, or -1 on failure (no session, or echoes of the wrong size).
extends RefCounted

const Impls = preload("res://impls.gd")
const Listener = preload("res://listener.gd")


static func run_round(kind: String, key: CryptoKey, cert: X509Certificate, size: int, inflight: int,
		seconds: float, count := 0) -> float:
	var listener := Listener.new(kind, key, cert)
	var client = Impls.dial(kind, listener.port, cert) if listener.error == "" else null
	var peer = listener.establish(client) if client != null else null
	if peer == null:
		printerr("echo bench: %s: no session" % kind)
		listener.stop()
		return -1.0
	var payload := PackedByteArray()
	payload.resize(size)
	payload.fill(0x5a)
	var udp_server := listener.udp_server
	var dtls := Impls.is_dtls(kind)
	var c: PacketPeer = client
	var s: PacketPeer = peer
	var received := 0
	var wrong := 0
	for i in inflight:
		c.put_packet(payload)
	var t0 := Time.get_ticks_usec()
	var t_end := t0 + int((seconds if count <= 0 else 120.0) * 1_000_000)
	var goal := count if count > 0 else 1 << 62
	var iter := 0
	var now := t0
	while true:
		if dtls:
			client.poll()
		udp_server.poll()
		if dtls:
			peer.poll()
		while s.get_available_packet_count() > 0:
			s.put_packet(s.get_packet())
		while c.get_available_packet_count() > 0:
			if c.get_packet().size() != size:
				wrong += 1
			received += 1
			if received + inflight <= goal:
				c.put_packet(payload)
		if received >= goal:
			now = Time.get_ticks_usec()
			break
		iter += 1
		if iter & 15 == 0:
			now = Time.get_ticks_usec()
			if now >= t_end:
				break
	listener.close_session(client, peer)
	listener.stop()
	if wrong > 0:
		printerr("echo bench: %s: %d echoes of the wrong size" % [kind, wrong])
		return -1.0
	return received / ((now - t0) / 1_000_000.0)
