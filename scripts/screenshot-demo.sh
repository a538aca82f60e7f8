#!/usr/bin/env bash
# Takes the README's screenshot of the demo scene: Godot (not headless) under Xvfb with the
# OpenGL compatibility renderer on Mesa's software driver. The scene starts a server and a
# client, sends a message and a ping, and saves the window once the ping is back.
# With --avatars first, the avatar demo's scene instead (avatars/avatars.tscn: a host and three clients,
# one pane each; saved once every pane shows every avatar and they moved for two seconds).
# Usage: scripts/screenshot-demo.sh [--avatars] [OUTPUT.png]
#   (default docs/demo.png, with --avatars docs/avatars.png; needs `make addon`)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
scene=()
default_out="$here/docs/demo.png"
demo_args=(--auto=both)
if [ "${1:-}" = --avatars ]; then
    shift
    scene=(res://avatars/avatars.tscn)
    default_out="$here/docs/avatars.png"
    demo_args=()
fi
out=$(realpath -m "${1:-$default_out}")
root="${GODOT_ROOT:-$here/.cache/godot-root}"

if ! command -v xvfb-run >/dev/null || ! command -v xauth >/dev/null; then
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq xvfb xauth >&2
fi
godot_cmd=$(EXTRA_PACKAGES="libgl1 libglx-mesa0 libegl1 libegl-mesa0 libgl1-mesa-dri" "$here/scripts/provision-godot.sh")
"$here/scripts/prepare-project.sh" "$here/demo_project" --import
mkdir -p "$(dirname "$out")"
gl_env=()
if [ -z "${GODOT:-}" ]; then
    gl_env=(LIBGL_DRIVERS_PATH="$root/usr/lib/x86_64-linux-gnu/dri"
            __EGL_VENDOR_LIBRARY_DIRS="$root/usr/share/glvnd/egl_vendor.d")
fi
timeout 120 xvfb-run -a -s "-screen 0 1024x600x24" env "${gl_env[@]}" \
    $godot_cmd --rendering-driver opengl3 --path "$here/demo_project" "${scene[@]}" -- "${demo_args[@]}" --screenshot="$out"
test -s "$out"
echo "screenshot: $out"
