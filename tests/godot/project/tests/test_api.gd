# The addon's API as GDScript and ClassDB see it (docs/api/, the reference make docs writes): the class tree, the Status enum
# (values equal to the built-in PacketPeerDTLS.Status, usable as a type), method signatures with their default
# arguments, OpenSSLDTLSServer's and OpenSSLDTLSCertificates' methods, and every documented way of calling
# connect_to_peer. The same API in Godot's own class reference dump: steps/test_doc_api.sh.
# requires-addon
extends SceneTree

const Harness = preload("res://tests/harness.gd")
const STATUS_NAMES := ["STATUS_DISCONNECTED", "STATUS_HANDSHAKING", "STATUS_CONNECTED", "STATUS_ERROR",
	"STATUS_ERROR_HOSTNAME_MISMATCH"]
const PEER := "OpenSSLPacketPeerDTLS"
const SERVER := "OpenSSLDTLSServer"
const CERTS := "OpenSSLDTLSCertificates"

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	if not h.require_classes([PEER, SERVER, CERTS]):
		return true
	_classes()
	_status_enum()
	_peer_methods()
	_server_methods()
	_certificates_api()
	_connect_to_peer_calls()
	_log_level()
	return true


func _classes() -> void:
	h.section("classes")
	h.check_eq(ClassDB.get_parent_class(PEER), &"PacketPeerExtension", "%s extends PacketPeerExtension" % PEER)
	h.check(ClassDB.is_parent_class(PEER, "PacketPeer"), "... and so PacketPeer")
	var as_packet_peer: PacketPeer = OpenSSLPacketPeerDTLS.new()
	h.check(as_packet_peer is OpenSSLPacketPeerDTLS, "an OpenSSLPacketPeerDTLS is usable as a PacketPeer")
	h.check_eq(ClassDB.get_parent_class(SERVER), &"RefCounted", "%s extends RefCounted" % SERVER)
	h.check_eq(ClassDB.get_parent_class(CERTS), &"RefCounted", "%s extends RefCounted" % CERTS)
	for c in [PEER, SERVER, CERTS]:
		h.check(ClassDB.can_instantiate(c), "%s can be instantiated" % c)


func _status_enum() -> void:
	h.section("the Status enum")
	h.check_eq(OpenSSLPacketPeerDTLS.Status.STATUS_DISCONNECTED, 0, "Status.STATUS_DISCONNECTED == 0")
	h.check_eq(OpenSSLPacketPeerDTLS.Status.STATUS_HANDSHAKING, 1, "Status.STATUS_HANDSHAKING == 1")
	h.check_eq(OpenSSLPacketPeerDTLS.Status.STATUS_CONNECTED, 2, "Status.STATUS_CONNECTED == 2")
	h.check_eq(OpenSSLPacketPeerDTLS.Status.STATUS_ERROR, 3, "Status.STATUS_ERROR == 3")
	h.check_eq(OpenSSLPacketPeerDTLS.Status.STATUS_ERROR_HOSTNAME_MISMATCH, 4, "Status.STATUS_ERROR_HOSTNAME_MISMATCH == 4")
	h.check_eq(OpenSSLPacketPeerDTLS.STATUS_CONNECTED, 2, "the class constant STATUS_CONNECTED == 2 too")
	for name in STATUS_NAMES:
		h.check_eq(ClassDB.class_get_integer_constant(PEER, name), ClassDB.class_get_integer_constant("PacketPeerDTLS", name),
			"%s equals PacketPeerDTLS.%s" % [name, name])
		h.check_eq(ClassDB.class_get_integer_constant_enum(PEER, name, true), &"Status", "%s belongs to the enum Status" % name)
	h.check_eq(ClassDB.class_get_enum_list(PEER, true), PackedStringArray(["Status"]), "class_get_enum_list: [\"Status\"]")
	h.check_eq(ClassDB.class_get_enum_constants(PEER, "Status", true), PackedStringArray(STATUS_NAMES),
		"class_get_enum_constants(\"Status\"): the five names, in order")
	var peer := OpenSSLPacketPeerDTLS.new()
	var status: OpenSSLPacketPeerDTLS.Status = peer.get_status()  # the enum is a type
	h.check_eq(status, OpenSSLPacketPeerDTLS.Status.STATUS_DISCONNECTED, "a new peer's typed get_status() is STATUS_DISCONNECTED")


