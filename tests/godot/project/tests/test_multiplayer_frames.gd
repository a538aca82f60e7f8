# Frames of latency, as a player feels them: at a fixed 60 frames/s, a ping RPC sent from game code (after the
# frame's polls, as a node's _process sends) and answered from its handler comes back in as many frames over
# OpenSSLDTLSMultiplayerPeer as over plain ENetMultiplayerPeer (which sends inside put_packet), in each transfer
# mode, client to server and server to client, directly and through a relay (lossy_relay.gd, lossless here). Each
# frame polls relay, server and client in that fixed order (SceneTree's own order of several SceneMultiplayers
# follows a hash of their paths, which would make the counts differ between two worlds); what the game sends
# leaves by the peer's own means (ENet at once, ours at the frame's end or when everything received was read).
# Also: 300 RPCs sent in one frame leave in few datagrams (the messages of a frame share them), in that frame.
# requires-addon
extends "res://tests/frame_tree.gd"

const Harness = preload("res://tests/harness.gd")
const World = preload("res://tests/mp_world.gd")
const Peers = preload("res://tests/mp_peers.gd")

const MODES := ["reliable", "unreliable", "unreliable_ordered"]
const SAMPLES := 3  ## round trips per case; the median is compared
const MAX_FRAMES := 30  ## a round trip not back within this many frames counts as lost

var h := Harness.new(self)
var _token := 0


func _initialize() -> void:
	super()  # 60 frames/s; frame_hook runs at the start of each frame: the world's polls, then the test's sends
	h.run(_body)


func _body() -> bool:
	await process_frame  # RPC targets must be in the tree
	var frames := {}
	for kind in [Peers.ENET, Peers.DTLS]:
		for relay in [false, true]:
			var got: Variant = await _measure(kind, relay)
			if not h.check(got != null, "%s%s: connected and measured" % [kind, " through the relay" if relay else ""]):
				return true
			frames[[kind, relay]] = got
	for relay in [false, true]:
		h.section("round trips in frames%s" % (" through the relay" if relay else ""))
		for case in frames[[Peers.DTLS, relay]]:
			var ours: int = frames[[Peers.DTLS, relay]][case]
			var enet: int = frames[[Peers.ENET, relay]][case]
			h.check(ours >= 1 and ours <= enet,
				"%s: %d frame(s) over OpenSSLDTLSMultiplayerPeer, %d over ENet" % [case, ours, enet])
	await _burst()
	return true


## {"client to server, reliable": frames, ...} for one world of that kind, or null.
func _measure(kind: String, relay: bool) -> Variant:
	var w := World.new(self, Peers.new(kind))
	if not w.start_server() or w.add_client({"relay": relay}) != 0 or not w.connect_all():
		h.note("%s: %s" % [kind, w.peers.last_error_text])
		w.close()
		return null
	var result := {}
	for mode in MODES:
		for to_server in [true, false]:
			var samples := []
			for i in SAMPLES:
				samples.append(await _round_trip(w, mode, to_server))
			samples.sort()
			result["%s, %s" % ["client to server" if to_server else "server to client", mode]] = samples[SAMPLES / 2]
	frame_hook = Callable()
	w.close()
	await process_frame  # the closed world's sub-trees are freed
	return result


## Frames from the frame a ping is sent in to the frame its pong arrives in (MAX_FRAMES + 1 when it never does).
func _round_trip(w: World, mode: String, to_server: bool) -> int:
	_token += 1
	var token := _token
	var sender := w.probe(0 if to_server else -1)
	var target := 1 if to_server else w.clients[0].get_unique_id()
	var sent := [-1]
	frame_hook = func():
		w.poll()
		if sent[0] < 0:
			Callable(sender, "frame_ping_" + mode).rpc_id(target, token)
			sent[0] = Engine.get_process_frames()
	var waited := 0
	while not sender.pong_frames.has(token) and waited < MAX_FRAMES + 2:
		await process_frame
		waited += 1
	frame_hook = Callable()
	if not sender.pong_frames.has(token):
		return MAX_FRAMES + 1
	return sender.pong_frames[token] - sent[0]


## 300 reliable RPCs sent in one frame: on the wire in that frame, sharing datagrams.
func _burst() -> void:
	h.section("a burst of 300 RPCs in one frame")
	var w := World.new(self, Peers.new(Peers.DTLS))
	if not h.check(w.start_server() and w.add_client() == 0 and w.connect_all(), "connected"):
		w.close()
		return
	var server_peer = w.server.multiplayer_peer
	var id := w.clients[0].get_unique_id()
	var before: int = server_peer.get_peer_statistics(id).datagrams_received
	var sent := [false]
	frame_hook = func():
		if not sent[0]:
			for i in 300:
				w.probe(0).seq_reliable.rpc_id(1, i)
			sent[0] = true
	await process_frame  # frame F: the hook sent them (this signal comes before F's deferred calls)
	await process_frame  # frame F + 1: F has ended
	frame_hook = Callable()
	w.server.poll()  # once: only what was on the wire at the end of frame F
	h.check(w.probe(-1).values("seq_reliable") == range(300),
		"all 300 were on the wire, in order, at the end of the frame they were sent in (%d arrived)" % w.probe(-1).received("seq_reliable").size())
	var datagrams: int = server_peer.get_peer_statistics(id).datagrams_received - before
	h.check(datagrams > 0 and datagrams <= 20, "they came in %d datagrams (not one each)" % datagrams)
	w.close()
	await process_frame
