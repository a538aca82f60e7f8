#!/usr/bin/env bash
# Runs the GDScript DTLS benchmark side by side: plain PacketPeerUDP, Godot's built-in DTLS and ours; then the
# multiplayer benchmark (project/mp_bench.gd): OpenSSLDTLSMultiplayerPeer against plain ENetMultiplayerPeer.
#
# Usage: bench/godot/run.sh [--addon DIR] [--quick] [--mp-only | --links-only | --floor] [-- BENCH_OPTIONS...]
#   --addon DIR  addon folder to benchmark (default: addons/openssl_dtls of this repo, or $OPENSSL_DTLS_ADDON);
#                without a built addon "ours" is skipped with a note.
#   --quick      fewer/shorter rounds (a smoke run of the whole pipeline in ~20 s).
#   --mp-only    only the multiplayer benchmark (mp_bench.gd; BENCH_OPTIONS then go to it, e.g. --rounds=7),
#                its output saved but no chart drawn.
#   --links-only only the multiplayer benchmark on emulated links (mp_links.gd; BENCH_OPTIONS go to it, e.g.
#                --profiles=mobile --sizes=1), saved likewise.
#   --floor      the floor: echo (plain, floor, ours), memory per pair (builtin, floor, ours) and multiplayer
#                rates (enet, floor, dtls) with the floor peers of an addon built with the `floor-peers` feature
#                (`make floor-addon`: --addon target/floor-addon), which do no work of their own
#                (bench/godot/README.md); a table of the ratios, saved likewise.
#   BENCH_OPTIONS are passed to bench.gd (see the top of bench/godot/project/bench.gd), e.g. --rounds=9.
# Env: GODOT (a Godot 4 binary, else scripts/provision-godot.sh provides one); LINK_EMULATOR (the link emulator
# binary, default target/release/link-emulator: `make bench` builds it; without it the links are skipped).
#
# The project is copied to a temp dir with the addon installed; certificates (ECDSA P-256, RSA-2048) are
# made there with the openssl CLI. One Godot process measures handshakes and echo rates with the
# implementations alternating round by round; memory per pair is measured in a fresh process per
# implementation; system calls per echo round trip come from strace -f -c (when installed). Prints the table
# last, keeps the whole output in bench-results/godot-<time>.txt and draws the figures as SVG charts
# (bench/godot/figures.svg and links.svg, for docs/performance.md, and copies beside the saved output).
# Env: SYSCALL_ROUND_TRIPS (round trips of the long strace run, default 11000).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
addon="${OPENSSL_DTLS_ADDON:-$repo/addons/openssl_dtls}"
extra=()
mp_extra=()
links_extra=()
mp_only=0
links_only=0
floor_only=0
user_opts=()
while [ $# -gt 0 ]; do
    case "$1" in
        --addon) addon="$2"; shift 2 ;;
        --mp-only) mp_only=1; shift ;;
        --links-only) links_only=1; shift ;;
        --floor) floor_only=1; shift ;;
        --quick) extra+=(--rounds=3 --handshakes=10 --echo-rounds=3 --echo-seconds=0.2 --pairs=200); mp_extra+=(--rounds=2 --seconds=0.3); links_extra+=(--profiles=broadband --sizes=1); shift ;;
        --) shift; extra+=("$@"); user_opts=("$@"); break ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1 (bench options go after --)" >&2; exit 2 ;;
    esac
done

godot_line=$("$repo/scripts/provision-godot.sh")
read -r -a godot <<<"$godot_line"  # a command prefix: loader, options, binary
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

project="$work/project"
cp -r "$here/project" "$project"
# The multiplayer benchmark uses the tests' peer factory, world, RPC probe and lossy relay, as res://tests/.
mkdir -p "$project/tests"
cp "$repo"/tests/godot/project/tests/{mp_peers,mp_world,mp_probe,lossy_relay}.gd "$project/tests/"
rm -rf "$project/addons" "$project/.godot"
mkdir -p "$project/.godot"
if [ -f "$addon/openssl_dtls.gdextension" ] && compgen -G "$addon/bin/*openssl_dtls*" >/dev/null; then
    mkdir -p "$project/addons"
    cp -r "$addon" "$project/addons/openssl_dtls"
    echo "res://addons/openssl_dtls/openssl_dtls.gdextension" >"$project/.godot/extension_list.cfg"
    addon_note="$addon"
else
    addon_note="none (no $addon/openssl_dtls.gdextension + a library in bin/)"
fi
"$here/make-certs.sh" "$work/certs"
certs=(--ecdsa-cert="$work/certs/ecdsa.crt" --ecdsa-key="$work/certs/ecdsa.key"
       --rsa-cert="$work/certs/rsa.crt" --rsa-key="$work/certs/rsa.key")

out="$work/output.txt"
{
    echo "# $(date -u +%FT%TZ) $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo no-commit)" \
        "godot $("${godot[@]}" --version 2>/dev/null | head -n1) cpus $(nproc) load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# addon: $addon_note"
} | tee "$out"

