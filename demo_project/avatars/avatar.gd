## A player's avatar in the avatar demo: a coloured square named after its player's peer id. The server spawns
## one per player (MultiplayerSpawner, avatar.tscn); its player is its multiplayer authority and moves it; the
## MultiplayerSynchronizer in avatar.tscn replicates `position` to everyone else.
extends Node2D

const SIZE := 26.0

var player_id := 0


func _enter_tree() -> void:
	# Same on every peer, so the spawned copies agree on who moves this avatar (the usual Godot pattern).
	player_id = name.to_int()
	set_multiplayer_authority(player_id)


## The avatar's colour, derived from its player's id (so it is the same on every peer without syncing it).
func color() -> Color:
	return Color.from_hsv(fmod(player_id * 0.618034, 1.0), 0.65, 0.95)


func _process(_delta: float) -> void:
	queue_redraw()


func _draw() -> void:
	draw_rect(Rect2(-SIZE / 2, -SIZE / 2, SIZE, SIZE), color())
	var label := "host" if player_id == 1 else str(player_id % 10000)
	var mine := multiplayer.has_multiplayer_peer() and is_multiplayer_authority()
	if mine:
		draw_rect(Rect2(-SIZE / 2 - 3, -SIZE / 2 - 3, SIZE + 6, SIZE + 6), Color.WHITE, false, 2.0)
	draw_string(ThemeDB.fallback_font, Vector2(-SIZE / 2, -SIZE / 2 - 6), label, HORIZONTAL_ALIGNMENT_LEFT, -1, 12,
		Color.WHITE if mine else Color(0.8, 0.8, 0.8))
