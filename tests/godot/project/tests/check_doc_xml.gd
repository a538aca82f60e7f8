# Checks the addon's API in Godot's own class reference dump: the XML that
#     godot --headless --path PROJECT --doctool DIR --gdextension-docs
# writes to DIR/doc_classes/<Class>.xml. Run by steps/test_doc_api.sh as
#     godot --headless --path PROJECT -s res://tests/check_doc_xml.gd -- DIR/doc_classes
# The expected signatures are the class reference's (docs/api/; and the issue's), written out as Godot prints them.
extends SceneTree

const Harness = preload("res://tests/harness.gd")

var h := Harness.new(self)


func _initialize() -> void:
	h.run(_body)


func _body() -> bool:
	var args := OS.get_cmdline_user_args()
	if not h.check(args.size() == 1, "one argument: the doc_classes directory (got %s)" % [args]):
		return true
	var dir: String = args[0]
	var peer := _load(dir, "OpenSSLPacketPeerDTLS")
	var server := _load(dir, "OpenSSLDTLSServer")
	var certs := _load(dir, "OpenSSLDTLSCertificates")

	h.section("OpenSSLPacketPeerDTLS.xml")
	h.check_eq(peer.get("inherits"), "PacketPeerExtension", "inherits PacketPeerExtension")
	h.check_eq(_method(peer, "connect_to_peer"), {
			"return": {"type": "int", "enum": "Error"},
			"params": [
				{"index": "0", "name": "packet_peer", "type": "PacketPeerUDP"},
				{"index": "1", "name": "validate_certs", "type": "bool", "default": "true"},
				{"index": "2", "name": "for_hostname", "type": "String", "default": "\"\""},
				{"index": "3", "name": "valid_certificate", "type": "X509Certificate", "default": "null"},
			]},
		"connect_to_peer(packet_peer: PacketPeerUDP, validate_certs: bool = true, for_hostname: String = \"\", valid_certificate: X509Certificate = null) -> Error")
	h.check_eq(_method(peer, "get_status"), {"return": {"type": "int", "enum": "OpenSSLPacketPeerDTLS.Status"}, "params": [],
		"qualifiers": "const"}, "get_status() const -> OpenSSLPacketPeerDTLS.Status")
	h.check_eq(_method(peer, "poll"), {"return": {"type": "void"}, "params": []}, "poll() -> void")
	h.check_eq(_method(peer, "disconnect_from_peer"), {"return": {"type": "void"}, "params": []}, "disconnect_from_peer() -> void")
	h.check_eq(_method(peer, "get_max_packet_size"), {"return": {"type": "int"}, "params": [], "qualifiers": "const"},
		"get_max_packet_size() const -> int")
	h.check_eq(_method(peer, "get_error_message"), {"return": {"type": "String"}, "params": [], "qualifiers": "const"},
		"get_error_message() const -> String")
	h.check_eq(_method(peer, "set_log_level"), {"return": {"type": "void"},
		"params": [{"index": "0", "name": "level", "type": "int"}], "qualifiers": "static"}, "static set_log_level(level: int) -> void")
	h.check_eq(peer.get("constants", {}), {
			"STATUS_DISCONNECTED": {"value": "0", "enum": "Status"},
			"STATUS_HANDSHAKING": {"value": "1", "enum": "Status"},
			"STATUS_CONNECTED": {"value": "2", "enum": "Status"},
			"STATUS_ERROR": {"value": "3", "enum": "Status"},
			"STATUS_ERROR_HOSTNAME_MISMATCH": {"value": "4", "enum": "Status"},
		}, "constants: STATUS_* 0..4, each in enum Status, and no others")

	h.section("OpenSSLDTLSServer.xml")
	h.check_eq(server.get("inherits"), "RefCounted", "inherits RefCounted")
	h.check_eq(_method(server, "setup"), {
			"return": {"type": "int", "enum": "Error"},
			"params": [
				{"index": "0", "name": "key", "type": "CryptoKey"},
				{"index": "1", "name": "certificate", "type": "X509Certificate"},
				{"index": "2", "name": "chain", "type": "X509Certificate", "default": "null"},
			]},
		"setup(key: CryptoKey, certificate: X509Certificate, chain: X509Certificate = null) -> Error")
	h.check_eq(_method(server, "take_connection"), {
			"return": {"type": "OpenSSLPacketPeerDTLS"},
			"params": [{"index": "0", "name": "udp_peer", "type": "PacketPeerUDP"}]},
		"take_connection(udp_peer: PacketPeerUDP) -> OpenSSLPacketPeerDTLS")

	h.check_eq(_method(server, "set_client_certificate_mode"), {
			"return": {"type": "int", "enum": "Error"},
			"params": [
				{"index": "0", "name": "mode", "type": "int", "enum": "OpenSSLDTLSServer.ClientCertificateMode"},
				{"index": "1", "name": "trusted", "type": "X509Certificate", "default": "null"},
			]},
		"set_client_certificate_mode(mode: ClientCertificateMode, trusted: X509Certificate = null) -> Error")
	h.check_eq(server.get("constants", {}), {
			"CLIENT_CERTIFICATE_NONE": {"value": "0", "enum": "ClientCertificateMode"},
			"CLIENT_CERTIFICATE_OPTIONAL": {"value": "1", "enum": "ClientCertificateMode"},
			"CLIENT_CERTIFICATE_REQUIRED": {"value": "2", "enum": "ClientCertificateMode"},
		}, "constants: CLIENT_CERTIFICATE_* 0..2 in enum ClientCertificateMode")

	h.section("OpenSSLDTLSCertificates.xml")
	h.check_eq(_method(certs, "generate_self_signed"), {
			"return": {"type": "Dictionary"},
			"params": [
				{"index": "0", "name": "host_names", "type": "PackedStringArray",
					"default": "PackedStringArray(\"localhost\", \"127.0.0.1\")"},
				{"index": "1", "name": "key_type", "type": "int", "enum": "OpenSSLDTLSCertificates.KeyType",
					"default": "0"},
				{"index": "2", "name": "valid_days", "type": "int", "default": "365"},
			],
			"qualifiers": "static"},
		"static generate_self_signed(host_names := [\"localhost\", \"127.0.0.1\"], key_type: KeyType = KEY_ECDSA_P256, valid_days := 365) -> Dictionary")
	h.check_eq(certs.get("constants", {}), {
			"KEY_ECDSA_P256": {"value": "0", "enum": "KeyType"},
			"KEY_RSA_2048": {"value": "1", "enum": "KeyType"},
			"KEY_RSA_4096": {"value": "2", "enum": "KeyType"},
		}, "constants: KEY_* 0..2 in enum KeyType")
	return true


