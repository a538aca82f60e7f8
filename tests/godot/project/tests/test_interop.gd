# The addon against Godot's built-in DTLS (mbedTLS) on 127.0.0.1: OpenSSLPacketPeerDTLS against DTLSServer,
# and PacketPeerDTLS against OpenSSLDTLSServer, each validating the server's certificate, with an RSA-2048
# identity from Godot's Crypto and with an ECDSA P-256 identity from OpenSSLDTLSCertificates.generate_self_signed
# (which Godot's own DTLS must accept, as client and as server). Data both ways: packets of several sizes,
# bursts, put_var/get_var. With the ECDSA identity, both ways, a long echo on the addon's own record layer
# (LONG_ECHO numbered packets, the built-in echoing each) and a clean close at the end: the addon disconnects
# and the built-in side sees STATUS_DISCONNECTED (close_notify).
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Impl = preload("res://tests/dtls_impl.gd")
const Certs = preload("res://tests/certs.gd")

## Packets of the long echo, each way, driven from GDScript (one poll of both sides per round): 100,000 take
## about 3 s each way on a busy 2-core machine (the test prints the time).
## Packets in the long echo: 100,000, or OPENSSL_DTLS_LONG_ECHO when set (the arm64 smoke test under qemu,
## where every packet costs tens of times more CPU, runs fewer; scripts/test-platform.sh).
var LONG_ECHO := int(OS.get_environment("OPENSSL_DTLS_LONG_ECHO")) if OS.has_environment("OPENSSL_DTLS_LONG_ECHO") else 100_000
const ECHO_WINDOW := 32  ## packets in flight
const WRITE_OFF_MS := 200  ## a packet missing this long without progress was lost on loopback (rare)
const CONNECTED := PacketPeerDTLS.STATUS_CONNECTED  ## the addon's class has the same values
const DISCONNECTED := PacketPeerDTLS.STATUS_DISCONNECTED

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	var identities := {"RSA-2048 from Crypto": Certs.rsa(), "ECDSA P-256 from OpenSSLDTLSCertificates": Certs.ecdsa()}
	for id_name in identities:
		for combo in [[Impl.OURS, Impl.BUILTIN], [Impl.BUILTIN, Impl.OURS]]:
			_interop(combo[0], combo[1], id_name, identities[id_name], id_name.begins_with("ECDSA"))
	_builtin_accepts_generated_identity(identities["ECDSA P-256 from OpenSSLDTLSCertificates"])
	return true


func _interop(client_impl: String, server_impl: String, id_name: String, id: Dictionary, long_echo: bool) -> void:
	var what := "%s client, %s server" % [client_impl, server_impl]
	h.section("%s, %s" % [what, id_name])
	var pair := Pair.new(server_impl)
	h.check_eq(pair.listen(id.key, id.certificate), OK, "server set up and listening")
	var client: Object = pair.add_client(client_impl, true, "localhost", id.certificate)
	h.check_eq(pair.last_connect_error, OK, "connect_to_peer (validating, \"localhost\", trusting the cert) returns OK")
	var t0 := Time.get_ticks_usec()
	if not h.check(pair.handshake(h), "both sides reach STATUS_CONNECTED"):
		pair.close()
		return
	h.note("handshake took %.2f ms (cookie round included)" % ((Time.get_ticks_usec() - t0) / 1000.0))
	var server_peer: Object = pair.server_peers[0]
	var ours: Object = client if client_impl == Impl.OURS else server_peer
	var theirs: Object = server_peer if client_impl == Impl.OURS else client

	# Sizes up to the addon's limit one way; the built-in has none of its own, so also beyond it the other.
	var ours_max: int = ours.get_max_packet_size()
	for size in [1, 100, 488, ours_max]:
		var data := Harness.pattern(size, 1)
		h.check_eq(ours.put_packet(data), OK, "ours put_packet %d B" % size)
		h.check_eq(pair.receive(h, theirs), data, "built-in got the %d B packet intact" % size)
	for size in [1, 100, 488, ours_max, 4000]:
		var data := Harness.pattern(size, 2)
		h.check_eq(theirs.put_packet(data), OK, "built-in put_packet %d B" % size)
		h.check_eq(pair.receive(h, ours), data, "ours got the %d B packet intact" % size)

	# Bursts: the built-in counts at most 1 available packet, so read one at a time, polling in between.
	for dir in [[client, server_peer, "client -> server"], [server_peer, client, "server -> client"]]:
		var sent := []
		for i in 10:
			sent.append(Harness.pattern(30 + i, i))
			dir[0].put_packet(sent[-1])
		var got := []
		for i in 10:
			got.append(pair.receive(h, dir[1]))
		h.check_eq(got, sent, "%s: a burst of 10 packets, intact and in order" % dir[2])

	var value := {"from": what, "list": [1, 2.5, "three"], "v": Vector2(3, 4)}
	h.check_eq(client.put_var(value), OK, "client put_var")
	h.check_eq(pair.receive_var(h, server_peer), value, "server get_var() returns it")
	h.check_eq(server_peer.put_var(value), OK, "server put_var")
	h.check_eq(pair.receive_var(h, client), value, "client get_var() returns it")
	if long_echo:
		_long_echo(pair, ours, theirs)
		_close(pair, ours, theirs)
	pair.close()


