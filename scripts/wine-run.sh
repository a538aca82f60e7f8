#!/usr/bin/env bash
# Cargo's runner for x86_64-pc-windows-gnu test binaries (CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER):
# runs a Windows program under Wine in the project's own prefix, target/wine-prefix (made on first
# use, about half a minute). Wine 8 has no bcryptprimitives.dll (ProcessPrng), which every Rust
# program needs: the test-only stub scripts/wine/process_prng.c is built with mingw and put into the
# prefix's system32 when the prefix lacks the DLL.  Usage: wine-run.sh PROGRAM.exe [ARGS...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export WINEPREFIX="${WINEPREFIX:-$repo/target/wine-prefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"  # no Mono/Gecko install dialogs

if ! command -v wine >/dev/null; then
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
    echo "wine-run: installing wine wine64" >&2
    $sudo_cmd apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends wine wine64 >&2
fi

system32="$WINEPREFIX/drive_c/windows/system32"
mkdir -p "$(dirname "$WINEPREFIX")"
if [ ! -f "$WINEPREFIX/.ready" ]; then
    (
        flock 9
        if [ ! -f "$WINEPREFIX/.ready" ]; then
            echo "wine-run: creating the Wine prefix $WINEPREFIX" >&2
            mkdir -p "$WINEPREFIX"
            wineboot --init >/dev/null 2>&1 || true
            wineserver --wait || true
            if [ ! -f "$system32/bcryptprimitives.dll" ]; then
                echo "wine-run: this Wine lacks bcryptprimitives.dll: installing the test-only ProcessPrng stub" >&2
                x86_64-w64-mingw32-gcc -O2 -shared -o "$system32/bcryptprimitives.dll" \
                    "$repo/scripts/wine/process_prng.c" -lbcrypt
            fi
            touch "$WINEPREFIX/.ready"
        fi
    ) 9>"$WINEPREFIX.lock"
fi
exec wine "$@"
