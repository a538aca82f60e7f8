# Shared helper of the headless GDScript tests: checks with a pass/fail tally, the summary line
# "N passed, M failed" that scripts/run-godot-tests.sh looks for, the exit code, and bounded poll loops.
#
# Use from a test script (extends SceneTree):
#     const Harness = preload("res://tests/harness.gd")
#     var h := Harness.new(self)
#     func _initialize() -> void: h.run(_body)
#     func _body() -> bool: ...; return true   # may await; must return true when it reaches its end
# Failure lines start with "FAIL:" (never "ERROR:", which the runner reserves for engine errors).
extends RefCounted

var passed := 0
var failed := 0
var _tree: SceneTree
var _capture: Object = null  # error_capture.gd once errors_during() installed it (Godot >= 4.5)


func _init(tree: SceneTree) -> void:
	_tree = tree


## Runs the test body, then finish(). A body stopped by a script error returns null: that is a failure.
func run(body: Callable) -> void:
	var result = await body.call()
	if result != true:
		_fail("test body did not return true (stopped by a script error?)")
	finish()


## Prints the summary line and quits: exit code 0 only if every check passed and there was at least one.
func finish() -> void:
	if passed + failed == 0:
		_fail("no checks ran")
	print("%d passed, %d failed" % [passed, failed])
	if _capture != null:
		OS.remove_logger(_capture)
	_tree.quit(0 if failed == 0 else 1)


func section(title: String) -> void:
	print("== ", title)


func note(msg: String) -> void:
	print("   ", msg)


func check(cond: bool, msg: String) -> bool:
	if cond:
		passed += 1
		print("  ok   ", msg)
	else:
		_fail(msg)
	return cond


func check_eq(actual, expected, msg: String) -> bool:
	var same: bool = typeof(actual) == typeof(expected) and actual == expected
	if same:
		passed += 1
		print("  ok   ", msg)
	else:
		_fail("%s: got %s, expected %s" % [msg, var_to_str(actual), var_to_str(expected)])
	return same


## Fails the test unless every named class is registered (e.g. the addon's classes).
func require_classes(names: Array) -> bool:
	var missing := names.filter(func(n): return not ClassDB.class_exists(n))
	return check(missing.is_empty(), "classes registered (missing: %s; is the addon built and installed?)" % [missing])


## Calls call() and returns [its result, the engine errors (Array[String]) printed meanwhile]. The errors are
## null when this Godot cannot record them (no Logger class before 4.5).
func errors_during(call: Callable) -> Array:
	if _capture == null and ClassDB.class_exists("Logger"):
		_capture = load("res://tests/error_capture.gd").new()
		OS.add_logger(_capture)
	if _capture == null:
		return [call.call(), null]
	_capture.take()
	var result = call.call()
	return [result, _capture.take()]


## Calls call() and checks that it printed exactly one engine error, containing text (a String, or an Array of
## Strings that must all be in it); returns call()'s result. The runner must still allow that error: mark the
## test file with "# expect-error: TEXT".
func check_one_error(call: Callable, text: Variant, msg: String) -> Variant:
	var texts: Array = text if text is Array else [text]
	var r := errors_during(call)
	if r[1] == null:
		note("%s: engine errors not counted (no Logger class in this Godot)" % msg)
	else:
		var errors: Array = r[1]
		var ok := errors.size() == 1 and texts.all(func(t): return t in errors[0])
		check(ok, "%s: prints one error containing %s%s" % [msg, texts, "" if ok else " (printed: %s)" % [errors]])
	return r[0]


## Calls call() and checks that it printed no engine error; returns call()'s result.
func check_no_error(call: Callable, msg: String) -> Variant:
	var r := errors_during(call)
	if r[1] != null:
		check(r[1].is_empty(), "%s: prints no error%s" % [msg, "" if r[1].is_empty() else " (printed: %s)" % [r[1]]])
	return r[0]


## size bytes of a pattern that differs with seed.
static func pattern(size: int, seed: int) -> PackedByteArray:
	var out := PackedByteArray()
	out.resize(size)
	for i in size:
		out[i] = (i * 7 + seed * 31) & 0xff
	return out


## Calls step() then done() until done() returns true. Gives up (returns false) after max_ms milliseconds
## or max_iters iterations, whichever comes first. Busy polling: no frames pass, no sleeps.
func poll_until(step: Callable, done: Callable, max_ms := 5000, max_iters := 10_000_000) -> bool:
	var deadline := Time.get_ticks_msec() + max_ms
	for i in max_iters:
		step.call()
		if done.call():
			return true
		if Time.get_ticks_msec() > deadline:
			break
	return false


## Like poll_until, one iteration per frame (await it): for code that needs the main loop to run.
func poll_frames_until(step: Callable, done: Callable, max_frames := 600) -> bool:
	for i in max_frames:
		step.call()
		if done.call():
			return true
		await _tree.process_frame
	return false


func _fail(msg: String) -> void:
	failed += 1
	print("  FAIL: ", msg, _caller())


# " (res://tests/x.gd:42)" for the test line that made the failing check, when the engine can tell.
func _caller() -> String:
	if not Engine.has_method("capture_script_backtraces"):
		return ""
	for bt in Engine.call("capture_script_backtraces", false):
		for i in bt.get_frame_count():
			var file: String = bt.get_frame_file(i)
			if file != get_script().resource_path and file != "":
				return " (%s:%d)" % [file, bt.get_frame_line(i)]
	return ""
