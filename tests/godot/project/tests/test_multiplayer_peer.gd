# OpenSSLDTLSMultiplayerPeer as a bare MultiplayerPeer, no SceneMultiplayer, a server and two clients polled by
# hand: connection status (client CONNECTING, then CONNECTED; server CONNECTED at once), peer_connected on each end
# (the client: only for the server, id 1), ids, put_packet/get_packet with get_packet_peer, get_packet_channel and
# get_packet_mode as sent (every transfer mode, channels 0..3), set_target_peer (1, a client id, 0 = all, -id = all
# but id), reliable packets of 1 B to 64 KiB intact and in order, disconnect_peer seen by that client; and misuse:
# create_* twice, create_client on an invalid port, put_packet after close() each return an error and print exactly
# one message, the one named below, and leave nothing half-open.
# Peer kind: mp_peers.gd (MP_PEER_KIND=enet runs the same checks on plain ENet, whose messages are its own and
# not counted: it prints two for the bad port).
# requires-addon
# expect-error(dtls): OpenSSLDTLSMultiplayerPeer.create_server: already active: call close() first
# expect-error(dtls): OpenSSLDTLSMultiplayerPeer.create_client: already active: call close() first
# expect-error(dtls): OpenSSLDTLSMultiplayerPeer.create_client: port 70000 is outside 1..=65535
# expect-error(dtls): OpenSSLDTLSMultiplayerPeer.put_packet: not connected: call create_server() or create_client() first
# expect-error(enet): The multiplayer instance is already active.
# expect-error(enet): The remote port number must be between 1 and 65535
# expect-error(enet): Couldn't connect to the ENet multiplayer server.
# expect-error(enet): The multiplayer instance isn't currently active.
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Peers = preload("res://tests/mp_peers.gd")

var h := Harness.new(self)
var peers := Peers.new()
var server: MultiplayerPeer
var clients: Array[MultiplayerPeer] = []
var events := {}  # peer instance id -> Array of ["connected"/"disconnected", id]


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	h.note(peers.describe())
	server = peers.make_server()
	if not h.check(server != null, "server starts (%s)" % peers.last_error_text):
		return true
	_watch(server)
	h.check_eq(server.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "server: CONNECTED at once")
	h.check_eq(server.get_unique_id(), 1, "server: id 1")
	var port := Peers.local_port(server)
	for i in 2:
		var c := peers.make_client(port)
		if not h.check(c != null, "client %d dials (%s)" % [i, peers.last_error_text]):
			return true
		_watch(c)
		clients.append(c)
	h.check_eq(clients[0].get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTING, "client: CONNECTING before polling")
	var connected := func(): return clients.all(func(c): return c.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED) \
		and events[server.get_instance_id()].size() >= 2
	if not h.check(h.poll_until(_poll, connected, 10000), "both clients CONNECTED, the server saw both"):
		return true
	var a := clients[0].get_unique_id()
	var b := clients[1].get_unique_id()
	h.check(a >= 2 and b >= 2 and a != b, "client ids distinct, >= 2 (%d, %d)" % [a, b])
	h.check_eq(events[clients[0].get_instance_id()], [["connected", 1]], "client: peer_connected(1) only")
	var on_server: Array = events[server.get_instance_id()].map(func(e): return e[1])
	on_server.sort()
	var expected := [a, b]
	expected.sort()
	h.check_eq(on_server, expected, "server: peer_connected for each client id")
	h.check(server.is_server_relay_supported(), "is_server_relay_supported()")

	h.section("packets: peer, channel, mode")
	var modes := [MultiplayerPeer.TRANSFER_MODE_RELIABLE, MultiplayerPeer.TRANSFER_MODE_UNRELIABLE_ORDERED, MultiplayerPeer.TRANSFER_MODE_UNRELIABLE]
	for mode in modes:
		for channel in 4:
			var data := PackedByteArray([mode, channel, 7])
			var got := _send(clients[0], 1, mode, channel, data, server)
			h.check_eq(got, [a, channel, mode, data], "client -> server, mode %d, channel %d" % [mode, channel])
			got = _send(server, b, mode, channel, data, clients[1])
			h.check_eq(got, [1, channel, mode, data], "server -> client %d, mode %d, channel %d" % [b, mode, channel])

	h.section("set_target_peer")
	server.transfer_mode = MultiplayerPeer.TRANSFER_MODE_RELIABLE
	server.transfer_channel = 0
	server.set_target_peer(0)
	server.put_packet(PackedByteArray([0]))
	h.check(h.poll_until(_poll, func(): return clients.all(func(c): return c.get_available_packet_count() > 0), 5000),
		"target 0: both clients get it")
	for c in clients:
		c.get_packet()
	server.set_target_peer(-a)
	server.put_packet(PackedByteArray([1]))
	server.set_target_peer(a)
	server.put_packet(PackedByteArray([2]))
	server.set_target_peer(0)
	var marker := PackedByteArray([3])
	server.put_packet(marker)  # to all, reliable on the same channel: it comes after whatever was meant for each
	var got := [[], []]
	h.check(h.poll_until(_poll, func():
		for i in 2:
			got[i].append_array(_drain(clients[i]))
		return got.all(func(g): return not g.is_empty() and g.back() == marker), 5000),
		"target -a, then a, then a marker to all: the marker reaches both")
	h.check_eq(got[0], [PackedByteArray([2]), marker], "client a: only the packet for a, then the marker")
	h.check_eq(got[1], [PackedByteArray([1]), marker], "client b: only the packet for all but a, then the marker")

	h.section("reliable sizes, in order")
	var sizes := [1, 100, 1000, 1200, 5000, 20000, 65536]
	clients[1].transfer_mode = MultiplayerPeer.TRANSFER_MODE_RELIABLE
	clients[1].transfer_channel = 1
	clients[1].set_target_peer(1)
	for s in sizes:
		clients[1].put_packet(Harness.pattern(s, s))
	var got_sizes := []
	var intact := [true]
	h.poll_until(_poll, func():
		while server.get_available_packet_count() > 0:
			var i := got_sizes.size()
			var p := server.get_packet()
			got_sizes.append(p.size())
			if i < sizes.size() and p != Harness.pattern(sizes[i], sizes[i]):
				intact[0] = false
		return got_sizes.size() >= sizes.size(), 10000)
	h.check_eq(got_sizes, sizes, "all arrive in order (sizes)")
	h.check(intact[0], "each intact")

	h.section("disconnect_peer")
	server.disconnect_peer(b)
	h.check(h.poll_until(_poll, func(): return clients[1].get_connection_status() == MultiplayerPeer.CONNECTION_DISCONNECTED, 5000),
		"the kicked client ends DISCONNECTED")
	h.check(events[clients[1].get_instance_id()].has(["disconnected", 1]), "and got peer_disconnected(1)")

	h.section("misuse")
	var cls := Peers.DTLS_CLASS if peers.kind == Peers.DTLS else ""
	const ACTIVE := ": already active: call close() first"
	h.check(_one_error(_create_server.bind(server), "create_server" + ACTIVE) != OK, "create_server on an active server: an error")
	h.check_eq(server.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "the server is still up")
	var fresh := peers.make_client(port)
	if h.check(fresh != null, "another client dials"):
		h.check(_one_error(_create_client.bind(fresh, port), "create_client" + ACTIVE) != OK, "create_client twice: an error")
		fresh.close()
	var bad: MultiplayerPeer = ClassDB.instantiate(Peers.DTLS_CLASS) if cls != "" else ENetMultiplayerPeer.new()
	h.check(_one_error(_create_client.bind(bad, 70000), "create_client: port 70000 is outside 1..=65535") != OK, "create_client to port 70000: an error")
	h.check_eq(bad.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "and it stays DISCONNECTED")
	clients[0].close()
	h.check_eq(clients[0].get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "close(): DISCONNECTED at once")
	h.check(_one_error(func(): return clients[0].put_packet(PackedByteArray([9])),
		"put_packet: not connected: call create_server() or create_client() first") != OK, "put_packet after close(): an error")
	h.check(h.poll_until(_poll, func(): return events[server.get_instance_id()].has(["disconnected", a]), 5000),
		"the server sees the closed client go")
	server.close()
	h.check_eq(server.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "server close(): DISCONNECTED")
	return true


