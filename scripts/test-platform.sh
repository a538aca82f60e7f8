#!/usr/bin/env bash
# Tests one platform's build as far as this Linux machine allows; each check prints ok/FAIL and the
# script ends with "N passed, M failed".
#
#   scripts/test-platform.sh PLATFORM [--no-run]   (--no-run: only the library checks, no test runs)
#
# windows.x86_64  the DLL exports gdext_rust_init and imports only Windows' own DLLs; the core's Rust
#                 tests cross-compiled with mingw and run under Wine over real UDP on 127.0.0.1
#                 (scripts/wine-run.sh, with the test-only ProcessPrng stub in its prefix)
# linux.arm64     an aarch64 ELF needing glibc <= 2.28; the core's tests under qemu-aarch64; a headless
#                 smoke test (handshake, echo, interop with the built-in DTLS) in Debian's arm64 Godot
#                 under qemu (scripts/provision-godot-arm64.sh)
# linux.x86_64    an x86_64 ELF needing glibc <= 2.28, exporting gdext_rust_init (the Godot suite
#                 runs on this same library: make addon installs it)
# macos.universal x86_64 and arm64 slices, _gdext_rust_init exported by both, deployment target 11.0
# The core's tests that talk to openssl/gnutls programs (interop_*) run natively only; soak, flood and
# mutation (long, figures rather than platform behaviour) too.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# shellcheck source=scripts/platform-env.sh
. "$repo/scripts/platform-env.sh"
platform=${1:?usage: test-platform.sh PLATFORM [--no-run]}
run_tests=1
[ "${2:-}" != --no-run ] || run_tests=0

lib=$("$repo/scripts/build-platform.sh" "$platform" | tail -n1)
platform_setup "$platform"
objdump=$(llvm_tool objdump)

passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "  ok   $what"; else failed=$((failed + 1)); echo "  FAIL: $what"; fi
}
finish() { echo "$platform: $passed passed, $failed failed"; exit $((failed > 0)); }
timed() {  # timed WHAT COMMAND...: runs it, prints its time
    local what=$1 t0 rc=0; shift
    t0=$(date +%s)
    "$@" || rc=$?
    echo "  ($what: $(( $(date +%s) - t0 )) s)"
    return $rc
}

# The core's integration tests that need no third-party program and run in seconds natively.
CORE_TESTS=(--lib --test handshake --test cookies --test records --test udp --test certificates --test multiplayer --test limits
            --test bad_certificates --test features --test impairment --test fuzz_regressions)

# Highest GLIBC_x.y symbol version an ELF file needs.
glibc_needed() {
    "$objdump" -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1
}
version_le() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]; }
elf_checks() {  # elf_checks FILE ARCH_WORD
    local file=$1 arch=$2 need
    need=$(glibc_needed "$file")
    echo "  highest glibc symbol version needed: GLIBC_$need; NEEDED: $("$objdump" -p "$file" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')"
    check "$(basename "$file") is an ELF for $arch" bash -c "'$objdump' -f '$file' | grep -q 'file format elf64-$arch'"
    check "no symbol needs a glibc newer than $GLIBC_BASELINE (highest: $need)" version_le "$need" "$GLIBC_BASELINE"
    check "no libgcc_s or libstdc++ needed" bash -c "! '$objdump' -p '$file' | grep -E 'NEEDED.*(libgcc_s|libstdc)'"
    check "exports gdext_rust_init" bash -c "'$objdump' -T '$file' | grep -qw gdext_rust_init"
    check "no debug information left (stripped)" bash -c "! '$objdump' -h '$file' | grep -q '\.debug_info'"
}

