# The three transports compared, behind one small factory API:
#   "plain":   PacketPeerUDP only (the floor: no handshake, no encryption);
#   "builtin": Godot 4's PacketPeerDTLS / DTLSServer (mbedTLS), configured with TLSOptions;
#   "ours":    the addon's OpenSSLPacketPeerDTLS / OpenSSLDTLSServer, with Godot-3-style arguments;
#   "floor":   OpenSSLFloorPacketPeer around each PacketPeerUDP (only in an addon built with the `floor-peers`
#              feature, `make floor-addon`): no handshake, no encryption, the calls any extension peer makes.
# The addon's classes are made through ClassDB, so this file parses when the addon is not loaded.
# All peers are handled untyped (Variant calls) by the benches, the same way for every implementation.
extends RefCounted

const PLAIN := "plain"
const BUILTIN := "builtin"
const OURS := "ours"
const FLOOR := "floor"
const ALL := [PLAIN, BUILTIN, OURS]

const HANDSHAKING := 1  # PacketPeerDTLS.STATUS_HANDSHAKING; the addon uses the same values
const CONNECTED := 2  # PacketPeerDTLS.STATUS_CONNECTED


static func available(kind: String) -> bool:
	if kind == OURS:
		return ClassDB.class_exists("OpenSSLPacketPeerDTLS") and ClassDB.class_exists("OpenSSLDTLSServer")
	if kind == FLOOR:
		return ClassDB.class_exists("OpenSSLFloorPacketPeer")
	return kind == PLAIN or kind == BUILTIN


static func is_dtls(kind: String) -> bool:
	return kind != PLAIN and kind != FLOOR


## Whether the peer reads its socket in poll() (every kind but plain UDP).
static func is_polled(kind: String) -> bool:
	return kind != PLAIN


## A floor peer around udp (a PacketPeerUDP); udp itself for every other kind.
static func as_peer(kind: String, udp: PacketPeerUDP) -> Object:
	if kind != FLOOR:
		return udp
	var floor: Object = ClassDB.instantiate("OpenSSLFloorPacketPeer")
	return floor if floor.connect_to_peer(udp) == OK else null


## A DTLS server object set up with key and cert (null for plain, or if setup failed: see ok()).
static func new_server(kind: String, key: CryptoKey, cert: X509Certificate) -> Object:
	if kind == BUILTIN:
		var s := DTLSServer.new()
		return s if s.setup(TLSOptions.server(key, cert)) == OK else null
	if kind == OURS:
		var s: Object = ClassDB.instantiate("OpenSSLDTLSServer")
		return s if s.setup(key, cert) == OK else null
	return null


## A client already sending its first datagram to 127.0.0.1:port: for DTLS, a peer whose handshake has
## started, validating the server's certificate against trusted for hostname "localhost"; for plain, the
## PacketPeerUDP itself after one 1-byte "hello" (so the UDPServer sees a connection). Null on error.
static func dial(kind: String, port: int, trusted: X509Certificate) -> Object:
	var udp := PacketPeerUDP.new()
	if udp.connect_to_host("127.0.0.1", port) != OK:
		return null
	if not is_dtls(kind):
		return as_peer(kind, udp) if udp.put_packet(PackedByteArray([0])) == OK else null
	if kind == BUILTIN:
		var c := PacketPeerDTLS.new()
		return c if c.connect_to_peer(udp, "localhost", TLSOptions.client(trusted)) == OK else null
	var ours: Object = ClassDB.instantiate("OpenSSLPacketPeerDTLS")
	return ours if ours.connect_to_peer(udp, true, "localhost", trusted) == OK else null
