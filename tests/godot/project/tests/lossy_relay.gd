# A lossy UDP relay on 127.0.0.1 between one client and a server, for the multiplayer tests and benchmark: the
# client sends to `port`, the relay forwards each datagram to the server from its own socket and the server's
# answers back, and on the way (each direction alike, with one seeded RandomNumberGenerator, so a run is
# repeatable for a given sequence of datagrams) it
#   drops a datagram with probability drop_rate,
#   duplicates one (sends it twice) with probability duplicate_rate,
#   reorders one with probability reorder_rate: holds it back and sends it after the next datagram in that
#   direction, or after hold_usec when no other one comes (checked in poll(), no sleeping).
# Loss applies only while `lossy` is true (a test connects first, then turns it on); counts say what it did.
# close() drops the sockets: the client's network "vanishes". Polled by its owner (mp_world.gd), like
# udp_relay.gd, which stays the recording relay of the packet-level tests.
extends RefCounted

var port := 0  ## where the client sends
var lossy := true  ## false: forward everything untouched (counted in forwarded only)
var drop_rate := 0.18
var duplicate_rate := 0.04
var reorder_rate := 0.04
var hold_usec := 20_000  ## longest a reordered datagram waits for a successor
## true: forwards at most one datagram per direction per poll(), the others wait in order (a receiver polled
## between relay polls then reads each datagram in a poll of its own)
var one_per_poll := false
## What happened, per direction ("to_server", "to_client"): datagrams received, forwarded (sent, duplicates
## counted once), dropped, duplicated, reordered.
var counts := {}
var closed := false

var _downstream := PacketPeerUDP.new()  # bound; talks to the client
var _upstream := PacketPeerUDP.new()  # connected to the server
var _client_ip := ""
var _client_port := 0
var _rng := RandomNumberGenerator.new()
var _held := {}  # direction -> [datagram, release time in usec]
var _waiting := {"to_server": [], "to_client": []}  # one_per_poll: datagrams not forwarded yet, in order


func _init(server_port: int, seed := 1, server_address := "127.0.0.1") -> void:
	_rng.seed = seed
	_downstream.bind(0, "127.0.0.1")
	port = _downstream.get_local_port()
	_upstream.connect_to_host(server_address, server_port)
	for dir in ["to_server", "to_client"]:
		counts[dir] = {"received": 0, "forwarded": 0, "dropped": 0, "duplicated": 0, "reordered": 0}


## Sets the three rates at once (e.g. set_rates(0.15, 0, 0) for plain 15 % loss).
func set_rates(drop: float, duplicate: float, reorder: float) -> void:
	drop_rate = drop
	duplicate_rate = duplicate
	reorder_rate = reorder


## Forwards (or drops, duplicates, holds back) everything waiting, both ways; releases overdue held datagrams.
func poll() -> void:
	if closed:
		return
	while _downstream.get_available_packet_count() > 0:
		var d := _downstream.get_packet()
		_client_ip = _downstream.get_packet_ip()
		_client_port = _downstream.get_packet_port()
		_waiting["to_server"].append(d)
	while _upstream.get_available_packet_count() > 0:
		_waiting["to_client"].append(_upstream.get_packet())
	for dir in _waiting:
		var q: Array = _waiting[dir]
		for i in (mini(1, q.size()) if one_per_poll else q.size()):
			_pass(dir, q.pop_front())
	var now := Time.get_ticks_usec()
	for dir in _held.keys():
		if now >= _held[dir][1]:
			var d: PackedByteArray = _held[dir][0]
			_held.erase(dir)
			_send(dir, d)


## The sum of one count over both directions.
func total(what: String) -> int:
	return counts["to_server"][what] + counts["to_client"][what]


## One line for a test's log: what the relay did.
func summary() -> String:
	var parts := []
	for dir in counts:
		var c: Dictionary = counts[dir]
		parts.append("%s: %d received, %d dropped, %d duplicated, %d reordered" % [dir, c.received, c.dropped, c.duplicated, c.reordered])
	return "; ".join(parts)


func close() -> void:
	closed = true
	_held.clear()
	for dir in _waiting:
		_waiting[dir].clear()
	_downstream.close()
	_upstream.close()


func _pass(dir: String, d: PackedByteArray) -> void:
	var c: Dictionary = counts[dir]
	c.received += 1
	if not lossy:
		_send(dir, d)
		_release(dir)
		return
	if _rng.randf() < drop_rate:
		c.dropped += 1
		return
	if not _held.has(dir) and _rng.randf() < reorder_rate:
		c.reordered += 1
		_held[dir] = [d, Time.get_ticks_usec() + hold_usec]
		return
	_send(dir, d)
	if _rng.randf() < duplicate_rate:
		c.duplicated += 1
		_send(dir, d, false)
	_release(dir)


# A held datagram goes out after the one that overtook it.
func _release(dir: String) -> void:
	if _held.has(dir):
		var d: PackedByteArray = _held[dir][0]
		_held.erase(dir)
		_send(dir, d)


func _send(dir: String, d: PackedByteArray, count := true) -> void:
	if count:
		counts[dir].forwarded += 1
	if dir == "to_server":
		_upstream.put_packet(d)
	elif _client_port != 0:
		_downstream.set_dest_address(_client_ip, _client_port)
		_downstream.put_packet(d)
