# The multiplayer benchmark on emulated links (godot --headless --path . -s res://mp_links.gd -- OPTIONS): a server
# and one client in this process, the client dialling the server through the link emulator (rust/link-emulator, a
# UDP relay applying a profile's bandwidth, delay, jitter, drop-tail queue and loss each way), at a fixed 60
# frames/s. In each run the server sends one reliable RPC of `size` MiB (channel 0) while it streams a 20 Hz
# unreliable state RPC (100 bytes, stamped with the time it was sent) and the client pings on channel 1 at 10 Hz;
# per profile, size and peer kind (OpenSSLDTLSMultiplayerPeer "dtls", plain ENetMultiplayerPeer "enet") it prints:
#   link_<profile>_<size>m_goodput   Mbit/s of the transfer (from the frame it was sent to the frame it arrived)
#   link_<profile>_<size>m_state_p50 / _state_p95   ms from sending a state update to its arrival, during the
#                                    transfer
#   link_<profile>_<size>m_rpc_p50 / _rpc_p95       ms of a ping's round trip during the transfer
#   link_<profile>_<size>m_queue_drop                % of the datagrams offered to the bottleneck queues (both
#                                    ways) that the queues dropped
# as BENCH lines (run.sh tabulates them), and the profile's down rate for reading the goodput against it.
# Options: --relay=PATH (the link emulator binary; required) --profiles=lan,broadband,mobile,wifi-bad,10mbit (a profile
#          may carry the emulator's overrides after colons: 10mbit:loss=0:delay=40ms) --sizes=1,8 --kinds=enet,dtls
#          --seed=1 --trace=DIR (writes DIR/<name>_<kind>.trace, the emulator's line per datagram offered: ms, direction,
#          bytes, queue after it, fate; and DIR/<name>_<kind>.states, each state update's ms from sending to arrival)
extends "res://bench_tree.gd"

const World = preload("res://tests/mp_world.gd")
const Stats = preload("res://stats.gd")
const LIMIT_MS := 120000  # a transfer that takes longer fails
const STATE_EVERY := 3  # frames: 20 Hz at 60 frames/s
const PING_EVERY := 6  # frames: 10 Hz
const WARM_UP_FRAMES := 30

const DEFAULTS := {"relay": "", "profiles": "lan,broadband,mobile,wifi-bad,10mbit", "sizes": "1,8", "kinds": "enet,dtls", "seed": "1", "trace": ""}
var failures := 0


func _initialize() -> void:
	opts = DEFAULTS.duplicate()
	if not parse_options("mp_links"):
		return
	if opts["relay"] == "" or not FileAccess.file_exists(opts["relay"]):
		printerr("mp_links: --relay=PATH to the link emulator binary is required (got '%s')" % opts["relay"])
		quit(2)
		return
	_run()


func _run() -> void:
	await process_frame  # RPC targets must be in the tree
	var t0 := Time.get_ticks_msec()
	var kinds := available_kinds()
	for profile in opts["profiles"].split(","):
		for size_text in opts["sizes"].split(","):
			var size := int(size_text)
			var name := "link_%s_%dm" % [profile.replace("-", "_").replace(":", "_").replace("=", ""), size]
			print("== %s: %d MiB down while state streams at 20 Hz, 60 frames/s" % [name, size])
			var results := {}
			for kind in kinds:
				results[kind] = await _measure(kind, profile, size, _trace_path(name, kind))
				await process_frame
			_report(name, results)
	print("mp_links: done in %.1f s, %d failure(s)" % [(Time.get_ticks_msec() - t0) / 1000.0, failures])
	quit(0 if failures == 0 else 1)


