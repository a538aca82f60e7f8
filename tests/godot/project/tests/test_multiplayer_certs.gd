# OpenSSLDTLSMultiplayerPeer's certificate checks under SceneMultiplayer (DTLS only: on the enet kind this test
# fails, there is nothing to check): a client pinning the server's certificate with the right host name connects
# (and so does an empty host name, which means the address, 127.0.0.1, an IP subjectAltName of the certificate);
# a client trusting another certificate, and one naming another host, get connection_failed, never
# connected_to_server, and the server reports no peer for them, and so does a client dialling a port where nobody
# answers (after its handshake_timeout); TLSOptions.client_unsafe() connects to anything;
# get_peer(id) gives each end the other's DTLS peer (connected; the client sees the server's certificate), and an
# unknown id gives null with one message.
# requires-addon
# allow-error: OpenSSLDTLSMultiplayerPeer.get_peer
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const World = preload("res://tests/mp_world.gd")
const Peers = preload("res://tests/mp_peers.gd")

var h := Harness.new(self)
var w: World


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	await process_frame  # RPC targets must be in the tree
	w = World.new(self)
	h.note(w.peers.describe())
	if not h.check(w.peers.kind == Peers.DTLS, "certificate checks need the dtls kind (MP_PEER_KIND=%s)" % w.peers.kind):
		return true
	if not h.check(w.start_server(), "server starts (%s)" % w.peers.last_error_text):
		return true
	var stranger: X509Certificate = Peers.new_identity().certificate
	var silent := PacketPeerUDP.new()  # bound, never answers: a server that is gone
	silent.bind(0, "127.0.0.1")
	var cases := [
		["pinned certificate, host name localhost", {}, true],
		["empty host name: the address 127.0.0.1, an IP subjectAltName", {"hostname": ""}, true],
		["TLSOptions.client_unsafe()", {"unsafe": true, "hostname": "whatever.example"}, true],
		["a certificate nobody here trusts", {"trusted": stranger}, false],
		["host name not in the certificate", {"hostname": "not-the-server.example"}, false],
		["nobody answers (handshake_timeout 3 s)", {"port": silent.get_local_port()}, false],
	]
	for c in cases:
		c[1]["handshake_timeout"] = 3.0
		var i := w.add_client(c[1])
		h.check(i >= 0, "%s: dials (%s)" % [c[0], w.peers.last_error_text])
		if i < 0:
			continue
		if c[2]:
			h.check(w.wait(func(): return w.connected(i), 10000), "%s: connects" % c[0])
		else:
			h.check(w.wait(func(): return w.has_event(i, "connection_failed"), 10000), "%s: connection_failed" % c[0])
			h.check(not w.has_event(i, "connected_to_server"), "%s: never connected_to_server" % c[0])
			h.check_eq(w.clients[i].multiplayer_peer.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED,
				"%s: status DISCONNECTED" % c[0])
			w.frozen[i] = true
	var good := 3
	h.check_eq(w.server.get_peers().size(), good, "the server has exactly the %d good clients" % good)
	h.check_eq(w.events["server"].filter(func(e): return e[0] == "peer_connected").size(), good, "and reported only them")

	h.section("get_peer")
	var client_peer: Object = w.clients[0].multiplayer_peer
	var server_peer: Object = w.server.multiplayer_peer
	var to_server: Object = client_peer.get_peer(1)
	var to_client: Object = server_peer.get_peer(w.clients[0].get_unique_id())
	h.check(to_server != null and to_server.is_class("OpenSSLPacketPeerDTLS"), "client: get_peer(1) is an OpenSSLPacketPeerDTLS")
	h.check(to_client != null and to_client.is_class("OpenSSLPacketPeerDTLS"), "server: get_peer(client id) is one too")
	if to_server != null and to_client != null:
		h.check_eq(to_server.get_status(), 2, "client's peer: STATUS_CONNECTED")
		h.check_eq(to_client.get_status(), 2, "server's peer: STATUS_CONNECTED")
		var cert: X509Certificate = to_server.get_peer_certificate()
		h.check(cert != null and cert.save_to_string() == w.peers.identity.certificate.save_to_string(),
			"the client sees the server's certificate")
	var none = h.check_one_error(func(): return server_peer.get_peer(12345), "OpenSSLDTLSMultiplayerPeer.get_peer", "get_peer(unknown id)")
	h.check(none == null, "get_peer(unknown id) is null")
	silent.close()
	w.close()
	return true
