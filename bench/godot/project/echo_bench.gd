# One round of the echo benchmark: one established session; the client keeps `inflight` packets of
# `size` bytes in flight, the server echoes each back, for `seconds`. One loop polls both sides the way a
# game would: poll(), then read while get_available_packet_count() > 0. The loop (echo_loop.gd) is compiled
# once per implementation with its peers typed as their own class, as a game would hold them
# (PacketPeerUDP, PacketPeerDTLS, OpenSSLPacketPeerDTLS): typed calls reach the method that class offers
# (for the addon, its own get_packet; calls through a PacketPeer-typed variable reach the engine's). With
# count > 0 the round ends after that many round trips instead (at most 120 s; for counting system calls
# per round trip). Returns round trips per second, or -1 on failure (no session, or echoes of the wrong
# size).
extends RefCounted

const Impls = preload("res://impls.gd")
const Listener = preload("res://listener.gd")
const LOOP := "res://echo_loop.gd"
## The peer class each implementation's loop is typed with.
const PEER_CLASS := {Impls.PLAIN: "PacketPeerUDP", Impls.BUILTIN: "PacketPeerDTLS", Impls.OURS: "OpenSSLPacketPeerDTLS",
	Impls.FLOOR: "OpenSSLFloorPacketPeer"}
static var loops := {}


## echo_loop.gd with its peers typed as kind's own class (compiled once per kind).
static func _loop(kind: String) -> Object:
	if not loops.has(kind):
		var script := GDScript.new()
		var source: String = load(LOOP).source_code.replace(": PacketPeer", ": " + PEER_CLASS[kind])
		if kind != Impls.PLAIN:
			source = source.replace('.call("poll")', ".poll()")
		script.source_code = source
		if script.reload() != OK:
			printerr("echo bench: echo_loop.gd does not compile for ", kind)
			return null
		loops[kind] = script.new()
	return loops[kind]


static func run_round(kind: String, key: CryptoKey, cert: X509Certificate, size: int, inflight: int,
		seconds: float, count := 0) -> float:
	var listener := Listener.new(kind, key, cert)
	var client = Impls.dial(kind, listener.port, cert) if listener.error == "" else null
	var peer = listener.establish(client) if client != null else null
	if peer == null:
		printerr("echo bench: %s: no session" % kind)
		listener.stop()
		return -1.0
	var loop := _loop(kind)
	if loop == null:
		listener.stop()
		return -1.0
	var result: Array = loop.run(client, peer, listener.udp_server, Impls.is_polled(kind), size, inflight,
		seconds, count)
	listener.close_session(client, peer)
	listener.stop()
	if result[1] > 0:
		printerr("echo bench: %s: %d echoes of the wrong size" % [kind, result[1]])
		return -1.0
	return result[0]