func _report(name: String, results: Dictionary) -> void:
	for figure in ["goodput", "state_p50", "state_p95", "rpc_p50", "rpc_p95", "queue_drop"]:
		var unit: String = {"goodput": "Mbit/s", "queue_drop": "%"}.get(figure, "ms")
		for kind in results:
			var r: Dictionary = results[kind]
			if r.is_empty():
				continue
			print("   %-28s %-6s %10s %s" % [name + "_" + figure, kind, Stats.fmt(r[figure]), unit])
			Stats.bench_line(name + "_" + figure, kind, r[figure], unit, [r[figure]])
	for kind in results:
		var r: Dictionary = results[kind]
		if not r.is_empty():
			print("   %s %s: down rate %s Mbit/s, %d datagrams offered, %d dropped by the queues, %d lost at random" % [
				name, kind, Stats.fmt(r["down_rate"]), r["offered"], r["queue_drops"], r["random_drops"]])


# Where the run of `kind` under `name` is traced ("" without --trace).
func _trace_path(name: String, kind: String) -> String:
	if opts["trace"] == "":
		return ""
	DirAccess.make_dir_recursive_absolute(opts["trace"])
	return opts["trace"].path_join("%s_%s" % [name, kind])


# One run: {} when it failed (counted). `trace`: a path without extension for the run's traces, or "".
func _measure(kind: String, profile: String, size_mib: int, trace: String) -> Dictionary:
	var w := World.new(self, Peers.new(kind))
	# The DTLS peer refuses messages above its max_message_size (2 MiB by default); ENet has no such limit.
	var limits := {"max_message_size": (size_mib + 1) << 20}
	if not w.start_server(limits):
		return _fail("%s: no server: %s" % [kind, w.peers.last_error_text], w, {})
	var relay := _start_relay(profile, w.port, trace)
	if relay.is_empty():
		return _fail("%s: the link emulator did not start" % kind, w, {})
	if w.add_client(limits.merged({"port": relay["port"]})) != 0 or not w.connect_all(20000):
		return _fail("%s: the client did not connect through %s" % [kind, profile], w, relay)
	var server := w.probe(-1)
	var client := w.probe(0)
	var client_id := w.clients[0].get_unique_id()
	var blob := PackedByteArray()
	blob.resize(size_mib << 20)
	var state := PackedByteArray()
	state.resize(100)
	Engine.max_fps = 60
	# [frame, transfer sent at (usec), transfer arrived at (usec)]
	var run := [0, -1, -1]
	frame_hook = func():
		w.poll()
		var f: int = run[0]
		run[0] = f + 1
		if f % STATE_EVERY == 0:
			server.link_state.rpc_id(client_id, Time.get_ticks_usec(), state)
		if f % PING_EVERY == 0:
			client.link_ping.rpc_id(1, Time.get_ticks_usec())
		if f == WARM_UP_FRAMES:
			client.state_latencies.clear()
			client.ping_round_trips.clear()
			run[1] = Time.get_ticks_usec()
			server.blob.rpc_id(client_id, blob)
		elif run[1] >= 0 and run[2] < 0 and not client.received("blob").is_empty():
			run[2] = Time.get_ticks_usec()
	var deadline := Time.get_ticks_msec() + LIMIT_MS
	while run[2] < 0 and Time.get_ticks_msec() < deadline and w.connected(0):
		await process_frame
	frame_hook = Callable()
	Engine.max_fps = 0
	if run[2] < 0:
		return _fail("%s: the %d MiB transfer did not arrive through %s" % [kind, size_mib, profile], w, relay)
	var intact: bool = client.received("blob")[0][1] == blob
	var states: Array = client.state_latencies.duplicate()
	var pings: Array = client.ping_round_trips.duplicate()
	if trace != "":
		var f := FileAccess.open(trace + ".states", FileAccess.WRITE)
		if f != null:
			for usec in states:
				f.store_line("%.1f" % (usec / 1000.0))
	w.close()
	var counts := _stop_relay(relay)
	if not intact or counts.is_empty():
		return _fail("%s: %s" % [kind, "the transfer arrived damaged" if not intact else "no counts from the link emulator"], null, {})
	var secs: float = (run[2] - run[1]) / 1e6
	var offered: int = counts.get("up.offered", 0) + counts.get("down.offered", 0)
	var queue_drops: int = counts.get("up.queue_drops", 0) + counts.get("down.queue_drops", 0)
	return {
		"goodput": blob.size() * 8.0 / secs / 1e6,
		"state_p50": _percentile(states, 0.5) / 1000.0,
		"state_p95": _percentile(states, 0.95) / 1000.0,
		"rpc_p50": _percentile(pings, 0.5) / 1000.0,
		"rpc_p95": _percentile(pings, 0.95) / 1000.0,
		"queue_drop": 100.0 * queue_drops / maxi(offered, 1),
		"offered": offered,
		"queue_drops": queue_drops,
		"random_drops": counts.get("up.random_drops", 0) + counts.get("down.random_drops", 0),
		"down_rate": counts.get("down.rate_bps", 0) / 1e6,
	}


