# The multiplayer benchmark (godot --headless --path . -s res://mp_bench.gd -- OPTIONS): SceneMultiplayer RPCs
# between a server and one client in this process, for OpenSSLDTLSMultiplayerPeer ("dtls") and plain
# ENetMultiplayerPeer ("enet"), a fresh connected pair per round, the kinds alternating round by round (order
# rotated); each figure is the median over rounds, and dtls/enet the median of the rounds' own ratios:
#   mp_rpc_rt      reliable RPC round trips/s, `inflight` pings in flight, the server answering each with a pong
#   mp_reliable_1m MB/s (10^6 B) of `blobs` reliable 1 MiB RPCs, `blob-inflight` at a time (the next sent when one
#                  has arrived), until the server has them all, intact
#   mp_lossy_200   ms until `lossy-count` reliable RPCs sent at once reach the server, in order, through
#                  lossy_relay.gd dropping 15 % of datagrams both ways (seeded; no duplicates or reordering)
#   mp_rt_frames_60fps, mp_rt_ms_60fps
#                  at a fixed 60 frames/s (Engine.max_fps), a reliable RPC from the client answered from its
#                  handler: frames and ms from the frame it was sent in to the frame the answer arrived in
#                  (median of `frame-samples`); each frame polls the server, then the client, then sends
#   mp_burst_10, mp_burst_300, mp_burst_3000
#                  round trips/s of a burst: that many pings sent at once, each answered, until all answers
#                  arrived (polled in a tight loop)
# Prints a "BENCH name=... impl=enet|dtls value=... unit=..." line per figure (run.sh tabulates them) and the
# ratio as impl=dtls/enet. The peer factory, world, probe and relay are the tests' (tests/godot/project/tests/), copied
# into res://tests/ by run.sh. dtls is skipped with a note when OpenSSLDTLSMultiplayerPeer is not registered.
# Options: --figures=rpc,reliable,lossy,frames,burst --kinds=enet,dtls --rounds=5 --seconds=1.0 (rate rounds) --inflight=300 --blobs=32 --blob-inflight=2
#          --lossy-count=200 --frame-samples=10 (32 MiB per throughput round, about 0.2 s: with 8 MiB the rounds' ratios spread from 0.53 to 0.98
#          on a 2-core machine whose speed drifts)
extends "res://bench_tree.gd"

const World = preload("res://tests/mp_world.gd")
const Stats = preload("res://stats.gd")
const LIMIT_MS := 30000  # a round that takes longer fails

const DEFAULTS := {"figures": "rpc,reliable,lossy,frames,burst", "kinds": "enet,dtls", "rounds": "5", "seconds": "1.0", "inflight": "300", "blobs": "32", "blob-inflight": "2", "lossy-count": "200", "frame-samples": "10"}
var failures := 0
var blob := PackedByteArray()


func _initialize() -> void:
	opts = DEFAULTS.duplicate()
	if not parse_options("mp_bench"):
		return
	_run()


func _run() -> void:
	await process_frame  # RPC targets must be in the tree
	var t0 := Time.get_ticks_msec()
	var kinds := available_kinds()
	blob.resize(1 << 20)
	for i in blob.size():
		blob[i] = (i * 7) & 0xff
	var figures: PackedStringArray = opts["figures"].split(",")
	if not kinds.is_empty():
		if "rpc" in figures:
			await _figure("mp_rpc_rt", "rt/s", kinds, _rpc_rate)
		if "reliable" in figures:
			await _figure("mp_reliable_1m", "MB/s", kinds, _throughput)
		if "lossy" in figures:
			await _figure("mp_lossy_200", "ms", kinds, _lossy)
		if "frames" in figures:
			await _figure("mp_rt_frames_60fps", "frames", kinds, _rt_60fps.bind("frames"))
			await _figure("mp_rt_ms_60fps", "ms", kinds, _rt_60fps.bind("ms"))
		if "burst" in figures:
			for n in [10, 300, 3000]:
				await _figure("mp_burst_%d" % n, "rt/s", kinds, _burst.bind(n))
	print("mp_bench: done in %.1f s, %d failure(s)" % [(Time.get_ticks_msec() - t0) / 1000.0, failures])
	quit(0 if failures == 0 else 1)


# A warm-up round per kind, then the rounds, kinds alternating (order rotated); the median per kind, and dtls/enet
# (with the floor kind also dtls/floor and floor/enet).
func _figure(name: String, unit: String, kinds: Array, round_fn: Callable) -> void:
	print("== %s (%s), %s rounds" % [name, unit, opts["rounds"]])
	for kind in kinds:
		await round_fn.call(kind)
		await process_frame  # let the closed worlds be freed
	var samples := {}
	for kind in kinds:
		samples[kind] = []
	for r in int(opts["rounds"]):
		for i in kinds.size():
			var kind: String = kinds[(i + r) % kinds.size()]
			samples[kind].append(await round_fn.call(kind))
			await process_frame
	var medians := {}
	for kind in kinds:
		if samples[kind].is_empty() or samples[kind].any(func(v): return v < 0):
			print("   %-16s %-6s FAILED (rounds: %s)" % [name, kind, samples[kind]])
			failures += 1
			continue
		medians[kind] = Stats.median(samples[kind])
		print("   %-16s %-6s %10s %-5s (rounds: %s)" % [name, kind, Stats.fmt(medians[kind]), unit, ", ".join(samples[kind].map(Stats.fmt))])
		Stats.bench_line(name, kind, medians[kind], unit, samples[kind])
	for pair in [[Peers.DTLS, Peers.ENET], [Peers.DTLS, Peers.FLOOR], [Peers.FLOOR, Peers.ENET]]:
		var kind: String = pair[0]
		var base: String = pair[1]
		if medians.has(kind) and medians.has(base) and medians[base] > 0:
			var ratios := Stats.round_ratios(samples[kind], samples[base])
			var paired := Stats.median(ratios)
			print("   %-16s %s/%s = %.2f (median of the rounds' ratios; ratio of the medians %.2f)" % [
				name, kind, base, paired, medians[kind] / medians[base]])
			Stats.bench_line(name, "%s/%s" % [kind, base], paired, "ratio", ratios)


