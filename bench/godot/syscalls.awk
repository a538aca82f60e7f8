# System calls per round trip from two `strace -f -c` summaries of runs that differ only in the number of
# echo round trips: (calls of the long run - calls of the short run) / rt, so start-up and handshakes
# cancel out. Prints BENCH lines like the benchmark's own (name=sys_<call> impl=IMPL unit=calls/rt).
# Usage: awk -v impl=ours -v rt=20000 -f syscalls.awk short-run.txt long-run.txt
# The summaries are written with `strace -c -U calls,name`: rows of "calls syscall", and a "total" row.
NF == 2 && $1 ~ /^[0-9]+$/ {
    if (FNR == NR) short[$2] = $1; else long[$2] = $1
}
# A call the short run made once more than the long one (a timer, a worker thread) is noise, not -0.0001.
function per(name,  v) { v = ((long[name] + 0) - (short[name] + 0)) / rt; return v < 0 ? 0 : v }
END {
    if (rt <= 0) { print "syscalls.awk: rt must be > 0" > "/dev/stderr"; exit 1 }
    net = per("recvfrom") + per("sendto") + per("recvmsg") + per("sendmsg") + per("recv") + per("send")
    printf "BENCH name=sys_futex impl=%s value=%.4f unit=calls/rt rounds=1 samples=%.4f\n", impl, per("futex"), per("futex")
    printf "BENCH name=sys_recv_send impl=%s value=%.4f unit=calls/rt rounds=1 samples=%.4f\n", impl, net, net
    printf "BENCH name=sys_total impl=%s value=%.4f unit=calls/rt rounds=1 samples=%.4f\n", impl, per("total"), per("total")
}
