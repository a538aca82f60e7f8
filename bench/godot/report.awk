# Turns the benchmark's "BENCH name=... impl=... value=... unit=..." lines (other lines are ignored) into
# one table: a row per figure, a column per implementation, and the ratios ours/builtin and ours/plain.
# Usage: awk -f bench_lines.awk -f report.awk bench-output.txt
END {
    if (n == 0) { print "no BENCH lines"; exit 1 }
    fmtrow = "%-18s %-6s %10s %10s %10s %13s %11s\n"
    printf fmtrow, "figure", "unit", "plain", "builtin", "ours", "ours/builtin", "ours/plain"
    for (i = 1; i <= n; i++) {
        k = order[i]
        p = val[k, "plain"]; b = val[k, "builtin"]; o = val[k, "ours"]
        printf fmtrow, k, unit[k], fmt(p), fmt(b), fmt(o), ratio(o, b), ratio(o, p)
    }
}
