# The base of a test measured in frames at a fixed 60 frames/s (test_multiplayer_frames.gd,
# test_multiplayer_simulation.gd): sets the frame rate and runs `frame_hook` at the start of every frame
# (MainLoop._process), where a test polls its world and then sends as a node's _process would.
extends SceneTree

## Runs at the start of every frame while set.
var frame_hook := Callable()


func _initialize() -> void:
	Engine.max_fps = 60


func _process(_delta: float) -> bool:
	if frame_hook.is_valid():
		frame_hook.call()
	return false
