## Headless avatar demo: the host and three clients in one process (avatar_session.gd), over
## OpenSSLDTLSMultiplayerPeer (or, with MP_PEER_KIND=enet / -- --peer=enet, plain ENet). Waits until every
## world shows all four avatars, lets the players move for a while, stops them and waits until every world
## shows every avatar where its player put it. Prints a PASS/FAIL line per step and "Avatars demo PASSED"
## (exit 0) or "Avatars demo FAILED" (exit 1). Frames run unthrottled; every wait is bounded by wall time.
## Run: godot --headless --path demo_project -s res://avatars/headless_avatars.gd
extends SceneTree

const AvatarSession = preload("res://avatars/avatar_session.gd")
const CLIENTS := 3
const MOVE_MS := 1500
const STEP_LIMIT_MS := 15000

var session := AvatarSession.new()
var failures := 0
var step := 0
var step_started := 0
var frames := 0


func _initialize() -> void:
	session.log_line.connect(func(t): print("  [avatars] ", t))
	root.add_child(session)


func _process(_delta: float) -> bool:
	frames += 1
	var now := Time.get_ticks_msec()
	match step:
		0:
			print("Avatar demo over ", session.peers.describe())
			if not _expect(session.start(CLIENTS) == OK, "host and %d clients start" % CLIENTS):
				return _finish()
			_next(now)
		1:
			if session.everyone_sees_everyone() and session.players() == CLIENTS + 1:
				_expect(true, "every world shows all %d avatars (%d ms)" % [CLIENTS + 1, now - step_started])
				var cipher := session.cipher()
				if cipher != "":
					print("  [avatars] cipher: ", cipher)
				_next(now)
			elif now - step_started > STEP_LIMIT_MS:
				_expect(false, "every world shows all %d avatars (has %d players)" % [CLIENTS + 1, session.players()])
				return _finish()
		2:
			if now - step_started > MOVE_MS:
				session.moving = false
				print("  [avatars] players moved for %d ms (%d frames so far); stopping them" % [MOVE_MS, frames])
				_next(now)
		3:
			if session.worlds_agree():
				_expect(true, "every world shows every avatar where its player left it (%d ms)" % (now - step_started))
				for w in session.worlds:
					var where := w.get_node("Avatars").get_children().map(func(a): return "%s@%s" % [a.name, a.position])
					print("  [avatars] %s: %s" % [w.name, ", ".join(where)])
				return _finish()
			if now - step_started > STEP_LIMIT_MS:
				_expect(false, "every world shows every avatar where its player left it")
				return _finish()
	return false


func _next(now: int) -> void:
	step += 1
	step_started = now


func _finish() -> bool:
	session.stop()
	print("Avatars demo %s: %d check(s) failed" % ["PASSED" if failures == 0 else "FAILED", failures])
	quit(0 if failures == 0 else 1)
	return true


func _expect(ok: bool, what: String) -> bool:
	print(("PASS " if ok else "FAIL ") + what)
	if not ok:
		failures += 1
	return ok
