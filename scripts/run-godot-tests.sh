#!/usr/bin/env bash
# Runs the headless GDScript tests in tests/godot/project/tests/test_*.gd, one Godot process each.
#
# Usage: scripts/run-godot-tests.sh [--addon DIR] [TEST ...]
#   TEST: a name like test_builtin_dtls (or .gd file/path); default: every test_*.gd.
#   --addon DIR: the addon folder to install (default: addons/openssl_dtls of this repo, or $OPENSSL_DTLS_ADDON).
# Env: GODOT (a Godot 4 binary, else scripts/provision-godot.sh provides one), GODOT_TEST_TIMEOUT (s, default 120).
#
# The addon is copied into the test project and listed in .godot/extension_list.cfg when both its
# .gdextension and bin/libopenssl_dtls.so exist; tests that need it say so with a line "# requires-addon"
# and fail with a clear message when it is not built.
# A test fails on: non-zero exit, no "N passed, M failed" summary line, or a "SCRIPT ERROR"/"ERROR:" line
# in Godot's output that its file does not allow with a line "# allow-error: TEXT" (may appear) or
# "# expect-error: TEXT" (must appear); TEXT is a fixed substring. Logs: target/godot-tests/<test>.log.
# Prints "N passed, M failed" over test files last, exits non-zero if any failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
project="$repo/tests/godot/project"
addon_src="${OPENSSL_DTLS_ADDON:-$repo/addons/openssl_dtls}"
timeout_s="${GODOT_TEST_TIMEOUT:-120}"
logs="$repo/target/godot-tests"

tests=()
while [ $# -gt 0 ]; do
    case "$1" in
        --addon) addon_src="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) tests+=("$(basename "${1%.gd}")"); shift ;;
    esac
done
if [ ${#tests[@]} -eq 0 ]; then
    for f in "$project"/tests/test_*.gd; do [ -e "$f" ] && tests+=("$(basename "${f%.gd}")"); done
fi
[ ${#tests[@]} -gt 0 ] || { echo "run-godot-tests: no tests found in $project/tests" >&2; exit 1; }

godot_line=$("$repo/scripts/provision-godot.sh")
read -r -a godot <<<"$godot_line"  # a command prefix: loader, options, binary

# Install (or remove) the addon in the test project.
rm -rf "$project/addons/openssl_dtls"
mkdir -p "$project/.godot"
addon_missing=""
for f in openssl_dtls.gdextension bin/libopenssl_dtls.so; do
    [ -f "$addon_src/$f" ] || addon_missing="$addon_missing $addon_src/$f"
done
if [ -z "$addon_missing" ]; then
    mkdir -p "$project/addons"
    cp -r "$addon_src" "$project/addons/openssl_dtls"
    echo "res://addons/openssl_dtls/openssl_dtls.gdextension" >"$project/.godot/extension_list.cfg"
    echo "addon: $addon_src"
else
    rm -f "$project/.godot/extension_list.cfg"
    echo "addon: not installed, missing:$addon_missing"
fi

mkdir -p "$logs"
n_pass=0
n_fail=0

# Prints the TEXT of each "# allow-error: TEXT" / "# expect-error: TEXT" line (kind = allow|expect) of a file.
markers() { sed -n "s/^#[[:space:]]*$1-error:[[:space:]]*//p" "$2"; }

for t in "${tests[@]}"; do
    file="$project/tests/$t.gd"
    log="$logs/$t.log"
    reasons=()
    if [ ! -f "$file" ]; then
        reasons+=("no such test file: $file")
    elif grep -q '^#[[:space:]]*requires-addon' "$file" && [ -n "$addon_missing" ]; then
        reasons+=("needs the addon, which is not built (missing:$addon_missing)")
    else
        rc=0
        timeout "$timeout_s" "${godot[@]}" --headless --path "$project" -s "res://tests/$t.gd" >"$log" 2>&1 || rc=$?
        if [ "$rc" -eq 124 ]; then reasons+=("timed out after ${timeout_s}s")
        elif [ "$rc" -ne 0 ]; then reasons+=("exit code $rc"); fi
        summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 || true)
        [ -n "$summary" ] || reasons+=("no summary line")
        allowed=$( { markers allow "$file"; markers expect "$file"; } )
        unexpected=$(grep -E 'SCRIPT ERROR|ERROR:' "$log" | grep -vF -e "${allowed:-//no allow-list//}" || true)
        [ -z "$unexpected" ] || reasons+=("engine errors not allowed by the test:"$'\n'"      ${unexpected//$'\n'/$'\n'      }")
        while IFS= read -r want; do
            [ -z "$want" ] || grep -qF -e "$want" "$log" || reasons+=("expected engine error did not appear: $want")
        done < <(markers expect "$file")
    fi
    if [ ${#reasons[@]} -eq 0 ]; then
        n_pass=$((n_pass + 1))
        echo "PASS $t ($summary)"
    else
        n_fail=$((n_fail + 1))
        echo "FAIL $t"
        printf '  - %s\n' "${reasons[@]}"
        if [ -f "$log" ]; then echo "  --- $log"; sed 's/^/  | /' "$log"; fi
    fi
done

echo "logs: $logs"
echo "$n_pass passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
