# The server side of one implementation on 127.0.0.1: a UDPServer plus (for DTLS) the DTLS server object,
# and establish(): bringing one dialled client to a connected session with client and server polled in the
# same loop, the cookie round included.
extends RefCounted

const Impls = preload("res://impls.gd")

var kind: String
var udp_server := UDPServer.new()
var server: Object  ## DTLSServer / OpenSSLDTLSServer; null for plain
var port := 0
var error := ""  ## set when construction failed


func _init(p_kind: String, key: CryptoKey, cert: X509Certificate, max_pending := 16) -> void:
	kind = p_kind
	if Impls.is_dtls(kind):
		server = Impls.new_server(kind, key, cert)
		if server == null:
			error = "%s server setup failed" % kind
			return
	udp_server.set_max_pending_connections(max_pending)
	if udp_server.listen(0, "127.0.0.1") != OK:
		error = "UDPServer.listen failed"
	port = udp_server.get_local_port()


## Polls the UDPServer and returns the server-side peers of new connections: for DTLS the peers that
## take_connection returns in STATUS_HANDSHAKING (cookie-round peers are dropped), for plain the
## PacketPeerUDPs (their first datagram, the client's hello, consumed), for floor those wrapped.
func accept() -> Array:
	var out := []
	udp_server.poll()
	while udp_server.is_connection_available():
		var udp: PacketPeerUDP = udp_server.take_connection()
		if server == null:
			udp.get_packet()
			out.append(Impls.as_peer(kind, udp))
		else:
			var peer = server.take_connection(udp)
			if peer.get_status() == Impls.HANDSHAKING:
				out.append(peer)
	return out


## Polls client and server until both are connected; returns the server-side peer, or null after max_usec.
func establish(client, max_usec := 5_000_000) -> Object:
	var deadline := Time.get_ticks_usec() + max_usec
	var peer = null
	while Time.get_ticks_usec() < deadline:
		if server == null:
			var got := accept()
			if not got.is_empty():
				return got[0]
			continue
		client.poll()
		for p in accept():
			peer = p
		if peer != null:
			peer.poll()
			if peer.get_status() == Impls.CONNECTED and client.get_status() == Impls.CONNECTED:
				return peer
	return null


## Ends a session without leaving datagrams behind: the client says goodbye, the server peer reads it
## (answering into the client's still-open socket), and only then is everything dropped. This keeps the
## built-in server from meeting a late close_notify as a new connection (its "-30464" error) later on.
func close_session(client, peer) -> void:
	if client == null or peer == null or server == null:
		return
	client.disconnect_from_peer()
	var deadline := Time.get_ticks_usec() + 1_000_000
	while peer.get_status() == Impls.CONNECTED and Time.get_ticks_usec() < deadline:
		udp_server.poll()
		peer.poll()


func stop() -> void:
	udp_server.stop()
