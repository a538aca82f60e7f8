#!/usr/bin/env bash
# Checks a release zip (make dist runs it): its layout, that its libraries are the checked builds,
# and that the addon unpacked from it works in Godot: the zip is unpacked into a new directory and
# the whole headless suite runs with that addon folder (scripts/run-godot-tests.sh --addon), which
# includes the demo in a fresh project copy with it (tests/godot/steps/test_demo_fresh_copy.sh).
# Ends with "N passed, M failed".   Usage: scripts/check-dist.sh dist/openssl_dtls-VERSION.zip
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
zip_path=$(realpath "${1:?usage: check-dist.sh ZIP}")
cd "$repo"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "  ok   $what"; else failed=$((failed + 1)); echo "  FAIL: $what"; fi
}

echo "== layout of $zip_path"
unzip -q "$zip_path" -d "$tmp/unpacked"
addon="$tmp/unpacked/addons/openssl_dtls"
entries=$(cd "$tmp/unpacked" && find . -type f | sed 's|^\./||' | sort)
echo "$entries" | sed 's/^/   /'
check "everything is under addons/openssl_dtls/" bash -c "! grep -v '^addons/openssl_dtls/' <<<'$entries'"
for f in openssl_dtls.gdextension LICENSE LICENSE-OpenSSL.txt THIRD_PARTY_NOTICES.md README.md; do
    check "addons/openssl_dtls/$f is there" test -s "$addon/$f"
done
listed=$(sed -n 's|^[a-z]*\.[a-z0-9._]* *= *"res://addons/openssl_dtls/\(.*\)"|\1|p' "$addon/openssl_dtls.gdextension" | sort -u)
for f in $listed; do
    check "$f (listed in the .gdextension) is in the zip" test -s "$addon/$f"
    check "$f is the checked build (same bytes as target/platforms/$f)" cmp -s "$addon/$f" "target/platforms/$f"
done
for f in "$addon"/bin/*; do
    check "bin/$(basename "$f") is listed in the .gdextension" grep -qx "bin/$(basename "$f")" <<<"$listed"
done
check "the .gdextension is the repository's" cmp -s "$addon/openssl_dtls.gdextension" addons/openssl_dtls/openssl_dtls.gdextension
vendored_license=$(cargo metadata --format-version 1 --locked 2>/dev/null | python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "openssl-src":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "openssl", "LICENSE.txt"))')
check "LICENSE-OpenSSL.txt is the vendored OpenSSL's LICENSE.txt" cmp -s "$addon/LICENSE-OpenSSL.txt" "$vendored_license"
for crate in godot-core openssl openssl-sys rcgen parking_lot log; do
    check "THIRD_PARTY_NOTICES.md names $crate" grep -qE "^- $crate [0-9]" "$addon/THIRD_PARTY_NOTICES.md"
done
check "THIRD_PARTY_NOTICES.md holds license texts (MPL-2.0 of gdext, MIT, Apache-2.0)" \
    bash -c "grep -q 'Mozilla Public License' '$addon/THIRD_PARTY_NOTICES.md' && grep -q 'Permission is hereby granted' '$addon/THIRD_PARTY_NOTICES.md' && grep -q 'Apache License' '$addon/THIRD_PARTY_NOTICES.md'"

echo "== every library's own checks (scripts/test-platform.sh --no-run)"
for p in linux.x86_64 linux.arm64 windows.x86_64 macos.universal; do
    check "$p library checks" scripts/test-platform.sh "$p" --no-run
done

echo "== the headless Godot suite with the addon unpacked from the zip"
check "headless suite (and the demo in a fresh project) with the zip's addon" \
    scripts/run-godot-tests.sh --addon "$addon"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
