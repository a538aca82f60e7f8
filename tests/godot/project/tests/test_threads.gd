# The addon's objects used from GDScript Threads: a client that connects and exchanges data entirely in a
# worker thread; two threads (plus the main thread polling) hammering one connected OpenSSLPacketPeerDTLS at
# once (and one of them disconnecting it mid-way); one thread taking connections from an OpenSSLDTLSServer
# while another changes its settings; misuse with null, unconnected and closed objects from a thread. Calls
# on one object are serialised (gdext experimental-threads), so: no crash, no panic message, every packet
# intact or refused. Synchronisation is Thread.wait_to_finish, Mutex and poll loops with deadlines; no sleeps.
# The hammering threads mix const methods (bound shared) with writing ones (bound exclusively): the patched
# blocking cell (rust/patches/godot-cell) makes them wait for each other (test_threads_const.gd does only
# that). What they leave out (docs/packet-peer.md, "Threads"): Godot's PacketPeer.put_var() encodes into one buffer per
# object, so one thread at a time may call it.
# requires-addon
# allow-error: OpenSSLPacketPeerDTLS.put_packet: not connected: call connect_to_peer()
# allow-error: OpenSSLPacketPeerDTLS.put_packet: the DTLS session is not connected (status STATUS_DISCONNECTED)
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: packet_peer is null
# expect-error: OpenSSLPacketPeerDTLS.connect_to_peer: packet_peer is not connected
# expect-error: OpenSSLDTLSServer.take_connection: udp_peer is null
# A peer whose UDPServer stopped under it prints one WARNING line (not an error) and ends in STATUS_ERROR.
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")
const Certs = preload("res://tests/certs.gd")
const DISCONNECTED := OpenSSLPacketPeerDTLS.STATUS_DISCONNECTED
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const HAMMER_ITERATIONS := 20000
## What put_packet/put_var may return while the peer is connected, and also once another thread may have
## disconnected it (ERR_UNCONFIGURED, with its message); what get_packet_error may say (either thread's last read).
const PUT_CONNECTED := [OK]
const PUT_MAY_BE_CLOSED := [OK, ERR_UNCONFIGURED]
const GET_ERRORS := [OK, ERR_UNAVAILABLE]
## The only messages the hammering may print, and only in the section that disconnects.
const CLOSED_MESSAGES := ["OpenSSLPacketPeerDTLS.put_packet: not connected: call connect_to_peer()",
	"OpenSSLPacketPeerDTLS.put_packet: the DTLS session is not connected (status STATUS_DISCONNECTED)"]

var h := Harness.new(self)
var id: Dictionary


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	id = Certs.ecdsa()
	var t0 := Time.get_ticks_msec()
	_client_in_a_thread()
	_two_threads_one_peer()
	_two_threads_one_server()
	_misuse_from_a_thread()
	h.note("all sections in %d ms" % (Time.get_ticks_msec() - t0))
	return true


## A payload that carries its own check: [0xA5, seq (4 bytes), pattern..., sum of the pattern (1 byte)].
static func _payload(seq: int, size: int) -> PackedByteArray:
	var p := PackedByteArray()
	p.resize(maxi(size, 7))
	p[0] = 0xA5
	p.encode_u32(1, seq)
	var sum := 0
	for i in range(5, p.size() - 1):
		p[i] = (seq * 13 + i * 7) & 0xff
		sum = (sum + p[i]) & 0xff
	p[p.size() - 1] = sum
	return p


static func _intact(p: PackedByteArray) -> bool:
	if p.size() < 7 or p[0] != 0xA5:
		return false
	var seq := p.decode_u32(1)
	var sum := 0
	for i in range(5, p.size() - 1):
		if p[i] != (seq * 13 + i * 7) & 0xff:
			return false
		sum = (sum + p[i]) & 0xff
	return p[p.size() - 1] == sum


## Server side of a pair, driven from the main thread: take connections, poll, echo every packet back.
func _serve_and_echo(pair: Pair) -> void:
	pair.poll()
	for s in pair.server_peers:
		while s.get_available_packet_count() > 0:
			var p: PackedByteArray = s.get_packet()
			if s.get_status() == CONNECTED:
				s.put_packet(p)


# ---------------------------------------------------------------------------------------------------------

