# One end of steps/test_multiplayer_two_process.sh, run as its own headless Godot process with the tree's own
# SceneMultiplayer (mp_probe.gd at /root/Probe on both ends):
#   -- --role=server --cert-out=PEM   listens on an OS-chosen port, saves its certificate (dtls kind) to PEM and
#                      prints "MP_PORT <port>"; waits for one client, for its hello and 100 reliable RPCs in
#                      order, answers with a hello of its own (and pongs to its pings), then waits for the
#                      client to leave (peer_disconnected).
#   -- --role=client --port=N --trust=PEM   connects, pinning the server's certificate from PEM (dtls kind),
#                      sends hello, 100 reliable RPCs and 10 pings; waits for the server's hello (sender 1) and
#                      the 10 pongs, then closes.
# Each prints its checks and "N passed, M failed" (harness.gd) and exits 0 only if all passed.
# Peer kind: mp_peers.gd (MP_PEER_KIND, inherited from the step).
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Peers = preload("res://tests/mp_peers.gd")
const Probe = preload("res://tests/mp_probe.gd")

var h := Harness.new(self)
var args := {}
var mp: SceneMultiplayer
var probe: Probe


func _initialize() -> void:
	for arg in OS.get_cmdline_user_args():
		var kv := arg.trim_prefix("--").split("=", true, 1)
		args[kv[0]] = kv[1] if kv.size() > 1 else ""
	h.run(_body)


func _body() -> bool:
	await process_frame  # /root/Probe must be in the tree
	multiplayer_poll = false
	mp = get_multiplayer() as SceneMultiplayer
	probe = Probe.new()
	probe.name = "Probe"
	root.add_child(probe)
	var peers := Peers.new()
	h.note("%s, role %s" % [peers.describe(), args.get("role", "?")])
	if args.get("role") == "server":
		_server(peers)
	else:
		_client(peers)
	return true


func _server(peers: Peers) -> void:
	var peer := peers.make_server(0)
	if not h.check(peer != null, "server starts (%s)" % peers.last_error_text):
		return
	mp.multiplayer_peer = peer
	if peers.kind == Peers.DTLS:
		h.check_eq(peers.identity.certificate.save(args.get("cert-out", "")), OK, "certificate saved for the client")
	var left := []
	mp.peer_disconnected.connect(func(id): left.append(id))
	print("MP_PORT %d" % Peers.local_port(peer))
	if not h.check(h.poll_until(mp.poll, func(): return mp.get_peers().size() == 1, 30000), "a client connects"):
		return
	var client_id := mp.get_peers()[0]
	h.check(h.poll_until(mp.poll, func(): return probe.received("seq_reliable").size() >= 100, 15000), "its 100 reliable RPCs arrive")
	h.check_eq(probe.received("hello"), [[client_id, "hello from the client process"]], "its hello, with its id as sender")
	h.check_eq(probe.values("seq_reliable"), range(100), "0..99 in order")
	probe.hello.rpc_id(client_id, "hello from the server process")
	h.check(h.poll_until(mp.poll, func(): return left.has(client_id), 15000), "the client leaves: peer_disconnected")


func _client(peers: Peers) -> void:
	var options := {}
	if peers.kind == Peers.DTLS:
		var cert := X509Certificate.new()
		h.check_eq(cert.load(args.get("trust", "")), OK, "the server's certificate loads")
		options["trusted"] = cert
	var peer := peers.make_client(int(args.get("port", "0")), options)
	if not h.check(peer != null, "client dials port %s (%s)" % [args.get("port", "?"), peers.last_error_text]):
		return
	mp.multiplayer_peer = peer
	var connected := [false]
	mp.connected_to_server.connect(func(): connected[0] = true)
	if not h.check(h.poll_until(mp.poll, func(): return connected[0], 15000), "connected_to_server"):
		return
	h.check(mp.get_unique_id() >= 2, "own id %d >= 2" % mp.get_unique_id())
	probe.hello.rpc_id(1, "hello from the client process")
	for i in 100:
		probe.seq_reliable.rpc_id(1, i)
	for i in 10:
		probe.ping.rpc_id(1, i)
	h.check(h.poll_until(mp.poll, func(): return probe.received("hello").size() >= 1 and probe.pongs >= 10, 15000),
		"the server's hello and 10 pongs arrive")
	h.check_eq(probe.received("hello"), [[1, "hello from the server process"]], "the server's hello, sender 1")
	h.check_eq(probe.pongs, 10, "10 pongs")
	peer.close()
	mp.multiplayer_peer = null
