# The memory benchmark: process RSS (VmRSS) grown per established, idle client+server pair. A few
# warm-up pairs are made and kept first (one-off allocations, library init), then `pairs` more, at most
# `batch` handshaking at once; all are held while RSS is read. Meant to run in a fresh process per
# implementation: memory freed by an earlier run would be reused and hide growth.
# Returns KiB per pair, or -1 on failure.
extends RefCounted

const Impls = preload("res://impls.gd")
const Listener = preload("res://listener.gd")
const Stats = preload("res://stats.gd")

const WARMUP := 16


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
	var dialled := 0
	var clients := []  # still handshaking
	var servers := []  # still handshaking
	var done_clients := 0
	var done_servers := 0
	var deadline := Time.get_ticks_msec() + 60_000
	while done_clients < count or done_servers < count:
		if Time.get_ticks_msec() > deadline:
			printerr("memory bench: %s: only %d/%d pairs connected" % [listener.kind, done_servers, count])
			return false
		while dialled < count and dialled - mini(done_clients, done_servers) < batch:
			var c = Impls.dial(listener.kind, listener.port, cert)
			if c == null:
				printerr("memory bench: dial failed")
				return false
			dialled += 1
			clients.append(c)
		if dtls:
			for c in clients:
				c.poll()
		servers.append_array(listener.accept())
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
