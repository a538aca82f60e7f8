#!/usr/bin/env bash
# `make dist`: writes dist/openssl_dtls-VERSION.zip, laid out like an official addon
# (addons/openssl_dtls/ with the .gdextension, bin/ with every platform's library, LICENSE,
# LICENSE-OpenSSL.txt, THIRD_PARTY_NOTICES.md from cargo-about, README.md), then checks it
# (scripts/check-dist.sh: layout, every library's checks, unpacked into new Godot projects and
# run headless).   Usage: scripts/make-dist.sh VERSION
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
version=${1:?usage: make-dist.sh VERSION}
platforms=(linux.x86_64 linux.arm64 windows.x86_64 macos.universal)
# cargo-about, pinned (its output format and flags change between releases).
CARGO_ABOUT_VERSION=0.8.4
started=$(date +%s)
log() { echo "make-dist: $*" >&2; }

for p in "${platforms[@]}"; do
    t0=$(date +%s)
    scripts/build-platform.sh "$p" >/dev/null
    log "$p built in $(( $(date +%s) - t0 )) s"
done

if ! cargo about --version 2>/dev/null | grep -q "$CARGO_ABOUT_VERSION"; then
    log "installing cargo-about $CARGO_ABOUT_VERSION from crates.io"
    cargo install cargo-about --version "$CARGO_ABOUT_VERSION" --locked >&2
fi

stage="$repo/target/dist-stage"
addon="$stage/addons/openssl_dtls"
rm -rf "$stage"
mkdir -p "$addon/bin" dist
# Everything the repository's addon folder holds (no binaries there: .gitignore), then the libraries.
git ls-files -z addons/openssl_dtls | xargs -0 -I{} cp {} "$addon/"
# shellcheck source=scripts/platform-env.sh
. scripts/platform-env.sh
for p in "${platforms[@]}"; do
    platform_setup "$p"
    cp "target/platforms/bin/$SHIPPED" "$addon/bin/"
done
# Notices of every crate linked in, from Cargo metadata (the license texts the crates ship).
cargo about generate --locked -c scripts/about/about.toml -m rust/godot/Cargo.toml \
    -o "$addon/THIRD_PARTY_NOTICES.md" scripts/about/notices.hbs

zip_path="$repo/dist/openssl_dtls-$version.zip"
rm -f "$zip_path"
(cd "$stage" && find addons -print | sort | TZ=UTC zip -q -X -D "$zip_path" -@)
log "wrote $zip_path ($(du -h "$zip_path" | cut -f1)) in $(( $(date +%s) - started )) s"

scripts/check-dist.sh "$zip_path"
log "done in $(( $(date +%s) - started )) s"
