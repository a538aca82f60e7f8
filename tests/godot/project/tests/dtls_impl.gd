# Hides the one API difference between the two DTLS implementations under test, so a test can pair
# any client with any server:
#   "builtin": Godot 4's PacketPeerDTLS / DTLSServer, configured with TLSOptions;
#   "ours":    the addon's OpenSSLPacketPeerDTLS / OpenSSLDTLSServer, with Godot-3-style arguments
#              setup(key, cert) and connect_to_peer(udp, validate_certs, for_hostname, valid_certificate).
# The addon's classes are made through ClassDB, so this file parses when the addon is not loaded.
extends RefCounted

const BUILTIN := "builtin"
const OURS := "ours"


static func available(impl: String) -> bool:
	return impl == BUILTIN or ClassDB.class_exists("OpenSSLPacketPeerDTLS")


## A DTLS server set up with key and cert, or null if setup failed.
static func new_server(impl: String, key: CryptoKey, cert: X509Certificate) -> Object:
	var server: Object
	var err: int
	if impl == BUILTIN:
		server = DTLSServer.new()
		err = server.setup(TLSOptions.server(key, cert))
	else:
		server = ClassDB.instantiate("OpenSSLDTLSServer")
		err = server.setup(key, cert)
	return server if err == OK else null


static func new_client(impl: String) -> Object:
	return PacketPeerDTLS.new() if impl == BUILTIN else ClassDB.instantiate("OpenSSLPacketPeerDTLS")


## Starts the client's handshake over udp (already connected to the server's address); returns the error.
## validate=false accepts any server certificate; validate=true needs trusted (or the system CAs if null)
## and checks hostname.
static func connect_client(impl: String, client: Object, udp: PacketPeerUDP, validate: bool,
		hostname: String, trusted: X509Certificate) -> int:
	if impl == BUILTIN:
		var opts := TLSOptions.client(trusted) if validate else TLSOptions.client_unsafe(trusted)
		return client.connect_to_peer(udp, hostname, opts)
	return client.connect_to_peer(udp, validate, hostname, trusted)
