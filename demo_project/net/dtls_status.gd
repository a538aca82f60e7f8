## Names of OpenSSLPacketPeerDTLS.Status values, read from the class itself.
class_name DtlsStatus
extends RefCounted


static func name_of(status: int) -> String:
	var names := ClassDB.class_get_enum_constants("OpenSSLPacketPeerDTLS", "Status")
	return names[status] if status >= 0 and status < names.size() else "STATUS_%d" % status
