#!/usr/bin/env bash
# The addon's API in Godot's own class reference: dumps it with
#     godot --headless --path TEST_PROJECT --doctool DIR --gdextension-docs
# and checks DIR/doc_classes/OpenSSL*.xml with project/tests/check_doc_xml.gd (exact parameters, types and
# defaults of connect_to_peer, get_status returning the Status enum, the STATUS_* constants in enum="Status",
# OpenSSLDTLSServer.setup/take_connection, OpenSSLDTLSCertificates).
# Run by scripts/run-godot-tests.sh, which sets GODOT_CMD (the command prefix that runs Godot) and TEST_PROJECT
# (the test project, with the addon installed). Prints "N passed, M failed"; exit 0 only if all passed.
# requires-addon
set -euo pipefail
read -r -a godot <<<"$GODOT_CMD"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "== godot --doctool $dir --gdextension-docs"
rc=0
timeout 60 "${godot[@]}" --headless --path "$TEST_PROJECT" --doctool "$dir" --gdextension-docs || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "  FAIL: the doc dump exited with code $rc"
    echo "0 passed, 1 failed"
    exit 1
fi
ls "$dir/doc_classes"
timeout 60 "${godot[@]}" --headless --path "$TEST_PROJECT" -s res://tests/check_doc_xml.gd -- "$dir/doc_classes"
