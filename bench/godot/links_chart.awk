# Draws the emulated-link figures of mp_links.gd ("BENCH name=link_<profile>_<size>m_<figure> impl=enet|dtls"
# lines, and its "link_<profile>_<size>m <kind>: down rate R Mbit/s" lines) as an SVG chart: three panels one
# above the other, each with a pair of bars (plain ENet, ours) per profile and transfer size: the transfer's
# goodput as a share of the bottleneck's rate (the value in Mbit/s on the bar), the state updates' p95
# latency during the transfer, and the share of datagrams the bottleneck queues dropped.
# Usage: awk -v title="..." -f bench_lines.awk -f links_chart.awk bench-output.txt > links.svg
/: down rate [0-9.]+ Mbit\/s/ {
    for (i = 1; i < NF; i++) if ($i == "rate") rate[$1 " " substr($2, 1, length($2) - 1)] = $(i + 1) + 0
}
END {
    # The runs (link_<profile>_<size>m), in order of appearance.
    for (i = 1; i <= n; i++) {
        k = order[i]
        if (k !~ /^link_.*_goodput$/) continue
        run = substr(k, 1, length(k) - length("_goodput"))
        runs[++nr] = run
    }
    if (nr == 0) { print "links_chart.awk: no link figures" > "/dev/stderr"; exit 1 }
    split("enet dtls", kinds, " ")
    label["enet"] = "plain ENetMultiplayerPeer"; label["dtls"] = "ours (OpenSSLDTLSMultiplayerPeer)"
    color["enet"] = "#5b8def"; color["dtls"] = "#e8743b"
    np = split("goodput state_p95 queue_drop", figure, " ")
    pname["goodput"] = "goodput of the transfer, % of the bottleneck's rate (Mbit/s on the bars; higher is better)"
    pname["state_p95"] = "state updates during the transfer, p95 latency in ms (lower is better)"
    pname["queue_drop"] = "datagrams dropped by the bottleneck queues, % (lower is better)"
    gw = 112; bw = 40; left = 60; h = 150; ptop = 70; pgap = 70
    W = left + nr * gw + 20
    H = ptop + np * (h + pgap) + 10
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"20\" y=\"22\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", esc(title)
    for (j = 1; j <= 2; j++)
        printf "<rect x=\"%d\" y=\"34\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"44\">%s</text>\n", 20 + (j - 1) * 220, color[kinds[j]], 36 + (j - 1) * 220, label[kinds[j]]
    for (p = 1; p <= np; p++) {
        fig = figure[p]; top = ptop + (p - 1) * (h + pgap) + 20
        # Each bar's height: the share of the rate for the goodput, else the figure itself.
        max = 0
        for (r = 1; r <= nr; r++) for (j = 1; j <= 2; j++) {
            k = runs[r] "_" fig
            if (!((k, kinds[j]) in val)) continue
            v = val[k, kinds[j]] + 0
            if (fig == "goodput") v = (runs[r] " " kinds[j]) in rate ? 100 * v / rate[runs[r] " " kinds[j]] : 0
            height[r, j] = v
            if (v > max) max = v
        }
        max = fig == "goodput" ? 100 : nice(max)
        printf "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", left - 8, top - 12, esc(pname[fig])
        for (t = 0; t <= 4; t++) {
            y = top + h - t / 4 * h
            printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>\n", left - 8, y, W - 20, y, t ? "#e4e4e4" : "#333"
            printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>\n", left - 11, y + 4, fmt(max * t / 4)
        }
        if (fig == "goodput") {  # issue 24's goal: 0.9 of the bottleneck's rate
            y = top + h - 0.9 * h
            printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#2e7d32\" stroke-dasharray=\"5,4\"/>\n", left - 8, y, W - 20, y
            printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#2e7d32\">0.9x</text>\n", W - 20, y - 3
        }
        for (r = 1; r <= nr; r++) {
            gx = left + (r - 1) * gw
            for (j = 1; j <= 2; j++) {
                k = runs[r] "_" fig
                if (!((k, kinds[j]) in val)) continue
                v = height[r, j]; bh = (v > max ? max : v) / max * h; if (bh < 1 && v > 0) bh = 1
                x = gx + (j - 1) * (bw + 4)
                printf "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"/>\n", x, top + h - bh, bw, bh, color[kinds[j]]
                printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x + bw / 2, top + h - bh - 3, fmt(val[k, kinds[j]])
            }
            name = substr(runs[r], 6); match(name, /_[0-9]+m$/)
            profile = substr(name, 1, RSTART - 1); gsub(/_/, "-", profile)
            printf "<text x=\"%d\" y=\"%d\">%s</text>\n", gx, top + h + 14, esc(profile ", " substr(name, RSTART + 1, RLENGTH - 2) " MiB")
        }
    }
    print "</svg>"
}
