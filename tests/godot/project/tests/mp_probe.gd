# The RPC target of the multiplayer tests and benchmark: a Node at the same path under each SceneMultiplayer's
# root (mp_world.gd puts one at <root>/Probe), whose RPCs record what arrived with
# multiplayer.get_remote_sender_id(). Each mode/channel has its own method (an RPC's mode and channel are fixed
# by its annotation): got[method] is an Array of [sender id, value] in arrival order.
extends Node

var got := {}
var pongs := 0  ## pong() calls received (the benchmark's round trips)
var auto_pong := true  ## ping() answers the sender with pong()


func received(method: String) -> Array:
	return got.get(method, [])


## The values that arrived for method, in order.
func values(method: String) -> Array:
	return received(method).map(func(e): return e[1])


## The senders of what arrived for method, in order.
func senders(method: String) -> Array:
	return received(method).map(func(e): return e[0])


func clear() -> void:
	got.clear()
	pongs = 0


func _record(method: String, value: Variant) -> void:
	if not got.has(method):
		got[method] = []
	got[method].append([multiplayer.get_remote_sender_id(), value])


@rpc("any_peer", "call_remote", "reliable")
func hello(text: String) -> void:
	_record("hello", text)


@rpc("any_peer", "call_remote", "reliable")
func seq_reliable(n: int) -> void:
	_record("seq_reliable", n)


@rpc("any_peer", "call_remote", "reliable", 1)
func seq_reliable_ch1(n: int) -> void:
	_record("seq_reliable_ch1", n)


@rpc("any_peer", "call_remote", "unreliable")
func seq_unreliable(n: int) -> void:
	_record("seq_unreliable", n)


@rpc("any_peer", "call_remote", "unreliable_ordered")
func seq_ordered(n: int) -> void:
	_record("seq_ordered", n)


@rpc("any_peer", "call_remote", "unreliable_ordered", 2)
func seq_ordered_ch2(n: int) -> void:
	_record("seq_ordered_ch2", n)


@rpc("any_peer", "call_remote", "reliable")
func blob(data: PackedByteArray) -> void:
	_record("blob", data)


@rpc("any_peer", "call_remote", "reliable")
func ping(n: int) -> void:
	if auto_pong:
		pong.rpc_id(multiplayer.get_remote_sender_id(), n)
	else:
		_record("ping", n)


@rpc("any_peer", "call_remote", "reliable")
func pong(_n: int) -> void:
	pongs += 1


## Frame round trips (test_multiplayer_frames.gd, mp_bench.gd): a ping in each transfer mode, answered at once
## from its handler with a pong in the same mode; the pong records the frame (Engine.get_process_frames()) it
## arrived in, by token, in pong_frames.
var pong_frames := {}


@rpc("any_peer", "call_remote", "reliable")
func frame_ping_reliable(token: int) -> void:
	frame_pong_reliable.rpc_id(multiplayer.get_remote_sender_id(), token)


@rpc("any_peer", "call_remote", "reliable")
func frame_pong_reliable(token: int) -> void:
	pong_frames[token] = Engine.get_process_frames()


@rpc("any_peer", "call_remote", "unreliable")
func frame_ping_unreliable(token: int) -> void:
	frame_pong_unreliable.rpc_id(multiplayer.get_remote_sender_id(), token)


@rpc("any_peer", "call_remote", "unreliable")
func frame_pong_unreliable(token: int) -> void:
	pong_frames[token] = Engine.get_process_frames()


@rpc("any_peer", "call_remote", "unreliable_ordered")
func frame_ping_unreliable_ordered(token: int) -> void:
	frame_pong_unreliable_ordered.rpc_id(multiplayer.get_remote_sender_id(), token)


@rpc("any_peer", "call_remote", "unreliable_ordered")
func frame_pong_unreliable_ordered(token: int) -> void:
	pong_frames[token] = Engine.get_process_frames()


## Link benchmark (bench/godot/project/mp_links.gd): state updates stamped with Time.get_ticks_usec() when sent
## (server and client share the process's clock), and pings answered on another channel; microseconds, in
## arrival order.
var state_latencies: Array[int] = []
var ping_round_trips: Array[int] = []


@rpc("any_peer", "call_remote", "unreliable")
func link_state(sent_usec: int, _state: PackedByteArray) -> void:
	state_latencies.append(Time.get_ticks_usec() - sent_usec)


@rpc("any_peer", "call_remote", "reliable", 1)
func link_ping(sent_usec: int) -> void:
	link_pong.rpc_id(multiplayer.get_remote_sender_id(), sent_usec)


@rpc("any_peer", "call_remote", "reliable", 1)
func link_pong(sent_usec: int) -> void:
	ping_round_trips.append(Time.get_ticks_usec() - sent_usec)
