# What the benchmark scripts (bench.gd, mp_bench.gd, mp_links.gd) share: their command line (--name=value
# user arguments after `--`, each naming a key of `opts`), a hook run at the start of every frame
# (MainLoop._process) while a figure at a fixed frame rate is measured, and the multiplayer peer kinds to run.
extends SceneTree

const Peers = preload("res://tests/mp_peers.gd")

## The options and their defaults (strings); the script sets it before parse_options().
var opts := {}
## Runs at the start of each frame while set.
var frame_hook := Callable()


func _process(_delta: float) -> bool:
	if frame_hook.is_valid():
		frame_hook.call()
	return false


## Reads the user arguments into opts; false (the unknown one printed, exit code 2 set) if one is not an
## option of the script `who`.
func parse_options(who: String) -> bool:
	for arg in OS.get_cmdline_user_args():
		var kv: PackedStringArray = arg.trim_prefix("--").split("=", true, 1)
		if kv.size() != 2 or not opts.has(kv[0]):
			printerr("%s: unknown option %s" % [who, arg])
			quit(2)
			return false
		opts[kv[0]] = kv[1]
	return true


## The multiplayer peer kinds of opts["kinds"] that this Godot has (a note printed for each one it has not).
func available_kinds() -> Array:
	var kinds := []
	for kind in opts["kinds"].split(","):
		if Peers.available(kind):
			kinds.append(kind)
		elif kind == Peers.DTLS:
			print("note: %s skipped: %s not registered (addon not installed, or without it?)" % [kind, Peers.DTLS_CLASS])
		else:
			print("note: %s skipped: unknown kind" % kind)
	return kinds
