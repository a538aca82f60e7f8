# Entry point of the DTLS benchmark (godot --headless --path . -s res://bench.gd -- OPTIONS): runs the
# phases, alternating the implementations round by round (order rotated each round), and prints each
# figure's median over rounds, readable and as a "BENCH name=... impl=... value=... unit=..." line, and
# the ratios ours/builtin and ours/plain: the median over rounds of each round's own ratio (the two
# implementations measured back to back), as "BENCH name=... impl=ours/plain ... unit=ratio" lines.
# This machine's speed drifts by 20% and more from second to second, so a ratio of two medians taken at
# different moments moved by ±0.1 between runs of one build; the per-round ratios cancel the drift, and
# many short echo rounds (--echo-rounds) give the median more of them.
# bench/godot/run.sh makes the certificates, runs this and tabulates the BENCH lines with ratios.
#
# Options (all optional):
#   --ecdsa-cert=PEM --ecdsa-key=PEM   ECDSA P-256 certificate (without: no ECDSA handshake figure)
#   --rsa-cert=PEM --rsa-key=PEM       RSA-2048 certificate (without: one made with Crypto.generate_rsa)
#   --phases=handshake,echo,memory     --impls=plain,builtin,ours (ours is skipped if not registered)
#   --rounds=7  --handshakes=20 (per round)  --echo-rounds=21  --echo-seconds=0.3 (per round)
#   --inflight=32  --sizes=64,1024
#   --pairs=1000  --batch=32 (memory: concurrent handshakes)
#   --echo-count=0  when > 0, each echo round makes exactly that many round trips (run.sh counts system
#                   calls per round trip with it under strace)
# The memory phase should see one implementation per process (see memory_bench.gd).
extends "res://bench_tree.gd"

const Impls = preload("res://impls.gd")
const Stats = preload("res://stats.gd")
const HandshakeBench = preload("res://handshake_bench.gd")
const EchoBench = preload("res://echo_bench.gd")
const MemoryBench = preload("res://memory_bench.gd")

const DEFAULTS := {
	"phases": "handshake,echo,memory", "impls": "plain,builtin,ours", "rounds": "7", "handshakes": "20",
	"echo-rounds": "21", "echo-seconds": "0.3", "inflight": "32", "sizes": "64,1024", "pairs": "1000", "batch": "32", "echo-count": "0",
	"ecdsa-cert": "", "ecdsa-key": "", "rsa-cert": "", "rsa-key": "",
}
var failures := 0


func _initialize() -> void:
	opts = DEFAULTS.duplicate()
	if not parse_options("bench"):
		return
	var certs := _load_certs()
	var impls := []
	for kind in opts["impls"].split(","):
		if Impls.available(kind):
			impls.append(kind)
		else:
			print("note: %s skipped: %s" % [kind, "OpenSSLPacketPeerDTLS/OpenSSLDTLSServer not registered (addon not installed?)" if kind == Impls.OURS else "unknown implementation"])
	var dtls_impls := impls.filter(func(kind): return Impls.is_dtls(kind))
	var phases: PackedStringArray = opts["phases"].split(",")
	var t0 := Time.get_ticks_msec()
	if "handshake" in phases and not dtls_impls.is_empty():
		for cert_name in certs:
			_figure("handshake_" + cert_name, "ms", dtls_impls, int(opts["rounds"]), func(kind):
				return HandshakeBench.run_round(kind, certs[cert_name][0], certs[cert_name][1], int(opts["handshakes"])))
	if "echo" in phases and not impls.is_empty():
		var c: Array = certs["ecdsa"] if certs.has("ecdsa") else certs["rsa"]
		for size_s in opts["sizes"].split(","):
			var size := int(size_s)
			var label := "%dk" % (size / 1024) if size % 1024 == 0 else str(size)
			_figure("echo_" + label, "rt/s", impls, int(opts["echo-rounds"]), func(kind):
				return EchoBench.run_round(kind, c[0], c[1], size, int(opts["inflight"]), float(opts["echo-seconds"]),
					int(opts["echo-count"])))
	if "memory" in phases:
		if impls.size() > 1:
			print("note: memory of every implementation after the first is underestimated in a shared process")
		var c: Array = certs["ecdsa"] if certs.has("ecdsa") else certs["rsa"]
		for kind in impls:
			var per_pair := MemoryBench.run(kind, c[0], c[1], int(opts["pairs"]), int(opts["batch"]))
			_report("mem_pair", kind, [per_pair], "KiB")
	print("bench: done in %.1f s, %d failure(s)" % [(Time.get_ticks_msec() - t0) / 1000.0, failures])
	quit(0 if failures == 0 else 1)


