## The avatar demo's game, all in one process: a server (the host, with an avatar of its own) and a few clients,
## each a SceneMultiplayer on its own sub-tree (a "world": an Avatars node and a MultiplayerSpawner), connected
## over avatar_peers.gd's peers (OpenSSLDTLSMultiplayerPeer by default). The server spawns an avatar (avatar.tscn)
## for itself and for every player who connects; each player moves its own avatar (a bot tracing a figure, or the
## arrow keys for the first client when `keyboard` is on) and MultiplayerSynchronizer replicates the positions,
## so every world shows every avatar where its player put it. The SceneTree polls the SceneMultiplayers each frame.
extends Node

const AvatarPeers = preload("res://avatars/avatar_peers.gd")
const AVATAR_SCENE := "res://avatars/avatar.tscn"
const AREA := Vector2(480, 190)  ## the size of a world, in pixels
const SPEED := 140.0  ## pixels per second under the keyboard

signal log_line(text: String)

var peers := AvatarPeers.new()
var worlds: Array[Node2D] = []  ## [server world, client worlds...]
var mps: Array[SceneMultiplayer] = []  ## the same order
var moving := true  ## false: every player stops its avatar (the headless check waits for them to agree)
var keyboard := false  ## the first client's avatar follows the arrow keys (once one is pressed) instead of its bot
var _time := 0.0
var _manual := false  # an arrow key was pressed: the first client's bot is off


## Starts the server and n_clients clients; parents[i] receives world i (default: this node). Returns OK or why not.
func start(n_clients: int, parents: Array = []) -> Error:
	var server_peer := peers.server(0)
	if server_peer == null:
		log_line.emit("server failed: " + peers.error_text)
		return FAILED
	var port := AvatarPeers.local_port(server_peer)
	log_line.emit("server on 127.0.0.1:%d over %s" % [port, peers.describe()])
	var server := _world(0, "Server", parents, server_peer)
	server.peer_connected.connect(func(id): _spawn(id); log_line.emit("player %d joined" % id))
	server.peer_disconnected.connect(func(id): _despawn(id); log_line.emit("player %d left" % id))
	_spawn(1)
	for i in n_clients:
		var peer := peers.client(port)
		if peer == null:
			log_line.emit("client failed: " + peers.error_text)
			return FAILED
		var mp := _world(i + 1, "Client%d" % (i + 1), parents, peer)
		mp.connected_to_server.connect(func(): log_line.emit("client %d connected as player %d" % [i + 1, mp.get_unique_id()]))
		mp.connection_failed.connect(func(): log_line.emit("client %d: connection failed" % (i + 1)))
	return OK


## How many players the server has (itself included) and whether every world shows each of their avatars.
func players() -> int:
	return 1 + mps[0].get_peers().size() if not mps.is_empty() and mps[0].has_multiplayer_peer() else 0


func everyone_sees_everyone() -> bool:
	var n := players()
	return n > 1 and worlds.all(func(w): return w.get_node("Avatars").get_child_count() == n)


## Whether every world shows every avatar exactly where its player put it (after moving stopped).
func worlds_agree() -> bool:
	if not everyone_sees_everyone():
		return false
	for owner_world in worlds:
		var mp: SceneMultiplayer = mps[worlds.find(owner_world)]
		var own := owner_world.get_node_or_null("Avatars/%d" % mp.get_unique_id())
		if own == null:
			return false
		for w in worlds:
			var copy := w.get_node_or_null("Avatars/%d" % mp.get_unique_id())
			if copy == null or copy.position != own.position:
				return false
	return true


## The connection's cipher as the first client's peer reports it ("" when not a DTLS peer or not known).
func cipher() -> String:
	if mps.size() < 2 or not mps[1].multiplayer_peer.has_method("get_peer"):
		return ""
	var dtls: Object = mps[1].multiplayer_peer.get_peer(1)
	if dtls == null or not dtls.has_method("get_statistics"):
		return ""
	return str(dtls.get_statistics().get("cipher", ""))


func stop() -> void:
	set_process(false)
	for mp in mps:
		if mp.multiplayer_peer != null:
			var peer := mp.multiplayer_peer
			mp.multiplayer_peer = null
			peer.close()


func _process(delta: float) -> void:
	_time += delta
	for i in mps.size():
		var mp := mps[i]
		if mp.multiplayer_peer == null or mp.multiplayer_peer.get_connection_status() != MultiplayerPeer.CONNECTION_CONNECTED:
			continue
		var own := worlds[i].get_node_or_null("Avatars/%d" % mp.get_unique_id())
		if own == null or not moving:
			continue
		var dir := Input.get_vector("ui_left", "ui_right", "ui_up", "ui_down") if keyboard and i == 1 else Vector2.ZERO
		_manual = _manual or dir != Vector2.ZERO
		if _manual and i == 1:
			own.position = (own.position + dir * SPEED * delta).clamp(Vector2.ZERO, AREA)
		else:
			own.position = _bot(i, _time)


# Where player i's bot is at time t: a figure of eight, its own size and phase.
func _bot(i: int, t: float) -> Vector2:
	var phase := t * (0.6 + 0.15 * i) + i * 1.7
	var radius := AREA * (0.22 + 0.05 * (i % 3))
	return (AREA / 2 + Vector2(cos(phase) * radius.x, sin(2.0 * phase) * radius.y * 0.8)).round()


func _world(i: int, name: String, parents: Array, peer: MultiplayerPeer) -> SceneMultiplayer:
	var world := Node2D.new()
	world.name = name
	var avatars := Node2D.new()
	avatars.name = "Avatars"
	world.add_child(avatars)
	var spawner := MultiplayerSpawner.new()
	spawner.name = "Spawner"
	spawner.add_spawnable_scene(AVATAR_SCENE)
	world.add_child(spawner)
	spawner.spawn_path = NodePath("../Avatars")
	var parent: Node = parents[i] if i < parents.size() else self
	parent.add_child(world)
	var mp := SceneMultiplayer.new()
	get_tree().set_multiplayer(mp, world.get_path())
	mp.multiplayer_peer = peer
	worlds.append(world)
	mps.append(mp)
	return mp


# Server only: an avatar for player id, where its bot starts (the spawner replicates it to every client).
func _spawn(id: int) -> void:
	var avatar: Node2D = load(AVATAR_SCENE).instantiate()
	avatar.name = str(id)
	avatar.position = AREA / 2
	worlds[0].get_node("Avatars").add_child(avatar, true)


func _despawn(id: int) -> void:
	var avatar := worlds[0].get_node_or_null("Avatars/%d" % id)
	if avatar != null:
		avatar.queue_free()
