# get_statistics() against a count taken on the wire: our client and our server through udp_relay.gd, which
# records every datagram each way. After the handshake and ten packets each way, the client's datagrams and bytes
# sent and received are the relay's counts; the server peer's are the same less the two datagrams the server
# answered before the session existed (the first ClientHello, answered statelessly with a HelloVerifyRequest):
# its count starts with the ClientHello that carried the cookie, and includes the client's final flight (it
# used to count only that flight: 1 datagram of the 3 the client sent).
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const Pair = preload("res://tests/dtls_pair.gd")

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _sum(datagrams: Array[PackedByteArray]) -> int:
	var n := 0
	for d in datagrams:
		n += d.size()
	return n


func _body() -> bool:
	var id = OpenSSLDTLSCertificates.generate_self_signed(["localhost"])
	var p := Pair.new("ours")
	if not h.check_eq(p.listen(id.key, id.certificate), OK, "listens"):
		return true
	var relay := p.use_relay()
	var client: Object = p.add_client("ours")
	if not h.check(p.handshake(h), "connected through the relay"):
		return true
	var server: Object = p.server_peers[0]
	for i in 10:
		client.put_packet(Harness.pattern(100 + i, i))
		h.check(p.receive(h, server).size() == 100 + i, "packet %d reaches the server" % i)
		server.put_packet(Harness.pattern(200 + i, i))
		h.check(p.receive(h, client).size() == 200 + i, "packet %d reaches the client" % i)
	var up := relay.to_server
	var down := relay.to_client
	var c: Dictionary = client.get_statistics()
	var s: Dictionary = server.get_statistics()
	h.note("relay: %d datagrams (%d B) to the server, %d (%d B) to the client" % [up.size(), _sum(up), down.size(), _sum(down)])
	h.check_eq(c.datagrams_sent, up.size(), "client datagrams_sent = what the relay carried to the server")
	h.check_eq(c.bytes_sent, _sum(up), "client bytes_sent")
	h.check_eq(c.datagrams_received, down.size(), "client datagrams_received = what the relay carried to it")
	h.check_eq(c.bytes_received, _sum(down), "client bytes_received")
	h.check_eq(s.datagrams_received, up.size() - 1, "server datagrams_received: all but the first ClientHello")
	h.check_eq(s.bytes_received, _sum(up) - up[0].size(), "server bytes_received")
	h.check_eq(s.datagrams_sent, down.size() - 1, "server datagrams_sent: all but the HelloVerifyRequest")
	h.check_eq(s.bytes_sent, _sum(down) - down[0].size(), "server bytes_sent")
	h.check_eq([c.packets_sent, c.packets_received, s.packets_sent, s.packets_received], [10, 10, 10, 10],
		"packets each way")
	p.close()
	return true
