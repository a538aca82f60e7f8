# One round of the handshake benchmark: `count` handshakes one after another against one server, each
# timed from connect_to_peer to both sides STATUS_CONNECTED (client and server polled in the same loop,
# cookie round included, client validating the certificate). Returns the median in ms, or -1 on failure.
extends RefCounted

const Impls = preload("res://impls.gd")
const Listener = preload("res://listener.gd")
const Stats = preload("res://stats.gd")


static func run_round(kind: String, key: CryptoKey, cert: X509Certificate, count: int) -> float:
	var listener := Listener.new(kind, key, cert)
	if listener.error != "":
		printerr("handshake bench: ", listener.error)
		return -1.0
	var times := []
	for i in count:
		var t0 := Time.get_ticks_usec()
		var client = Impls.dial(kind, listener.port, cert)
		var peer = listener.establish(client) if client != null else null
		var t1 := Time.get_ticks_usec()
		if peer == null:
			printerr("handshake bench: %s handshake %d did not complete" % [kind, i])
			listener.stop()
			return -1.0
		times.append((t1 - t0) / 1000.0)
		listener.close_session(client, peer)
	listener.stop()
	return Stats.median(times)