# {"ecdsa": [key, cert], "rsa": [key, cert]}: from the PEM options; RSA generated when not given.
func _load_certs() -> Dictionary:
	var out := {}
	for name in ["ecdsa", "rsa"]:
		if opts[name + "-cert"] == "":
			continue
		var key := CryptoKey.new()
		var cert := X509Certificate.new()
		if key.load(opts[name + "-key"]) != OK or cert.load(opts[name + "-cert"]) != OK:
			printerr("bench: cannot load %s key/cert from %s, %s" % [name, opts[name + "-key"], opts[name + "-cert"]])
			failures += 1
			continue
		out[name] = [key, cert]
	if not out.has("ecdsa"):
		print("note: no --ecdsa-cert/--ecdsa-key: no ECDSA figures (Godot's Crypto only makes RSA)")
	if not out.has("rsa"):
		var crypto := Crypto.new()
		var key := crypto.generate_rsa(2048)
		out["rsa"] = [key, crypto.generate_self_signed_certificate(key, "CN=localhost,O=bench,C=US")]
	return out


# Runs one warm-up round per implementation, then the rounds, each implementation once per round in an
# order rotated by the round number; reports each implementation's median over rounds, then for ours
# against each other implementation (and the floor against plain) the median of the per-round ratios.
func _figure(name: String, unit: String, impls: Array, rounds: int, round_fn: Callable) -> void:
	print("== %s (%s), %d rounds" % [name, unit, rounds])
	for kind in impls:
		round_fn.call(kind)
	var samples := {}
	for kind in impls:
		samples[kind] = []
	for r in rounds:
		for i in impls.size():
			var kind: String = impls[(i + r) % impls.size()]
			samples[kind].append(round_fn.call(kind))
	var medians := {}
	for kind in impls:
		medians[kind] = _report(name, kind, samples[kind], unit)
	for pair in [[Impls.OURS, Impls.BUILTIN], [Impls.OURS, Impls.PLAIN], [Impls.OURS, Impls.FLOOR], [Impls.FLOOR, Impls.PLAIN]]:
		var kind: String = pair[0]
		var base: String = pair[1]
		if medians.get(kind, -1.0) > 0 and medians.get(base, -1.0) > 0:
			var ratios := Stats.round_ratios(samples[kind], samples[base])
			var paired := Stats.median(ratios)
			print("   %-16s %s/%s = %.2f (median of the %d rounds' ratios; ratio of the medians %.2f)" % [
				name, kind, base, paired, rounds, medians[kind] / medians[base]])
			Stats.bench_line(name, "%s/%s" % [kind, base], paired, "ratio", ratios)


# Prints the median of one figure (readable, then the BENCH line) and returns it; a failed round (-1)
# fails the figure (returns -1).
func _report(name: String, kind: String, samples: Array, unit: String) -> float:
	if samples.is_empty() or samples.any(func(v): return v < 0):
		print("   %-16s %-8s FAILED" % [name, kind])
		failures += 1
		return -1.0
	var m := Stats.median(samples)
	var spread := ", ".join(samples.map(Stats.fmt))
	print("   %-16s %-8s %10s %-5s (rounds: %s)" % [name, kind, Stats.fmt(m), unit, spread])
	Stats.bench_line(name, kind, m, unit, samples)
	return m
