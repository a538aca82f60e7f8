#!/usr/bin/env bash
# The README's GDScript client and server examples run as written: extracts the code blocks that
# follow "(`server.gd`" and "(`client.gd`" in README.md, puts them in a fresh project with the
# addon, adds both as nodes (server first) and requires the client to print the server's echo.
# Run by scripts/run-godot-tests.sh, which sets GODOT_CMD, REPO and ADDON_SRC.
# Prints "N passed, M failed"; exit 0 only if all passed.
# requires-addon
set -euo pipefail
read -r -a godot <<<"$GODOT_CMD"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
project="$tmp/project"
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "  ok   $what"; else failed=$((failed + 1)); echo "  FAIL: $what"; fi
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

mkdir -p "$project/addons" "$project/.godot"
cp -rL "$ADDON_SRC" "$project/addons/openssl_dtls"
echo "res://addons/openssl_dtls/openssl_dtls.gdextension" >"$project/.godot/extension_list.cfg"
printf '[application]\nconfig/name="readme examples"\n' >"$project/project.godot"
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
export XDG_DATA_HOME="$tmp/xdg/data" XDG_CONFIG_HOME="$tmp/xdg/config" XDG_CACHE_HOME="$tmp/xdg/cache"
out="$tmp/output.txt"
rc=0
timeout 60 "${godot[@]}" --headless --path "$project" -s res://run_examples.gd >"$out" 2>&1 || rc=$?
# All of it, unfiltered: the runner fails the step on any engine error in it.
sed "s/^/   | /" "$out"
check "Godot exited cleanly" test "$rc" = 0
check "no script or engine error" bash -c "! grep -qE 'SCRIPT ERROR|ERROR:' '$out'"
check "the client printed the server's echo" grep -qF 'client got: { "hello": "server" }' "$out"
check "the client did not fail" bash -c "! grep -q 'client failed' '$out'"
echo "$passed passed, $failed failed"
exit $((failed > 0))
