# IPv6 for the packet peer and its server (Godot's own sockets underneath): our client and our server over ::1;
# a server listening on "*" taking an IPv6 client and an IPv4 client at once, each connected and exchanging
# packets both ways; Godot's built-in client over ::1 to our server, and our client over ::1 to the built-in
# server.
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")

var h := Harness.new(self)
var id


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	id = OpenSSLDTLSCertificates.generate_self_signed(["localhost"])
	_pair("ours", [["ours", "::1"]], "::1")
	_pair("ours", [["ours", "::1"], ["ours", "127.0.0.1"]], "*")
	_pair("ours", [["builtin", "::1"]], "::1")
	_pair("builtin", [["ours", "::1"]], "::1")
	return true


## A server of server_impl on bind_address and one client per [impl, address], each connected in turn and
## exchanging a packet each way.
func _pair(server_impl: String, clients: Array, bind_address: String) -> void:
	h.section("%s server on %s; clients %s" % [server_impl, bind_address, clients])
	var p := Pair.new(server_impl)
	if not h.check_eq(p.listen(id.key, id.certificate, bind_address), OK, "listens on %s" % bind_address):
		return
	for i in clients.size():
		p.client_address = clients[i][1]
		var client: Object = p.add_client(clients[i][0], true, "localhost", id.certificate)
		h.check_eq(p.last_connect_error, OK, "client %d (%s over %s) dials" % [i, clients[i][0], clients[i][1]])
		if not h.check(p.handshake(h, i), "client %d connected" % i):
			continue
		var server: Object = p.server_peers[i]
		client.put_packet(Harness.pattern(300, i))
		h.check_eq(p.receive(h, server), Harness.pattern(300, i), "client %d to server" % i)
		server.put_packet(Harness.pattern(400, i))
		h.check_eq(p.receive(h, client), Harness.pattern(400, i), "server to client %d" % i)
	p.close()
