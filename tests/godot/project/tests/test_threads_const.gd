# Two threads calling the const methods (get_status(), get_available_packet_count(), get_max_packet_size(),
# get_error_message()) of one connected peer at the same time as its writing ones. gdext binds the object
# shared for the const ones and exclusively for the others; its blocking cell (experimental-threads) must
# make each call wait for the other thread's. gdext 0.5.5's own cell let a writing call through while the
# other thread read and reported "already bound" as a panic (158 in 900,000 calls); the patched cell
# (rust/patches/godot-cell) must not: any error line, a panic included, fails this test. The checks: both
# threads run to the end, no error is printed, the peer still carries data.
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Certs = preload("res://tests/certs.gd")
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const ITERATIONS := 50000

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	var id := Certs.ecdsa()
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	var client: OpenSSLPacketPeerDTLS = pair.add_client("ours", true, "localhost", id.certificate)
	if not h.check(pair.handshake(h), "connected"):
		pair.close()
		return true
	var t0 := Time.get_ticks_msec()
	var threads := [Thread.new(), Thread.new()]
	for i in 2:
		threads[i].start(_mixed_calls.bind(client, i))
	while threads.any(func(t): return t.is_alive()):
		pair.poll()
		for s in pair.server_peers:
			while s.get_available_packet_count() > 0:
				s.put_packet(s.get_packet())
	var done: Array = threads.map(func(t): return t.wait_to_finish())
	h.check_eq(done, [ITERATIONS, ITERATIONS], "both threads made all their calls")
	h.note("%d mixed calls x 2 threads in %d ms" % [ITERATIONS, Time.get_ticks_msec() - t0])
	# Echoes of the threads' packets may still come first: read until "after" comes back. The threads' burst
	# can leave the server's socket buffer full, so a lost "after" is sent again every 200 ms (UDP has no
	# retransmission).
	var got := [false]
	var last_sent := [-1000]
	h.check(h.poll_until(func():
			if Time.get_ticks_msec() - last_sent[0] >= 200:
				client.put_packet("after".to_utf8_buffer())
				last_sent[0] = Time.get_ticks_msec()
			pair.poll()
			for s in pair.server_peers:
				while s.get_available_packet_count() > 0:
					s.put_packet(s.get_packet()),
		func():
			while client.get_available_packet_count() > 0:
				if client.get_packet() == "after".to_utf8_buffer():
					got[0] = true
			return got[0]), "the peer still carries data afterwards")
	h.check_eq(client.get_status(), CONNECTED, "and is still connected")
	pair.close()
	return true


## Const and writing methods mixed; returns how many iterations it completed.
func _mixed_calls(peer: OpenSSLPacketPeerDTLS, seed: int) -> int:
	var rng := RandomNumberGenerator.new()
	rng.seed = seed
	var payload := PackedByteArray([1, 2, 3, 4, 5, 6, 7, 8])
	var n := 0
	for i in ITERATIONS:
		match rng.randi_range(0, 5):
			0:
				var _s = peer.get_status()
			1:
				if peer.get_available_packet_count() > 0:
					var _p := peer.get_packet()
			2:
				var _m = peer.get_max_packet_size()
				var _e = peer.get_error_message()
			3:
				peer.put_packet(payload)
			4:
				peer.poll()
			5:
				var _p := peer.get_packet()
		n += 1
	return n