# The class's XML as { inherits, methods: {name: {return, params, [qualifiers]}}, constants: {name: {value, enum}} },
# or {} (after a failed check) when the file is missing or unreadable.
func _load(dir: String, class_name_: String) -> Dictionary:
	var path := dir.path_join(class_name_ + ".xml")
	var parser := XMLParser.new()
	if not h.check(parser.open(path) == OK, "%s exists and opens" % path):
		return {}
	var out := {"methods": {}, "constants": {}}
	var method := {}
	while parser.read() == OK:
		if parser.get_node_type() != XMLParser.NODE_ELEMENT:
			continue
		var attrs := {}
		for i in parser.get_attribute_count():
			attrs[parser.get_attribute_name(i)] = parser.get_attribute_value(i).xml_unescape()
		match parser.get_node_name():
			"class":
				out.inherits = attrs.get("inherits", "")
			"method":
				method = {"params": []}
				if attrs.has("qualifiers"):
					method.qualifiers = attrs.qualifiers
				out.methods[attrs.name] = method
			"return":
				method["return"] = attrs
			"param":
				method.params.append(attrs)
			"constant":
				var constant_name: String = attrs.name
				attrs.erase("name")
				out.constants[constant_name] = attrs
	return out


func _method(cls: Dictionary, name: String) -> Dictionary:
	return cls.get("methods", {}).get(name, {"missing": name})
