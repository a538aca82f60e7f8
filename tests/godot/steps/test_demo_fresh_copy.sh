#!/usr/bin/env bash
# Godot loads the addon in a fresh copy of demo_project, with no editor step by hand: copies demo_project to a
# temporary directory (its addons symlink dereferenced, so the real addon files are copied in; no .godot
# folder), runs scripts/prepare-project.sh on it (writes .godot/extension_list.cfg, runs the import), then
# its headless_demo.gd, which must exit 0 and print "Demo PASSED", and the avatar demo's avatars/headless_avatars.gd
# (OpenSSLDTLSMultiplayerPeer; MP_PEER_KIND=enet: plain ENet), which must exit 0 and print "Avatars demo PASSED". User data, editor settings and caches go
# to the temporary directory too (XDG_*), so the demo generates its certificate afresh.
# The demo listens on UDP port 4433 (fixed in headless_demo.gd): another process using it fails this step.
# Run by scripts/run-godot-tests.sh, which sets GODOT_CMD, REPO and ADDON_SRC (the addon folder under test).
# Prints "N passed, M failed"; exit 0 only if all passed.
# requires-addon
set -euo pipefail
read -r -a godot <<<"$GODOT_CMD"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy="$tmp/demo_project"
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "  ok   $what"; else failed=$((failed + 1)); echo "  FAIL: $what"; fi
}
finish() { echo "$passed passed, $failed failed"; exit $((failed > 0)); }
lacks() { ! grep -q "$1" "$2"; }  # lacks PATTERN FILE

echo "== a fresh copy of demo_project in $copy"
cp -rL "$REPO/demo_project" "$copy"
rm -rf "$copy/.godot"
if [ "$(cd "$ADDON_SRC" && pwd -P)" != "$(cd "$REPO/addons/openssl_dtls" 2>/dev/null && pwd -P)" ]; then
    rm -rf "$copy/addons/openssl_dtls"
    cp -rL "$ADDON_SRC" "$copy/addons/openssl_dtls"
    echo "   addon from $ADDON_SRC"
fi
check "addons/ is a real directory, not a symlink" test ! -L "$copy/addons"
has_library() { compgen -G "$1/bin/*openssl_dtls*" >/dev/null; }
check "the addon's library is in the copy" has_library "$copy/addons/openssl_dtls"
check "the addon's .gdextension is in the copy" test -f "$copy/addons/openssl_dtls/openssl_dtls.gdextension"
check "no .godot folder" test ! -e "$copy/.godot"
export XDG_DATA_HOME="$tmp/xdg/data" XDG_CONFIG_HOME="$tmp/xdg/config" XDG_CACHE_HOME="$tmp/xdg/cache"

echo "== scripts/prepare-project.sh $copy --import"
rc=0
"$REPO/scripts/prepare-project.sh" "$copy" --import || rc=$?
check "prepare-project.sh exits 0 (exit code $rc)" test "$rc" -eq 0
check "it wrote .godot/extension_list.cfg naming the addon" \
    grep -qxF "res://addons/openssl_dtls/openssl_dtls.gdextension" "$copy/.godot/extension_list.cfg"
check "the import registered the demo's script classes" grep -q "ChatServer" "$copy/.godot/global_script_class_cache.cfg"
[ "$rc" -eq 0 ] || finish

echo "== godot --headless --path $copy -s res://headless_demo.gd"
rc=0
timeout 120 "${godot[@]}" --headless --path "$copy" -s res://headless_demo.gd >"$tmp/demo.log" 2>&1 || rc=$?
sed 's/^/   | /' "$tmp/demo.log"
check "the demo exits 0 (exit code $rc)" test "$rc" -eq 0
check "it prints \"Demo PASSED\"" grep -q "^Demo PASSED" "$tmp/demo.log"
check "no script error (the addon's classes resolved)" lacks "SCRIPT ERROR" "$tmp/demo.log"
check "it generated its certificate in the fresh user:// (nothing reused)" grep -q "^Generated a self-signed" "$tmp/demo.log"

echo "== godot --headless --path $copy -s res://avatars/headless_avatars.gd"
rc=0
timeout 120 "${godot[@]}" --headless --path "$copy" -s res://avatars/headless_avatars.gd >"$tmp/avatars.log" 2>&1 || rc=$?
sed 's/^/   | /' "$tmp/avatars.log"
check "the avatar demo exits 0 (exit code $rc)" test "$rc" -eq 0
check "it prints \"Avatars demo PASSED\"" grep -q "^Avatars demo PASSED" "$tmp/avatars.log"
check "no script error" lacks "SCRIPT ERROR" "$tmp/avatars.log"
finish
