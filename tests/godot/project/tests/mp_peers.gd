# The multiplayer peer factory of the multiplayer tests and benchmark: makes server and client MultiplayerPeers
# of one kind, so every script runs on both
#   "dtls": OpenSSLDTLSMultiplayerPeer (the addon; ECDSA identity from OpenSSLDTLSCertificates, the client
#           pinning it with TLSOptions.client(cert) and host name "localhost"), the default;
#   "enet": ENetMultiplayerPeer, plain ENet without encryption (Debian's Godot has no ENet DTLS): only to check
#           the scripts themselves and as the benchmark's baseline;
#   "floor": OpenSSLFloorMultiplayerPeer (an addon built with the `floor-peers` feature, `make floor-addon`): server
#           and clients of one process handing packets over in memory, the benchmark's floor; options are ignored.
# The kind comes from the environment variable MP_PEER_KIND, or a user argument --mp-kind=KIND (after `--`);
# e.g. `MP_PEER_KIND=enet scripts/run-godot-tests.sh test_multiplayer_rpc`. When the dtls kind is asked for and
# OpenSSLDTLSMultiplayerPeer is not registered, make_server/make_client return null with last_error_text set:
# the tests fail, they do not skip.
# Everything listens on 127.0.0.1 with an OS-chosen port (port 0; local_port() tells which).
extends RefCounted

const DTLS := "dtls"
const ENET := "enet"
const DTLS_CLASS := "OpenSSLDTLSMultiplayerPeer"
const FLOOR := "floor"
const FLOOR_CLASS := "OpenSSLFloorMultiplayerPeer"
## ENet's peer timeout (ms), set on each connection (both ends) so a vanished ENet peer is dropped within about
## as long as the DTLS peer's default idle_timeout (5 s); ENet's own default is 5 to 30 s. With an "idle_timeout"
## option ENet's minimum and maximum are both that long: a reliable message unacknowledged for that long drops
## the peer (through heavy loss ENet's doubling retransmission timer can leave one unacknowledged for seconds).
const ENET_TIMEOUT_MIN_MS := 2000
const ENET_TIMEOUT_MAX_MS := 5000

## The network simulation's properties (dtls), passed through from the options like the timeouts.
const SIMULATION := ["simulated_send_latency_ms", "simulated_send_jitter_ms", "simulated_send_loss_percent",
	"simulated_receive_latency_ms", "simulated_receive_jitter_ms", "simulated_receive_loss_percent"]

var kind: String
var identity := {}  ## dtls: {"key": CryptoKey, "certificate": X509Certificate} of the server
var last_error := OK  ## what the last create_server/create_client returned
var last_error_text := ""  ## why the last make_* returned null


## The kind asked for: MP_PEER_KIND, else --mp-kind=KIND, else "dtls".
static func requested_kind() -> String:
	var k := OS.get_environment("MP_PEER_KIND")
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--mp-kind="):
			k = arg.trim_prefix("--mp-kind=")
	return k if k != "" else DTLS


## Whether peers of that kind can be made in this Godot.
static func available(p_kind: String) -> bool:
	return p_kind == ENET or (p_kind == DTLS and ClassDB.class_exists(DTLS_CLASS)) \
		or (p_kind == FLOOR and ClassDB.class_exists(FLOOR_CLASS))


func _init(p_kind := "") -> void:
	kind = p_kind if p_kind != "" else requested_kind()
	if kind == DTLS:
		identity = new_identity()


## One line naming the kind, for logs.
func describe() -> String:
	return "peer kind %s (%s)" % [kind, DTLS_CLASS if kind == DTLS else "ENetMultiplayerPeer, plain"]


## A server listening on 127.0.0.1:port (0 = OS-chosen), or null (last_error / last_error_text say why).
## options: "max_clients" (32), "idle_timeout" (seconds; ENet: see ENET_TIMEOUT_MIN_MS), "handshake_timeout"
## (dtls, seconds), "max_message_size" (dtls), the SIMULATION properties (dtls).
func make_server(port := 0, options := {}) -> MultiplayerPeer:
	var max_clients: int = options.get("max_clients", 32)
	if not _check_kind():
		return null
	if kind == ENET:
		var enet := ENetMultiplayerPeer.new()
		enet.set_bind_ip("127.0.0.1")
		last_error = enet.create_server(port, max_clients)
		if last_error != OK:
			last_error_text = "ENetMultiplayerPeer.create_server: %s" % error_string(last_error)
			return null
		enet.peer_connected.connect(_enet_timeouts.bind(enet.get_instance_id(), options))
		return enet
	if kind == FLOOR:
		return _floor("create_server", [port])
	var peer = ClassDB.instantiate(DTLS_CLASS)  # untyped: the class may not exist when this is parsed
	_apply(peer, options)
	last_error = peer.create_server(port, TLSOptions.server(identity.key, identity.certificate), max_clients, "127.0.0.1")
	if last_error != OK:
		last_error_text = "%s.create_server: %s" % [DTLS_CLASS, error_string(last_error)]
		return null
	return peer