func _method(class_name_: String, method: String) -> Dictionary:
	for m in ClassDB.class_get_method_list(class_name_, true):
		if m.name == method:
			return m
	return {}


# A method's default_args with an Object-typed null (how ClassDB stores a null object default) as plain null.
func _defaults(m: Dictionary) -> Array:
	return m.get("default_args", []).map(func(v): return null if typeof(v) == TYPE_OBJECT and v == null else v)


# [name, type, class_name] of each argument.
func _args(m: Dictionary) -> Array:
	return m.get("args", []).map(func(a): return [a.name, a.type, String(a.class_name)])


func _peer_methods() -> void:
	h.section("%s methods (ClassDB)" % PEER)
	var m := _method(PEER, "connect_to_peer")
	h.check_eq(_args(m), [["packet_peer", TYPE_OBJECT, "PacketPeerUDP"], ["validate_certs", TYPE_BOOL, ""],
		["for_hostname", TYPE_STRING, ""], ["valid_certificate", TYPE_OBJECT, "X509Certificate"]],
		"connect_to_peer(packet_peer: PacketPeerUDP, validate_certs: bool, for_hostname: String, valid_certificate: X509Certificate)")
	h.check_eq(_defaults(m), [true, "", null], "connect_to_peer default_args [true, \"\", null]")
	h.check_eq([m.get("return", {}).get("type"), String(m.get("return", {}).get("class_name", ""))], [TYPE_INT, "Error"],
		"connect_to_peer returns Error")
	m = _method(PEER, "get_status")
	var ret: Dictionary = m.get("return", {})
	h.check_eq([ret.get("type"), String(ret.get("class_name", ""))], [TYPE_INT, "%s.Status" % PEER],
		"get_status returns class_name \"OpenSSLPacketPeerDTLS.Status\"")
	h.check(ret.get("usage", 0) & PROPERTY_USAGE_CLASS_IS_ENUM != 0, "... flagged as an enum")
	h.check(m.get("flags", 0) & METHOD_FLAG_CONST != 0, "get_status is const")
	for name in ["poll", "disconnect_from_peer"]:
		m = _method(PEER, name)
		h.check_eq([_args(m), m.get("return", {}).get("type")], [[], TYPE_NIL], "%s() -> void" % name)
	for sig in [["get_max_packet_size", TYPE_INT], ["get_error_message", TYPE_STRING]]:
		m = _method(PEER, sig[0])
		h.check_eq([_args(m), m.get("return", {}).get("type")], [[], sig[1]], "%s() -> %s" % [sig[0], type_string(sig[1])])
	m = _method(PEER, "set_log_level")
	h.check_eq(_args(m), [["level", TYPE_INT, ""]], "set_log_level(level: int)")
	h.check(m.get("flags", 0) & METHOD_FLAG_STATIC != 0, "set_log_level is static")
	h.check(_method(PEER, "get_log_level").get("flags", 0) & METHOD_FLAG_STATIC != 0, "get_log_level is static")
	for name in ["put_packet", "get_packet", "put_var", "get_var", "get_available_packet_count", "get_packet_error"]:
		h.check(ClassDB.class_has_method(PEER, name), "PacketPeer's %s is there" % name)


func _server_methods() -> void:
	h.section("%s methods (ClassDB)" % SERVER)
	var m := _method(SERVER, "setup")
	h.check_eq(_args(m), [["key", TYPE_OBJECT, "CryptoKey"], ["certificate", TYPE_OBJECT, "X509Certificate"],
		["chain", TYPE_OBJECT, "X509Certificate"]], "setup(key: CryptoKey, certificate: X509Certificate, chain: X509Certificate)")
	h.check_eq(_defaults(m), [null], "setup default_args [null]")
	h.check_eq(String(m.get("return", {}).get("class_name", "")), "Error", "setup returns Error")
	m = _method(SERVER, "take_connection")
	h.check_eq(_args(m), [["udp_peer", TYPE_OBJECT, "PacketPeerUDP"]], "take_connection(udp_peer: PacketPeerUDP)")
	h.check_eq([m.get("return", {}).get("type"), String(m.get("return", {}).get("class_name", ""))], [TYPE_OBJECT, PEER],
		"take_connection returns OpenSSLPacketPeerDTLS")