func _client_in_a_thread() -> void:
	h.section("a client created, connected and used entirely in a worker thread")
	var pair := Pair.new("ours")
	h.check_eq(pair.listen(id.key, id.certificate), OK, "server listening")
	var thread := Thread.new()
	thread.start(_client_worker.bind(pair.port, id.certificate))
	var deadline := Time.get_ticks_msec() + 20_000
	while thread.is_alive() and Time.get_ticks_msec() < deadline:
		_serve_and_echo(pair)
	var r: Dictionary = thread.wait_to_finish()
	h.check_eq(r.get("connected"), true, "the worker's client reached STATUS_CONNECTED (%s)" % r.get("why", ""))
	h.check_eq(r.get("echoed"), 50, "50 packets sent from the worker came back")
	h.check_eq(r.get("corrupt"), 0, "none of them corrupted")
	h.check_eq(r.get("status_after_close"), DISCONNECTED, "disconnect_from_peer() in the worker")
	pair.close()


func _client_worker(port: int, trusted: X509Certificate) -> Dictionary:
	var out := {"connected": false, "echoed": 0, "corrupt": 0, "why": ""}
	var udp := PacketPeerUDP.new()
	udp.connect_to_host("127.0.0.1", port)
	var client := OpenSSLPacketPeerDTLS.new()
	if client.connect_to_peer(udp, true, "localhost", trusted) != OK:
		out.why = "connect_to_peer failed"
		return out
	var deadline := Time.get_ticks_msec() + 10_000
	while client.get_status() == OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING and Time.get_ticks_msec() < deadline:
		client.poll()
	out.connected = client.get_status() == CONNECTED
	if not out.connected:
		out.why = client.get_error_message()
		return out
	for seq in 50:
		client.put_packet(_payload(seq, 16 + seq * 20))
	deadline = Time.get_ticks_msec() + 10_000
	while out.echoed + out.corrupt < 50 and Time.get_ticks_msec() < deadline:
		client.poll()
		while client.get_available_packet_count() > 0:
			if _intact(client.get_packet()):
				out.echoed += 1
			else:
				out.corrupt += 1
	client.disconnect_from_peer()
	out.status_after_close = client.get_status()
	return out


# ---------------------------------------------------------------------------------------------------------

func _two_threads_one_peer() -> void:
	h.section("two threads hammering one connected peer with every method at once")
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	var client: OpenSSLPacketPeerDTLS = pair.add_client("ours", true, "localhost", id.certificate)
	if not h.check(pair.handshake(h), "connected"):
		pair.close()
		return
	var threads := [Thread.new(), Thread.new()]
	var t0 := Time.get_ticks_msec()
	var connected := [true]
	var lock := Mutex.new()
	var printed := h.errors_during(func():
		threads[0].start(_hammer.bind(client, 0, false, connected, lock))
		threads[1].start(_hammer.bind(client, 1, false, connected, lock))
		while threads.any(func(t): return t.is_alive()):
			_serve_and_echo(pair))
	var results: Array = threads.map(func(t): return t.wait_to_finish())
	if printed[1] != null:
		h.check_eq(printed[1], [], "no engine error while both threads ran on the connected peer")
	var sent := 0
	var got := 0
	for i in 2:
		var r: Dictionary = results[i]
		h.check_eq(r.bad_errors, [], "thread %d: every call returned OK, or for reads ERR_UNAVAILABLE" % i)
		h.check_eq(r.corrupt, 0, "thread %d: no packet corrupted %s" % [i, r.corrupt_samples])
		sent += r.sent
		got += r.received
	# Echoes still in flight when the threads stop are read (and dropped) below; UDP on loopback may drop a
	# few of a burst. Far fewer than half coming back, or more than were sent, is a fault.
	h.check(sent > 1000 and got >= sent / 2 and got <= sent,
		"packets flowed both ways while both threads ran: %d sent, %d echoes read (between half and all)" % [sent, got])
	h.note("%d iterations x 2 threads, %d packets sent, %d echoes read in %d ms"
		% [HAMMER_ITERATIONS, sent, got, Time.get_ticks_msec() - t0])
	h.check_eq(client.get_status(), CONNECTED, "still connected afterwards")
	# Echoes of the threads' last packets may still arrive first: read until "after" comes back (sent again
	# every 200 ms: the threads' burst can leave a socket buffer full, and UDP has no retransmission).
	var got_after := [false]
	var last_sent := [-1000]
	h.check(h.poll_until(func():
			if Time.get_ticks_msec() - last_sent[0] >= 200:
				client.put_packet("after".to_utf8_buffer())
				last_sent[0] = Time.get_ticks_msec()
			_serve_and_echo(pair)
			client.poll(),
		func():
			while client.get_available_packet_count() > 0:
				if client.get_packet() == "after".to_utf8_buffer():
					got_after[0] = true
			return got_after[0]), "... and still echoes")

	h.section("the same, with one thread disconnecting the peer half-way")
	threads = [Thread.new(), Thread.new()]
	printed = h.errors_during(func():
		threads[0].start(_hammer.bind(client, 2, false, connected, lock))
		threads[1].start(_hammer.bind(client, 3, true, connected, lock))
		while threads.any(func(t): return t.is_alive()):
			_serve_and_echo(pair))
	results = threads.map(func(t): return t.wait_to_finish())
	if printed[1] != null:
		var others: Array = printed[1].filter(func(e): return not CLOSED_MESSAGES.any(func(m): return m in e))
		h.check_eq(others, [], "the only engine errors are put_packet's on the disconnected peer (%d of them)"
			% (printed[1].size() - others.size()))
	for i in 2:
		var r: Dictionary = results[i]
		h.check_eq(r.bad_errors, [], "thread %d: every call returned OK, ERR_UNCONFIGURED once disconnected, or for reads ERR_UNAVAILABLE" % i)
		h.check_eq(r.corrupt, 0, "thread %d: no packet corrupted %s" % [i, r.corrupt_samples])
	h.check_eq(client.get_status(), DISCONNECTED, "the peer ends STATUS_DISCONNECTED")
	h.check_eq(client.get_available_packet_count(), 0, "with nothing left to read")
	pair.close()


