# Small numeric and reporting helpers of the benchmark: median, per-round ratios, process RSS, the
# machine-readable line.
extends RefCounted


static func median(values: Array) -> float:
	if values.is_empty():
		return NAN
	var v := values.duplicate()
	v.sort()
	var n := v.size()
	return float(v[n / 2]) if n % 2 == 1 else (float(v[n / 2 - 1]) + float(v[n / 2])) / 2.0


## Each round's own ratio a[r] / b[r] of two implementations measured back to back in round r: their
## median cancels the machine's drift between rounds, where a ratio of two medians does not.
static func round_ratios(a: Array, b: Array) -> Array:
	var out := []
	for r in mini(a.size(), b.size()):
		out.append(a[r] / b[r])
	return out


## Resident set size of this process in KiB, from /proc/self/status (VmRSS), or -1.
static func rss_kib() -> int:
	var f := FileAccess.open("/proc/self/status", FileAccess.READ)
	if f == null:
		return -1
	while not f.eof_reached():
		var line := f.get_line()
		if line.begins_with("VmRSS:"):
			return line.get_slice(":", 1).strip_edges().get_slice(" ", 0).to_int()
	return -1


## Prints "BENCH name=... impl=... value=... unit=... rounds=... samples=[...]": one line per figure.
static func bench_line(name: String, impl: String, value: float, unit: String, samples: Array) -> void:
	var s := ",".join(samples.map(func(x): return "%.4f" % x))
	print("BENCH name=%s impl=%s value=%.4f unit=%s rounds=%d samples=%s" % [name, impl, value, unit, samples.size(), s])


## A figure with about four significant digits: 71234, 112.4, 2.712.
static func fmt(v: float) -> String:
	if absf(v) >= 1000.0:
		return "%.0f" % v
	return "%.1f" % v if absf(v) >= 10.0 else "%.3f" % v
