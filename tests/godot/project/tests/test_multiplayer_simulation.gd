# The network simulation of OpenSSLDTLSMultiplayerPeer (simulated_* properties) as a game developer uses it, at a
# fixed 60 frames/s with no relay: a client adding 50 ms to what it sends and 50 ms to what it receives sees a
# reliable RPC round trip (answered from its handler) of at least 100 ms and at most 100 ms plus a few frames;
# with the properties back at 0 the round trip is a few frames again. 20 % simulated send loss: reliable RPCs
# all arrive in order, about a fifth of one-per-frame unreliable ones are lost, and the server's statistics see
# loss. Figures out of range are refused by create_server/create_client with one message.
# requires-addon
# expect-error: OpenSSLDTLSMultiplayerPeer.create_client: invalid DTLS setting: simulated send loss must be within 0..=100 percent, not 150
# expect-error: OpenSSLDTLSMultiplayerPeer.create_server: invalid DTLS setting: simulated receive latency must be within 0..=10000 ms, not -5
extends "res://tests/frame_tree.gd"

const Harness = preload("res://tests/harness.gd")
const World = preload("res://tests/mp_world.gd")
const Peers = preload("res://tests/mp_peers.gd")

const FRAME_MS := 1000.0 / 60.0
const SAMPLES := 5  ## round trips per case; the median is checked
const MAX_FRAMES := 60  ## a round trip not back within this many frames counts as lost

var h := Harness.new(self)
var _token := 0


func _initialize() -> void:
	super()  # 60 frames/s; frame_hook runs at the start of each frame: the world's polls, then the test's sends
	h.run(_body)


func _body() -> bool:
	if not h.require_classes([Peers.DTLS_CLASS]):
		return true
	await process_frame  # RPC targets must be in the tree

	h.section("50 ms added each way on the client: 100 ms more per round trip")
	var slow: Variant = await _measure({"simulated_send_latency_ms": 50.0, "simulated_receive_latency_ms": 50.0})
	h.section("the simulation off (0, the default)")
	var plain: Variant = await _measure({})
	if not h.check(slow != null and plain != null, "both pairs connected and measured"):
		return true
	h.note("round trip: %.1f ms (%d frames) simulated, %.1f ms (%d frames) without" % [slow.ms, slow.frames, plain.ms,
		plain.frames])
	h.check(slow.ms >= 100.0, "with 100 ms added, an RPC round trip takes at least 100 ms (%.1f ms)" % slow.ms)
	h.check(slow.ms < 100.0 + 6 * FRAME_MS,
		"and less than 100 ms plus 6 frames (%.1f ms, %d frames)" % [slow.ms, slow.frames])
	# 100 ms is 6 frames; the rest is when the polls fall (delivery at the first poll once due): 3 frames at most.
	h.check(slow.frames <= plain.frames + 9,
		"in frames: %d, at most 6 + 3 more than without the simulation (%d)" % [slow.frames, plain.frames])
	h.check(plain.ms < 100.0 and plain.frames <= 4,
		"without it the round trip is back to frames: %d (%.1f ms)" % [plain.frames, plain.ms])

	await _loss()
	_refused()
	return true


## The median round trip of a reliable ping from a client with these options to the server, answered from its
## handler: {"ms": float, "frames": int}, or null when it could not connect.
func _measure(client_options: Dictionary) -> Variant:
	var w := World.new(self, Peers.new(Peers.DTLS))
	if not w.start_server() or w.add_client(client_options) != 0 or not w.connect_all():
		h.note(w.peers.last_error_text)
		w.close()
		return null
	var samples := []
	for i in SAMPLES:
		samples.append(await _round_trip(w))
	frame_hook = Callable()
	w.close()
	await process_frame  # the closed world's sub-trees are freed
	samples.sort_custom(func(a, b): return a.ms < b.ms)
	return samples[SAMPLES / 2]