## Calls the peer's methods HAMMER_ITERATIONS times, in an order that varies with seed. With
## disconnect_halfway it clears connected[0] and calls disconnect_from_peer() in the middle, and goes on
## (the threads send only while connected[0] is set; one that read it just before may still send once and
## get ERR_UNCONFIGURED with its message).
func _hammer(peer: OpenSSLPacketPeerDTLS, seed: int, disconnect_halfway: bool, connected: Array,
		lock: Mutex) -> Dictionary:
	var r := {"bad_errors": [], "corrupt": 0, "corrupt_samples": [], "sent": 0, "received": 0}
	# Seeds 2 and 3 run together in the section where one of them disconnects the peer.
	var put_errors: Array = PUT_MAY_BE_CLOSED if seed >= 2 else PUT_CONNECTED
	var rng := RandomNumberGenerator.new()
	rng.seed = seed
	for i in HAMMER_ITERATIONS:
		if disconnect_halfway and i == HAMMER_ITERATIONS / 2:
			lock.lock()
			connected[0] = false
			lock.unlock()
			peer.disconnect_from_peer()
		lock.lock()
		var sending: bool = connected[0]
		lock.unlock()
		match rng.randi_range(0, 9):
			0, 1:
				peer.poll()
			2, 3:
				if sending:
					var e := peer.put_packet(_payload(seed * 100000 + i, rng.randi_range(6, 1000)))
					if e not in put_errors:
						r.bad_errors.append("put_packet: %s" % error_string(e))
					elif e == OK:
						r.sent += 1
			4:
				if sending and seed % 2 == 0:
					var e := peer.put_var([seed, i, "x".repeat(rng.randi_range(0, 200))])
					if e not in put_errors:
						r.bad_errors.append("put_var: %s" % error_string(e))
					elif e == OK:
						r.sent += 1
			5, 6:
				# get_packet() straight away: empty with ERR_UNAVAILABLE when nothing waits (or the other
				# thread took it). get_packet_error() says what either thread's last read met.
				var p := peer.get_packet()
				var e := peer.get_packet_error()
				if e not in GET_ERRORS:
					r.bad_errors.append("get_packet_error: %s" % error_string(e))
				if not p.is_empty() and p != "after".to_utf8_buffer():  # a late echo of the first section's probe
					# put_var echoes are encoded Arrays; everything else is a checked payload.
					if p[0] == 0xA5:
						if _intact(p):
							r.received += 1
						else:
							r.corrupt += 1
							r.corrupt_samples.append(p.slice(0, 12).hex_encode() + " (%d bytes)" % p.size())
					else:
						var v = bytes_to_var(p) if p.size() >= 4 and p.decode_u32(0) == TYPE_ARRAY else null
						if v is Array and v.size() == 3 and v[0] is int and v[2] is String:
							r.received += 1
						else:
							r.corrupt += 1
							r.corrupt_samples.append(p.slice(0, 12).hex_encode() + " (%d bytes)" % p.size())
			7:
				# Empty once the session is gone (after the disconnect), else complete.
				var stats: Dictionary = peer.get_statistics()
				if not stats.is_empty() and not stats.has("packets_sent"):
					r.bad_errors.append("get_statistics() without packets_sent: %s" % [stats])
				var status: int = peer.get_status()
				if status != CONNECTED and status != DISCONNECTED:
					r.bad_errors.append("get_status() = %d" % status)
				if peer.get_available_packet_count() < 0 or peer.get_max_packet_size() <= 0:
					r.bad_errors.append("get_available_packet_count() < 0 or get_max_packet_size() <= 0")
			8:
				var _a := peer.get_alpn_protocol()
				var _s := peer.get_srtp_profile()
			9:
				var _e := peer.get_error_message()
				var _c = peer.get_peer_certificate()
	return r


