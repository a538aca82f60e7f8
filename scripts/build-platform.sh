#!/usr/bin/env bash
# Cross-builds the addon's library for one Godot platform from this Linux machine and writes it,
# stripped of debug information, to target/platforms/bin/ under the name the .gdextension gives it.
#
#   scripts/build-platform.sh PLATFORM...   linux.x86_64 | linux.arm64 | windows.x86_64 | macos.universal
#
# Toolchains (installed when missing, see scripts/platform-env.sh): linux.* with cargo-zigbuild and
# zig from PyPI against glibc 2.28; windows.x86_64 with Debian's mingw-w64 gcc; macos.universal with
# cargo-zigbuild (both slices, lipo'd by it), MACOSX_DEPLOYMENT_TARGET 11.0. Release profile,
# target/<triple>/release kept between runs (one OpenSSL build per platform).
# Prints the path of each library written.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=scripts/platform-env.sh
. "$repo/scripts/platform-env.sh"
[ $# -gt 0 ] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

out="$repo/target/platforms/bin"
mkdir -p "$out"
for platform in "$@"; do
    platform_setup "$platform"
    started=$(date +%s)
    plog "$platform: ${CARGO_BUILD[*]} --release --target $CARGO_TARGET -p openssl-dtls-godot"
    "${CARGO_BUILD[@]}" --release --target "$CARGO_TARGET" -p openssl-dtls-godot >&2
    [ -f "$BUILT" ] || { plog "$platform: cargo wrote no $BUILT"; exit 1; }
    case "$platform" in
        macos.*)
            # Not stripped here: the arm64 slice carries the linker's ad-hoc code signature, which
            # editing the file would break (macOS refuses unsigned arm64 code). Rust's macOS
            # builds leave DWARF in the object files, so the dylib holds none anyway.
            cp "$BUILT" "$out/$SHIPPED"
            ;;
        *)
            "$(llvm_tool strip)" --strip-debug -o "$out/$SHIPPED" "$BUILT"
            ;;
    esac
    plog "$platform: $out/$SHIPPED ($(du -h "$out/$SHIPPED" | cut -f1), built $(du -h "$BUILT" | cut -f1)) in $(( $(date +%s) - started )) s"
    echo "$out/$SHIPPED"
done
