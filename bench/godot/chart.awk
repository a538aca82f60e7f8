# Draws the benchmark's "BENCH name=... impl=... value=... unit=..." lines as an SVG bar chart: one group per
# figure, bars for plain UDP, the built-in DTLS and ours side by side, each group scaled to its largest
# value, the value written on each bar, and ours/builtin and ours/plain under the group.
# Usage: awk -v title="..." -f bench_lines.awk -f chart.awk bench-output.txt > figures.svg
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); return s }
END {
    # The multiplayer figures (enet/dtls) are not drawn: only the packet-level ones (plain/builtin/ours).
    kept = 0
    for (i = 1; i <= n; i++) if (!multiplayer(order[i])) order[++kept] = order[i]
    n = kept
    if (n == 0) { print "chart.awk: no BENCH lines" > "/dev/stderr"; exit 1 }
    split("plain builtin ours", impls, " ")
    label["plain"] = "plain PacketPeerUDP"; label["builtin"] = "built-in DTLS (mbedTLS)"; label["ours"] = "ours (OpenSSL)"
    color["plain"] = "#9e9e9e"; color["builtin"] = "#5b8def"; color["ours"] = "#e8743b"
    gw = 150; bw = 36; top = 70; h = 180; W = 40 + n * gw; H = top + h + 80
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"20\" y=\"22\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", esc(title)
    for (j = 1; j <= 3; j++)
        printf "<rect x=\"%d\" y=\"34\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"44\">%s</text>\n", 20 + (j - 1) * 190, color[impls[j]], 36 + (j - 1) * 190, label[impls[j]]
    for (i = 1; i <= n; i++) {
        k = order[i]; x0 = 30 + (i - 1) * gw; max = 0
        for (j = 1; j <= 3; j++) if (val[k, impls[j]] + 0 > max) max = val[k, impls[j]] + 0
        for (j = 1; j <= 3; j++) {
            im = impls[j]; x = x0 + (j - 1) * (bw + 6)
            if (!((k, im) in val)) { printf "<text x=\"%d\" y=\"%d\" fill=\"#777\">-</text>\n", x + bw / 2 - 3, top + h - 4; continue }
            v = val[k, im] + 0; bh = (max > 0) ? v / max * h : 0; if (bh < 1 && v > 0) bh = 1
            printf "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>\n", x, top + h - bh, bw, bh, color[im]
            printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x + bw / 2, top + h - bh - 3, fmt(v)
        }
        printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", x0 - 4, top + h, x0 + 3 * bw + 16, top + h
        printf "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", x0, top + h + 16, esc(k)
        printf "<text x=\"%d\" y=\"%d\">%s</text>\n", x0, top + h + 30, esc(unit[k])
        printf "<text x=\"%d\" y=\"%d\">ours/builtin %s</text>\n", x0, top + h + 44, paired(k, "ours", "builtin")
        printf "<text x=\"%d\" y=\"%d\">ours/plain %s</text>\n", x0, top + h + 58, paired(k, "ours", "plain")
    }
    print "</svg>"
}