## One round trip: sent from the frame hook (after that frame's polls, as a node's _process sends), timed from the
## send to the poll that delivered the pong.
func _round_trip(w: World) -> Dictionary:
	_token += 1
	var token := _token
	var sender := w.probe(0)
	var state := {"sent_frame": -1, "sent_usec": 0, "back_usec": 0}
	frame_hook = func():
		w.poll()
		if state.sent_frame < 0:
			sender.frame_ping_reliable.rpc_id(1, token)
			state.sent_frame = Engine.get_process_frames()
			state.sent_usec = Time.get_ticks_usec()
		elif state.back_usec == 0 and sender.pong_frames.has(token):
			state.back_usec = Time.get_ticks_usec()
	var waited := 0
	while state.back_usec == 0 and waited < MAX_FRAMES:
		await process_frame
		waited += 1
	frame_hook = Callable()
	if state.back_usec == 0:
		return {"ms": INF, "frames": MAX_FRAMES + 1}
	return {"ms": (state.back_usec - state.sent_usec) / 1000.0,
		"frames": sender.pong_frames[token] - state.sent_frame}


## 20 % of what the client sends lost by the simulation.
func _loss() -> void:
	h.section("20 % simulated send loss on the client")
	var w := World.new(self, Peers.new(Peers.DTLS))
	if not h.check(w.start_server() and w.add_client({"simulated_send_loss_percent": 20.0}) == 0 \
			and w.connect_all(), "connected through the loss"):
		w.close()
		return
	var probe := w.probe(0)
	var sent := [0]
	frame_hook = func():
		w.poll()
		if sent[0] < 120:
			probe.seq_unreliable.rpc_id(1, sent[0])
			probe.seq_reliable.rpc_id(1, sent[0])
			sent[0] += 1
	var server := w.probe(-1)
	await h.poll_frames_until(func(): pass, func(): return server.values("seq_reliable").size() == 120)
	frame_hook = Callable()
	h.check(w.seq_is(server.values("seq_reliable"), range(120)), "120 reliable RPCs arrived, in order")
	# Each frame's unreliable RPC shares its datagram with the reliable one (and its retransmissions may
	# carry the reliable one again, not the unreliable): about 80 % arrive.
	var got := server.values("seq_unreliable").size()
	h.check(got >= 75 and got <= 112, "%d of 120 unreliable RPCs arrived (about 96 expected)" % got)
	var stats: Dictionary = w.server.multiplayer_peer.get_peer_statistics(w.clients[0].get_unique_id())
	h.check(stats.get("packet_loss", -1.0) > 0.1, "the server sees the loss: %s" % stats.get("packet_loss"))
	w.close()
	await process_frame


## Figures out of range: create_* refuses them, with one message saying which and why.
func _refused() -> void:
	h.section("figures out of range")
	var peers := Peers.new(Peers.DTLS)
	var client = ClassDB.instantiate(Peers.DTLS_CLASS)
	h.check(Peers.SIMULATION.all(func(p): return client.get(p) is float and client.get(p) == 0.0),
		"every simulation property is 0.0 (off) by default")
	client.simulated_send_loss_percent = 150.0
	var err = h.check_one_error(func(): return client.create_client("127.0.0.1", 9, "localhost",
		TLSOptions.client(peers.identity.certificate)),
		"simulated send loss must be within 0..=100 percent, not 150", "loss 150 %")
	h.check_eq(err, ERR_INVALID_PARAMETER, "loss 150 % is ERR_INVALID_PARAMETER")
	var server = ClassDB.instantiate(Peers.DTLS_CLASS)
	server.simulated_receive_latency_ms = -5.0
	err = h.check_one_error(func(): return server.create_server(0, TLSOptions.server(peers.identity.key,
		peers.identity.certificate), 32, "127.0.0.1"),
		"simulated receive latency must be within 0..=10000 ms, not -5", "latency -5 ms")
	h.check_eq(err, ERR_INVALID_PARAMETER, "latency -5 ms is ERR_INVALID_PARAMETER")
	server.simulated_receive_latency_ms = 0.0
	err = server.create_server(0, TLSOptions.server(peers.identity.key, peers.identity.certificate), 32, "127.0.0.1")
	h.check_eq(err, OK, "back in range, the same peer starts")
	server.close()
