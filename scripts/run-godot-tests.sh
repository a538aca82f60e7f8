#!/usr/bin/env bash
# Runs the headless Godot tests, one process each: the GDScript tests tests/godot/project/tests/test_*.gd, then
# the shell steps tests/godot/steps/test_*.sh (Godot's class reference dump, the demo in a fresh project copy).
#
# Usage: scripts/run-godot-tests.sh [--addon DIR] [TEST ...]
#   TEST: a name like test_builtin_dtls or test_doc_api (or a .gd/.sh file/path); default: all of them.
#   --addon DIR: the addon folder to install (default: addons/openssl_dtls of this repo, or $OPENSSL_DTLS_ADDON).
# Env: GODOT (a Godot 4 binary, else scripts/provision-godot.sh provides one), GODOT_TEST_TIMEOUT (s, default 120),
# MP_PEER_KIND (the multiplayer tests' peer kind, see project/tests/mp_peers.gd; logs then go to target/godot-tests-KIND).
#
# The addon is copied into the test project and listed in .godot/extension_list.cfg when both its
# .gdextension and a library in bin/ exist; tests that need it say so with a line "# requires-addon"
# and fail with a clear message when it is not built.
# A step runs as `bash FILE` with GODOT_CMD (the Godot command prefix), TEST_PROJECT (the test project, addon
# installed), ADDON_SRC (the addon folder) and REPO set, and reports like a GDScript test.
# A test fails on: non-zero exit, no "N passed, M failed" summary line, or a "SCRIPT ERROR"/"ERROR:" line
# in its output that its file does not allow with a line "# allow-error: TEXT" (may appear) or
# "# expect-error: TEXT" (must appear); TEXT is a fixed substring. "# allow-error(K): TEXT" and
# "# expect-error(K): TEXT" count only when MP_PEER_KIND is K (dtls when unset), for the multiplayer tests that
# run on either kind. Logs: target/godot-tests/<test>.log.
# Prints "N passed, M failed" over test files and steps last, exits non-zero if any failed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
project="$repo/tests/godot/project"
steps="$repo/tests/godot/steps"
addon_src="${OPENSSL_DTLS_ADDON:-$repo/addons/openssl_dtls}"
timeout_s="${GODOT_TEST_TIMEOUT:-120}"
logs="$repo/target/godot-tests${MP_PEER_KIND:+-$MP_PEER_KIND}"

tests=()
while [ $# -gt 0 ]; do
    case "$1" in
        --addon) addon_src="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) t=$(basename "$1"); tests+=("${t%.*}"); shift ;;
    esac
done
if [ ${#tests[@]} -eq 0 ]; then
    for f in "$project"/tests/test_*.gd "$steps"/test_*.sh; do [ -e "$f" ] && { t=$(basename "$f"); tests+=("${t%.*}"); }; done
fi
[ ${#tests[@]} -gt 0 ] || { echo "run-godot-tests: no tests found in $project/tests or $steps" >&2; exit 1; }

godot_line=$("$repo/scripts/provision-godot.sh")
read -r -a godot <<<"$godot_line"  # a command prefix: loader, options, binary

# Install (or remove) the addon in the test project.
rm -rf "$project/addons/openssl_dtls"
mkdir -p "$project/.godot"
addon_missing=""
[ -f "$addon_src/openssl_dtls.gdextension" ] || addon_missing="$addon_missing $addon_src/openssl_dtls.gdextension"
compgen -G "$addon_src/bin/*openssl_dtls*" >/dev/null || addon_missing="$addon_missing $addon_src/bin/ (no library)"
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

# Prints the TEXT of each "# allow-error: TEXT" / "# expect-error: TEXT" line (kind = allow|expect) of a file, and
# of each "# allow-error(K): TEXT" / "# expect-error(K): TEXT" line for the multiplayer peer kind K in use
# ($MP_PEER_KIND, default dtls; see tests/godot/project/tests/mp_peers.gd).
markers() {
    sed -n -e "s/^#[[:space:]]*$1-error:[[:space:]]*//p" \
        -e "s/^#[[:space:]]*$1-error(${MP_PEER_KIND:-dtls}):[[:space:]]*//p" "$2"
}

run_started=$(date +%s%N)
for t in "${tests[@]}"; do
    file="$project/tests/$t.gd"
    [ -f "$file" ] || [ ! -f "$steps/$t.sh" ] || file="$steps/$t.sh"
    log="$logs/$t.log"
    reasons=()
    summary=""
    started=$(date +%s%N)
    if [ ! -f "$file" ]; then
        reasons+=("no such test: $project/tests/$t.gd or $steps/$t.sh")
    elif grep -q '^#[[:space:]]*requires-addon' "$file" && [ -n "$addon_missing" ]; then
        reasons+=("needs the addon, which is not built (missing:$addon_missing)")
    else
        rc=0
        if [ "${file##*.}" = sh ]; then
            GODOT_CMD="$godot_line" TEST_PROJECT="$project" ADDON_SRC="$addon_src" REPO="$repo" \
                timeout "$timeout_s" bash "$file" >"$log" 2>&1 || rc=$?
        else
            timeout "$timeout_s" "${godot[@]}" --headless --path "$project" -s "res://tests/$t.gd" >"$log" 2>&1 || rc=$?
        fi
        if [ "$rc" -eq 124 ]; then reasons+=("timed out after ${timeout_s}s")
        elif [ "$rc" -ne 0 ]; then reasons+=("exit code $rc"); fi
        summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 || true)
        [ -n "$summary" ] || reasons+=("no summary line")
        allowed=$( { markers allow "$file"; markers expect "$file"; } )
        unexpected=$(grep -E 'SCRIPT ERROR|ERROR:' "$log" | grep -vF -e "${allowed:-//no allow-list//}" || true)
        [ -z "$unexpected" ] || reasons+=("engine errors not allowed by the test:"$'\n'"      ${unexpected//$'\n'/$'\n'      }")
        while IFS= read -r want; do
            # Only in engine error lines: a test's own FAIL line may quote the text.
            [ -z "$want" ] || grep -E 'SCRIPT ERROR|ERROR:' "$log" | grep -qF -e "$want" \
                || reasons+=("expected engine error did not appear: $want")
        done < <(markers expect "$file")
    fi
    secs=$(( ($(date +%s%N) - started) / 10000000 ))
    secs="$((secs / 100)).$(printf '%02d' $((secs % 100))) s"
    if [ ${#reasons[@]} -eq 0 ]; then
        n_pass=$((n_pass + 1))
        echo "PASS $t ($summary; $secs)"
    else
        n_fail=$((n_fail + 1))
        echo "FAIL $t (${summary:+$summary; }$secs)"
        printf '  - %s\n' "${reasons[@]}"
        if [ -f "$log" ]; then echo "  --- $log"; sed 's/^/  | /' "$log"; fi
    fi
done

secs=$(( ($(date +%s%N) - run_started) / 1000000000 ))
echo "logs: $logs (${secs} s in all)"
echo "$n_pass passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
