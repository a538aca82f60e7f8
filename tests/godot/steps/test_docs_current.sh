#!/usr/bin/env bash
# The checked-in API reference (docs/api/) is what `make docs` writes for this library: runs
# scripts/make-docs.sh into a temporary folder with the addon under test and compares it with docs/api/
# file by file. On a difference: run `make docs` and commit docs/api/.
# Run by scripts/run-godot-tests.sh, which sets GODOT_CMD, ADDON_SRC and REPO.
# Prints "N passed, M failed"; exit 0 only if all passed.
# requires-addon
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "  ok   $what"; else failed=$((failed + 1)); echo "  FAIL: $what"; fi
}
rc=0
GODOT_CMD="$GODOT_CMD" "$REPO/scripts/make-docs.sh" --addon "$ADDON_SRC" --out "$tmp/api" 2>&1 || rc=$?
check "make-docs.sh wrote the reference" test "$rc" = 0
if [ "$rc" = 0 ]; then
    check "every class has a page" bash -c "ls '$tmp/api'/OpenSSL*.md >/dev/null"
    if diff -ru "$REPO/docs/api" "$tmp/api" >"$tmp/diff.txt"; then
        check "docs/api/ is what make docs writes" true
    else
        sed 's/^/   | /' "$tmp/diff.txt"
        check "docs/api/ is what make docs writes (run make docs and commit docs/api/)" false
    fi
fi
echo "$passed passed, $failed failed"
exit $((failed > 0))
