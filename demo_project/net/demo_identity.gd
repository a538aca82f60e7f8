## The demo's server certificate: loaded from user:// or, on first run, generated with the
## addon's OpenSSLDTLSCertificates (ECDSA P-256, valid for localhost and 127.0.0.1) and saved.
class_name DemoIdentity
extends RefCounted

const CERT_PATH := "user://demo_server.crt"
const KEY_PATH := "user://demo_server.key"

var certificate: X509Certificate
var key: CryptoKey


## Loads the saved identity or makes a new one. Returns a line for the log.
func load_or_generate(host_names: PackedStringArray = PackedStringArray(["localhost", "127.0.0.1"])) -> String:
	certificate = X509Certificate.new()
	key = CryptoKey.new()
	if FileAccess.file_exists(CERT_PATH) and FileAccess.file_exists(KEY_PATH) \
			and certificate.load(CERT_PATH) == OK and key.load(KEY_PATH) == OK:
		return "Loaded certificate %s" % ProjectSettings.globalize_path(CERT_PATH)
	var id := generate(host_names)
	certificate = id.certificate
	key = id.key
	certificate.save(CERT_PATH)
	key.save(KEY_PATH)
	return "Generated a self-signed ECDSA P-256 certificate: %s" % ProjectSettings.globalize_path(CERT_PATH)


## A fresh self-signed identity, not saved (the demo also uses one as an "untrusted" certificate).
static func generate(host_names: PackedStringArray) -> Dictionary:
	return OpenSSLDTLSCertificates.generate_self_signed(host_names)
