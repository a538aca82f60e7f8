# Turns the benchmark's "BENCH name=... impl=... value=... unit=..." lines (other lines are ignored) into
# one table: a row per figure, a column per implementation, and the ratios ours/builtin and ours/plain where
# they mean something (meaningful() in bench_lines.awk; the median of the per-round ratios where bench.gd
# printed it as impl=ours/builtin, else the values' ratio); then
# the multiplayer figures (impl enet or dtls, from mp_bench.gd) in a second table with the ratio dtls/enet.
# Usage: awk -f bench_lines.awk -f report.awk bench-output.txt
END {
    if (n == 0) { print "no BENCH lines"; exit 1 }
    fmtrow = "%-18s %-6s %10s %10s %10s %13s %11s\n"
    printf fmtrow, "figure", "unit", "plain", "builtin", "ours", "ours/builtin", "ours/plain"
    m = 0
    for (i = 1; i <= n; i++) {
        k = order[i]
        if (multiplayer(k)) { mp[++m] = k; continue }
        p = val[k, "plain"]; b = val[k, "builtin"]; o = val[k, "ours"]
        if (k ~ /^handshake_/) p = ""  # plain UDP has no handshake
        printf fmtrow, k, unit[k], fmt(p), fmt(b), fmt(o), meaningful(k, "builtin") ? paired(k, "ours", "builtin") : "-", meaningful(k, "plain") ? paired(k, "ours", "plain") : "-"
    }
    if (m == 0) exit 0
    print ""
    fmtmp = "%-18s %-6s %10s %10s %10s\n"
    printf fmtmp, "multiplayer", "unit", "enet", "dtls", "dtls/enet"
    for (i = 1; i <= m; i++) {
        k = mp[i]
        printf fmtmp, k, unit[k], fmt(val[k, "enet"]), fmt(val[k, "dtls"]), paired(k, "dtls", "enet")
    }
}
