# A UDP relay on 127.0.0.1 between one client and a server: the client connects to `port`, the relay
# forwards each datagram to the server from its own socket, and the server's answers back. It records every
# datagram it forwards, and can inject datagrams that the client (or the server) accepts as coming from its
# peer: the client's PacketPeerUDP is connected to the relay's address, and the server's UDPServer maps the
# relay's upstream address to the client's connection. Polled by dtls_pair.gd (Pair.use_relay()).
extends RefCounted

var port := 0  ## where clients send
var to_server: Array[PackedByteArray] = []  ## every datagram forwarded client -> server, in order
var to_client: Array[PackedByteArray] = []  ## every datagram forwarded server -> client, in order

var _downstream := PacketPeerUDP.new()  # bound; talks to the client
var _upstream := PacketPeerUDP.new()  # connected to the server
var _client_ip := ""
var _client_port := 0


func _init(server_port: int) -> void:
	_downstream.bind(0, "127.0.0.1")
	port = _downstream.get_local_port()
	_upstream.connect_to_host("127.0.0.1", server_port)


## Forwards everything waiting, both ways.
func poll() -> void:
	while _downstream.get_available_packet_count() > 0:
		var d := _downstream.get_packet()
		_client_ip = _downstream.get_packet_ip()
		_client_port = _downstream.get_packet_port()
		to_server.append(d)
		_upstream.put_packet(d)
	while _upstream.get_available_packet_count() > 0:
		var d := _upstream.get_packet()
		to_client.append(d)
		send_to_client(d)


## Sends a datagram to the client as if from the server (after the client has sent something).
func send_to_client(datagram: PackedByteArray) -> int:
	if _client_port == 0:
		return ERR_UNCONFIGURED
	_downstream.set_dest_address(_client_ip, _client_port)
	return _downstream.put_packet(datagram)


## Sends a datagram to the server as if from the client.
func send_to_server(datagram: PackedByteArray) -> int:
	return _upstream.put_packet(datagram)


func close() -> void:
	_downstream.close()
	_upstream.close()
