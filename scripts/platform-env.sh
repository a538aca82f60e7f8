# Sourced by scripts/build-platform.sh and scripts/test-platform.sh: the toolchain of one Godot
# platform, installed when missing (a fresh machine has none of it), and its cargo settings.
#
#   platform_setup PLATFORM     PLATFORM: linux.x86_64 | linux.arm64 | windows.x86_64 | macos.universal
#
# Sets: TRIPLE (rustc target), CARGO_TARGET (what --target gets: a zigbuild target may carry a glibc
# version), CARGO_BUILD (the cargo command line that builds: cargo or cargo zigbuild), BUILT (the
# library cargo writes), SHIPPED (its file name in the addon's bin/), and exports the compilers,
# linkers and test runners cargo and the OpenSSL build need.
# Every build of one platform uses the same toolchain and target/<triple>/release, so OpenSSL is
# compiled once per platform and later builds (tests, library) reuse it.

platform_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Versions of the PyPI toolchain, pinned: a new zig can break cargo-zigbuild.
ZIGLANG_VERSION=0.17.0
CARGO_ZIGBUILD_VERSION=0.24.0
# Lowest glibc the Linux libraries need (Debian 10, Ubuntu 18.10, RHEL 8 and later).
GLIBC_BASELINE=2.28
# Lowest macOS the library loads on (both slices); without it zig stamps its own newest SDK.
export MACOSX_DEPLOYMENT_TARGET=11.0

plog() { echo "platform: $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# need_apt PACKAGE...: installs the Debian packages that are not installed.
need_apt() {
    local p missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -gt 0 ] || return 0
    plog "installing ${missing[*]}"
    if [ -z "${platform_apt_updated:-}" ]; then as_root apt-get update -qq >&2; platform_apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

need_rust_target() {
    rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
    plog "rustup target add $1"
    rustup target add "$1" >&2
}

need_zig() {
    if cargo-zigbuild --version 2>/dev/null | grep -q "$CARGO_ZIGBUILD_VERSION" \
        && python3 -m ziglang version >/dev/null 2>&1; then
        return 0
    fi
    plog "installing ziglang $ZIGLANG_VERSION and cargo-zigbuild $CARGO_ZIGBUILD_VERSION from PyPI"
    python3 -m pip install -q "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" >&2 \
        || python3 -m pip install -q --break-system-packages \
            "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" >&2
    hash -r
}

# LLVM's binary tools (objdump, nm, lipo, otool, strip) read ELF, PE and Mach-O alike.
llvm_tool() {
    local t
    for t in "llvm-$1" /usr/lib/llvm-*/bin/"llvm-$1" /usr/bin/llvm-"$1"-[0-9]*; do
        command -v "$t" >/dev/null 2>&1 && { command -v "$t"; return 0; }
    done
    return 1
}
need_llvm() { need_apt llvm; }

platform_setup() {
    PLATFORM=$1
    case "$PLATFORM" in
        linux.x86_64)
            TRIPLE=x86_64-unknown-linux-gnu
            CARGO_TARGET="$TRIPLE.$GLIBC_BASELINE"
            need_zig
            CARGO_BUILD=(cargo zigbuild)
            BUILT="target/$TRIPLE/release/libopenssl_dtls.so"
            SHIPPED=libopenssl_dtls.linux.x86_64.so
            ;;
        linux.arm64)
            # zig links against glibc 2.28 symbols, like linux.x86_64 (a gcc cross build would
            # need the cross glibc's 2.36). Tests are built the same way (`cargo-zigbuild test`).
            TRIPLE=aarch64-unknown-linux-gnu
            CARGO_TARGET="$TRIPLE.$GLIBC_BASELINE"
            need_zig
            CARGO_BUILD=(cargo zigbuild)
            # Tests run under qemu-user with the cross libc (libc6-arm64-cross) as their root.
            need_apt qemu-user libc6-arm64-cross
            export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
            BUILT="target/$TRIPLE/release/libopenssl_dtls.so"
            SHIPPED=libopenssl_dtls.linux.arm64.so
            ;;
        windows.x86_64)
            TRIPLE=x86_64-pc-windows-gnu
            CARGO_TARGET=$TRIPLE
            need_apt gcc-mingw-w64-x86-64
            export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
            export AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar
            export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
            export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$platform_repo/scripts/wine-run.sh"
            CARGO_BUILD=(cargo build)
            BUILT="target/$TRIPLE/release/openssl_dtls.dll"
            SHIPPED=openssl_dtls.windows.x86_64.dll
            ;;
        macos.universal)
            TRIPLE=universal2-apple-darwin
            CARGO_TARGET=$TRIPLE
            need_zig
            need_rust_target x86_64-apple-darwin
            need_rust_target aarch64-apple-darwin
            CARGO_BUILD=(cargo zigbuild)
            BUILT="target/$TRIPLE/release/libopenssl_dtls.dylib"
            SHIPPED=libopenssl_dtls.macos.universal.dylib
            ;;
        *)
            plog "unknown platform '$PLATFORM' (linux.x86_64, linux.arm64, windows.x86_64, macos.universal)"
            return 2
            ;;
    esac
    [ "$TRIPLE" = universal2-apple-darwin ] || need_rust_target "$TRIPLE"
    need_llvm
}