## A client dialling 127.0.0.1:port, or null. options: "hostname" ("localhost"), "trusted" (the certificate to
## pin, default the server identity's), "unsafe" (true: TLSOptions.client_unsafe()), "idle_timeout" (both kinds),
## "handshake_timeout", "max_message_size", the SIMULATION properties (dtls); certificate options mean nothing
## to ENet.
func make_client(port: int, options := {}) -> MultiplayerPeer:
	if not _check_kind():
		return null
	if kind == ENET:
		var enet := ENetMultiplayerPeer.new()
		last_error = enet.create_client("127.0.0.1", port)
		if last_error != OK:
			last_error_text = "ENetMultiplayerPeer.create_client: %s" % error_string(last_error)
			return null
		enet.peer_connected.connect(_enet_timeouts.bind(enet.get_instance_id(), options))
		return enet
	if kind == FLOOR:
		return _floor("create_client", ["127.0.0.1", port])
	var peer = ClassDB.instantiate(DTLS_CLASS)  # untyped: the class may not exist when this is parsed
	_apply(peer, options)
	var tls: TLSOptions
	if options.get("unsafe", false):
		tls = TLSOptions.client_unsafe()
	else:
		tls = TLSOptions.client(options.get("trusted", identity.certificate))
	last_error = peer.create_client("127.0.0.1", port, options.get("hostname", "localhost"), tls)
	if last_error != OK:
		last_error_text = "%s.create_client: %s" % [DTLS_CLASS, error_string(last_error)]
		return null
	return peer


## The UDP port a server peer listens on.
static func local_port(peer: MultiplayerPeer) -> int:
	if peer is ENetMultiplayerPeer:
		return (peer as ENetMultiplayerPeer).host.get_local_port()
	return peer.call("get_local_port")


## A fresh self-signed ECDSA identity (dtls kind; empty without the addon), e.g. a certificate nobody trusts.
static func new_identity(host_names := PackedStringArray(["localhost", "127.0.0.1"])) -> Dictionary:
	if not ClassDB.class_exists("OpenSSLDTLSCertificates"):
		return {}
	return ClassDB.class_call_static("OpenSSLDTLSCertificates", "generate_self_signed", host_names)


## A floor peer made by its method (create_server or create_client) with args, or null.
func _floor(method: String, args: Array) -> MultiplayerPeer:
	var peer = ClassDB.instantiate(FLOOR_CLASS)
	last_error = peer.callv(method, args)
	if last_error != OK:
		last_error_text = "%s.%s: %s" % [FLOOR_CLASS, method, error_string(last_error)]
		return null
	return peer


func _check_kind() -> bool:
	last_error = OK
	last_error_text = ""
	if kind != ENET and kind != DTLS and kind != FLOOR:
		last_error = ERR_INVALID_PARAMETER
		last_error_text = "unknown peer kind %s (MP_PEER_KIND / --mp-kind: dtls or enet)" % kind
		return false
	if kind == FLOOR and not ClassDB.class_exists(FLOOR_CLASS):
		last_error = ERR_UNAVAILABLE
		last_error_text = "%s is not registered (an addon built with the floor-peers feature)" % FLOOR_CLASS
		return false
	if kind == DTLS and not ClassDB.class_exists(DTLS_CLASS):
		last_error = ERR_UNAVAILABLE
		last_error_text = "%s is not registered (is the addon built, and does it have the class?)" % DTLS_CLASS
		return false
	if kind == DTLS and identity.is_empty():
		identity = new_identity()
	return true


func _apply(peer: Object, options: Dictionary) -> void:
	for prop in ["idle_timeout", "handshake_timeout", "max_message_size"] + SIMULATION:
		if options.has(prop):
			peer.set(prop, options[prop])


static func _enet_timeouts(id: int, owner_id: int, options: Dictionary) -> void:
	var owner := instance_from_id(owner_id) as ENetMultiplayerPeer
	if owner == null or owner.get_peer(id) == null:
		return
	if options.has("idle_timeout"):
		var ms := int(options.idle_timeout * 1000.0)
		owner.get_peer(id).set_timeout(32, ms, ms)
	else:
		owner.get_peer(id).set_timeout(32, ENET_TIMEOUT_MIN_MS, ENET_TIMEOUT_MAX_MS)