func _certificates_api() -> void:
	h.section("%s (ClassDB and a call)" % CERTS)
	var m := _method(CERTS, "generate_self_signed")
	h.check_eq(_args(m), [["host_names", TYPE_PACKED_STRING_ARRAY, ""],
		["key_type", TYPE_INT, "OpenSSLDTLSCertificates.KeyType"], ["valid_days", TYPE_INT, ""]],
		"generate_self_signed(host_names: PackedStringArray, key_type: KeyType, valid_days: int)")
	h.check_eq(m.get("default_args"), [PackedStringArray(["localhost", "127.0.0.1"]), 0, 365],
		"default_args [[\"localhost\", \"127.0.0.1\"], KEY_ECDSA_P256, 365]")
	h.check(m.get("flags", 0) & METHOD_FLAG_STATIC != 0, "generate_self_signed is static")
	h.check_eq([OpenSSLDTLSCertificates.KEY_ECDSA_P256, OpenSSLDTLSCertificates.KEY_RSA_2048, OpenSSLDTLSCertificates.KEY_RSA_4096],
		[0, 1, 2], "KeyType constants 0, 1, 2")
	h.check_eq(ClassDB.class_get_enum_constants(CERTS, "KeyType", true),
		PackedStringArray(["KEY_ECDSA_P256", "KEY_RSA_2048", "KEY_RSA_4096"]), "enum KeyType")
	for kt in [OpenSSLDTLSCertificates.KEY_ECDSA_P256, OpenSSLDTLSCertificates.KEY_RSA_2048]:
		var id := OpenSSLDTLSCertificates.generate_self_signed(PackedStringArray(["example.test"]), kt, 2)
		h.check(id.get("certificate") is X509Certificate and id.get("key") is CryptoKey,
			"key_type %d: { certificate: X509Certificate, key: CryptoKey }" % kt)
		if id.get("key") is CryptoKey:
			h.check(not id.key.is_public_only(), "key_type %d: the key is private" % kt)
			h.check(id.key.save_to_string().begins_with("-----BEGIN"), "key_type %d: the key exports as PEM" % kt)


# Every documented call form reaches the addon and starts a handshake (towards a plain UDP socket).
# connect_to_peer(udp) alone (system roots, no name) is refused: see test_limits.gd.
func _connect_to_peer_calls() -> void:
	h.section("connect_to_peer call forms")
	var target := UDPServer.new()
	target.listen(0, "127.0.0.1")
	var cert: X509Certificate = OpenSSLDTLSCertificates.generate_self_signed().certificate
	var forms := {
		"(udp, false)": func(p, u): return p.connect_to_peer(u, false),
		"(udp, true, \"localhost\")": func(p, u): return p.connect_to_peer(u, true, "localhost"),
		"(udp, true, \"localhost\", cert)": func(p, u): return p.connect_to_peer(u, true, "localhost", cert),
		"(udp, true, \"localhost\", null)": func(p, u): return p.connect_to_peer(u, true, "localhost", null),
	}
	for form in forms:
		var udp := PacketPeerUDP.new()
		udp.connect_to_host("127.0.0.1", target.get_local_port())
		var peer := OpenSSLPacketPeerDTLS.new()
		h.check_eq(forms[form].call(peer, udp), OK, "connect_to_peer%s returns OK" % form)
		h.check_eq(peer.get_status(), OpenSSLPacketPeerDTLS.STATUS_HANDSHAKING, "... and the peer is handshaking")
		peer.disconnect_from_peer()
	target.stop()


func _log_level() -> void:
	h.section("log level")
	h.check_eq(OpenSSLPacketPeerDTLS.get_log_level(), 2, "default log level 2 (warnings)")
	OpenSSLPacketPeerDTLS.set_log_level(1)
	h.check_eq(OpenSSLPacketPeerDTLS.get_log_level(), 1, "set_log_level(1) sticks")
	OpenSSLPacketPeerDTLS.set_log_level(2)
