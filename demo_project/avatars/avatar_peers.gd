## Makes the avatar demo's MultiplayerPeers. Kind "dtls" (the default): OpenSSLDTLSMultiplayerPeer, the server
## with the demo's certificate (DemoIdentity), clients pinning it with TLSOptions.client(cert) and host name
## "localhost". Kind "enet": plain ENetMultiplayerPeer, unencrypted, to compare (or to run the demo on an addon
## without the multiplayer class). The kind comes from --peer=KIND after `--`, else MP_PEER_KIND, else "dtls".
extends RefCounted

const DTLS_CLASS := "OpenSSLDTLSMultiplayerPeer"

var kind := "dtls"
var identity := DemoIdentity.new()
var error_text := ""  ## why the last server()/client() returned null


func _init() -> void:
	var k := OS.get_environment("MP_PEER_KIND")
	for arg in OS.get_cmdline_user_args():
		if arg.begins_with("--peer="):
			k = arg.trim_prefix("--peer=")
	if k != "":
		kind = k


## "OpenSSLDTLSMultiplayerPeer (DTLS, ...)" or "ENetMultiplayerPeer (plain)".
func describe() -> String:
	return "%s (DTLS, certificate validated)" % DTLS_CLASS if kind == "dtls" else "ENetMultiplayerPeer (plain, no encryption)"


## A server on 127.0.0.1:port (0: the OS picks), or null with error_text set.
func server(port: int, max_clients := 8) -> MultiplayerPeer:
	if kind == "enet":
		var enet := ENetMultiplayerPeer.new()
		enet.set_bind_ip("127.0.0.1")
		return enet if _ok(enet.create_server(port, max_clients), "ENetMultiplayerPeer.create_server") else null
	if not _has_class():
		return null
	identity.load_or_generate()
	# In a game: var peer := OpenSSLDTLSMultiplayerPeer.new() (instantiated by name here so that the demo also
	# runs, with --peer=enet, on a build of the addon without the class).
	var peer = ClassDB.instantiate(DTLS_CLASS)
	var err: Error = peer.create_server(port, TLSOptions.server(identity.key, identity.certificate), max_clients, "127.0.0.1")
	return peer if _ok(err, DTLS_CLASS + ".create_server") else null


## A client of the server at 127.0.0.1:port, or null with error_text set.
func client(port: int) -> MultiplayerPeer:
	if kind == "enet":
		var enet := ENetMultiplayerPeer.new()
		return enet if _ok(enet.create_client("127.0.0.1", port), "ENetMultiplayerPeer.create_client") else null
	if not _has_class():
		return null
	identity.load_or_generate()
	var peer = ClassDB.instantiate(DTLS_CLASS)
	var err: Error = peer.create_client("127.0.0.1", port, "localhost", TLSOptions.client(identity.certificate))
	return peer if _ok(err, DTLS_CLASS + ".create_client") else null


## The listening port of a server made by server().
static func local_port(peer: MultiplayerPeer) -> int:
	if peer is ENetMultiplayerPeer:
		return (peer as ENetMultiplayerPeer).host.get_local_port()
	return peer.call("get_local_port")


func _has_class() -> bool:
	if kind != "dtls":
		error_text = "unknown peer kind %s (dtls or enet)" % kind
		return false
	if not ClassDB.class_exists(DTLS_CLASS):
		error_text = "%s is not registered: build the addon (make addon), or run with --peer=enet" % DTLS_CLASS
		return false
	return true


func _ok(err: Error, what: String) -> bool:
	error_text = "" if err == OK else "%s: %s" % [what, error_string(err)]
	return err == OK
