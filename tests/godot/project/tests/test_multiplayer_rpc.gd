# OpenSSLDTLSMultiplayerPeer under SceneMultiplayer, server and two clients in one process (sub-trees, polled):
# ids (server 1, clients unique in 2..2^31-1, known to the server and, through the server relay, to each other),
# RPCs both ways with the right get_remote_sender_id(), broadcasts (rpc() from the server to all, from a client to
# all others: set_target_peer 0 and -id), a client-to-client RPC through the server relay, 1,000 reliable RPCs
# in order each way, a 1 MiB reliable RPC intact each way, three 1 MiB RPCs queued at once, unreliable RPCs (no duplicates, nothing invented),
# unreliable-ordered RPCs (never backwards), and transfer channels (reliable on channels 0 and 1 interleaved,
# unreliable-ordered on channel 2, each in order), then close() right after 20 RPCs seen as peer_disconnected /
# server_disconnected, without a packet surfacing from the closed peer after its peer_disconnected.
# Peer kind: mp_peers.gd (MP_PEER_KIND=enet runs the same checks on plain ENet).
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const World = preload("res://tests/mp_world.gd")

var h := Harness.new(self)
var w: World


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	await process_frame  # the root is in the tree from the first frame on: RPC targets must be
	w = World.new(self)
	h.note(w.peers.describe())
	if not h.check(w.start_server(), "server starts (%s)" % w.peers.last_error_text):
		return true
	h.check(w.port > 0, "server listens on an OS-chosen port (%d)" % w.port)
	for i in 2:
		h.check(w.add_client() == i, "client %d dials (%s)" % [i, w.peers.last_error_text])
	if not h.check(w.clients.size() == 2 and w.connect_all(), "both clients connected"):
		return true
	_ids()
	_hello()
	_broadcasts()
	_reliable_in_order()
	_big()
	_unreliable()
	_channels()
	_close()
	return true


func _ids() -> void:
	h.section("ids")
	var a := w.clients[0].get_unique_id()
	var b := w.clients[1].get_unique_id()
	h.check_eq(w.server.get_unique_id(), 1, "server id is 1")
	h.check(a >= 2 and b >= 2 and a != b, "client ids are distinct and >= 2 (%d, %d)" % [a, b])
	h.check(w.server.is_server() and not w.clients[0].is_server(), "is_server() on the server only")
	var on_server := Array(w.server.get_peers())
	on_server.sort()
	var expected := [a, b]
	expected.sort()
	h.check_eq(on_server, expected, "server's get_peers() is both clients")
	h.check(w.has_event("server", "peer_connected", a) and w.has_event("server", "peer_connected", b),
		"server got peer_connected for both")
	h.check(w.wait(func(): return Array(w.clients[0].get_peers()).has(b) and Array(w.clients[1].get_peers()).has(a)),
		"each client learns the other's id through the server relay")
	h.check(w.has_event(0, "peer_connected", 1) and w.has_event(0, "connected_to_server"),
		"client 0 got peer_connected(1) and connected_to_server")
	h.check(w.server.multiplayer_peer.is_server_relay_supported(), "is_server_relay_supported()")


func _hello() -> void:
	h.section("RPCs both ways, get_remote_sender_id()")
	var a := w.clients[0].get_unique_id()
	w.probe(0).hello.rpc_id(1, "from client 0")
	w.probe(-1).hello.rpc_id(a, "from server")
	h.check(w.wait(func(): return w.probe(-1).received("hello").size() >= 1 and w.probe(0).received("hello").size() >= 1),
		"both arrive")
	h.check_eq(w.probe(-1).received("hello"), [[a, "from client 0"]], "server: text and sender id")
	h.check_eq(w.probe(0).received("hello"), [[1, "from server"]], "client 0: text and sender 1")
	h.check_eq(w.probe(1).received("hello"), [], "client 1 got nothing")


