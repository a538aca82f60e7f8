# Draws the benchmark's "BENCH name=... impl=... value=... unit=..." lines as an SVG bar chart: one panel per
# kind of figure (handshake ms, echo rt/s, memory KiB, system calls per round trip), each panel on its own
# scale from zero with its gridlines, bars for plain UDP, the built-in DTLS and ours side by side, the value
# written on each bar, and under each figure only the ratios that mean something (meaningful() in
# bench_lines.awk: ours/builtin, and ours/plain for the echo). Plain UDP has no handshake bar.
# Usage: awk -v title="..." -f bench_lines.awk -f chart.awk bench-output.txt > figures.svg
function shown(k, im) { return ((k, im) in val) && !(im == "plain" && k ~ /^handshake_/) }
END {
    # The multiplayer figures (enet/dtls) are not drawn: only the packet-level ones (plain/builtin/ours).
    kept = 0
    for (i = 1; i <= n; i++) if (!multiplayer(order[i])) order[++kept] = order[i]
    n = kept
    if (n == 0) { print "chart.awk: no BENCH lines" > "/dev/stderr"; exit 1 }
    split("plain builtin ours", impls, " ")
    # Panels in order of first appearance; each panel's top = nice(largest value in it).
    np = 0
    for (i = 1; i <= n; i++) {
        p = panel(order[i])
        if (!(p in pidx)) { pidx[p] = ++np; pname[np] = p; top_of[np] = 0 }
        q = pidx[p]; members[q] = members[q] " " order[i]
        for (j = 1; j <= 3; j++) if (shown(order[i], impls[j]) && val[order[i], impls[j]] + 0 > top_of[q]) top_of[q] = val[order[i], impls[j]] + 0
    }
    label["plain"] = "plain PacketPeerUDP"; label["builtin"] = "built-in DTLS (mbedTLS)"; label["ours"] = "ours (OpenSSL)"
    color["plain"] = "#9e9e9e"; color["builtin"] = "#5b8def"; color["ours"] = "#e8743b"
    gw = 150; bw = 36; pad = 50; top = 90; h = 170
    # A panel is wide enough for its figures and for its title (a one-figure panel would cut it).
    W = 20; for (q = 1; q <= np; q++) { nf[q] = split(substr(members[q], 2), figs, " "); pw_of[q] = nf[q] * gw < 280 ? 280 : nf[q] * gw; W += pad + pw_of[q] }
    H = top + h + 80
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"20\" y=\"22\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", esc(title)
    for (j = 1; j <= 3; j++)
        printf "<rect x=\"%d\" y=\"34\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"44\">%s</text>\n", 20 + (j - 1) * 190, color[impls[j]], 36 + (j - 1) * 190, label[impls[j]]
    x0 = 20
    for (q = 1; q <= np; q++) {
        nf[q] = split(substr(members[q], 2), figs, " ")
        max = nice(top_of[q]); ax = x0 + pad - 8; pw = pw_of[q]
        printf "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", ax, top - 18, esc(pname[q])
        for (t = 0; t <= 4; t++) {  # gridlines at 0, 1/4 ... the top, labelled
            y = top + h - t / 4 * h
            printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>\n", ax, y, ax + pw - 10, y, t ? "#e4e4e4" : "#333"
            printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>\n", ax - 3, y + 4, fmt(max * t / 4)
        }
        for (g = 1; g <= nf[q]; g++) {
            k = figs[g]; gx = ax + 6 + (g - 1) * gw
            for (j = 1; j <= 3; j++) {
                im = impls[j]; x = gx + (j - 1) * (bw + 6)
                if (!shown(k, im)) continue
                v = val[k, im] + 0; bh = v / max * h; if (bh < 1 && v > 0) bh = 1
                printf "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>\n", x, top + h - bh, bw, bh, color[im]
                printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x + bw / 2, top + h - bh - 3, fmt(v)
            }
            printf "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", gx, top + h + 16, esc(k)
            line = 30
            for (b = 1; b <= 2; b++) {
                base = b == 1 ? "builtin" : "plain"
                if (!meaningful(k, base)) continue
                printf "<text x=\"%d\" y=\"%d\">ours/%s %s</text>\n", gx, top + h + line, base, paired(k, "ours", base)
                line += 14
            }
        }
        x0 += pad + pw
    }
    print "</svg>"
}
