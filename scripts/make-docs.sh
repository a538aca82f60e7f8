#!/usr/bin/env bash
# Writes the API reference (docs/api/) from the classes' own doc comments, in three steps:
# 1. the doc comments as gdext's register-docs gathers them for the editor's help, one XML file per class
#    in DIR/doc_classes/, written by the ignored unit test rust/godot/src/docs_xml.rs
#    (`cargo test --profile test-release -p openssl-dtls-godot --lib docs_xml -- --ignored`);
# 2. Godot's exact class reference of the addon's library (signatures, defaults, enums, properties), with
#    those descriptions merged in by Godot itself:
#        godot --headless --path PROJECT --doctool DIR --gdextension-docs
#    (the dump alone has every description empty);
# 3. c3-godot-docs-gen (PyPI, pinned with its hash in scripts/docs/requirements.txt, installed into
#    .cache/docs-venv on first use) turns DIR/doc_classes/*.xml into one Markdown page per class and index.md.
#
# Usage: scripts/make-docs.sh [--addon DIR] [--out DIR]
#   --addon DIR: the addon folder whose library is loaded (default: addons/openssl_dtls; `make docs` builds it)
#   --out DIR:   where the Markdown goes (default: docs/api; emptied first)
# Env: GODOT_CMD (a Godot command prefix; else scripts/provision-godot.sh provides one), PYTHON (default
# python3), CARGO (default cargo; CARGO_TARGET_DIR is honoured). Warm, it takes a few seconds.
# tests/godot/steps/test_docs_current.sh runs it with --out TMP and fails when docs/api differs.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
addon="$repo/addons/openssl_dtls"
out="$repo/docs/api"
while [ $# -gt 0 ]; do
    case "$1" in
        --addon) addon=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "make-docs: unknown argument $1" >&2; exit 2 ;;
    esac
done
log() { echo "make-docs: $*" >&2; }

compgen -G "$addon/bin/*openssl_dtls*" >/dev/null || { log "no library in $addon/bin/: run make addon first"; exit 1; }

# The converter, in a virtual environment of its own (created once; re-created when the pin changes).
venv="$repo/.cache/docs-venv"
req="$repo/scripts/docs/requirements.txt"
if ! cmp -s "$req" "$venv/requirements.txt" 2>/dev/null; then
    log "installing the converter into $venv"
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$req" >&2
    cp "$req" "$venv/requirements.txt"
fi

godot_line=${GODOT_CMD:-$("$repo/scripts/provision-godot.sh")}
read -r -a godot <<<"$godot_line"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
project="$tmp/project"
mkdir -p "$project/addons" "$project/.godot" "$tmp/xml"
cp -rL "$addon" "$project/addons/openssl_dtls"
echo "res://addons/openssl_dtls/openssl_dtls.gdextension" >"$project/.godot/extension_list.cfg"
printf '[application]\nconfig/name="api docs"\n' >"$project/project.godot"
export XDG_DATA_HOME="$tmp/xdg/data" XDG_CONFIG_HOME="$tmp/xdg/config" XDG_CACHE_HOME="$tmp/xdg/cache"
# 1. The doc comments (gdext's XML): --doctool below merges their descriptions into its own dump.
(cd "$repo" && OPENSSL_DTLS_DOCS_XML="$tmp/xml/doc_classes" "${CARGO:-cargo}" test --quiet --profile test-release \
    -p openssl-dtls-godot --lib docs_xml -- --ignored --exact docs_xml::write_docs_xml >"$tmp/cargo.log" 2>&1) \
    || { cat "$tmp/cargo.log" >&2; log "gathering the doc comments failed"; exit 1; }
# 2. Godot's class reference of the library, descriptions merged.
if ! timeout 120 "${godot[@]}" --headless --path "$project" --doctool "$tmp/xml" --gdextension-docs >"$tmp/doctool.log" 2>&1; then
    cat "$tmp/doctool.log" >&2
    log "the doc dump failed"
    exit 1
fi
compgen -G "$tmp/xml/doc_classes/OpenSSL*.xml" >/dev/null || { cat "$tmp/doctool.log" >&2; log "no OpenSSL*.xml in the dump"; exit 1; }
if grep -l "<brief_description>[[:space:]]*</brief_description>" "$tmp/xml/doc_classes"/*.xml >&2; then
    log "the classes above have no description: are their doc comments gathered (docs_xml.rs)?"
    exit 1
fi

# 3. Markdown.
rm -rf "$out"
mkdir -p "$out"
"$venv/bin/c3-godot-docs-gen" --index "$tmp/xml/doc_classes" "$out" >/dev/null
log "wrote $(find "$out" -name '*.md' | wc -l) files into $out"
