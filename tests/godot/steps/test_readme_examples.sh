#!/usr/bin/env bash
# The README's GDScript examples run as written:
# - the packet peer: the code blocks that follow "(`server.gd`" and "(`client.gd`" in README.md go into a
#   fresh project with the addon as two nodes (server first); the client must print the server's echo;
# - the multiplayer peer: the block that follows "(`game.gd`" runs in two Godot processes of one project,
#   `-- --host` first, then a client; the host must print the client's RPC.
# Every line Godot printed is shown (no filter, no cut), so the runner sees any engine error.
# Run by scripts/run-godot-tests.sh, which sets GODOT_CMD, REPO and ADDON_SRC.
# Prints "N passed, M failed"; exit 0 only if all passed.
# requires-addon
set -euo pipefail
read -r -a godot <<<"$GODOT_CMD"
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "  ok   $what"; else failed=$((failed + 1)); echo "  FAIL: $what"; fi
}
show() {  # show TITLE FILE: every line of a Godot output, indented
    echo "  --- $1"
    sed 's/^/   | /' "$2"
}

# The first ```gdscript block after the line containing MARKER.
block_after() {
    awk -v marker="$1" '
        index($0, marker) { found = 1; next }
        found && /^```gdscript/ { inside = 1; next }
        inside && /^```/ { exit }
        inside { print }
    ' "$REPO/README.md"
}

new_project() {  # new_project DIR NAME
    mkdir -p "$1/addons" "$1/.godot"
    cp -rL "$ADDON_SRC" "$1/addons/openssl_dtls"
    echo "res://addons/openssl_dtls/openssl_dtls.gdextension" >"$1/.godot/extension_list.cfg"
    printf '[application]\nconfig/name="%s"\n' "$2" >"$1/project.godot"
}
export XDG_DATA_HOME="$tmp/xdg/data" XDG_CONFIG_HOME="$tmp/xdg/config" XDG_CACHE_HOME="$tmp/xdg/cache"

echo "== the packet peer (server.gd, client.gd)"
project="$tmp/packet"
new_project "$project" "readme packet peer"
block_after '(`server.gd`' >"$project/server.gd"
block_after '(`client.gd`' >"$project/client.gd"
check "README has a server.gd block" grep -q "OpenSSLDTLSServer" "$project/server.gd"
check "README has a client.gd block" grep -q "connect_to_peer" "$project/client.gd"
cat >"$project/run_examples.gd" <<'GD'
# Adds the README's server and client as nodes and runs frames until the client has sent and
# 60 more frames passed, or 3000 frames at most; the shell step then reads what they printed.
extends SceneTree

var client: Node
var frames_after_send := 0
var frames := 0


func _initialize() -> void:
	for name in ["server", "client"]:
		var node := Node.new()
		node.set_script(load("res://%s.gd" % name))
		root.add_child(node)
		client = node


func _process(_delta: float) -> bool:
	frames += 1
	if client.get("sent"):
		frames_after_send += 1
	return frames_after_send > 60 or frames > 3000
GD
out="$tmp/packet.txt"
rc=0
timeout 60 "${godot[@]}" --headless --path "$project" -s res://run_examples.gd >"$out" 2>&1 || rc=$?
show "godot -s run_examples.gd" "$out"
check "Godot exited cleanly" test "$rc" = 0
check "no script or engine error" bash -c "! grep -qE 'SCRIPT ERROR|ERROR:' '$out'"
check "the client printed the server's echo" grep -qF 'client got: { "hello": "server" }' "$out"
check "the client did not fail" bash -c "! grep -q 'client failed' '$out'"

echo "== the multiplayer peer (game.gd, two processes)"
project="$tmp/multiplayer"
new_project "$project" "readme multiplayer"
block_after '(`game.gd`' >"$project/game.gd"
check "README has a game.gd block" grep -q "OpenSSLDTLSMultiplayerPeer" "$project/game.gd"
# The scene: the example as the root's child "Game" in both processes (RPCs go by node path); it quits
# after --seconds=S.
cat >"$project/run_game.gd" <<'GD'
extends SceneTree

var limit_ms := 10000


func _initialize() -> void:
	for a in OS.get_cmdline_user_args():
		if a.begins_with("--seconds="):
			limit_ms = int(float(a.get_slice("=", 1)) * 1000)
	var node := Node.new()
	node.name = "Game"
	node.set_script(load("res://game.gd"))
	root.add_child(node)


func _process(_delta: float) -> bool:
	return Time.get_ticks_msec() > limit_ms
GD
host_out="$tmp/host.txt"
client_out="$tmp/client.txt"
timeout 60 "${godot[@]}" --headless --path "$project" -s res://run_game.gd -- --host --seconds=30 >"$host_out" 2>&1 &
host_pid=$!
pids+=("$host_pid")
cert="$XDG_DATA_HOME/godot/app_userdata/readme multiplayer/server.crt"
for _ in $(seq 1 300); do [ -s "$cert" ] && break; sleep 0.1; done
check "the host saved its certificate" test -s "$cert"
rc=0
timeout 60 "${godot[@]}" --headless --path "$project" -s res://run_game.gd -- --seconds=3 >"$client_out" 2>&1 || rc=$?
for _ in $(seq 1 100); do grep -q ' says hi' "$host_out" && break; sleep 0.1; done
kill "$host_pid" 2>/dev/null || true
wait "$host_pid" 2>/dev/null || true
show "host: godot -s run_game.gd -- --host" "$host_out"
show "client: godot -s run_game.gd" "$client_out"
check "the client exited cleanly" test "$rc" = 0
check "no script or engine error" bash -c "! grep -qE 'SCRIPT ERROR|ERROR:' '$host_out' '$client_out'"
check "the host saw the client join" grep -qE '^client [0-9]+ joined' "$host_out"
check "the host printed the client's RPC" grep -qE '^[0-9]+ says hi' "$host_out"
echo "$passed passed, $failed failed"
exit $((failed > 0))
