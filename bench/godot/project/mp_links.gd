# The multiplayer peers on emulated links (issue 24): godot --headless --path . -s res://mp_links.gd -- --emulator=PATH
# [OPTIONS]. For each profile of the link emulator (rust/link-emulator) and each peer kind (plain ENetMultiplayerPeer
# "enet", OpenSSLDTLSMultiplayerPeer "dtls"), a server and one client in this process with the emulator between them
# (up = client to server), at a fixed 60 frames/s: the server streams 20 Hz unreliable state RPCs (100 B) to the
# client, the client pings the server on channel 1 (reliable) every 6 frames, and after half a second the server
# sends one reliable RPC of `sizes` MiB on channel 0. Per profile, size and kind it prints:
#   link_<profile>_<size>m_goodput    Mbit/s of the transfer (payload, from the send to the client's handler)
#   link_..._state_p50 / _state_p95   ms a state update took, sent during the transfer (same clock both ends)
#   link_..._rtt_p50 / _rtt_p95       ms of a ping's round trip, sent during the transfer
#   link_..._queue_drops_pct          % of the datagrams offered to the emulator server to client that its
#                                     bottleneck queue dropped (its stats file)
# as "BENCH name=... impl=enet|dtls value=... unit=..." lines (one run each, not medians). The peer factory, world and
# probe are the tests' (copied into res://tests/ by bench/godot/run.sh --links, which also builds the emulator).
# Options: --emulator=PATH (required) --profiles=10mbit,4mbit --kinds=enet,dtls --sizes=1,8 --seed=1 --limit-s=60
extends SceneTree

const Peers = preload("res://tests/mp_peers.gd")
const World = preload("res://tests/mp_world.gd")
const Stats = preload("res://stats.gd")
const BIG := 16 << 20  ## max_message_size of the dtls peers: room for an 8 MiB RPC
const WARM_FRAMES := 30  ## state and pings run this long before the transfer starts
const STATE := 100  ## bytes of a state update's payload

var opts := {"emulator": "", "profiles": "10mbit,4mbit", "kinds": "enet,dtls", "sizes": "1,8", "seed": "1", "limit-s": "60"}
var failures := 0
## Runs at the start of each frame (MainLoop._process).
var frame_hook := Callable()


func _process(_delta: float) -> bool:
	if frame_hook.is_valid():
		frame_hook.call()
	return false


func _initialize() -> void:
	for arg in OS.get_cmdline_user_args():
		var kv: PackedStringArray = arg.trim_prefix("--").split("=", true, 1)
		if kv.size() != 2 or not opts.has(kv[0]):
			printerr("mp_links: unknown option ", arg)
			quit(2)
			return
		opts[kv[0]] = kv[1]
	if opts["emulator"] == "" or not FileAccess.file_exists(opts["emulator"]):
		printerr("mp_links: --emulator=PATH (the link-emulator binary) is required")
		quit(2)
		return
	Engine.max_fps = 60
	_run()


func _run() -> void:
	await process_frame  # RPC targets must be in the tree
	for profile in opts["profiles"].split(","):
		for size in opts["sizes"].split(","):
			print("== %s, %s MiB while state streams at 20 Hz" % [profile, size])
			for kind in opts["kinds"].split(","):
				if not Peers.available(kind):
					print("note: %s skipped (not available)" % kind)
					continue
				await _scenario(profile, int(size), kind)
				await process_frame  # the closed world is freed
	print("mp_links: done, %d failure(s)" % failures)
	quit(0 if failures == 0 else 1)


