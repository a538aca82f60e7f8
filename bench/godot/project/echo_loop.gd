# The echo benchmark's loop (echo_bench.gd), written with its peers typed PacketPeer; echo_bench.gd compiles it
# once per implementation with that type replaced by the implementation's own peer class, so that each is
# called the way a game holding it would call it: for the DTLS classes `c.call("poll")` becomes `c.poll()` (PacketPeer
# has no poll(), so this file keeps the dynamic call to compile as written). run() returns [round trips per second,
# wrong-size echoes].
extends RefCounted


func run(c: PacketPeer, s: PacketPeer, udp_server: UDPServer, polled: bool, size: int, inflight: int,
		seconds: float, count: int) -> Array:
	var payload := PackedByteArray()
	payload.resize(size)
	payload.fill(0x5a)
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
		if polled:
			c.call("poll")
		udp_server.poll()
		if polled:
			s.call("poll")
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
	return [received / ((now - t0) / 1_000_000.0), wrong]