func _broadcasts() -> void:
	h.section("broadcasts and server relay")
	for i in [-1, 0, 1]:
		w.probe(i).clear()
	var a := w.clients[0].get_unique_id()
	var b := w.clients[1].get_unique_id()
	w.probe(-1).hello.rpc("all from server")
	h.check(w.wait(func(): return w.probe(0).received("hello").size() >= 1 and w.probe(1).received("hello").size() >= 1),
		"server's rpc() reaches both clients")
	h.check_eq(w.probe(1).received("hello"), [[1, "all from server"]], "client 1: sender 1")
	w.probe(1).clear()
	w.probe(0).clear()
	w.probe(0).hello.rpc("all from client 0")
	h.check(w.wait(func(): return w.probe(-1).received("hello").size() >= 1 and w.probe(1).received("hello").size() >= 1),
		"client 0's rpc() reaches the server and client 1")
	h.check_eq(w.probe(1).received("hello"), [[a, "all from client 0"]], "client 1: sender is client 0 (relayed)")
	h.check_eq(w.probe(0).received("hello"), [], "client 0 does not get its own broadcast")
	w.probe(1).clear()
	w.probe(-1).clear()
	w.probe(0).hello.rpc_id(b, "to client 1 only")
	h.check(w.wait(func(): return w.probe(1).received("hello").size() >= 1), "client-to-client rpc_id arrives")
	h.check_eq(w.probe(1).received("hello"), [[a, "to client 1 only"]], "relayed with client 0 as sender")
	h.check_eq(w.probe(-1).received("hello"), [], "the server's own probe is not called")


func _reliable_in_order() -> void:
	h.section("1,000 reliable RPCs in order, each way")
	var a := w.clients[0].get_unique_id()
	for i in 1000:
		w.probe(0).seq_reliable.rpc_id(1, i)
		w.probe(-1).seq_reliable.rpc_id(a, i)
	h.check(w.wait(func(): return w.probe(-1).received("seq_reliable").size() >= 1000 and w.probe(0).received("seq_reliable").size() >= 1000, 20000),
		"all arrive")
	h.check(w.seq_is(w.probe(-1).values("seq_reliable"), range(1000)), "server: 0..999 once each, in order")
	h.check(w.seq_is(w.probe(0).values("seq_reliable"), range(1000)), "client: 0..999 once each, in order")
	h.check(w.probe(-1).senders("seq_reliable").all(func(s): return s == a), "server: every sender is client 0")


func _big() -> void:
	h.section("a 1 MiB reliable RPC, each way")
	var data := Harness.pattern(1 << 20, 5)
	var back := Harness.pattern(1 << 20, 6)
	var a := w.clients[1].get_unique_id()
	var t0 := Time.get_ticks_msec()
	w.probe(1).blob.rpc_id(1, data)
	w.probe(-1).blob.rpc_id(a, back)
	var ok := w.wait(func(): return w.probe(-1).received("blob").size() >= 1 and w.probe(1).received("blob").size() >= 1, 20000)
	h.check(ok, "both arrive (%d ms)" % (Time.get_ticks_msec() - t0))
	if ok:
		h.check(w.probe(-1).values("blob") == [data], "server: the 1 MiB intact, once")
		h.check(w.probe(1).values("blob") == [back], "client: the 1 MiB intact, once")
	_burst()


# On a client of its own (a failure here must not take the other checks down with it).
func _burst() -> void:
	h.section("three 1 MiB reliable RPCs queued at once")
	var c := w.add_client()
	if not h.check(c == 2 and w.wait(func(): return w.connected(c), 10000), "a third client connects"):
		return
	var three := [Harness.pattern(1 << 20, 7), Harness.pattern(1 << 20, 8), Harness.pattern(1 << 20, 9)]
	var before := w.probe(-1).received("blob").size()
	var t0 := Time.get_ticks_msec()
	for b in three:
		w.probe(c).blob.rpc_id(1, b)  # 3 MiB queued in one go, as a game might in one frame
	var arrived := func(): return w.probe(-1).received("blob").size() >= before + 3
	w.wait(func(): return arrived.call() or not w.connected(c), 20000)  # a dropped connection ends the wait
	h.check(arrived.call(), "all three arrive (%d ms)" % (Time.get_ticks_msec() - t0))
	h.check(w.probe(-1).values("blob").slice(before) == three, "intact, once each, in order")
	h.check(w.connected(c), "the client is still connected")
	var id := w.clients[c].get_unique_id()
	w.clients[c].multiplayer_peer.close()
	w.frozen[c] = true
	w.wait(func(): return not w.server.get_peers().has(id), 5000)


