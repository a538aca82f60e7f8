## Chat server: a UDPServer plus OpenSSLDTLSServer. Relays chat lines to every client and answers
## pings. Call poll() every frame.
class_name ChatServer
extends RefCounted

signal log_line(text: String)

var _udp := UDPServer.new()
var _dtls := OpenSSLDTLSServer.new()
var _peers: Array[OpenSSLPacketPeerDTLS] = []
var _statuses := {}


func start(port: int, key: CryptoKey, certificate: X509Certificate, bind_address := "*") -> Error:
	var err := _dtls.setup(key, certificate)
	if err != OK:
		return err
	err = _udp.listen(port, bind_address)
	if err == OK:
		log_line.emit("Server listening on UDP port %d" % port)
	return err


func stop() -> void:
	for peer in _peers:
		peer.disconnect_from_peer()
	_peers.clear()
	_udp.stop()


func client_count() -> int:
	return _peers.filter(func(p): return p.get_status() == OpenSSLPacketPeerDTLS.STATUS_CONNECTED).size()


func poll() -> void:
	_udp.poll()
	while _udp.is_connection_available():
		var udp_peer := _udp.take_connection()
		var peer := _dtls.take_connection(udp_peer)
		# The first ClientHello only gets a cookie: that peer is dropped, the client comes back.
		if peer.get_status() == OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING:
			_peers.append(peer)
			log_line.emit("Client %s:%d handshaking" % [udp_peer.get_packet_ip(), udp_peer.get_packet_port()])
	for peer: OpenSSLPacketPeerDTLS in _peers.duplicate():
		peer.poll()
		var status := peer.get_status()
		if _statuses.get(peer) != status:
			_statuses[peer] = status
			log_line.emit("Server side of a client: %s %s" % [DtlsStatus.name_of(status), peer.get_error_message()])
		while peer.get_available_packet_count() > 0:
			_handle(peer, peer.get_var())
		if status != OpenSSLPacketPeerDTLS.STATUS_CONNECTED and status != OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING:
			_peers.erase(peer)
			_statuses.erase(peer)


func _handle(from: OpenSSLPacketPeerDTLS, message: Variant) -> void:
	if typeof(message) != TYPE_DICTIONARY:
		return
	match message.get("type"):
		"ping":
			from.put_var({"type": "pong", "t": message.get("t", 0)})
		"chat":
			var text := str(message.get("text", ""))
			log_line.emit("Server relays: %s" % text)
			for peer in _peers:
				if peer.get_status() == OpenSSLPacketPeerDTLS.STATUS_CONNECTED:
					peer.put_var({"type": "chat", "text": text})