func _fail(why: String, w: World, relay: Dictionary) -> Dictionary:
	print("   FAILED: ", why)
	failures += 1
	Engine.max_fps = 0
	frame_hook = Callable()
	if w != null:
		w.close()
	if not relay.is_empty():
		_stop_relay(relay)
	return {}


static func _percentile(values: Array, q: float) -> float:
	if values.is_empty():
		return NAN
	var v := values.duplicate()
	v.sort()
	return float(v[clampi(int(ceil(q * v.size())) - 1, 0, v.size() - 1)])


# Starts the link emulator between a port it picks and the server's: {"pid", "stdio", "port"} or {}. It prints
# the port it listens on as its first line ("listening 127.0.0.1:PORT").
func _start_relay(profile: String, server_port: int, trace: String) -> Dictionary:
	var args := ["--listen", "127.0.0.1:0", "--server", "127.0.0.1:%d" % server_port, "--profile", profile.replace(":", ","),
		"--seed", opts["seed"]]
	if trace != "":
		args.append_array(["--trace", trace + ".trace"])
	var p := OS.execute_with_pipe(opts["relay"], args, false)
	if p.is_empty():
		return {}
	var stdio: FileAccess = p["stdio"]
	var line := _read_line(stdio, p["pid"])
	if not line.begins_with("listening "):
		print("   link emulator said: '%s' %s" % [line, p["stderr"].get_as_text()])
		OS.kill(p["pid"])
		return {}
	return {"pid": p["pid"], "stdio": stdio, "port": int(line.get_slice(":", line.get_slice_count(":") - 1))}


# Asks the emulator for its counts ("stats" on its standard input; it answers "DIRECTION KEY=VALUE ..." lines
# and "end"), then stops it (it exits when its standard input closes): "up.offered", "down.queue_drops"..., or
# {} when it did not answer.
func _stop_relay(relay: Dictionary) -> Dictionary:
	var stdio: FileAccess = relay["stdio"]
	stdio.store_line("stats")
	stdio.flush()
	var counts := {}
	var answered := false
	while OS.is_process_running(relay["pid"]):
		var line := _read_line(stdio, relay["pid"])
		if line == "":
			break
		if line == "end":
			answered = true
			break
		var words := line.split(" ", false)
		for word in words.slice(1):
			var kv := word.split("=", true, 1)
			if kv.size() == 2:
				counts["%s.%s" % [words[0], kv[0]]] = int(kv[1])
	stdio.close()
	return counts if answered else {}


# The emulator's next line of output (its pipe does not block: polled, with a 1 ms pause between tries, for up to
# 5 s), or "" when it ended or said nothing.
static func _read_line(stdio: FileAccess, pid: int) -> String:
	var deadline := Time.get_ticks_msec() + 5000
	var line := ""
	while line == "" and Time.get_ticks_msec() < deadline and OS.is_process_running(pid):
		line = stdio.get_line()
		if line == "":
			OS.delay_msec(1)  # waiting on another process: nothing in this one to poll meanwhile
	return line.strip_edges()