func _unreliable() -> void:
	h.section("unreliable and unreliable-ordered RPCs")
	var a := w.clients[0].get_unique_id()
	for i in 200:
		w.probe(0).seq_unreliable.rpc_id(1, i)
		w.probe(0).seq_ordered.rpc_id(1, i)
		w.probe(-1).seq_ordered.rpc_id(a, i)
		if i % 20 == 19:
			w.poll()  # a few at a time, as a game sends per frame
	w.probe(0).hello.rpc_id(1, "after")  # reliable marker: the unreliable ones before it had their chance
	w.wait(func(): return w.probe(-1).received("hello").any(func(e): return e[1] == "after"))
	w.wait(func(): return false, 300)  # stragglers
	var un := w.probe(-1).values("seq_unreliable")
	h.check(un.size() > 0, "unreliable: some arrive (%d of 200)" % un.size())
	h.check(_unique(un) and un.all(func(n): return n >= 0 and n < 200), "unreliable: no duplicates, nothing invented")
	for end in [-1, 0]:
		var got := w.probe(end).values("seq_ordered")
		h.check(got.size() > 0, "unreliable-ordered at %s: some arrive (%d of 200)" % [_who(end), got.size()])
		h.check(_increasing(got), "unreliable-ordered at %s: never goes backwards" % _who(end))


func _channels() -> void:
	h.section("transfer channels")
	for i in 300:
		w.probe(0).seq_reliable_ch1.rpc_id(1, i)
		w.probe(0).seq_reliable.rpc_id(1, 1000 + i)
		w.probe(0).seq_ordered_ch2.rpc_id(1, i)
		if i % 20 == 19:
			w.poll()
	h.check(w.wait(func(): return w.probe(-1).received("seq_reliable_ch1").size() >= 300 \
			and w.probe(-1).values("seq_reliable").size() >= 1300, 10000), "reliable on channels 0 and 1: all arrive")
	h.check(w.seq_is(w.probe(-1).values("seq_reliable_ch1"), range(300)), "channel 1: in order, once each")
	h.check(w.seq_is(w.probe(-1).values("seq_reliable").slice(1000), range(1000, 1300)), "channel 0: in order, once each")
	var ch2 := w.probe(-1).values("seq_ordered_ch2")
	h.check(ch2.size() > 0 and _increasing(ch2), "unreliable-ordered on channel 2: %d arrive, never backwards" % ch2.size())


func _close() -> void:
	h.section("close()")
	var a := w.clients[0].get_unique_id()
	w.probe(-1).clear()
	for i in 20:
		w.probe(0).seq_reliable.rpc_id(1, i)  # last words, then close() at once: packets and goodbye together
	w.clients[0].multiplayer_peer.close()
	h.check_no_error(func(): return w.wait(func(): return w.has_event("server", "peer_disconnected", a), 5000),
		"the server's SceneMultiplayer never gets a packet from a peer it was told is gone")
	h.check(w.has_event("server", "peer_disconnected", a), "server: peer_disconnected(client 0)")
	var last := w.probe(-1).values("seq_reliable")
	h.check(last == range(last.size()), "what arrived of the last words came in order (%d of 20)" % last.size())
	h.check(w.wait(func(): return w.has_event(1, "peer_disconnected", a), 5000), "client 1 hears of it through the relay")
	h.check_eq(w.server.get_peers(), PackedInt32Array([w.clients[1].get_unique_id()]), "server's peers: client 1 only")
	w.server.multiplayer_peer.close()
	h.check(w.wait(func(): return w.has_event(1, "server_disconnected"), 5000), "server close(): client 1 gets server_disconnected")
	w.close()


func _who(end: int) -> String:
	return "server" if end < 0 else "client %d" % end


static func _increasing(values: Array) -> bool:
	for i in range(1, values.size()):
		if values[i] <= values[i - 1]:
			return false
	return true


static func _unique(values: Array) -> bool:
	var seen := {}
	for v in values:
		if seen.has(v):
			return false
		seen[v] = true
	return true