func _poll() -> void:
	for p in [server] + clients:
		if p.get_connection_status() != MultiplayerPeer.CONNECTION_DISCONNECTED:  # ENet complains about the rest
			p.poll()


func _watch(p: MultiplayerPeer) -> void:
	var log := []
	events[p.get_instance_id()] = log
	p.peer_connected.connect(func(id): log.append(["connected", id]))
	p.peer_disconnected.connect(func(id): log.append(["disconnected", id]))


# Sends data from `from` to target with that mode and channel; returns what `to` got as
# [get_packet_peer, get_packet_channel, get_packet_mode, packet], or [] when nothing came within 2 s.
func _send(from: MultiplayerPeer, target: int, mode: int, channel: int, data: PackedByteArray, to: MultiplayerPeer) -> Array:
	from.transfer_mode = mode
	from.transfer_channel = channel
	from.set_target_peer(target)
	from.put_packet(data)
	if not h.poll_until(_poll, func(): return to.get_available_packet_count() > 0, 2000):
		return []
	var out := [to.get_packet_peer(), to.get_packet_channel(), to.get_packet_mode()]
	out.append(to.get_packet())
	return out


func _drain(p: MultiplayerPeer) -> Array:
	var out := []
	while p.get_available_packet_count() > 0:
		out.append(p.get_packet())
	return out


# create_server(0) again on p, the kind's way.
func _create_server(p: MultiplayerPeer) -> int:
	if peers.kind == Peers.DTLS:
		return p.call("create_server", 0, TLSOptions.server(peers.identity.key, peers.identity.certificate))
	return p.call("create_server", 0)


# create_client("127.0.0.1", port) on p, the kind's way.
func _create_client(p: MultiplayerPeer, port: int) -> int:
	if peers.kind == Peers.DTLS:
		return p.call("create_client", "127.0.0.1", port, "localhost", TLSOptions.client(peers.identity.certificate))
	return p.call("create_client", "127.0.0.1", port)


# Calls call(); for the DTLS peer, checks it printed exactly one engine error, "OpenSSLDTLSMultiplayerPeer." + what
# (each such text is an expect-error(dtls) marker above, so no other message of the class passes the runner);
# returns its result. (ENet's messages are its own business: it prints one or two.)
func _one_error(call: Callable, what: String) -> Variant:
	if peers.kind != Peers.DTLS:
		return call.call()
	var text := Peers.DTLS_CLASS + "." + what
	return h.check_one_error(call, text, what.get_slice(":", 0))
