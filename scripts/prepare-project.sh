#!/usr/bin/env bash
# Makes a Godot project that was never opened in the editor load the addon headless: writes
# .godot/extension_list.cfg and, with --import, runs the one-time import that registers the
# project's global script classes (class_name). Usage: prepare-project.sh PROJECT_DIR [--import]
set -euo pipefail
project=$1
mkdir -p "$project/.godot"
echo "res://addons/openssl_dtls/openssl_dtls.gdextension" > "$project/.godot/extension_list.cfg"
if [ "${2:-}" = "--import" ]; then
    godot_cmd=$("$(dirname "$0")/provision-godot.sh")
    # --import scans the project (script classes, resources) and quits.
    timeout 300 $godot_cmd --headless --path "$project" --import >/dev/null 2>&1 || true
    if [ ! -f "$project/.godot/global_script_class_cache.cfg" ]; then
        echo "prepare-project: import of $project did not produce a script class cache" >&2
        exit 1
    fi
fi
