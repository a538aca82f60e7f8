#!/usr/bin/env bash
# The main job: runs the demo project headless (server and client in one process); exits 0 only
# if every message arrived. Expects the addon built (make addon). Extra arguments go to Godot.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
godot_cmd=$("$here/scripts/provision-godot.sh")
"$here/scripts/prepare-project.sh" "$here/demo_project" --import
exec timeout 120 $godot_cmd --headless --path "$here/demo_project" -s res://headless_demo.gd "$@"