# A server and one connected client of that kind (through a relay when asked), or null.
func _pair(kind: String, relay := false) -> World:
	var w := World.new(self, Peers.new(kind))
	if not w.start_server() or w.add_client({"relay": relay}) != 0 or not w.connect_all(LIMIT_MS):
		print("   %s: no connection (%s)" % [kind, w.peers.last_error_text])
		w.close()
		return null
	return w


func _rpc_rate(kind: String) -> float:
	var w := _pair(kind)
	if w == null:
		return -1.0
	var client := w.probe(0)
	var inflight := int(opts["inflight"])
	var sent := 0
	var start := Time.get_ticks_usec()
	var end := start + int(float(opts["seconds"]) * 1e6)
	while Time.get_ticks_usec() < end:
		while sent - client.pongs < inflight:
			client.ping.rpc_id(1, sent)
			sent += 1
		w.poll()
	var rate := client.pongs / ((Time.get_ticks_usec() - start) / 1e6)
	w.close()
	return rate


func _throughput(kind: String) -> float:
	var w := _pair(kind)
	if w == null:
		return -1.0
	var n := int(opts["blobs"])
	var inflight := int(opts["blob-inflight"])
	var server := w.probe(-1)
	var sent := [0]
	var start := Time.get_ticks_usec()
	var ok := w.wait(func():
		while sent[0] < n and sent[0] - server.received("blob").size() < inflight:
			w.probe(0).blob.rpc_id(1, blob)
			sent[0] += 1
		return server.received("blob").size() >= n or not w.connected(0), LIMIT_MS)  # a dropped connection ends it
	ok = ok and server.received("blob").size() >= n
	var secs := (Time.get_ticks_usec() - start) / 1e6
	ok = ok and server.values("blob").all(func(b): return b == blob)
	w.close()
	return n * blob.size() / 1e6 / secs if ok else -1.0


func _lossy(kind: String) -> float:
	var w := _pair(kind, true)
	if w == null:
		return -1.0
	var relay = w.relays[0]
	relay.set_rates(0.15, 0.0, 0.0)
	relay.lossy = true
	var n := int(opts["lossy-count"])
	var server := w.probe(-1)
	var start := Time.get_ticks_usec()
	for i in n:
		w.probe(0).seq_reliable.rpc_id(1, i)
	var ok := w.wait(func(): return server.received("seq_reliable").size() >= n or not w.connected(0), LIMIT_MS)
	ok = ok and server.received("seq_reliable").size() >= n
	var ms := (Time.get_ticks_usec() - start) / 1000.0
	ok = ok and server.values("seq_reliable") == range(n)
	w.close()
	return ms if ok else -1.0


# The median round trip (unit "frames" or "ms") of a reliable RPC from the client, answered from the server's
# handler, at a fixed 60 frames/s: each frame polls the server, then the client, then (as a node's _process
# would) sends the next ping once the last answer is in.
func _rt_60fps(kind: String, unit: String) -> float:
	var w := _pair(kind)
	if w == null:
		return -1.0
	Engine.max_fps = 60
	var probe := w.probe(0)
	var results := []
	for i in int(opts["frame-samples"]):
		var token := i + 1
		var sent := [-1, 0]
		frame_hook = func():
			w.poll()
			if sent[0] < 0:
				probe.frame_ping_reliable.rpc_id(1, token)
				sent[0] = Engine.get_process_frames()
				sent[1] = Time.get_ticks_usec()
		var waited := 0
		while not probe.pong_frames.has(token) and waited < 60:
			await process_frame
			waited += 1
		frame_hook = Callable()
		if not probe.pong_frames.has(token):
			results.append(-1.0)
			break
		if unit == "frames":
			results.append(float(probe.pong_frames[token] - sent[0]))
		else:
			results.append((Time.get_ticks_usec() - sent[1]) / 1000.0)
	Engine.max_fps = 0
	w.close()
	return -1.0 if results.has(-1.0) else Stats.median(results)


# Round trips/s of a burst of n pings sent at once (the server answering each), until every answer arrived.
func _burst(kind: String, n: int) -> float:
	var w := _pair(kind)
	if w == null:
		return -1.0
	var client := w.probe(0)
	var start := Time.get_ticks_usec()
	for i in n:
		client.ping.rpc_id(1, i)
	var ok := w.wait(func(): return client.pongs >= n or not w.connected(0), LIMIT_MS) and client.pongs >= n
	var secs := (Time.get_ticks_usec() - start) / 1e6
	w.close()
	return n / secs if ok else -1.0