# LONG_ECHO numbered 64-byte packets from ours, ECHO_WINDOW in flight, each sent back by the built-in as it
# arrives; every one back must be one we sent, whole, in order; almost none lost; both still connected.
# Bounded by progress, not by the clock, so a slow machine passes and a stalled session fails: each
# WRITE_OFF_MS without an echo writes the window off, and the loop stops once more than 1% is lost.
func _long_echo(pair: Pair, ours: Object, theirs: Object) -> void:
	var t0 := Time.get_ticks_usec()
	var sent := 0
	var back := 0  # echoes received
	var lost := 0
	var next := 0  # the lowest number that may come back next
	var bad := 0
	var last_progress := Time.get_ticks_msec()
	var packet := PackedByteArray()
	packet.resize(64)
	packet.fill(0x5a)
	while back + lost < LONG_ECHO and lost <= LONG_ECHO / 100:
		while sent - back - lost < ECHO_WINDOW and sent < LONG_ECHO:
			packet.encode_u32(0, sent)
			ours.put_packet(packet)
			sent += 1
		pair.poll()
		while theirs.get_available_packet_count() > 0:
			theirs.put_packet(theirs.get_packet())
		while ours.get_available_packet_count() > 0:
			var got: PackedByteArray = ours.get_packet()
			var n := got.decode_u32(0) if got.size() == 64 else -1
			packet.encode_u32(0, n)
			if n < next or n >= sent or got != packet:
				bad += 1
			next = n + 1
			back += 1
			last_progress = Time.get_ticks_msec()
		if sent > back + lost and Time.get_ticks_msec() - last_progress > WRITE_OFF_MS:
			lost = sent - back
			last_progress = Time.get_ticks_msec()
	var ms := (Time.get_ticks_usec() - t0) / 1000.0
	h.note("long echo: %d of %d packets back in %.0f ms (%d lost on loopback)" % [back, LONG_ECHO, ms, lost])
	h.check_eq(back + lost, LONG_ECHO, "long echo: every packet came back or was written off")
	h.check_eq(bad, 0, "long echo: every packet back is one we sent, whole, in order")
	h.check(lost <= LONG_ECHO / 100, "long echo: at most 1%% lost on loopback (%d)" % lost)
	h.check_eq(ours.get_status(), CONNECTED, "ours still connected after the long echo")
	h.check_eq(theirs.get_status(), CONNECTED, "built-in still connected after the long echo")


# The addon closes (close_notify); the built-in side must see the session end.
func _close(pair: Pair, ours: Object, theirs: Object) -> void:
	ours.disconnect_from_peer()
	h.check_eq(ours.get_status(), DISCONNECTED, "ours is STATUS_DISCONNECTED at once after disconnect_from_peer")
	h.check(h.poll_until(pair.poll, func(): return theirs.get_status() == DISCONNECTED),
			"the built-in side reaches STATUS_DISCONNECTED (close_notify received)")


# Godot's own DTLS, both ends built-in, with the addon's certificate and key: no addon code in the connection.
func _builtin_accepts_generated_identity(id: Dictionary) -> void:
	h.section("built-in client and server with an OpenSSLDTLSCertificates identity")
	var pair := Pair.new(Impl.BUILTIN)
	h.check_eq(pair.listen(id.key, id.certificate), OK, "DTLSServer.setup(TLSOptions.server(key, cert)) accepts it")
	var client: PacketPeerDTLS = pair.add_client(Impl.BUILTIN, true, "localhost", id.certificate)
	h.check_eq(pair.last_connect_error, OK, "PacketPeerDTLS.connect_to_peer(TLSOptions.client(cert)) returns OK")
	if h.check(pair.handshake(h), "both built-in sides reach STATUS_CONNECTED (certificate validated)"):
		client.put_packet("hi".to_utf8_buffer())
		h.check_eq(pair.receive(h, pair.server_peers[0]), "hi".to_utf8_buffer(), "data flows")
	pair.close()
