# OpenSSLDTLSMultiplayerPeer.get_peer_statistics(id), what a game's ping display reads: through lossy_relay.gd
# dropping 15 % of the datagrams each way (seeded), while the client streams unreliable RPCs, each end reports
# the loss it sees on what the other sent within 4 points of what the relay actually dropped in that direction;
# a round trip and its variation once a ping came back; bytes per second each way after a second; the session's
# totals agreeing with the relay's counts; nothing queued once all is acknowledged; an unknown id gives an empty
# Dictionary and one message.
# requires-addon
# expect-error: OpenSSLDTLSMultiplayerPeer.get_peer_statistics: no connected peer has id 999
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const World = preload("res://tests/mp_world.gd")

const KEYS := ["round_trip_time", "round_trip_time_variance", "packet_loss", "bytes_sent_per_second",
	"bytes_received_per_second", "queued_bytes", "datagrams_sent", "datagrams_received", "bytes_sent", "bytes_received"]

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	await process_frame  # RPC targets must be in the tree
	var w := World.new(self)
	if not h.check(w.start_server() and w.add_client({"relay": true, "relay_seed": 7}) == 0 and w.connect_all(),
			"connected through the relay (%s)" % w.peers.last_error_text):
		return true
	var server_peer = w.server.multiplayer_peer
	var client_peer = w.clients[0].multiplayer_peer
	var id := w.clients[0].get_unique_id()

	h.section("before any loss")
	var s: Dictionary = server_peer.get_peer_statistics(id)
	h.check_eq(s.keys(), KEYS, "the keys")
	h.check(w.wait(func(): return client_peer.get_peer_statistics(1).round_trip_time > 0.0),
		"the client knows the round trip soon after connecting")
	var c: Dictionary = client_peer.get_peer_statistics(1)
	h.check(c.round_trip_time > 0.0 and c.round_trip_time < 1000.0, "a plausible round trip (%.2f ms)" % c.round_trip_time)
	h.check(c.round_trip_time_variance >= 0.0, "its variation (%.2f ms)" % c.round_trip_time_variance)
	h.check_eq(c.packet_loss, 0.0, "no loss seen yet")

	h.section("15 % of the datagrams dropped each way")
	var relay = w.relays[0]
	relay.set_rates(0.15, 0.0, 0.0)
	relay.lossy = true
	var start := Time.get_ticks_msec()
	var sent := 0
	# Unreliable RPCs, one per poll, for at least 1.2 s (the rates are taken over whole seconds) and 1,500 RPCs.
	while sent < 1500 or Time.get_ticks_msec() - start < 1200:
		w.probe(0).seq_unreliable.rpc_id(1, sent)
		sent += 1
		w.poll()
	relay.lossy = false
	var up: Dictionary = relay.counts["to_server"]
	var down: Dictionary = relay.counts["to_client"]
	var dropped_up: float = float(up.dropped) / up.received
	var dropped_down: float = float(down.dropped) / down.received
	s = server_peer.get_peer_statistics(id)
	c = client_peer.get_peer_statistics(1)
	h.note("relay dropped %.1f %% to the server (%d of %d), %.1f %% to the client (%d of %d)" % [
		dropped_up * 100, up.dropped, up.received, dropped_down * 100, down.dropped, down.received])
	h.check(absf(s.packet_loss - dropped_up) <= 0.04,
		"the server sees %.1f %% loss on what the client sent" % (s.packet_loss * 100))
	h.check(absf(c.packet_loss - dropped_down) <= 0.04,
		"the client sees %.1f %% loss on what the server sent" % (c.packet_loss * 100))
	h.check(c.bytes_sent_per_second > 1000.0 and s.bytes_received_per_second > 1000.0,
		"bytes per second: client sends %.0f, server receives %.0f" % [c.bytes_sent_per_second, s.bytes_received_per_second])
	h.check(c.datagrams_sent >= up.received and s.datagrams_received <= up.received - up.dropped + 2,
		"the totals agree with the relay's counts (client sent %d, relay got %d; server received %d)" % [
			c.datagrams_sent, up.received, s.datagrams_received])

	h.section("queued bytes")
	for i in 20:
		w.probe(0).seq_reliable.rpc_id(1, i)
	h.check(client_peer.get_peer_statistics(1).queued_bytes > 0, "reliable RPCs wait for their acknowledgement")
	h.check(w.wait(func(): return client_peer.get_peer_statistics(1).queued_bytes == 0), "none once acknowledged")

	h.section("misuse")
	var got: Array = [null]
	h.check_one_error(func(): got[0] = server_peer.get_peer_statistics(999), "no connected peer has id 999",
		"an unknown id: one message")
	h.check(got[0] is Dictionary and got[0].is_empty(), "and an empty Dictionary")
	w.close()
	return true
