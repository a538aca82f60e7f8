#!/usr/bin/env bash
# The main job: runs the demo project headless, both demos one after the other: the chat demo
# (headless_demo.gd: server and client in one process; exits 0 only if every message arrived), then
# the avatar demo (avatars/headless_avatars.gd: a host and three clients over OpenSSLDTLSMultiplayerPeer,
# positions replicated; exits 0 only if every world agrees). Expects the addon built (make addon).
# Extra arguments go to Godot (both runs). MP_PEER_KIND=enet runs the avatar demo on plain ENet.
# Exits non-zero if either demo failed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
godot_cmd=$("$here/scripts/provision-godot.sh")
"$here/scripts/prepare-project.sh" "$here/demo_project" --import
status=0
timeout 120 $godot_cmd --headless --path "$here/demo_project" -s res://headless_demo.gd "$@" || status=1
echo
timeout 120 $godot_cmd --headless --path "$here/demo_project" -s res://avatars/headless_avatars.gd "$@" || status=1
exit "$status"
