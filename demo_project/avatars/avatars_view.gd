## The avatar demo's scene (avatars.tscn): the host and three clients in this window, each world drawn in its
## own pane as that peer sees it (a SubViewport per SceneMultiplayer), the avatars moved by bots or, for
## client 1, the arrow keys, replicated with MultiplayerSynchronizer over OpenSSLDTLSMultiplayerPeer.
## Options after `--`: --peer=enet (plain ENet, to compare); --screenshot=PATH saves the window once every pane
## shows every avatar and they have moved for two seconds, then quits (the README's picture).
extends Control

const AvatarSession = preload("res://avatars/avatar_session.gd")
const CLIENTS := 3

var session := AvatarSession.new()
var screenshot_path := ""
var status := Label.new()
var log_label := Label.new()
var titles: Array[Label] = []
var _seen_all_at := -1


func _ready() -> void:
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--screenshot="):
			screenshot_path = arg.trim_prefix("--screenshot=")
	var box := VBoxContainer.new()
	box.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT, Control.PRESET_MODE_MINSIZE, 8)
	add_child(box)
	var title := Label.new()
	title.text = "OpenSSL DTLS for Godot: avatars, MultiplayerSpawner + MultiplayerSynchronizer"
	title.add_theme_font_size_override("font_size", 20)
	box.add_child(title)
	box.add_child(status)
	var grid := GridContainer.new()
	grid.columns = 2
	box.add_child(grid)
	var parents := []
	for i in CLIENTS + 1:
		var pane := VBoxContainer.new()
		var label := Label.new()
		pane.add_child(label)
		titles.append(label)
		var container := SubViewportContainer.new()
		var viewport := SubViewport.new()
		viewport.size = Vector2i(AvatarSession.AREA) + Vector2i(20, 20)
		var floor := ColorRect.new()
		floor.color = Color(0.13, 0.15, 0.19)
		floor.size = Vector2(viewport.size)
		viewport.add_child(floor)
		var holder := Node2D.new()
		holder.position = Vector2(10, 10)
		viewport.add_child(holder)
		container.add_child(viewport)
		pane.add_child(container)
		grid.add_child(pane)
		parents.append(holder)
	log_label.add_theme_font_size_override("font_size", 11)
	box.add_child(log_label)
	add_child(session)
	session.keyboard = true
	session.log_line.connect(_log)
	if session.start(CLIENTS, parents) != OK:
		status.text = "Could not start: " + session.peers.error_text


func _process(_delta: float) -> void:
	if session.mps.is_empty() or not session.mps[0].has_multiplayer_peer():
		return
	for i in session.mps.size():
		var mp := session.mps[i]
		var who := "Host (server, id 1)" if i == 0 else "Client %d" % i
		if i > 0:
			var connected := mp.multiplayer_peer != null and mp.multiplayer_peer.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED
			who += ": player %d" % mp.get_unique_id() if connected else ": connecting..."
			if i == 1:
				who += " (arrow keys move it)"
		titles[i].text = "%s sees %d avatar(s)" % [who, session.worlds[i].get_node("Avatars").get_child_count()]
	var cipher := session.cipher()
	status.text = "%d players, synchronised over %s%s" % [session.players(), session.peers.describe(),
		(", cipher " + cipher) if cipher != "" else ""]
	if screenshot_path != "" and session.everyone_sees_everyone():
		if _seen_all_at < 0:
			_seen_all_at = Time.get_ticks_msec()
		elif Time.get_ticks_msec() - _seen_all_at > 2000:
			_save_screenshot()


func _log(line: String) -> void:
	print(line)
	var lines := (log_label.text + "\n" + line).strip_edges().split("\n")
	log_label.text = "\n".join(lines.slice(maxi(0, lines.size() - 3)))


func _save_screenshot() -> void:
	var path := screenshot_path
	screenshot_path = ""
	await get_tree().process_frame
	var image := get_viewport().get_texture().get_image()
	var err := image.save_png(path)
	print("Screenshot saved to %s: %s" % [path, error_string(err)])
	session.stop()
	get_tree().quit(0 if err == OK else 1)