status=0
bench() { # runs bench.gd with the given options, output appended to $out
    timeout 900 "${godot[@]}" --headless --path "$project" -s res://bench.gd -- "${certs[@]}" "$@" 2>&1 \
        | tee -a "$out" || status=1
}
relay="${LINK_EMULATOR:-$repo/target/release/link-emulator}"
links() { # the multiplayer benchmark on emulated links, output appended to $out
    if [ -x "$relay" ]; then
        timeout 1800 "${godot[@]}" --headless --path "$project" -s res://mp_links.gd -- --relay="$relay" \
            ${links_extra[@]+"${links_extra[@]}"} 2>&1 | tee -a "$out" || status=1
    else
        echo "note: no link emulator at $relay (cargo build --release -p link-emulator): links skipped" | tee -a "$out"
    fi
}
# Keeps the output as bench-results/godot$1-<time>.txt (git-ignored); $saved names it.
save() {
    mkdir -p "$repo/bench-results"
    saved="$repo/bench-results/godot$1-$(date -u +%Y%m%d-%H%M%S).txt"
    cp "$out" "$saved"
    echo "saved: $saved"
}
# The emulated links as a chart (docs/performance.md): bench/godot/links.svg, and a copy next to the saved
# output ($1).
links_chart() {
    local title="Emulated links, 60 frames/s: $(head -n1 "$out" | cut -d' ' -f2-3)"
    if grep -q '^BENCH name=link_' "$out" \
        && awk -v title="$title" -f "$here/bench_lines.awk" -f "$here/links_chart.awk" "$out" >"$work/links.svg"; then
        cp "$work/links.svg" "$here/links.svg"
        cp "$work/links.svg" "${1%.txt}-links.svg"
        echo "chart: $here/links.svg"
    fi
}
if [ "$links_only" = 1 ]; then
    links_extra+=(${user_opts[@]+"${user_opts[@]}"})
    links
    save "-links"
    links_chart "$saved"
    exit "$status"
fi
if [ "$floor_only" = 1 ]; then
    # The floor peers beside plain UDP / ENet and ours, in the same processes as ever (rounds alternating).
    bench --phases=echo --impls=plain,floor,ours "${extra[@]}"
    for impl in builtin floor ours; do
        bench --phases=memory --impls="$impl" "${extra[@]}"
    done
    timeout 900 "${godot[@]}" --headless --path "$project" -s res://mp_bench.gd -- --figures=rpc,reliable,burst \
        --kinds=enet,floor,dtls "${mp_extra[@]}" 2>&1 | tee -a "$out" || status=1
    echo
    awk -f "$here/bench_lines.awk" -f "$here/floor.awk" "$out" | tee -a "$out"
    save "-floor"
    exit "$status"
fi
if [ "$mp_only" = 1 ]; then
    # Only the multiplayer figures: the options after -- are mp_bench.gd's.
    mp_extra+=(${user_opts[@]+"${user_opts[@]}"})
    timeout 900 "${godot[@]}" --headless --path "$project" -s res://mp_bench.gd -- "${mp_extra[@]}" 2>&1 | tee -a "$out" || status=1
    save "-mp"
    exit "$status"
fi
bench --phases=handshake,echo "${extra[@]}"
for impl in plain builtin ours; do
    bench --phases=memory --impls="$impl" "${extra[@]}"
done
# Multiplayer: SceneMultiplayer RPCs over OpenSSLDTLSMultiplayerPeer and plain ENetMultiplayerPeer (dtls/enet).
timeout 900 "${godot[@]}" --headless --path "$project" -s res://mp_bench.gd -- "${mp_extra[@]}" 2>&1 | tee -a "$out" || status=1
# The multiplayer peer on emulated links (mp_links.gd), against plain ENet.
links

# System calls per 64 B echo round trip (futex, recvfrom+sendto, all), per implementation: `strace -f -c` on
# two runs that differ only in their number of round trips (2 rounds each: warm-up and one), so that start-up
# and handshakes cancel out (syscalls.awk).
if command -v strace >/dev/null; then
    short=1000 long=${SYSCALL_ROUND_TRIPS:-11000}
    for impl in plain builtin ours; do
        if [ "$impl" = ours ] && [ ! -s "$project/.godot/extension_list.cfg" ]; then
            echo "note: ours skipped in the system call count (no addon)" | tee -a "$out"
            continue
        fi
        echo "== system calls per echo round trip (64 B), $impl: strace -f -c, $short and $long round trips" | tee -a "$out"
        for n in "$short" "$long"; do
            timeout 900 strace -f -c -U calls,name -o "$work/strace-$impl-$n.txt" "${godot[@]}" --headless --path "$project" \
                -s res://bench.gd -- "${certs[@]}" --phases=echo --impls="$impl" --sizes=64 --echo-rounds=1 \
                --echo-count="$n" >"$work/strace-$impl-$n.log" 2>&1 || { status=1; cat "$work/strace-$impl-$n.log"; }
        done
        awk -v impl="$impl" -v rt=$((2 * (long - short))) -f "$here/syscalls.awk" \
            "$work/strace-$impl-$short.txt" "$work/strace-$impl-$long.txt" | tee -a "$out"
    done
else
    echo "note: strace not installed (apt-get install strace): no system call figures" | tee -a "$out"
fi

errors=$(grep -cE 'SCRIPT ERROR|ERROR:' "$out" || true)
[ "$errors" -eq 0 ] || echo "warning: $errors engine error line(s) in the output above"
echo
awk -f "$here/bench_lines.awk" -f "$here/report.awk" "$out" | tee -a "$out"
save ""
# The figures as a chart (docs/performance.md): bench/godot/figures.svg, and a copy next to the saved output.
title="OpenSSL DTLS for Godot: $(head -n1 "$out" | cut -d' ' -f2-3), headless Godot, 127.0.0.1 (higher is better for rt/s)"
if awk -v title="$title" -f "$here/bench_lines.awk" -f "$here/chart.awk" "$out" >"$work/figures.svg"; then
    cp "$work/figures.svg" "$here/figures.svg"
    cp "$work/figures.svg" "${saved%.txt}.svg"
    echo "chart: $here/figures.svg"
fi
links_chart "$saved"
exit "$status"
