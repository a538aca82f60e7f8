# dtls_pair.gd for the addon's feature tests: the caller makes and configures both ends (tuning properties,
# PSK, client certificates, ALPN, SRTP) before they start, then uses Pair's poll/handshake/settle/receive.
#   var pair := FeaturePair.new()
#   pair.listen_with(server)                    # an OpenSSLDTLSServer (or DTLSServer) already set up
#   var udp := pair.new_udp()                   # a PacketPeerUDP connected to the server (or its relay)
#   pair.add_peer(client, client.connect_to_peer(udp, ...), udp)
extends "res://tests/dtls_pair.gd"


func _init() -> void:
	super("ours")


## Listens on an ephemeral 127.0.0.1 port with p_server (already set up); returns an error code.
func listen_with(p_server: Object) -> int:
	server = p_server
	var err := udp_server.listen(0, "127.0.0.1")
	port = udp_server.get_local_port()
	return err


## A PacketPeerUDP connected to the server (or to the relay, after use_relay()).
func new_udp() -> PacketPeerUDP:
	var udp := PacketPeerUDP.new()
	udp.connect_to_host("127.0.0.1", relay.port if relay != null else port)
	return udp


## Registers a client whose connect call (over udp from new_udp()) returned connect_error; returns the client.
func add_peer(client: Object, connect_error: int, udp: PacketPeerUDP) -> Object:
	last_connect_error = connect_error
	clients.append(client)
	client_udps.append(udp)
	return client


## Polls until client i and its server peer (if the server kept one) have both left STATUS_HANDSHAKING and
## the server kept a peer for it, or only the client has (the server never kept one), or max_ms pass.
func settle_any(h, i := 0, max_ms := 5000) -> bool:
	return h.poll_until(poll, settled.bind(i), max_ms)


## Sends a packet each way over pair i and checks both arrive intact.
func check_data_both_ways(h, i := 0, what := "") -> void:
	var c: Object = clients[i]
	var s: Object = server_peers[i]
	var up: PackedByteArray = h.pattern(100, 1 + i)
	var down: PackedByteArray = h.pattern(200, 2 + i)
	h.check_eq(c.put_packet(up), OK, "%sclient put_packet" % what)
	h.check_eq(receive(h, s), up, "%sserver receives the client's packet" % what)
	h.check_eq(s.put_packet(down), OK, "%sserver put_packet" % what)
	h.check_eq(receive(h, c), down, "%sclient receives the server's packet" % what)
