#!/usr/bin/env bash
# Provisions Debian unstable's arm64 `godot` package and prints the path of a program that runs it
# under qemu-user on this x86_64 machine: no chroot, no binfmt, no root inside the tree.
#
# Root: $GODOT_ARM64_ROOT or .cache/godot-root-arm64 (git-ignored). Made once with
# `debootstrap --arch=arm64 --foreign --variant=minbase --include=godot sid ROOT MIRROR` (which only
# downloads and unpacks the base), then `dpkg-deb -x` of every package it downloaded, godot's
# dependencies included; the mirror comes from this machine's apt sources (scripts/provision-godot.sh).
# The program printed is ROOT.run: `qemu-aarch64 -L ROOT ROOT/usr/bin/godot "$@"`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root="${GODOT_ARM64_ROOT:-$here/.cache/godot-root-arm64}"
log() { echo "provision-godot-arm64: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

if [ ! -f "$root/.complete" ]; then
    # The same mirror lookup as the x86_64 root's.
    mirror=$(grep -rhoE '^(URIs:[[:space:]]*|deb[[:space:]]+(\[[^]]*\][[:space:]]+)?)[a-z]+://[^[:space:]]+/debian/?([[:space:]]|$)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -oE '[a-z]+://[^[:space:]]+' | grep -v security | head -n1 || true)
    [ -n "$mirror" ] || { log "no Debian mirror found in /etc/apt/sources.list*"; exit 1; }
    log "downloading Debian unstable's arm64 godot into $root (mirror from apt sources; a few minutes)"
    as_root rm -rf "$root"
    mkdir -p "$(dirname "$root")"
    as_root debootstrap --arch=arm64 --foreign --variant=minbase --include=godot sid "$root" "$mirror" >&2
    n=0
    for deb in "$root"/var/cache/apt/archives/*.deb; do
        as_root dpkg-deb -x "$deb" "$root"
        n=$((n + 1))
    done
    log "unpacked $n packages"
    [ -x "$root/usr/bin/godot" ] || { log "no usr/bin/godot in $root"; exit 1; }
    touch "$root/.complete"
fi
cat >"$root.run" <<EOF
#!/bin/sh
# Debian's arm64 Godot under qemu-user (written by scripts/provision-godot-arm64.sh).
exec qemu-aarch64 -L "$root" "$root/usr/bin/godot" "\$@"
EOF
chmod +x "$root.run"
if ! "$root.run" --version 2>/dev/null | grep -q '^4\.'; then
    log "the arm64 Godot in $root does not run under qemu-aarch64"; exit 1
fi
echo "$root.run"
