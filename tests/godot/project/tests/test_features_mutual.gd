# Mutual authentication between OpenSSLPacketPeerDTLS and OpenSSLDTLSServer, over UDP on 127.0.0.1, with
# certificates from OpenSSLDTLSCertificates.generate_self_signed() (the client validates the server's too):
# - CLIENT_CERTIFICATE_REQUIRED (trusting the client's certificate): a client without set_client_certificate
#   fails (both ends STATUS_ERROR); a client presenting a certificate the server does not trust fails; the
#   client with its certificate connects, and each end's get_peer_certificate() is the other's certificate
#   (same save_to_string());
# - CLIENT_CERTIFICATE_OPTIONAL: a client without certificate connects and the server peer's
#   get_peer_certificate() is null; one with its certificate connects and is seen;
# - CLIENT_CERTIFICATE_NONE (the default): a client with a certificate connects, and the server sees none.
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const FeaturePair = preload("res://tests/feature_pair.gd")
const CONNECTED := OpenSSLPacketPeerDTLS.STATUS_CONNECTED
const ERROR := OpenSSLPacketPeerDTLS.STATUS_ERROR

var h := Harness.new(self)
var server_id: Dictionary
var client_id: Dictionary
var stranger_id: Dictionary


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes(["OpenSSLPacketPeerDTLS", "OpenSSLDTLSServer", "OpenSSLDTLSCertificates"]):
		return true
	server_id = OpenSSLDTLSCertificates.generate_self_signed(["localhost", "127.0.0.1"])
	client_id = OpenSSLDTLSCertificates.generate_self_signed(["player-one"])
	stranger_id = OpenSSLDTLSCertificates.generate_self_signed(["player-one"])
	h.check(client_id.certificate.save_to_string() != server_id.certificate.save_to_string(),
		"client and server certificates differ (else the comparisons below prove nothing)")
	var REQUIRED := OpenSSLDTLSServer.CLIENT_CERTIFICATE_REQUIRED
	var OPTIONAL := OpenSSLDTLSServer.CLIENT_CERTIFICATE_OPTIONAL
	var NONE := OpenSSLDTLSServer.CLIENT_CERTIFICATE_NONE
	h.check_eq([NONE, OPTIONAL, REQUIRED], [0, 1, 2], "CLIENT_CERTIFICATE_NONE/OPTIONAL/REQUIRED are 0/1/2")
	_case("REQUIRED, client without certificate", REQUIRED, null, false)
	_case("REQUIRED, client with an untrusted certificate", REQUIRED, stranger_id, false)
	_case("REQUIRED, client with its certificate", REQUIRED, client_id, true, true)
	_case("OPTIONAL, client without certificate", OPTIONAL, null, true, false)
	_case("OPTIONAL, client with its certificate", OPTIONAL, client_id, true, true)
	_case("NONE, client with a certificate", NONE, client_id, true, false)
	return true


## mode: the server's client certificate mode (trusting client_id's certificate); id: what the client presents
## (null: nothing); connects: whether both ends must connect; seen: whether the server peer must see it.
func _case(what: String, mode: int, id, connects: bool, seen := false) -> void:
	h.section(what)
	var server := OpenSSLDTLSServer.new()
	server.handshake_timeout = 2.0
	server.initial_retransmit_timeout = 0.2
	var trusted: X509Certificate = client_id.certificate if mode != 0 else null
	h.check_eq(server.set_client_certificate_mode(mode, trusted), OK, "set_client_certificate_mode returns OK")
	h.check_eq(server.setup(server_id.key, server_id.certificate), OK, "setup returns OK")
	var pair := FeaturePair.new()
	h.check_eq(pair.listen_with(server), OK, "listening")
	var client := OpenSSLPacketPeerDTLS.new()
	client.handshake_timeout = 2.0
	client.initial_retransmit_timeout = 0.2
	if id != null:
		h.check_eq(client.set_client_certificate(id.key, id.certificate), OK, "set_client_certificate returns OK")
	var udp: PacketPeerUDP = pair.new_udp()
	pair.add_peer(client, client.connect_to_peer(udp, true, "localhost", server_id.certificate), udp)
	h.check_eq(pair.last_connect_error, OK, "connect_to_peer returns OK")
	if not connects:
		var both_failed := func() -> bool:
			return pair.settled() and pair.server_peers.size() == 1 and pair.server_peers[0].get_status() == ERROR
		h.poll_until(pair.poll, both_failed, 4000)
		h.check_eq(client.get_status(), ERROR, "client ends in STATUS_ERROR (%s)" % client.get_error_message())
		if h.check_eq(pair.server_peers.size(), 1, "the server kept one peer"):
			var peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
			h.check_eq(peer.get_status(), ERROR, "server peer ends in STATUS_ERROR (%s)" % peer.get_error_message())
		pair.close()
		return
	if not h.check(pair.handshake(h), "client and server peer connect"):
		h.note("client status %d (%s)" % [client.get_status(), client.get_error_message()])
		if not pair.server_peers.is_empty():
			h.note("server peer status %d (%s)" % [pair.server_peers[0].get_status(), pair.server_peers[0].get_error_message()])
		pair.close()
		return
	var peer: OpenSSLPacketPeerDTLS = pair.server_peers[0]
	pair.check_data_both_ways(h)
	var server_seen := client.get_peer_certificate()
	h.check(server_seen != null and server_seen.save_to_string() == server_id.certificate.save_to_string(),
		"client get_peer_certificate() is the server's certificate")
	var client_seen := peer.get_peer_certificate()
	if seen:
		h.check(client_seen != null and client_seen.save_to_string() == id.certificate.save_to_string(),
			"server peer get_peer_certificate() is the client's certificate")
	else:
		h.check(client_seen == null, "server peer get_peer_certificate() is null (got %s)" % client_seen)
	pair.close()
