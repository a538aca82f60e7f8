# MultiplayerSpawner and MultiplayerSynchronizer over OpenSSLDTLSMultiplayerPeer, server and two clients in one
# process: the server spawns two avatars (custom spawn function, spawn data) and both clients get them with their
# spawn-time state; positions the server changes reach both clients (synchronizer, server authority); an avatar
# owned by client 0 (multiplayer authority = its id) moves there and the server and client 1 see it (sync through
# the server relay); an avatar freed on the server is despawned on both clients.
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
	await process_frame  # replicated nodes must be in the tree
	w = World.new(self)
	h.note(w.peers.describe())
	if not h.check(w.start_server(), "server starts (%s)" % w.peers.last_error_text):
		return true
	for i in 2:
		w.add_client()
	if not h.check(w.clients.size() == 2 and w.connect_all(), "two clients connected (%s)" % w.peers.last_error_text):
		return true
	var ends := [-1, 0, 1]
	for e in ends:
		_add_spawner(e)
	var owner := w.clients[0].get_unique_id()

	h.section("spawn")
	var spawner := _spawner(-1)
	spawner.spawn({"name": "A", "position": Vector2(1, 2), "owner": 1})
	spawner.spawn({"name": "B", "position": Vector2(-5, 7), "owner": owner})
	h.check(w.wait(func(): return [0, 1].all(func(e): return _avatar(e, "A") != null and _avatar(e, "B") != null)),
		"both clients get both avatars")
	for e in [0, 1]:
		if _avatar(e, "A") != null:
			h.check_eq(_avatar(e, "A").position, Vector2(1, 2), "client %d: A spawned at its spawn-time position" % e)
			h.check_eq(_avatar(e, "B").get_multiplayer_authority(), owner, "client %d: B's authority is client 0" % e)

	h.section("server-authority sync")
	_avatar(-1, "A").position = Vector2(10, 20)
	h.check(w.wait(func(): return [0, 1].all(func(e): return _at(e, "A", Vector2(10, 20)))), "the server's move reaches both clients")
	_avatar(-1, "A").position = Vector2(30, 40)
	h.check(w.wait(func(): return [0, 1].all(func(e): return _at(e, "A", Vector2(30, 40)))), "and the next one")

	h.section("client-authority sync (through the server relay)")
	_avatar(0, "B").position = Vector2(100, 200)
	h.check(w.wait(func(): return _at(-1, "B", Vector2(100, 200)) and _at(1, "B", Vector2(100, 200))),
		"client 0's move reaches the server and client 1")
	_avatar(-1, "B").position = Vector2(-1, -1)  # not the authority: overwritten by the next sync from client 0
	_avatar(0, "B").position = Vector2(101, 201)
	h.check(w.wait(func(): return _at(-1, "B", Vector2(101, 201)) and _at(1, "B", Vector2(101, 201))),
		"the server's own change to B does not stick; client 0's next move does")

	h.section("despawn")
	var a := _avatar(-1, "A")
	a.get_parent().remove_child(a)
	a.free()
	h.check(w.wait(func(): return _avatar(0, "A") == null and _avatar(1, "A") == null), "A freed on the server leaves both clients")
	h.check(_avatar(0, "B") != null and _avatar(1, "B") != null, "B stays")
	w.close()
	return true


# <root>/Avatars (the spawn path) and <root>/Spawner on end e (-1 server, else client index).
func _add_spawner(e: int) -> void:
	var root: Node = w.server_root if e < 0 else w.client_roots[e]
	var avatars := Node.new()
	avatars.name = "Avatars"
	root.add_child(avatars)
	var spawner := MultiplayerSpawner.new()
	spawner.name = "Spawner"
	spawner.spawn_function = _make_avatar
	root.add_child(spawner)
	spawner.spawn_path = spawner.get_path_to(avatars)


func _spawner(e: int) -> MultiplayerSpawner:
	return (w.server_root if e < 0 else w.client_roots[e]).get_node("Spawner")


func _avatar(e: int, name: String) -> Node2D:
	return (w.server_root if e < 0 else w.client_roots[e]).get_node_or_null("Avatars/" + name)


func _at(e: int, name: String, where: Vector2) -> bool:
	var n := _avatar(e, name)
	return n != null and n.position == where


# The spawn function, the same on every end: a Node2D named by the data, its synchronizer replicating position
# (at spawn and continuously), owned by data.owner.
func _make_avatar(data: Variant) -> Node:
	var avatar := Node2D.new()
	avatar.name = data.name
	avatar.position = data.position
	var config := SceneReplicationConfig.new()
	config.add_property(NodePath(".:position"))
	config.property_set_spawn(NodePath(".:position"), true)
	config.property_set_replication_mode(NodePath(".:position"), SceneReplicationConfig.REPLICATION_MODE_ALWAYS)
	var sync := MultiplayerSynchronizer.new()
	sync.name = "Sync"
	sync.replication_config = config
	sync.root_path = NodePath("..")
	avatar.add_child(sync)
	avatar.set_multiplayer_authority(data.owner)  # after add_child: it applies to the children present
	return avatar
