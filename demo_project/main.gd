## Demo scene: run a DTLS chat server, a client, or both, and watch the connection's Status live.
## Command-line options after `--`: --auto=both|server|client starts at once; --screenshot=PATH
## saves the window once connected and a ping came back, then quits (used by the README's picture).
extends Control

const GREEN := Color(0.45, 0.85, 0.45)
const RED := Color(0.95, 0.4, 0.4)
const YELLOW := Color(0.95, 0.85, 0.4)

var server: ChatServer
var client: ChatClient
var identity := DemoIdentity.new()
var screenshot_path := ""
var _rtt_samples: Array[int] = []

var mode := OptionButton.new()
var address := LineEdit.new()
var port := SpinBox.new()
var hostname := LineEdit.new()
var validate := CheckBox.new()
var start_button := Button.new()
var stop_button := Button.new()
var status_label := Label.new()
var rtt_label := Label.new()
var log_view := RichTextLabel.new()
var message := LineEdit.new()
var send_button := Button.new()
var ping_button := Button.new()


func _ready() -> void:
	_build_ui()
	_log(identity.load_or_generate())
	var args := _user_args()
	screenshot_path = args.get("screenshot", "")
	if args.has("auto"):
		mode.select(["server", "client", "both"].find(args["auto"]) if args["auto"] in ["server", "client", "both"] else 2)
		_on_start()


func _process(_delta: float) -> void:
	if server:
		server.poll()
	if client:
		client.poll()
	if screenshot_path != "" and client and client.is_connected_to_server() and _rtt_samples.size() > 0:
		_save_screenshot()


func _build_ui() -> void:
	var root := VBoxContainer.new()
	root.set_anchors_and_offsets_preset(Control.PRESET_FULL_RECT, Control.PRESET_MODE_MINSIZE, 12)
	add_child(root)
	var title := Label.new()
	title.text = "OpenSSL DTLS for Godot: demo"
	title.add_theme_font_size_override("font_size", 22)
	root.add_child(title)

	var row := HBoxContainer.new()
	root.add_child(row)
	for item in ["Server", "Client", "Server + client (this machine)"]:
		mode.add_item(item)
	mode.select(2)
	address.text = "127.0.0.1"
	address.custom_minimum_size.x = 130
	port.min_value = 1024
	port.max_value = 65535
	port.value = 4433
	hostname.text = "localhost"
	hostname.custom_minimum_size.x = 130
	validate.text = "Validate certificates"
	validate.button_pressed = true
	start_button.text = "Start"
	stop_button.text = "Stop"
	start_button.pressed.connect(_on_start)
	stop_button.pressed.connect(_on_stop)
	var row2 := HBoxContainer.new()
	root.add_child(row2)
	_add_labeled(row, "Mode", mode)
	row.add_child(start_button)
	row.add_child(stop_button)
	_add_labeled(row2, "Address", address)
	_add_labeled(row2, "Port", port)
	_add_labeled(row2, "Hostname", hostname)
	row2.add_child(validate)

	status_label.add_theme_font_size_override("font_size", 18)
	root.add_child(status_label)
	root.add_child(rtt_label)
	_show_status(OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED, "")
	rtt_label.text = "Ping round trip: -"

	var log_panel := PanelContainer.new()
	log_panel.size_flags_vertical = Control.SIZE_EXPAND_FILL
	root.add_child(log_panel)
	log_view.scroll_following = true
	log_view.selection_enabled = true
	log_panel.add_child(log_view)

	var send_row := HBoxContainer.new()
	root.add_child(send_row)
	message.placeholder_text = "Message to send"
	message.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	message.text_submitted.connect(func(_t): _on_send())
	send_button.text = "Send"
	send_button.pressed.connect(_on_send)
	ping_button.text = "Ping"
	ping_button.pressed.connect(_on_ping)
	send_row.add_child(message)
	send_row.add_child(send_button)
	send_row.add_child(ping_button)


func _add_labeled(row: HBoxContainer, text: String, control: Control) -> void:
	var label := Label.new()
	label.text = text
	row.add_child(label)
	row.add_child(control)


func _on_start() -> void:
	_on_stop()
	var p := int(port.value)
	if mode.selected != 1:
		server = ChatServer.new()
		server.log_line.connect(_log)
		var err := server.start(p, identity.key, identity.certificate)
		if err != OK:
			_log("[color=#f66]Server failed to start: %s[/color]" % error_string(err))
			server = null
	if mode.selected != 0:
		client = ChatClient.new()
		client.log_line.connect(_log)
		client.status_changed.connect(_show_status)
		client.chat_received.connect(func(text): _log("Received: [b]%s[/b]" % text))
		client.pong.connect(_on_pong)
		# On this machine the client trusts the demo's own certificate; from another machine, copy
		# the .crt next to the game or untick "Validate certificates".
		var err := client.connect_to(address.text, p, hostname.text, validate.button_pressed, identity.certificate)
		if err != OK:
			_log("[color=#f66]Connect failed: %s[/color]" % error_string(err))
		if screenshot_path != "":
			client.status_changed.connect(func(s, _m):
				if s == OpenSSLPacketPeerDTLS.STATUS_CONNECTED:
					client.send_chat("Hello over DTLS!")
					client.ping())


func _on_stop() -> void:
	if client:
		client.disconnect_from_server()
		client = null
	if server:
		server.stop()
		server = null


func _on_send() -> void:
	if client == null or message.text.is_empty():
		return
	var err := client.send_chat(message.text)
	_log("Sent: %s (%s)" % [message.text, error_string(err)])
	message.clear()


func _on_ping() -> void:
	if client:
		client.ping()


func _on_pong(rtt_usec: int) -> void:
	_rtt_samples.append(rtt_usec)
	rtt_label.text = "Ping round trip: %.2f ms (last, includes frame time), %d pings" % [rtt_usec / 1000.0, _rtt_samples.size()]


func _show_status(status: int, why: String) -> void:
	var color := YELLOW
	match status:
		OpenSSLPacketPeerDTLS.STATUS_CONNECTED:
			color = GREEN
		OpenSSLPacketPeerDTLS.STATUS_ERROR, OpenSSLPacketPeerDTLS.STATUS_ERROR_HOSTNAME_MISMATCH:
			color = RED
	status_label.text = "Status: %s%s" % [DtlsStatus.name_of(status), (" - " + why) if why != "" else ""]
	status_label.add_theme_color_override("font_color", color)
	_log("Client status: %s %s" % [DtlsStatus.name_of(status), why])


func _log(line: String) -> void:
	log_view.append_text(line + "\n")


func _user_args() -> Dictionary:
	var out := {}
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--") and "=" in arg:
			var kv := arg.substr(2).split("=", true, 1)
			out[kv[0]] = kv[1]
	return out


func _save_screenshot() -> void:
	var path := screenshot_path
	screenshot_path = ""
	for i in 3:
		await get_tree().process_frame
	var image := get_viewport().get_texture().get_image()
	var err := image.save_png(path)
	print("Screenshot saved to %s: %s" % [path, error_string(err)])
	get_tree().quit(0 if err == OK else 1)
