# OpenSSLDTLSMultiplayerPeer end to end in one process: a server and a client SceneMultiplayer, each on its own
# sub-tree (SceneTree.set_multiplayer), over UDP on 127.0.0.1 with a validated certificate:
# - the client connects (connected_to_server; peer_connected(1) on the client, peer_connected(id) on the
#   server), its unique id is the one the server sees, in 2..2^31-1;
# - get_peer(id) on both ends: connected, the server's certificate seen by the client; null for an unknown id;
# - an RPC each way arrives with get_remote_sender_id() naming the sender;
# - disconnect_peer on the server: server_disconnected on the client, peer_disconnected(id) on the server;
# - a client checking the wrong host name gets connection_failed.
# (The full suites are the GDScript tests of the multiplayer peer; this only proves the class works.)
# requires-addon
# allow-error: the certificate is not valid for this host
# expect-error: OpenSSLDTLSMultiplayerPeer.get_peer
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Certs = preload("res://tests/certs.gd")
const GAME_SOURCE := """
extends Node
var got := []

@rpc("any_peer", "call_remote", "reliable")
func hello(text: String) -> void:
	got.append([multiplayer.get_remote_sender_id(), text])
"""

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


## A sub-tree /root/<name> with a "Game" node running GAME_SOURCE, served by its own SceneMultiplayer.
func _side(name: String, peer: MultiplayerPeer) -> Array:
	var holder := Node.new()
	holder.name = name
	get_root().add_child(holder)
	var script := GDScript.new()
	script.source_code = GAME_SOURCE
	script.reload()
	var game := Node.new()
	game.name = "Game"
	game.set_script(script)
	holder.add_child(game)
	var mp := SceneMultiplayer.new()
	mp.multiplayer_peer = peer
	set_multiplayer(mp, NodePath("/root/" + name))
	return [mp, game]


func _body() -> bool:
	if not h.require_classes(["OpenSSLDTLSMultiplayerPeer"]):
		return true
	var id: Dictionary = Certs.ecdsa()
	var server := OpenSSLDTLSMultiplayerPeer.new()
	h.check_eq(server.create_server(0, TLSOptions.server(id.key, id.certificate)), OK, "create_server on port 0")
	var port: int = server.get_local_port()
	h.check(port > 0, "get_local_port: %d" % port)
	h.check(server.is_server_relay_supported(), "server relay supported")
	var client := OpenSSLDTLSMultiplayerPeer.new()
	h.check_eq(client.create_client("127.0.0.1", port, "localhost", TLSOptions.client(id.certificate)), OK,
		"create_client")
	h.check_eq(client.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTING, "client connecting")

	var s: Array = _side("server", server)
	var c: Array = _side("client", client)
	await process_frame  # the sub-trees enter the tree once the main loop runs
	var server_mp: SceneMultiplayer = s[0]
	var client_mp: SceneMultiplayer = c[0]
	var seen := {"server_peers": [], "client_peers": [], "server_gone": [], "connected": false,
		"disconnected": false}
	server_mp.peer_connected.connect(func(p): seen.server_peers.append(p))
	server_mp.peer_disconnected.connect(func(p): seen.server_gone.append(p))
	client_mp.peer_connected.connect(func(p): seen.client_peers.append(p))
	client_mp.connected_to_server.connect(func(): seen.connected = true)
	client_mp.server_disconnected.connect(func(): seen.disconnected = true)
	var step := func():
		server_mp.poll()
		client_mp.poll()

	h.section("connect")
	h.check(h.poll_until(step, func(): return seen.connected and not seen.server_peers.is_empty()),
		"connected_to_server and peer_connected on the server")
	var client_id: int = client.get_unique_id()
	h.check(client_id >= 2 and client_id <= 0x7FFFFFFF, "client id %d in 2..2^31-1" % client_id)
	h.check_eq(seen.server_peers, [client_id], "the server's peer_connected names the client's id")
	h.check_eq(seen.client_peers, [1], "the client's peer_connected names the server")
	h.check_eq(client_mp.get_unique_id(), client_id, "SceneMultiplayer.get_unique_id on the client")
	h.check_eq(client.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "client connected")

	h.section("get_peer")
	var to_server: OpenSSLPacketPeerDTLS = client.get_peer(1)
	var to_client: OpenSSLPacketPeerDTLS = server.get_peer(client_id)
	h.check(to_server != null and to_client != null, "get_peer on both ends")
	if to_server != null and to_client != null:
		h.check_eq(to_server.get_status(), OpenSSLPacketPeerDTLS.STATUS_CONNECTED, "client's view: connected")
		h.check_eq(to_client.get_status(), OpenSSLPacketPeerDTLS.STATUS_CONNECTED, "server's view: connected")
		var cert: X509Certificate = to_server.get_peer_certificate()
		h.check(cert != null and cert.save_to_string() == id.certificate.save_to_string(),
			"the client sees the server's certificate")
		h.check(int(to_client.get_statistics().get("datagrams_received", 0)) > 0, "statistics count traffic")
	var none = h.check_one_error(func(): return server.get_peer(12345), "OpenSSLDTLSMultiplayerPeer.get_peer",
		"get_peer(unknown id)")
	h.check(none == null, "get_peer(unknown id) is null")

	h.section("RPCs both ways")
	var server_game: Node = s[1]
	var client_game: Node = c[1]
	client_game.rpc_id(1, "hello", "from the client")
	h.check(h.poll_until(step, func(): return not server_game.got.is_empty()), "the server got the RPC")
	h.check_eq(server_game.got, [[client_id, "from the client"]], "sender id and text on the server")
	server_game.rpc_id(client_id, "hello", "from the server")
	h.check(h.poll_until(step, func(): return not client_game.got.is_empty()), "the client got the RPC")
	h.check_eq(client_game.got, [[1, "from the server"]], "sender id and text on the client")

	h.section("disconnect")
	server.disconnect_peer(client_id)
	h.check(h.poll_until(step, func(): return seen.disconnected and not seen.server_gone.is_empty()),
		"server_disconnected on the client, peer_disconnected on the server")
	h.check_eq(seen.server_gone, [client_id], "peer_disconnected names the client")
	h.check_eq(client.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "client disconnected")

	h.section("wrong host name")
	var wrong := OpenSSLDTLSMultiplayerPeer.new()
	h.check_eq(wrong.create_client("127.0.0.1", port, "example.com", TLSOptions.client(id.certificate)), OK,
		"create_client for the wrong name")
	var w: Array = _side("wrong", wrong)
	await process_frame
	var wrong_mp: SceneMultiplayer = w[0]
	var failed := [false]
	wrong_mp.connection_failed.connect(func(): failed[0] = true)
	h.check(h.poll_until(func():
		server_mp.poll()
		wrong_mp.poll(), func(): return failed[0]), "connection_failed fires")
	h.note("error: %s" % wrong.get_error_message())
	server.close()
	return true