# ---------------------------------------------------------------------------------------------------------

func _two_threads_one_server() -> void:
	h.section("one thread takes connections from a server while another changes its settings")
	var pair := Pair.new("ours")
	pair.listen(id.key, id.certificate)
	var taker_done := [false]
	var lock := Mutex.new()
	var shared := {"taken": [], "setups": 0, "setup_errors": []}
	var taker := Thread.new()
	var configurer := Thread.new()
	const CLIENTS := 8
	# The UDPServer belongs to the taker thread alone (it is not thread-safe); the server object is shared.
	taker.start(func():
		var deadline := Time.get_ticks_msec() + 20_000
		var kept := []
		while Time.get_ticks_msec() < deadline:
			pair.udp_server.poll()
			while pair.udp_server.is_connection_available():
				var peer: OpenSSLPacketPeerDTLS = pair.server.take_connection(pair.udp_server.take_connection())
				if peer.get_status() == OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING:
					kept.append(peer)
			for p in kept:
				p.poll()
			lock.lock()
			var done := kept.filter(func(p): return p.get_status() == CONNECTED).size() >= CLIENTS
			lock.unlock()
			if done:
				break
		lock.lock()
		shared.taken = kept
		taker_done[0] = true
		lock.unlock())
	# Calls that change the server's settings for new sessions without invalidating the cookies it already
	# handed out (setup() would: clients that have one then start again, which is the protocol, not threads).
	configurer.start(func():
		for i in 300:
			lock.lock()
			var finished: bool = taker_done[0]
			lock.unlock()
			if finished:
				break
			var m: Error = pair.server.set_client_certificate_mode(OpenSSLDTLSServer.CLIENT_CERTIFICATE_NONE)
			pair.server.handshake_timeout = 30.0 + i % 2
			lock.lock()
			shared.setups += 1
			if m != OK:
				shared.setup_errors.append(m)
			lock.unlock())
	# The main thread dials and polls the clients.
	var clients := []
	for i in CLIENTS:
		var udp := PacketPeerUDP.new()
		udp.connect_to_host("127.0.0.1", pair.port)
		var c := OpenSSLPacketPeerDTLS.new()
		c.connect_to_peer(udp, true, "localhost", id.certificate)
		clients.append(c)
	while taker.is_alive():
		for c in clients:
			c.poll()
	taker.wait_to_finish()
	configurer.wait_to_finish()
	# The taker stops once its server peers are connected; a client connects when it reads the server's last
	# flight, which may still wait in its socket: poll them until they have (bounded).
	h.poll_until(func():
			for c in clients:
				c.poll(),
		func(): return clients.all(func(c): return c.get_status() != OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING))
	var connected := clients.filter(func(c): return c.get_status() == CONNECTED).size()
	h.check_eq(connected, CLIENTS, "all %d clients connected while the server's settings changed %d times"
		% [CLIENTS, shared.setups])
	h.check_eq(shared.setup_errors, [], "every set_client_certificate_mode() returned OK")
	h.check_eq(shared.taken.filter(func(p): return p.get_status() == CONNECTED).size(), CLIENTS,
		"the taker thread holds %d connected server peers" % CLIENTS)
	for c in clients:
		c.disconnect_from_peer()
	pair.close()


# ---------------------------------------------------------------------------------------------------------

