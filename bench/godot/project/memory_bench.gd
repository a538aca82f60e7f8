# The memory benchmark: process RSS (VmRSS) grown per established, idle client+server pair. A few
# warm-up pairs are made and kept first (one-off allocations, library init), then `pairs` more, at most
# `batch` handshaking at once; all are held while RSS is read. Meant to run in a fresh process per
# implementation: memory freed by an earlier run would be reused and hide growth.
# The floor kind has no handshake; its pairs carry the datagrams of ours instead (HANDSHAKE_TO_*), each
# read by the other end, so that its sockets hold what a DTLS pair's do: what any extension peer that
# makes this handshake through Godot's sockets keeps per pair before any state of its own.
# Returns KiB per pair, or -1 on failure.
extends RefCounted

const Impls = preload("res://impls.gd")
const Listener = preload("res://listener.gd")
const Stats = preload("res://stats.gd")

const WARMUP := 16
# The datagrams of the addon's handshake with the bench's ECDSA certificate (make-certs.sh), as sent on
# 127.0.0.1: to the client the HelloVerifyRequest, the server's flight, its ChangeCipherSpec+Finished;
# to the server's peer the second ClientHello and the client's flight (the first ClientHello went to a
# peer the server dropped; the floor's 1-byte hello stands for it).
const HANDSHAKE_TO_CLIENT := [60, 736, 75]
const HANDSHAKE_TO_SERVER := [210, 133]


static func run(kind: String, key: CryptoKey, cert: X509Certificate, pairs: int, batch: int) -> float:
	var listener := Listener.new(kind, key, cert, pairs + WARMUP + batch)
	if listener.error != "":
		printerr("memory bench: ", listener.error)
		return -1.0
	var held := []  # clients and server peers, all kept alive until the end
	if not _establish(listener, cert, WARMUP, batch, held):
		return -1.0
	var before := Stats.rss_kib()
	var t0 := Time.get_ticks_msec()
	if not _establish(listener, cert, pairs, batch, held):
		return -1.0
	var after := Stats.rss_kib()
	print("   %s: %d pairs in %d ms, VmRSS %d -> %d KiB" % [kind, pairs, Time.get_ticks_msec() - t0, before, after])
	held.clear()
	listener.stop()
	return float(after - before) / pairs


# Brings `count` new pairs to connected, appending clients and server peers to held.
static func _establish(listener: Listener, cert: X509Certificate, count: int, batch: int, held: Array) -> bool:
	var dtls := Impls.is_dtls(listener.kind)
	var traffic := listener.kind == Impls.FLOOR
	var first := held.size()
	var unread := 0  # floor: handshake-shaped datagrams sent and not yet read
	var dialled := 0
	var clients := []  # still handshaking
	var servers := []  # still handshaking
	var done_clients := 0
	var done_servers := 0
	var deadline := Time.get_ticks_msec() + 60_000
	while done_clients < count or done_servers < count or unread > 0:
		if Time.get_ticks_msec() > deadline:
			printerr("memory bench: %s: only %d/%d pairs connected, %d handshake-shaped datagrams unread" % [listener.kind, done_servers, count, unread])
			return false
		while dialled < count and dialled - mini(done_clients, done_servers) < batch:
			var c = Impls.dial(listener.kind, listener.port, cert)
			if c == null:
				printerr("memory bench: dial failed")
				return false
			dialled += 1
			if traffic:
				unread += _send(c, HANDSHAKE_TO_SERVER)
			clients.append(c)
		if dtls:
			for c in clients:
				c.poll()
		var accepted := listener.accept()
		if traffic:
			for s in accepted:
				unread += _send(s, HANDSHAKE_TO_CLIENT)
			unread -= _read_all(held, first)
		servers.append_array(accepted)
		if dtls:
			for s in servers:
				s.poll()
		done_clients += _move_connected(clients, held, dtls)
		done_servers += _move_connected(servers, held, dtls)
	return true


# Moves connected peers (all of them for plain) from pending to held; returns how many.
static func _move_connected(pending: Array, held: Array, dtls: bool) -> int:
	var keep := []
	var moved := 0
	for p in pending:
		if not dtls or p.get_status() == Impls.CONNECTED:
			held.append(p)
			moved += 1
		else:
			keep.append(p)
	pending.assign(keep)
	return moved


# Sends datagrams of the given sizes through peer; returns how many.
static func _send(peer: Object, sizes: Array) -> int:
	for n in sizes:
		var data := PackedByteArray()
		data.resize(n)
		peer.put_packet(data)
	return sizes.size()


# Polls the peers of held from index first on and reads every packet they have; returns how many.
static func _read_all(held: Array, first: int) -> int:
	var read := 0
	for i in range(first, held.size()):
		var p: Object = held[i]
		p.poll()
		while p.get_available_packet_count() > 0:
			p.get_packet()
			read += 1
	return read
