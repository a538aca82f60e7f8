## Headless demo: a server and a client in one process. Chats, pings, then shows what a wrong
## host name and an untrusted certificate look like. Prints every status change; exits 0 only if
## every message arrived and every state was the expected one.
## Run: godot --headless --path demo_project -s res://headless_demo.gd
extends SceneTree

const PORT := 4433
const FRAME_BUDGET := 3000

var failures := 0


func _init() -> void:
	var identity := DemoIdentity.new()
	print(identity.load_or_generate())
	var server := ChatServer.new()
	server.log_line.connect(func(t): print("  [server] ", t))
	_expect(server.start(PORT, identity.key, identity.certificate, "127.0.0.1") == OK, "server starts")

	# 1. A client that trusts the server's certificate and names the right host.
	var client := _client("good client")
	var chats: Array[String] = []
	var pongs: Array[int] = []
	client.chat_received.connect(func(t): chats.append(t); print("  [good client] received: ", t))
	client.pong.connect(func(rtt): pongs.append(rtt); print("  [good client] ping round trip: %.3f ms" % (rtt / 1000.0)))
	client.connect_to("127.0.0.1", PORT, "localhost", true, identity.certificate)
	_run(server, client, func(): return client.is_connected_to_server())
	_expect(client.is_connected_to_server(), "good client connects")
	var lines := ["Hello over DTLS!", "Second message", "Third, with ünïcödé"]
	for line in lines:
		client.send_chat(line)
	client.ping()
	_run(server, client, func(): return chats.size() >= lines.size() and pongs.size() >= 1)
	_expect(chats == Array(lines, TYPE_STRING, "", null), "all %d chat lines came back through the server" % lines.size())
	_expect(pongs.size() == 1, "ping answered")

	# 2. Right certificate, wrong host name.
	var mismatch := _client("wrong-hostname client")
	mismatch.connect_to("127.0.0.1", PORT, "not-the-server.example", true, identity.certificate)
	_run(server, mismatch, func(): return mismatch.dtls.get_status() >= OpenSSLPacketPeerDTLS.STATUS_ERROR)
	_expect(mismatch.dtls.get_status() == OpenSSLPacketPeerDTLS.STATUS_ERROR_HOSTNAME_MISMATCH, "wrong host name gives STATUS_ERROR_HOSTNAME_MISMATCH")

	# 3. A client that trusts some other certificate.
	var stranger: X509Certificate = DemoIdentity.generate(PackedStringArray(["localhost"])).certificate
	var untrusted := _client("untrusting client")
	untrusted.connect_to("127.0.0.1", PORT, "localhost", true, stranger)
	_run(server, untrusted, func(): return untrusted.dtls.get_status() >= OpenSSLPacketPeerDTLS.STATUS_ERROR)
	_expect(untrusted.dtls.get_status() == OpenSSLPacketPeerDTLS.STATUS_ERROR, "untrusted certificate gives STATUS_ERROR")

	# 4. Disconnect is seen by the server.
	client.disconnect_from_server()
	_run(server, null, func(): return server.client_count() == 0)
	_expect(server.client_count() == 0, "server sees the disconnect")
	server.stop()
	print("Demo %s: %d check(s) failed" % ["PASSED" if failures == 0 else "FAILED", failures])
	quit(0 if failures == 0 else 1)


func _client(label: String) -> ChatClient:
	var c := ChatClient.new()
	c.log_line.connect(func(t): print("  [%s] %s" % [label, t]))
	c.status_changed.connect(func(s, why): print("  [%s] status -> %s %s" % [label, DtlsStatus.name_of(s), why]))
	return c


func _run(server: ChatServer, client: ChatClient, done: Callable) -> void:
	for i in FRAME_BUDGET:
		server.poll()
		if client:
			client.poll()
		if done.call():
			return
		OS.delay_usec(500)  # stands in for a frame; the loop ends on `done`, not on time


func _expect(ok: bool, what: String) -> void:
	print(("PASS " if ok else "FAIL ") + what)
	if not ok:
		failures += 1
