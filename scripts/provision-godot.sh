#!/usr/bin/env bash
# Finds or provisions a Godot 4 binary and prints a command line that runs it.
#
# Order: $GODOT (a user's own Godot 4) if set; else a cached Debian-unstable root filesystem under
# .cache/godot-root (git-ignored) holding Debian's `godot` 4.x package, created with debootstrap on
# first use. The mirror is read from this machine's apt sources, never hard-coded.
# Output (stdout, one line): the command prefix to run Godot, e.g. "/path/ld.so --library-path ... godot".
# With EXTRA_PACKAGES set (space separated), they are added to the root (used by the screenshot command).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
root="${GODOT_ROOT:-$here/.cache/godot-root}"

log() { echo "provision-godot: $*" >&2; }

if [ -n "${GODOT:-}" ]; then
    if ! "$GODOT" --version 2>/dev/null | grep -q '^4\.'; then
        log "GODOT=$GODOT is not a Godot 4 binary"; exit 1
    fi
    echo "$GODOT"; exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_mirror() {
    # First deb.debian.org-style mirror from the machine's apt sources (deb822 or one-line format).
    local m
    m=$(grep -rhoE '^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+/debian/?([[:space:]]|$)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -oE '[a-z]+://[^[:space:]]+' | grep -v security | head -n1 || true)
    [ -n "$m" ] || { log "no Debian mirror found in /etc/apt/sources.list*"; exit 1; }
    echo "$m"
}

loader="$root/usr/lib64/ld-linux-x86-64.so.2"
libpath="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu/pulseaudio"
cmd="$loader --library-path $libpath $root/usr/bin/godot"

if [ ! -x "$root/usr/bin/godot" ] || [ ! -f "$root/.complete" ]; then
    command -v debootstrap >/dev/null || { as_root apt-get update -qq; as_root apt-get install -y -qq debootstrap >&2; }
    mirror=$(apt_mirror)
    log "creating Debian unstable root with godot in $root (mirror from apt sources; ~1 min)"
    rm -rf "$root"; mkdir -p "$(dirname "$root")"
    pkgs="godot${EXTRA_PACKAGES:+,${EXTRA_PACKAGES// /,}}"
    as_root debootstrap --variant=minbase --include="$pkgs" sid "$root" "$mirror" >&2
    touch "$root/.complete"
fi

if [ -n "${EXTRA_PACKAGES:-}" ]; then
    missing=""
    for p in $EXTRA_PACKAGES; do
        [ -f "$root/var/lib/dpkg/info/$p.list" ] || [ -f "$root/var/lib/dpkg/info/$p:amd64.list" ] || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        log "adding$missing to $root"
        as_root chroot "$root" apt-get install -y -qq $missing >&2
    fi
fi

if ! $cmd --version 2>/dev/null | grep -q '^4\.'; then
    log "the Godot in $root does not run"; exit 1
fi
echo "$cmd"
