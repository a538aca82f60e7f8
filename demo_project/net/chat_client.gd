## Chat client: a PacketPeerUDP plus OpenSSLPacketPeerDTLS. Call poll() every frame; it reports
## status changes, chat lines and ping round-trip times through signals.
class_name ChatClient
extends RefCounted

signal log_line(text: String)
signal status_changed(status: int, message: String)
signal chat_received(text: String)
signal pong(rtt_usec: int)

var dtls := OpenSSLPacketPeerDTLS.new()
var _udp := PacketPeerUDP.new()
var _status := -1


func connect_to(address: String, port: int, hostname: String, validate: bool, trusted: X509Certificate) -> Error:
	var err := _udp.connect_to_host(address, port)
	if err != OK:
		return err
	err = dtls.connect_to_peer(_udp, validate, hostname, trusted)
	if err == OK:
		log_line.emit("Connecting to %s:%d as \"%s\" (validate certificates: %s)" % [address, port, hostname, validate])
	return err


func disconnect_from_server() -> void:
	dtls.disconnect_from_peer()
	_udp.close()
	poll()


func is_connected_to_server() -> bool:
	return dtls.get_status() == OpenSSLPacketPeerDTLS.STATUS_CONNECTED


func send_chat(text: String) -> Error:
	return dtls.put_var({"type": "chat", "text": text})


func ping() -> Error:
	return dtls.put_var({"type": "ping", "t": Time.get_ticks_usec()})


func poll() -> void:
	dtls.poll()
	var status := dtls.get_status()
	if status != _status:
		_status = status
		status_changed.emit(status, dtls.get_error_message())
	while dtls.get_available_packet_count() > 0:
		var message = dtls.get_var()
		if typeof(message) != TYPE_DICTIONARY:
			continue
		match message.get("type"):
			"chat":
				chat_received.emit(str(message.get("text", "")))
			"pong":
				pong.emit(Time.get_ticks_usec() - int(message.get("t", 0)))
