# OpenSSLDTLSMultiplayerPeer with many clients and clients that go away, in one process: 16 clients connect at
# once (one through a relay), their ids are unique and known to the server, a server broadcast reaches all 16 and
# a client-to-client RPC crosses the server relay; with refuse_new_connections a new client gets connection_failed
# (ENet instead connects at its own level and then times out: recorded as such) and the server reports no new peer, and once it is lifted a client connects again; disconnect_peer(id) ends that
# client (server_disconnected there); and two clients that vanish without a word (one no longer polled, its peer
# kept, never closed; one whose network disappears: its relay's sockets closed) are reported disconnected on the
# server within a few seconds (idle_timeout; ENet's peer timeout set to match), the other clients hear of it, and
# the client behind the closed relay, still polled, reports server_disconnected.
# Peer kind: mp_peers.gd (MP_PEER_KIND=enet runs the same checks on plain ENet).
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const World = preload("res://tests/mp_world.gd")
const N := 16
const VANISH_MS := 12000  # idle_timeout (5 s by default) plus margin on a loaded machine

var h := Harness.new(self)
var w: World


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	await process_frame  # RPC targets must be in the tree
	w = World.new(self)
	h.note(w.peers.describe())
	if not h.check(w.start_server(), "server starts (%s)" % w.peers.last_error_text):
		return true

	h.section("%d clients at once" % N)
	var t0 := Time.get_ticks_msec()
	for i in N:
		w.add_client({"relay": i == N - 1})
	if not h.check(w.clients.size() == N and w.connect_all(30000), "all %d connect (%d ms)" % [N, Time.get_ticks_msec() - t0]):
		return true
	var ids := w.clients.map(func(mp): return mp.get_unique_id())
	var unique := {}
	for id in ids:
		unique[id] = true
	h.check(unique.size() == N and ids.all(func(id): return id >= 2), "%d distinct ids, all >= 2" % N)
	h.check_eq(w.server.get_peers().size(), N, "the server has %d peers" % N)
	h.check(ids.all(func(id): return w.has_event("server", "peer_connected", id)), "peer_connected on the server for each")
	h.check(w.wait(func(): return range(N).all(func(i): return w.clients[i].get_peers().size() == N)),
		"every client knows the server and the %d others" % (N - 1))
	w.probe(-1).hello.rpc("everyone")
	h.check(w.wait(func(): return range(N).all(func(i): return w.probe(i).received("hello").size() >= 1)),
		"a server broadcast reaches all %d" % N)
	h.check(range(N).all(func(i): return w.probe(i).received("hello") == [[1, "everyone"]]), "once each, from 1")
	w.probe(3).hello.rpc_id(ids[12], "3 to 12")
	h.check(w.wait(func(): return w.probe(12).received("hello").size() >= 2), "client 3 -> client 12 through the relay")
	h.check_eq(w.probe(12).received("hello").back(), [ids[3], "3 to 12"], "with client 3 as sender")

	h.section("refuse_new_connections")
	w.server.multiplayer_peer.refuse_new_connections = true
	var refused := w.add_client({"handshake_timeout": 3.0})
	h.check(refused == N, "a client dials (%s)" % w.peers.last_error_text)
	if refused == N:
		if w.peers.kind == w.peers.ENET:
			# ENet accepts at its own level first (connected_to_server), then the server resets the peer: the
			# client only learns of it by timing out (server_disconnected). Recorded, not the contract.
			h.check(w.wait(func(): return w.has_event(refused, "server_disconnected") or w.has_event(refused, "connection_failed"), 15000),
				"ENet: it ends disconnected (%s)" % [w.events[refused].map(func(e): return e[0])])
		else:
			h.check(w.wait(func(): return w.has_event(refused, "connection_failed"), 15000), "it gets connection_failed")
			h.check(not w.has_event(refused, "connected_to_server"), "and never connected_to_server")
		h.check_eq(w.server.get_peers().size(), N, "the server still has %d peers" % N)
		h.check_eq(w.events["server"].filter(func(e): return e[0] == "peer_connected").size(), N, "no new peer_connected on the server")
		w.frozen[refused] = true  # failed: leave it alone
	w.server.multiplayer_peer.refuse_new_connections = false
	var late := w.add_client()
	h.check(late == N + 1 and w.wait(func(): return w.connected(late), 10000), "lifted: a new client connects")

	h.section("disconnect_peer")
	var kicked: int = ids[5]
	w.server.multiplayer_peer.disconnect_peer(kicked)
	h.check(w.wait(func(): return w.has_event(5, "server_disconnected"), 5000), "the kicked client gets server_disconnected")
	h.check(w.wait(func(): return not w.server.get_peers().has(kicked), 5000), "the server no longer lists it")
	h.check(w.wait(func(): return w.has_event(7, "peer_disconnected", kicked), 5000), "another client hears of it")

	h.section("clients that vanish")
	var still_id: int = ids[0]
	var gone_id: int = ids[N - 1]
	var dropped_id: int = ids[1]
	w.frozen[0] = true  # client 0: never polled again, its peer kept open
	w.relays[N - 1].close()  # client 15: its network goes away; it is still polled
	w.frozen[1] = true
	w.clients[1].multiplayer_peer = null  # client 1: its peer released without close()
	t0 = Time.get_ticks_msec()
	var both := func(): return w.has_event("server", "peer_disconnected", still_id) and w.has_event("server", "peer_disconnected", gone_id)
	h.check(w.wait(func(): return w.has_event("server", "peer_disconnected", dropped_id), VANISH_MS),
		"the server reports the released one disconnected (%d ms)" % (Time.get_ticks_msec() - t0))
	h.check(w.wait(both, VANISH_MS), "and the two silent ones (%d ms)" % (Time.get_ticks_msec() - t0))
	h.check(w.wait(func(): return w.has_event(2, "peer_disconnected", still_id) and w.has_event(2, "peer_disconnected", gone_id), 3000),
		"another client hears of both")
	h.check(w.wait(func(): return w.has_event(N - 1, "server_disconnected"), VANISH_MS),
		"the client whose network vanished reports server_disconnected (%d ms)" % (Time.get_ticks_msec() - t0))
	h.check(not w.server.get_peers().has(still_id) and not w.server.get_peers().has(gone_id), "the server lists neither")
	h.check_eq(w.server.get_peers().size(), N - 4 + 1, "the others stay connected")
	w.close()
	return true