case "$platform" in
windows.x86_64)
    echo "== $platform: $lib"
    dump=$("$objdump" -p "$lib")
    imports=$(awk '/DLL Name:/ {print $3}' <<<"$dump" | sort -u)
    echo "  imports: $(tr '\n' ' ' <<<"$imports")"
    check "a PE32+ x86-64 DLL" bash -c "'$objdump' -f '$lib' | grep -q 'file format coff-x86-64'"
    check "exports gdext_rust_init" grep -qE '^\s+\[ *[0-9]+\] +gdext_rust_init$|[[:space:]]gdext_rust_init$' <<<"$dump"
    # Windows' own DLLs (and its API sets); anything else, such as mingw's libgcc_s_seh-1.dll or
    # libwinpthread-1.dll, would be missing on a player's machine.
    foreign=$(grep -viE '^(kernel32|ntdll|advapi32|bcrypt|bcryptprimitives|crypt32|ws2_32|userenv|user32|msvcrt|ucrtbase|shell32|ole32|secur32|iphlpapi|api-ms-win-[a-z0-9-]+)\.dll$' <<<"$imports" || true)
    check "imports only Windows' own DLLs${foreign:+ (also: $foreign)}" test -z "$foreign"
    if [ "$run_tests" = 1 ]; then
        echo "== the core's tests for $TRIPLE under Wine (runner scripts/wine-run.sh)"
        check "core tests pass under Wine" timed "core tests under Wine" \
            cargo test --release --target "$CARGO_TARGET" -p openssl-dtls-core "${CORE_TESTS[@]}"
    fi
    ;;
linux.arm64)
    echo "== $platform: $lib"
    elf_checks "$lib" littleaarch64
    if [ "$run_tests" = 1 ]; then
        echo "== the core's tests for $TRIPLE under qemu-aarch64 (built by zig against glibc $GLIBC_BASELINE)"
        check "core tests pass under qemu-aarch64" timed "core tests under qemu" \
            cargo-zigbuild test --release --target "$CARGO_TARGET" -p openssl-dtls-core "${CORE_TESTS[@]}"
        echo "== headless smoke test in Debian's arm64 Godot under qemu"
        godot_arm64=$("$repo/scripts/provision-godot-arm64.sh")
        addon=$(mktemp -d)
        trap 'rm -rf "$addon"' EXIT
        cp -r "$repo/addons/openssl_dtls" "$addon/openssl_dtls"
        rm -rf "$addon/openssl_dtls/bin"; mkdir -p "$addon/openssl_dtls/bin"
        cp "$lib" "$addon/openssl_dtls/bin/"
        check "handshake, echo and built-in interop in arm64 Godot" timed "Godot arm64 smoke test" \
            env GODOT="$godot_arm64" GODOT_TEST_TIMEOUT=900 OPENSSL_DTLS_LONG_ECHO=10000 "$repo/scripts/run-godot-tests.sh" \
            --addon "$addon/openssl_dtls" test_echo test_interop
    fi
    ;;
linux.x86_64)
    echo "== $platform: $lib"
    elf_checks "$lib" x86-64
    ;;
macos.universal)
    echo "== $platform: $lib"
    lipo=$(llvm_tool lipo)
    otool=$(llvm_tool otool)
    nm=$(llvm_tool nm)
    archs=$("$lipo" -archs "$lib" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
    echo "  architectures: $archs"
    check "a universal Mach-O with x86_64 and arm64" test "$archs" = "arm64 x86_64 "
    for arch in x86_64 arm64; do
        check "$arch slice exports _gdext_rust_init" bash -c "'$nm' -gU --arch=$arch '$lib' | grep -qw _gdext_rust_init"
        minos=$("$otool" -arch "$arch" -l "$lib" | awk '/LC_BUILD_VERSION/ {b=1} b && $1 == "minos" {print $2; exit}')
        check "$arch slice's deployment target is $MACOSX_DEPLOYMENT_TARGET (minos: ${minos:-none})" \
            test "$minos" = "$MACOSX_DEPLOYMENT_TARGET"
        check "$arch slice links OpenSSL statically (no libssl/libcrypto dylib)" \
            bash -c "! '$otool' -arch $arch -L '$lib' | grep -qE 'libssl|libcrypto'"
    done
    ;;
*) plog "unknown platform $platform"; exit 2 ;;
esac
finish
