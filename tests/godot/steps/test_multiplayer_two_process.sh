#!/usr/bin/env bash
# OpenSSLDTLSMultiplayerPeer between two headless Godot processes: a server process and a client process, each
# running project/tests/mp_process.gd with the tree's own SceneMultiplayer. The server prints the port it was
# given (port 0, OS-chosen) and saves its certificate; the client connects to it, pinning that certificate, they exchange RPCs both ways (hello with sender ids, 100
# reliable RPCs in order, 10 ping/pong round trips), the client closes and the server sees it leave. Both must
# exit 0 with all their checks passed.
# Peer kind: MP_PEER_KIND (see project/tests/mp_peers.gd), passed on to both processes; default dtls.
# Run by scripts/run-godot-tests.sh, which sets GODOT_CMD and TEST_PROJECT (the test project, addon installed).
# Prints "N passed, M failed"; exit 0 only if all passed.
# requires-addon
set -euo pipefail
read -r -a godot <<<"$GODOT_CMD"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "  ok   $what"; else failed=$((failed + 1)); echo "  FAIL: $what"; fi
}
run_end() {  # run_end ROLE ARGS...: one end, its output then "EXIT <code>"
    local rc=0
    timeout 60 "${godot[@]}" --headless --path "$TEST_PROJECT" -s res://tests/mp_process.gd -- --role="$@" 2>&1 || rc=$?
    echo "EXIT $rc"
}

echo "== server process"
# The server's output comes through a pipe: read until its port line (blocking read, bounded by -t), the rest later.
exec {server}< <(run_end server --cert-out="$tmp/server.crt" | tee "$tmp/server.log")
port=""
while IFS= read -r -t 60 -u "$server" line; do
    case "$line" in "MP_PORT "*) port=${line#MP_PORT }; break ;; esac
done
check "the server process printed its port ($port)" test -n "$port"

echo "== client process, port ${port:-?}"
if [ -n "$port" ]; then
    run_end client --port="$port" --trust="$tmp/server.crt" >"$tmp/client.log"
fi
cat <&"$server" >/dev/null  # until the server process ends
exec {server}<&-
for end in server client; do
    [ -f "$tmp/$end.log" ] || touch "$tmp/$end.log"
    echo "-- $end"
    sed 's/^/   | /' "$tmp/$end.log"
    check "the $end process exits 0" grep -qx "EXIT 0" "$tmp/$end.log"
    check "its checks all passed" grep -qE '^[1-9][0-9]* passed, 0 failed$' "$tmp/$end.log"
done
echo "$passed passed, $failed failed"
exit $((failed > 0))
