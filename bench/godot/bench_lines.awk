# Shared by report.awk, chart.awk and links_chart.awk (awk -f bench_lines.awk -f report.awk FILE): reads the benchmark's
# "BENCH name=... impl=... value=... unit=..." lines (other lines are ignored) into order[1..n] (figure names
# in order of appearance), unit[name] and val[name, impl]; fmt() and ratio() format them.
function fmt(v) {
    if (v == "") return "-"
    v += 0
    if (v >= 1000 || v <= -1000) return sprintf("%.0f", v)
    return (v >= 10 || v <= -10) ? sprintf("%.1f", v) : sprintf("%.3f", v)
}
# Text for SVG; the smallest 1, 2 or 5 x 10^n at or above v (the top of a chart panel's scale).
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); return s }
function nice(v,    e, m) {
    if (v <= 0) return 1
    e = 1; while (e * 10 <= v) e *= 10; while (e > v) e /= 10
    m = v / e
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e
}
# A multiplayer figure (mp_bench.gd: implementations enet and dtls, not plain/builtin/ours).
function multiplayer(k) { return ((k, "enet") in val) || ((k, "dtls") in val) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
# Figure k's ratio a/b (impl names): the median of the per-round ratios when the benchmark printed it
# (impl=a/b), else the ratio of the two values.
function paired(k, a, b) { return ((k, a "/" b) in val) ? sprintf("%.2f", val[k, a "/" b]) : ratio(val[k, a], val[k, b]) }
# Whether figure k's ratio ours/base means something: against the built-in for every figure with a value on
# both sides but the system call counts (a count near 0 divided by another is noise); against plain UDP only
# for the echo (plain has no handshake, and its memory is the sockets' floor, not a peer to compare with).
function meaningful(k, base) {
    if (k ~ /^sys_/) return 0
    if (base == "plain") return k ~ /^echo_/
    return 1
}
# The panel of figure k (figures of one panel share one scale from zero): its unit, the system calls as one.
function panel(k) {
    if (k ~ /^sys_/) return "system calls per 64 B echo round trip (lower is better)"
    if (k ~ /^handshake_/) return "handshake, " unit[k] " (lower is better)"
    if (k ~ /^echo_/) return "echo, " unit[k] " (higher is better)"
    if (k ~ /^mem_/) return "memory per idle pair, " unit[k] " (lower is better)"
    return unit[k]
}
/^BENCH / {
    delete f
    for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    if (!(f["name"] in unit)) { order[++n] = f["name"]; unit[f["name"]] = f["unit"] }
    val[f["name"], f["impl"]] = f["value"]
}