func _scenario(profile: String, mib: int, kind: String) -> void:
	var name := "link_%s_%dm" % [profile.replace("-", "_"), mib]
	var options := {"max_message_size": BIG}
	var w := World.new(self, Peers.new(kind))
	if not w.start_server(options):
		_fail(name, kind, "no server: %s" % w.peers.last_error_text)
		return
	var stats_path := OS.get_user_data_dir().path_join("link-%d.json" % OS.get_process_id())
	var emu := OS.execute_with_pipe(opts["emulator"], ["--listen", "127.0.0.1:0", "--server", "127.0.0.1:%d" % w.port,
		"--profile", profile, "--seed", opts["seed"], "--stats", stats_path])
	if emu.is_empty():
		w.close()
		_fail(name, kind, "the emulator did not start")
		return
	var line: String = emu.stdio.get_line()
	var emu_port := line.get_slice(":", line.get_slice_count(":") - 1).to_int()
	if not line.begins_with("listening ") or emu_port <= 0:
		_stop(emu)
		w.close()
		_fail(name, kind, "the emulator said %s" % line)
		return
	options["port"] = emu_port
	if w.add_client(options) != 0 or not w.connect_all(int(opts["limit-s"]) * 1000):
		_stop(emu)
		w.close()
		_fail(name, kind, "no connection through the emulator")
		return
	var server := w.probe(-1)
	var client := w.probe(0)
	var client_id := w.clients[0].get_unique_id()
	var data := PackedByteArray()
	data.resize(mib << 20)
	for i in range(0, data.size(), 4096):
		data[i] = i & 0xff
	var state := PackedByteArray()
	state.resize(STATE)
	var s := {"frame": 0, "sent_usec": 0, "done_usec": 0, "after": 0}
	frame_hook = func():
		w.poll()
		s.frame += 1
		if s.frame % 3 == 0:
			server.link_state.rpc_id(client_id, Time.get_ticks_usec(), state)
		if s.frame % 6 == 0:
			client.link_ping.rpc_id(1, Time.get_ticks_usec())
		if s.frame == WARM_FRAMES:
			s.sent_usec = Time.get_ticks_usec()
			server.blob.rpc_id(client_id, data)
		if s.done_usec == 0 and client.received("blob").size() > 0:
			s.done_usec = Time.get_ticks_usec()
	var limit_frames := int(opts["limit-s"]) * 60
	while s.done_usec == 0 and s.frame < limit_frames:
		await process_frame
	frame_hook = Callable()
	var link := _stop(emu, stats_path)
	if s.done_usec == 0 or client.received("blob")[0][1].size() != data.size():
		w.close()
		_fail(name, kind, "the %d MiB did not arrive within %s s" % [mib, opts["limit-s"]])
		return
	var seconds: float = (s.done_usec - s.sent_usec) / 1e6
	var during := func(e): return e[0] >= s.sent_usec and e[0] <= s.done_usec
	var states: Array = client.link_states.filter(during).map(func(e): return e[1])
	var rtts: Array = client.link_round_trips.filter(during).map(func(e): return e[1])
	var down: Dictionary = link.get("down", {})
	var drops_pct: float = 100.0 * down.get("queue_drops", 0) / maxf(1.0, down.get("offered", 0))
	print("   %-6s %6.2f Mbit/s (%.0f ms), state p50/p95 %.1f / %.1f ms (%d), ping p50/p95 %.1f / %.1f ms (%d), queue drops %d of %d (%.1f %%)" % [
		kind, mib * 8.388608 / seconds, seconds * 1000, _pct(states, 50), _pct(states, 95), states.size(), _pct(rtts, 50),
		_pct(rtts, 95), rtts.size(), down.get("queue_drops", 0), down.get("offered", 0), drops_pct])
	Stats.bench_line(name + "_goodput", kind, mib * 8.388608 / seconds, "Mbit/s", [])
	Stats.bench_line(name + "_state_p50", kind, _pct(states, 50), "ms", [])
	Stats.bench_line(name + "_state_p95", kind, _pct(states, 95), "ms", [])
	Stats.bench_line(name + "_rtt_p50", kind, _pct(rtts, 50), "ms", [])
	Stats.bench_line(name + "_rtt_p95", kind, _pct(rtts, 95), "ms", [])
	Stats.bench_line(name + "_queue_drops_pct", kind, drops_pct, "%", [])
	w.close()


## The p-th percentile of values (NAN when empty).
static func _pct(values: Array, p: int) -> float:
	if values.is_empty():
		return NAN
	var v := values.duplicate()
	v.sort()
	return float(v[mini(v.size() - 1, v.size() * p / 100)])


## Ends the emulator (its stdin closed: it writes its stats and exits) and returns its stats ({} without).
func _stop(emu: Dictionary, stats_path := "") -> Dictionary:
	emu.stdio.close()
	var deadline := Time.get_ticks_msec() + 3000
	while OS.is_process_running(emu.pid) and Time.get_ticks_msec() < deadline:
		OS.delay_msec(1)
	if OS.is_process_running(emu.pid):
		OS.kill(emu.pid)
	if stats_path == "" or not FileAccess.file_exists(stats_path):
		return {}
	var parsed = JSON.parse_string(FileAccess.get_file_as_string(stats_path))
	DirAccess.remove_absolute(stats_path)
	return parsed if parsed is Dictionary else {}


func _fail(name: String, kind: String, why: String) -> void:
	print("   %-6s %s FAILED: %s" % [kind, name, why])
	failures += 1
