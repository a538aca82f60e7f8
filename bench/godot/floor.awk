# The floor run's table (run.sh --floor): per figure, the floor peer against the baseline (plain UDP for the
# echo, the built-in for memory per pair, plain ENet for the multiplayer figures) and ours against both: what any GDExtension peer pays (the
# floor's ratio) and what ours pays beyond it. The median of the per-round ratios where printed.
# Usage: awk -f bench_lines.awk -f floor.awk bench-output.txt
END {
    if (n == 0) { print "no BENCH lines"; exit 1 }
    fmtrow = "%-18s %-6s %10s %10s %10s %12s %12s %12s\n"
    printf fmtrow, "figure (floor)", "unit", "baseline", "floor", "ours", "floor/base", "ours/base", "ours/floor"
    for (i = 1; i <= n; i++) {
        k = order[i]
        if ((k, "floor") in val) {
            b = multiplayer(k) ? "enet" : k == "mem_pair" ? "builtin" : "plain"
            o = multiplayer(k) ? "dtls" : "ours"
            printf fmtrow, k, unit[k], fmt(val[k, b]), fmt(val[k, "floor"]), fmt(val[k, o]), paired(k, "floor", b), paired(k, o, b), paired(k, o, "floor")
        }
    }
}