func _misuse_from_a_thread() -> void:
	h.section("misuse from a worker thread: null, unconnected and closed objects")
	var thread := Thread.new()
	var r := h.errors_during(func():
		thread.start(_misuse_worker)
		return thread.wait_to_finish())
	var results: Dictionary = r[0]
	h.check_eq(results.null_peer, ERR_INVALID_PARAMETER, "connect_to_peer(null) returns ERR_INVALID_PARAMETER")
	h.check_eq(results.unconnected, ERR_INVALID_PARAMETER, "connect_to_peer(an unconnected PacketPeerUDP) returns ERR_INVALID_PARAMETER")
	h.check_eq(results.closed, ERR_INVALID_PARAMETER, "connect_to_peer(a closed PacketPeerUDP) returns ERR_INVALID_PARAMETER")
	h.check_eq(results.null_take, DISCONNECTED, "take_connection(null) returns a peer in STATUS_DISCONNECTED")
	h.check_eq(results.after_stop, OpenSSLPacketPeerDTLS.STATUS_ERROR, "a peer whose UDPServer stopped ends in STATUS_ERROR")
	h.check(results.after_stop_message.contains("the PacketPeerUDP failed"), "... saying why: %s" % results.after_stop_message)
	h.check_eq(results.freed_udp, true, "a peer that lost the last reference to its PacketPeerUDP connects and receives through it")
	if r[1] != null:
		var expected := ["connect_to_peer: packet_peer is null", "connect_to_peer: packet_peer is not connected",
			"connect_to_peer: packet_peer is not connected", "take_connection: udp_peer is null"]
		var ok: bool = r[1].size() == expected.size()
		for i in mini(r[1].size(), expected.size()):
			ok = ok and expected[i] in r[1][i]
		h.check(ok, "exactly the four expected messages, in order (printed: %s)" % [r[1]])


func _misuse_worker() -> Dictionary:
	var out := {}
	var peer := OpenSSLPacketPeerDTLS.new()
	out.null_peer = peer.connect_to_peer(null)
	out.unconnected = peer.connect_to_peer(PacketPeerUDP.new(), false)
	var closed := PacketPeerUDP.new()
	closed.connect_to_host("127.0.0.1", 9)
	closed.close()
	out.closed = peer.connect_to_peer(closed, false)
	var server := OpenSSLDTLSServer.new()
	server.setup(id.key, id.certificate)
	out.null_take = server.take_connection(null).get_status()
	# A server peer whose UDPServer stops under it: its client goes away, the peer ends cleanly.
	var udp_server := UDPServer.new()
	udp_server.listen(0, "127.0.0.1")
	var client_udp := PacketPeerUDP.new()
	client_udp.connect_to_host("127.0.0.1", udp_server.get_local_port())
	var client := OpenSSLPacketPeerDTLS.new()
	client.connect_to_peer(client_udp, false)
	var taken: OpenSSLPacketPeerDTLS = null
	var deadline := Time.get_ticks_msec() + 5000
	while taken == null and Time.get_ticks_msec() < deadline:
		client.poll()
		udp_server.poll()
		if udp_server.is_connection_available():
			var p: OpenSSLPacketPeerDTLS = server.take_connection(udp_server.take_connection())
			if p.get_status() == OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING:
				taken = p
	while taken != null and Time.get_ticks_msec() < deadline \
			and (client.get_status() != CONNECTED or taken.get_status() != CONNECTED):
		client.poll()
		udp_server.poll()
		taken.poll()
	udp_server.stop()
	client.disconnect_from_peer()
	if taken != null:
		for i in 100:
			taken.poll()
		out.after_stop = taken.get_status()
		out.after_stop_message = taken.get_error_message()
	# Dropping every GDScript reference to the PacketPeerUDP of a client: the peer holds its own, connects and
	# receives through it.
	var udp2 := PacketPeerUDP.new()
	var server2 := UDPServer.new()
	server2.listen(0, "127.0.0.1")
	udp2.connect_to_host("127.0.0.1", server2.get_local_port())
	var c2 := OpenSSLPacketPeerDTLS.new()
	c2.connect_to_peer(udp2, false)
	udp2 = null
	var s2: OpenSSLPacketPeerDTLS = null
	var got2 := PackedByteArray()
	deadline = Time.get_ticks_msec() + 5000
	while got2.is_empty() and Time.get_ticks_msec() < deadline:
		c2.poll()
		server2.poll()
		if server2.is_connection_available():
			var p: OpenSSLPacketPeerDTLS = server.take_connection(server2.take_connection())
			if p.get_status() == OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING:
				s2 = p
		if s2 != null:
			s2.poll()
			if s2.get_status() == CONNECTED and c2.get_status() == CONNECTED and s2.get_available_packet_count() == 0:
				s2.put_packet("through the dropped udp".to_utf8_buffer())
		if c2.get_available_packet_count() > 0:
			got2 = c2.get_packet()
	out.freed_udp = c2.get_status() == CONNECTED and got2 == "through the dropped udp".to_utf8_buffer()
	c2.disconnect_from_peer()
	server2.stop()
	return out
