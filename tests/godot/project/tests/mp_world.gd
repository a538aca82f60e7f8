# A server and its clients in one process for the multiplayer tests and benchmark: each end is a SceneMultiplayer
# set on its own sub-tree (SceneTree.set_multiplayer(mp, path): /root/Server, /root/Client0, ...), with an
# mp_probe.gd at <root>/Probe, its MultiplayerPeer made by mp_peers.gd (any kind). The tree's own polling is
# turned off: poll() polls every SceneMultiplayer (and relay) once, and the wait_* helpers poll until a condition
# holds, bounded by time, never sleeping. Signals are recorded per end in `events` (see _watch()).
extends RefCounted

const Peers = preload("res://tests/mp_peers.gd")
const Probe = preload("res://tests/mp_probe.gd")
const LossyRelay = preload("res://tests/lossy_relay.gd")

var tree: SceneTree
var peers: Peers
var server: SceneMultiplayer
var server_root: Node
var port := 0  ## the server's UDP port
var clients: Array[SceneMultiplayer] = []
var client_roots: Array[Node] = []
var relays: Array = []  ## per client: its LossyRelay, or null
var frozen: Array[bool] = []  ## per client: true = no longer polled (a client that vanished)
## Per end ("server", or the client index): Array of [signal name, argument], e.g. ["peer_connected", 5].
var events := {}
var _serial := 0


func _init(p_tree: SceneTree, p_peers: Peers = null) -> void:
	tree = p_tree
	peers = p_peers if p_peers != null else Peers.new()
	tree.multiplayer_poll = false
	_serial = tree.root.get_child_count()


## Starts the server (options as mp_peers.make_server); false if its peer could not be made.
func start_server(options := {}) -> bool:
	var peer := peers.make_server(0, options)
	if peer == null:
		return false
	port = Peers.local_port(peer)
	server_root = _sub_tree("Server")
	server = _multiplayer(server_root, peer, "server")
	return true


## Adds a client (options as mp_peers.make_client; "relay": true puts a LossyRelay, not lossy until its `lossy`
## is set, between it and the server, "relay_seed": its seed; "port": dial that port instead of the server's). Returns its index, or -1 if its peer could not
## be made.
func add_client(options := {}) -> int:
	var relay: LossyRelay = null
	var target: int = options.get("port", port)
	if options.get("relay", false):
		relay = LossyRelay.new(port, options.get("relay_seed", 1))
		relay.lossy = false
		target = relay.port
	var peer := peers.make_client(target, options)
	if peer == null:
		if relay != null:
			relay.close()
		return -1
	var i := clients.size()
	var root := _sub_tree("Client%d" % i)
	clients.append(_multiplayer(root, peer, i))
	client_roots.append(root)
	relays.append(relay)
	frozen.append(false)
	return i


## The probe of an end: probe(-1) is the server's, probe(i) client i's.
func probe(i: int) -> Probe:
	return (server_root if i < 0 else client_roots[i]).get_node("Probe")


## Everything polled once: relays, the server, every client not frozen.
func poll() -> void:
	for r in relays:
		if r != null:
			r.poll()
	if server != null:
		server.poll()
	for i in clients.size():
		if not frozen[i]:
			clients[i].poll()


## Client i is connected: its status CONNECTED and the server knows its id.
func connected(i: int) -> bool:
	var mp := clients[i]
	return mp.multiplayer_peer.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED \
		and server.get_peers().has(mp.get_unique_id()) and has_event(i, "connected_to_server")


## Polls until every client is connected (see connected()), or max_ms pass.
func connect_all(max_ms := 10000) -> bool:
	return wait(func(): return range(clients.size()).all(connected), max_ms)


## Polls until done() is true or max_ms pass; returns done().
func wait(done: Callable, max_ms := 5000) -> bool:
	var deadline := Time.get_ticks_msec() + max_ms
	while not done.call():
		if Time.get_ticks_msec() > deadline:
			return false
		poll()
	return true


## Whether end `who` ("server" or a client index) emitted signal `name` (with argument arg, when given).
func has_event(who: Variant, name: String, arg: Variant = null) -> bool:
	for e in events.get(who, []):
		if e[0] == name and (arg == null or e[1] == arg):
			return true
	return false


## Whether got == expected; if not, prints (as a note) how they differ, briefly: the check's message stays short.
func seq_is(got: Array, expected: Array) -> bool:
	if got == expected:
		return true
	var first := 0
	while first < mini(got.size(), expected.size()) and got[first] == expected[first]:
		first += 1
	print("   got %d values, expected %d; first difference at index %d: got %s, expected %s" % [got.size(),
		expected.size(), first, got.slice(first, first + 5), expected.slice(first, first + 5)])
	return false


## Closes every peer, relay and sub-tree.
func close() -> void:
	for r in relays:
		if r != null:
			r.close()
	for mp: SceneMultiplayer in clients + ([server] if server != null else []):
		var peer: MultiplayerPeer = mp.multiplayer_peer
		mp.multiplayer_peer = null  # first: freeing replicated nodes must not use a closed peer
		if peer != null:
			peer.close()
	for root in client_roots + ([server_root] if server_root != null else []):
		root.queue_free()
	clients.clear()
	client_roots.clear()
	relays.clear()
	frozen.clear()
	server = null
	server_root = null


func _sub_tree(name: String) -> Node:
	var root := Node.new()
	root.name = "%s_%d" % [name, _serial]
	_serial += 1
	var probe := Probe.new()
	probe.name = "Probe"
	root.add_child(probe)
	tree.root.add_child(root)
	return root


func _multiplayer(root: Node, peer: MultiplayerPeer, who: Variant) -> SceneMultiplayer:
	var mp := SceneMultiplayer.new()
	events[who] = []
	_watch(mp, who)
	tree.set_multiplayer(mp, root.get_path())
	mp.multiplayer_peer = peer
	return mp


func _watch(mp: SceneMultiplayer, who: Variant) -> void:
	var log: Array = events[who]
	mp.peer_connected.connect(func(id): log.append(["peer_connected", id]))
	mp.peer_disconnected.connect(func(id): log.append(["peer_disconnected", id]))
	mp.connected_to_server.connect(func(): log.append(["connected_to_server", null]))
	mp.connection_failed.connect(func(): log.append(["connection_failed", null]))
	mp.server_disconnected.connect(func(): log.append(["server_disconnected", null]))
