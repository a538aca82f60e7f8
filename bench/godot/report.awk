# Turns the benchmark's "BENCH name=... impl=... value=... unit=..." lines (other lines are ignored) into
# one table: a row per figure, a column per implementation, and the ratios ours/builtin and ours/plain.
# Usage: awk -f report.awk bench-output.txt
function fmt(v) {
    if (v == "") return "-"
    v += 0
    if (v >= 1000 || v <= -1000) return sprintf("%.0f", v)
    return (v >= 10 || v <= -10) ? sprintf("%.1f", v) : sprintf("%.3f", v)
}
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
/^BENCH / {
    delete f
    for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    if (!(f["name"] in unit)) { order[++n] = f["name"]; unit[f["name"]] = f["unit"] }
    val[f["name"], f["impl"]] = f["value"]
}
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
