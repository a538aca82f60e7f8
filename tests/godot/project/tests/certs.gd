# Test identities, as { "key": CryptoKey, "certificate": X509Certificate }. Only for tests that need the addon
# (it names OpenSSLDTLSCertificates).
#   rsa():   RSA-2048 from Godot's own Crypto, subject CN=<cn> and no subjectAltName (host name checks fall
#            back to the CN);
#   ecdsa(): ECDSA P-256 from OpenSSLDTLSCertificates.generate_self_signed, DNS/IP subjectAltNames.
extends RefCounted


static func rsa(cn := "localhost", org := "openssl_dtls tests") -> Dictionary:
	var crypto := Crypto.new()
	var key := crypto.generate_rsa(2048)
	var cert := crypto.generate_self_signed_certificate(key, "CN=%s,O=%s,C=US" % [cn, org])
	return {"key": key, "certificate": cert}


static func ecdsa(host_names := PackedStringArray(["localhost", "127.0.0.1"])) -> Dictionary:
	return OpenSSLDTLSCertificates.generate_self_signed(host_names)
