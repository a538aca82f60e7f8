#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time and fails on any crash.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]    (default 20 s, every target)
#
# Installs cargo-fuzz (`cargo install cargo-fuzz --locked`) when missing. Works on the stable toolchain: RUSTC_BOOTSTRAP=1
# lets cargo-fuzz pass its -Z flags, and `--sanitizer none` avoids the nightly-only sanitizers
# (libFuzzer's coverage guidance still works; memory errors inside OpenSSL are caught only as
# crashes). Corpora grow in fuzz/corpus/<target>, crashes land in fuzz/artifacts/<target>;
# turn each crash into a regression test in rust/core/tests/fuzz_regressions.rs.
set -euo pipefail

SECONDS_PER_TARGET="${1:-20}"
shift || true
cd "$(dirname "$0")/../fuzz"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io" >&2
    cargo install cargo-fuzz --locked >&2
fi

export RUSTC_BOOTSTRAP=1
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    mapfile -t TARGETS < <(cargo fuzz list)
fi

cargo fuzz build --sanitizer none

failed=()
for target in "${TARGETS[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    echo "== fuzzing $target for ${SECONDS_PER_TARGET} s"
    log="artifacts/$target/last-run.log"
    if cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
        echo "   ok: ${runs:-?} inputs executed, corpus $(ls "corpus/$target" | wc -l) files"
    else
        echo "   CRASH in $target (see fuzz/$log and fuzz/artifacts/$target):" >&2
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" >&2 || tail -n 20 "$log" >&2
        failed+=("$target")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzzing: no crashes in ${#TARGETS[@]} targets (${SECONDS_PER_TARGET} s each)"
