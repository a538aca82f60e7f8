# A DTLS server on 127.0.0.1 (UDPServer + DTLS server object) and its clients, for any mix of
# implementations (see dtls_impl.gd). poll() drives everything once; connections are taken the way
# Godot's docs say: a peer that take_connection returns in a status other than STATUS_HANDSHAKING (the
# cookie round) is dropped, and its status recorded in dropped_statuses. With use_relay(), clients talk to
# the server through a udp_relay.gd (to count or inject datagrams).
extends RefCounted

const Impl = preload("res://tests/dtls_impl.gd")
const Relay = preload("res://tests/udp_relay.gd")
const HANDSHAKING := PacketPeerDTLS.STATUS_HANDSHAKING
const CONNECTED := PacketPeerDTLS.STATUS_CONNECTED

var server_impl: String
var udp_server := UDPServer.new()
var server: Object  ## DTLSServer or OpenSSLDTLSServer
var port := 0
var clients: Array = []  ## client DTLS peers, in the order add_client made them
var client_udps: Array = []  ## their PacketPeerUDPs, same order
var relay: Relay = null  ## set by use_relay()
var server_peers: Array = []  ## server-side DTLS peers kept (returned in STATUS_HANDSHAKING), in order
var dropped_statuses: Array = []  ## statuses of the peers take_connection returned and we dropped
var dropped_peers: Array = []  ## those peers (kept referenced, for inspection)
var taken_statuses: Array = []  ## status of every peer take_connection returned, kept or dropped, in order
var last_connect_error := OK  ## what the last add_client's connect_to_peer returned
var client_address := "127.0.0.1"  ## where add_client's new PacketPeerUDPs dial the server (without a relay)


func _init(p_server_impl: String) -> void:
	server_impl = p_server_impl


## Listens on an ephemeral port of bind_address ("*": every address, IPv6 and IPv4) with a server of server_impl;
## returns an error code.
func listen(key: CryptoKey, cert: X509Certificate, bind_address := "127.0.0.1") -> int:
	server = Impl.new_server(server_impl, key, cert)
	if server == null:
		return FAILED
	var err := udp_server.listen(0, bind_address)
	port = udp_server.get_local_port()
	return err


## Puts a UDP relay between the clients added from now on and the server (after listen()); returns it.
func use_relay() -> Relay:
	relay = Relay.new(port)
	return relay


## Makes a client of client_impl and starts its handshake; returns it (connect error in last_connect_error).
## udp: the PacketPeerUDP to use, or null for a new one connected to the server (or the relay).
func add_client(client_impl: String, validate := false, hostname := "localhost",
		trusted: X509Certificate = null, udp: PacketPeerUDP = null) -> Object:
	if udp == null:
		udp = PacketPeerUDP.new()
		udp.connect_to_host(client_address if relay == null else "127.0.0.1", relay.port if relay != null else port)
	var client := Impl.new_client(client_impl)
	last_connect_error = Impl.connect_client(client_impl, client, udp, validate, hostname, trusted)
	clients.append(client)
	client_udps.append(udp)
	return client


## One round: every client polls, the UDP server moves datagrams and hands over new connections, every
## kept server peer polls.
func poll() -> void:
	for c in clients:
		c.poll()
	if relay != null:
		relay.poll()
	udp_server.poll()
	while udp_server.is_connection_available():
		var peer: Object = server.take_connection(udp_server.take_connection())
		taken_statuses.append(peer.get_status())
		if peer.get_status() == HANDSHAKING:
			server_peers.append(peer)
		else:
			dropped_statuses.append(peer.get_status())
			dropped_peers.append(peer)
	for s in server_peers:
		s.poll()


## Client i and the i-th kept server peer are both STATUS_CONNECTED (clients connect one at a time).
func connected(i := 0) -> bool:
	return clients.size() > i and server_peers.size() > i \
		and clients[i].get_status() == CONNECTED and server_peers[i].get_status() == CONNECTED


## Polls until pair i is connected or max_ms pass; returns whether it connected.
func handshake(h, i := 0, max_ms := 5000) -> bool:
	return h.poll_until(poll, connected.bind(i), max_ms)


## Client i has left STATUS_HANDSHAKING, and so has its server peer (when the server kept one).
func settled(i := 0) -> bool:
	return clients.size() > i and clients[i].get_status() != HANDSHAKING \
		and (server_peers.size() <= i or server_peers[i].get_status() != HANDSHAKING)


## Polls until pair i has settled (see settled()) and the server kept a peer for it, or max_ms pass.
func settle(h, i := 0, max_ms := 5000) -> bool:
	return h.poll_until(poll, func(): return server_peers.size() > i and settled(i), max_ms)


## Polls until peer's status leaves STATUS_HANDSHAKING (or CONNECTED if already there) or max_ms pass.
func wait_status_change(h, peer: Object, max_ms := 5000) -> bool:
	var start: int = peer.get_status()
	return h.poll_until(poll, func(): return peer.get_status() != start, max_ms)


## Polls until peer has a packet to read or max_ms pass; returns the packet, or an empty array.
func receive(h, peer: Object, max_ms := 2000) -> PackedByteArray:
	if h.poll_until(poll, func(): return peer.get_available_packet_count() > 0, max_ms):
		return peer.get_packet()
	return PackedByteArray()


## Polls until peer has a packet to read or max_ms pass; returns peer.get_var(), or the string
## "<nothing received>".
func receive_var(h, peer: Object, max_ms := 2000) -> Variant:
	if h.poll_until(poll, func(): return peer.get_available_packet_count() > 0, max_ms):
		return peer.get_var()
	return "<nothing received>"


## Disconnects everyone and stops listening.
func close() -> void:
	for p in clients + server_peers:
		p.disconnect_from_peer()
	clients.clear()
	client_udps.clear()
	server_peers.clear()
	if relay != null:
		relay.close()
	udp_server.stop()
