# OpenSSLDTLSMultiplayerPeer under SceneMultiplayer, server and two clients in one process (sub-trees, polled):
# ids (server 1, clients unique in 2..2^31-1, known to the server and, through the server relay, to each other),
# RPCs both ways with the right get_remote_sender_id(), broadcasts (rpc() from the server to all, from a client to
# all others: set_target_peer 0 and -id), a client-to-client RPC through the server relay, 1,000 reliable RPCs
# in order each way, a 1 MiB reliable RPC intact each way, three 1 MiB RPCs queued at once, unreliable RPCs (no
# duplicates, nothing invented), unreliable-ordered RPCs (never backwards), and transfer channels (reliable on
# channels 0 and 1 interleaved, unreliable-ordered on channel 2, each in order), then close() right after 20 RPCs
# seen as peer_disconnected / server_disconnected, all 20 arriving before it and no packet surfacing from the
# closed peer after it.
# Unreliable on loopback: at least 95 % of those sent arrive, none twice; waits end on conditions (a reliable
# marker sent after them arrived), never on a time window.
# Peer kind: mp_peers.gd (MP_PEER_KIND=enet runs the same checks on plain ENet).
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const World = preload("res://tests/mp_world.gd")

## Least share of unreliable messages sent that must arrive on loopback, with nothing lossy in between.
const MIN_SHARE := 0.95

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
		# client 0 behind a relay (lossless; close() has it forward one datagram per poll)
		h.check(w.add_client({"relay": i == 0}) == i, "client %d dials (%s)" % [i, w.peers.last_error_text])
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


# On loopback, lossless: nearly all must arrive (MIN_SHARE of those sent; a kernel socket buffer may drop a few),
# none twice. Everything sent before a reliable marker that arrived has been read (one socket, in order); a
# second marker round after that gives late duplicates (a resend of an unreliable message) their chance.
func _unreliable() -> void:
	h.section("unreliable and unreliable-ordered RPCs")
	var a := w.clients[0].get_unique_id()
	for i in 200:
		w.probe(0).seq_unreliable.rpc_id(1, i)
		w.probe(0).seq_ordered.rpc_id(1, i)
		w.probe(-1).seq_ordered.rpc_id(a, i)
		if i % 20 == 19:
			w.poll()  # a few at a time, as a game sends per frame
	h.check(_markers("after"), "a reliable marker after them arrives, each way")
	var un := w.probe(-1).values("seq_unreliable")
	var ordered := [w.probe(-1).values("seq_ordered"), w.probe(0).values("seq_ordered")]
	var least := ceili(200 * MIN_SHARE)
	h.check(un.size() >= least, "unreliable: at least %d of 200 arrive (%d)" % [least, un.size()])
	h.check(_unique(un) and un.all(func(n): return n >= 0 and n < 200), "unreliable: no duplicates, nothing invented")
	for e in 2:
		var got: Array = ordered[e]
		h.check(got.size() >= least, "unreliable-ordered at %s: at least %d of 200 arrive (%d)" % [_who(e - 1), least, got.size()])
		h.check(_increasing(got) and got.all(func(n): return n >= 0 and n < 200),
			"unreliable-ordered at %s: never goes backwards, nothing invented" % _who(e - 1))
	h.check(_markers("again"), "a second marker round arrives")
	h.check_eq([w.probe(-1).values("seq_unreliable").size(), w.probe(-1).values("seq_ordered").size(),
		w.probe(0).values("seq_ordered").size()], [un.size(), ordered[0].size(), ordered[1].size()],
		"nothing more came after the first marker (no late duplicates)")


# Sends a reliable hello(text) from client 0 to the server and back at once; polls until both arrived.
func _markers(text: String) -> bool:
	var a := w.clients[0].get_unique_id()
	w.probe(0).hello.rpc_id(1, text)
	w.probe(-1).hello.rpc_id(a, text)
	var came := func(end: int): return w.probe(end).received("hello").any(func(e): return e[1] == text)
	return w.wait(func(): return came.call(-1) and came.call(0))


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
	var ch2 := w.probe(-1).values("seq_ordered_ch2")  # sent before the reliable ones that all arrived
	var least := ceili(300 * MIN_SHARE)
	h.check(ch2.size() >= least and _increasing(ch2),
		"unreliable-ordered on channel 2: at least %d of 300 arrive (%d), never backwards" % [least, ch2.size()])


func _close() -> void:
	h.section("close()")
	var a := w.clients[0].get_unique_id()
	w.probe(-1).clear()
	# One datagram per poll from client 0's relay: the server reads each in a poll of its own. (Read in one
	# poll with the goodbye, the last words would go with the peer: a peer's unread messages are dropped
	# when it is gone, on both kinds.)
	w.relays[0].one_per_poll = true
	for i in 20:
		w.probe(0).seq_reliable.rpc_id(1, i)  # last words, then close() at once
	w.clients[0].multiplayer_peer.close()
	var gone := [-1]  # how many last words had arrived when peer_disconnected came
	h.check_no_error(func(): return w.wait(func():
		if gone[0] < 0 and w.has_event("server", "peer_disconnected", a):
			gone[0] = w.probe(-1).values("seq_reliable").size()
		return gone[0] >= 0, 5000),
		"the server's SceneMultiplayer never gets a packet from a peer it was told is gone")
	h.check(w.has_event("server", "peer_disconnected", a), "server: peer_disconnected(client 0)")
	# close() sends what is queued before the goodbye (rust/core/src/multiplayer/link.rs, Link::close; ENet's
	# close() too): all 20, in order, before peer_disconnected, nothing after it.
	h.check_eq(gone[0], 20, "all 20 last words arrived before peer_disconnected")
	h.check(w.probe(-1).values("seq_reliable") == range(20), "the last words: 0..19 once each, in order")
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
