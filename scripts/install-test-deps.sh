#!/usr/bin/env bash
# Installs the third-party programs the tests need when they are missing (Debian family):
# openssl and gnutls-bin (interop peers), debootstrap (to provision Godot 4).
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)
command -v gnutls-serv >/dev/null || need+=(gnutls-bin)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ -n "${GODOT:-}" ]; then :; fi
if [ ${#need[@]} -gt 0 ]; then
    echo "install-test-deps: installing ${need[*]}" >&2
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >&2
fi
