#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/bench.sh: `make bench`. Runs every bench_<tool>() of tests/bench_<tool>.sh on the veth
# lab and writes build/bench/results.json, results.md and chart.png.
#   BENCH_SECS     seconds measured per run (default 3)     BENCH_WARMUP  seconds before (1)
#   BENCH_REPS     rounds, the cases of a question alternating within each round (3)
#   BENCH_SOURCE_CPUS  CPUs the live-frames source sends from, one pinned thread each (default
#                  1; N > 1: into a veth with N queues, each CPU its own source-receiver pipeline)
#   BENCH_NICE     niceness of the source (e.g. -20 on a machine others load: its CPU share, and
#                  so every rate, then moves less with their load)
#   PEERS_DIR      where to look for the peers (xdp-bench, xdp-forward, the AF_XDP example's
#                  xdpsock) before PATH          arguments: which bench_<tool> to run
# Numbers from veth on a shared VM: compare the ratios within one run, not absolute values.
. "$(dirname "$0")/lib.sh"

export BENCH_SECS=${BENCH_SECS:-3}
export BENCH_WARMUP=${BENCH_WARMUP:-1}
export BENCH_REPS=${BENCH_REPS:-3}
export BENCH_SOURCE_CPUS=${BENCH_SOURCE_CPUS:-1}
BENCH_DIR="$O/bench"
BENCH_JSONL="$BENCH_DIR/results.jsonl"

# result GROUP CASE VALUE UNIT [NOTE [QUESTION SET ROLE NAME]]: one row of the report. The
# optional fields put the row into a comparison: QUESTION (receive, redirect, forward, AF_XDP,
# monitor overhead) groups the chart; SET is what is compared (one cluster of bars); ROLE is
# ours, base (the bare program, or the kernel's own path) or peer; NAME labels the bar.
# RUNS="V..." in the environment: the row's value per round (ratios between rows with as many
# rounds are then the median of the per-round ratios: cases of a round share the load).
result() {
	local group=$1 name=$2 value=$3 unit=$4 note=${5:-}
	python3 - "$BENCH_JSONL" "$group" "$name" "$value" "$unit" "$note" "${6:-}" "${7:-}" \
		"${8:-}" "${9:-}" "${RUNS:-}" <<'PY'
import json, sys
path, group, name, value, unit, note, q, s, role, label, runs = sys.argv[1:12]
try:
    v = float(value)
except ValueError:
    v = None
row = {"group": group, "case": name, "value": v, "unit": unit, "note": note}
if runs.split():
    row["runs"] = [float(x) for x in runs.split()]
if q:
    row.update({"question": q, "set": s, "role": role, "name": label or name})
with open(path, "a") as f:
    f.write(json.dumps(row) + "\n")
PY
	printf '  %-14s %-50s %14s %-8s %s\n' "$group" "$name" "$(fmt_num "$value")" "$unit" "$note"
}

# compare_row QUESTION SET ROLE NAME VALUE UNIT: a bar of the comparisons (table and chart)
# that is already a row of the report under another case (a baseline shared by two sets).
compare_row() {
	[ -n "${5:-}" ] || return 0
	python3 - "$BENCH_JSONL" "$@" <<'PY'
import json, sys
path, q, s, role, name, value, unit = sys.argv[1:8]
with open(path, "a") as f:
    f.write(json.dumps({"question": q, "set": s, "role": role, "name": name, "value": float(value),
                        "unit": unit, "compare_only": True}) + "\n")
PY
}

# median N...: the median of the arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2 }'
}

# spread N...: (max - min) / median, in per cent.
spread() {
	local m
	m=$(median "$@")
	printf '%s\n' "$@" | sort -g | awk -v m="$m" '{a[NR]=$1} END{ if (m > 0) printf "%.1f\n", 100*(a[NR]-a[1])/m; else print 0 }'
}

# ratio A B: A / B with three decimals, "-" when B is 0 or missing. With lists of as many
# values (one per round), the median of the per-round ratios.
ratio() {
	python3 - "${1:-0}" "${2:-0}" <<'PY'
import statistics, sys
a, b = ([float(x) for x in v.split()] for v in sys.argv[1:3])
if len(a) > 1 and len(a) == len(b):
    r = [x / y for x, y in zip(a, b) if y > 0]
else:
    r = [statistics.median(a) / statistics.median(b)] if a and b and statistics.median(b) > 0 else []
print("%.3f" % statistics.median(r) if r else "-")
PY
}

fmt_num() {
	python3 -c 'import sys
v = sys.argv[1]
try:
    f = float(v)
    print(f"{f:,.0f}" if abs(f) >= 100 else f"{f:,.3f}")
except ValueError:
    print(v)' "$1"
}

# ---------------------------------------------------------------- the source

# lab_bench_up: the lab with one veth queue per source CPU.
lab_bench_up() {
	lab_up "$BENCH_SOURCE_CPUS"
}

# source_args: the live-frames source's options: BENCH_SOURCE_CPUS threads, each pinned to a
# CPU (the receivers' softirq work runs there too, so the whole pipeline stays on it).
source_args() {
	echo "--cpus $BENCH_SOURCE_CPUS"
}

# with_source NS DEV [pktgen options]: the live-frames source from NS_A runs for BENCH_WARMUP +
# BENCH_SECS; prints "RX SRC": the rate at which DEV (in NS) ran frames through XDP over the last
# BENCH_SECS (its veth counters: the same for every receiver, bare or not), and the source's
# own rate over its whole run (frames its program redirected, whether or not they arrived).
with_source() {
	local ns=$1 dev=$2 out pid c0 c1 t0 t1 rx
	shift 2
	out="$(tmpdir)/source.json"
	# shellcheck disable=SC2046
	bg "$out" in_a ${BENCH_NICE:+nice -n "$BENCH_NICE"} "$PKTGEN" --dev "$VETH_A" \
		--dst-mac "$MAC_B" --src-ip "$IP_A" --dst-ip "$IP_B" --count 0 --live $(source_args) \
		--duration "$(awk -v w="$BENCH_WARMUP" -v s="$BENCH_SECS" 'BEGIN{print w + s + 0.2}')" "$@"
	pid=$BG_PID
	sleep "$BENCH_WARMUP"
	c0=$(xdp_rx_packets "$ns" "$dev")
	t0=$(date +%s%N)
	sleep "$BENCH_SECS"
	c1=$(xdp_rx_packets "$ns" "$dev")
	t1=$(date +%s%N)
	wait "$pid" 2>/dev/null
	rx=$(((c1 - c0) * 1000000000 / (t1 - t0)))
	echo "$rx $(python3 -c 'import json,sys
try:
    print(int(json.load(open(sys.argv[1]))["pps"]))
except (OSError, ValueError, KeyError):
    print(0)' "$out")"
}

# ---------------------------------------------------------------- the peers

# peer_find NAME: path of a peer binary: $PEERS_DIR/NAME, $PEERS_DIR/*/NAME, $PEERS_DIR/*/*/NAME,
# then PATH. The AF_XDP example is an xdpsock too: only one whose --help has its options counts.
peer_find() {
	local name=$1 want=$2 c
	for c in ${PEERS_DIR:+"$PEERS_DIR/$name" "$PEERS_DIR"/*/"$name" "$PEERS_DIR"/*/*/"$name"} \
		$(command -v "$name" 2>/dev/null); do
		{ [ -x "$c" ] && [ -f "$c" ]; } || continue
		[ "$(readlink -f "$c")" = "$(readlink -f "$BINDIR/$name")" ] && continue
		[ -z "$want" ] || "$c" --help 2>&1 | grep -q -- "$want" || continue
		echo "$c"
		return 0
	done
	return 1
}

# peer_version PATH: the version a peer reports, else the git commit it was built from.
peer_version() {
	local v dir g
	v=$("$1" --version 2>&1 | grep -i version | grep -Eo '(v?[0-9]+\.[0-9]+(\.[0-9]+)?[^ ]*|[0-9a-f]{7,})' | head -1)
	dir=$(dirname "$(readlink -f "$1")")
	g=$(git -C "$dir" describe --always --dirty 2>/dev/null) || g=""
	[ -n "$g" ] && [ "$g" != "$v" ] && v="$v${v:+, }git $g"
	echo "${v:-version unknown}"
}

peers_find() {
	PEER_XDP_BENCH=$(peer_find xdp-bench "") || PEER_XDP_BENCH=""
	PEER_XDP_FORWARD=$(peer_find xdp-forward "") || PEER_XDP_FORWARD=""
	PEER_XDPSOCK=$(peer_find xdpsock "tx-vlan") || PEER_XDPSOCK=""
	export PEER_XDP_BENCH PEER_XDP_FORWARD PEER_XDPSOCK
	local p found=() missing=()
	for p in "xdp-bench:$PEER_XDP_BENCH" "xdp-forward:$PEER_XDP_FORWARD" \
		"AF_XDP example (xdpsock):$PEER_XDPSOCK"; do
		if [ -n "${p#*:}" ]; then
			found+=("${p%%:*} ${p#*:} ($(peer_version "${p#*:}"))")
		else
			missing+=("${p%%:*}")
		fi
	done
	PEERS_LINE=""
	[ ${#found[@]} -gt 0 ] && PEERS_LINE="peers: $(printf '%s; ' "${found[@]}" | sed 's/; $//')"
	[ ${#missing[@]} -gt 0 ] &&
		PEERS_LINE="$PEERS_LINE${PEERS_LINE:+ }not found (PATH${PEERS_DIR:+, $PEERS_DIR}; set PEERS_DIR=...): $(IFS=,; echo "${missing[*]}" | sed 's/,/, /g'), so no pairs with them"
	export PEERS_LINE
}

# ---------------------------------------------------------------- the report

write_reports() {
	python3 - "$BENCH_DIR" <<'PY'
import json, os, platform, subprocess, sys, time
d = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(d, "results.jsonl"))]
meta = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "kernel": platform.release(),
    "cpus": os.cpu_count(),
    "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
    "bench_secs": os.environ.get("BENCH_SECS"), "bench_reps": os.environ.get("BENCH_REPS"),
    "source_cpus": os.environ.get("BENCH_SOURCE_CPUS"),
    "load_start": os.environ.get("BENCH_LOAD_START"), "load_end": open("/proc/loadavg").read().split()[:3],
    "peers": os.environ.get("PEERS_LINE", ""),
}
QUESTIONS = ["receive", "redirect", "forward", "AF_XDP", "monitor overhead"]

def comparisons():
    """{question: [(set, {role: row})]} in the order the sets first appear."""
    out = {}
    for r in rows:
        q = r.get("question")
        if not q or r["value"] is None:
            continue
        sets = out.setdefault(q, [])
        for s, roles in sets:
            if s == r["set"]:
                roles[r["role"]] = r
                break
        else:
            sets.append((r["set"], {r["role"]: r}))
    return out

def fmt(v):
    if v is None: return "-"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"

def round_ratios(a, b):
    """ours / other per round, sorted, when both have the same rounds; else []."""
    ra, rb = a.get("runs", []), b.get("runs", [])
    if len(ra) > 1 and len(ra) == len(rb) and all(rb):
        return sorted(x / y for x, y in zip(ra, rb))
    return []

def rt(a, b):
    """ours / other: the median of the per-round ratios when both have the same rounds."""
    if not (a and b and b["value"]):
        return "-"
    rs = round_ratios(a, b)
    if rs:
        n = len(rs)
        return f"x{(rs[n // 2] if n % 2 else (rs[n // 2 - 1] + rs[n // 2]) / 2):.3f}"
    return f"x{a['value'] / b['value']:.3f}"

def rt_range(a, b):
    """rt() and, with per-round ratios, the lowest and highest of them in brackets."""
    r = rt(a, b)
    rs = round_ratios(a, b) if r != "-" else []
    return r + (f" [{rs[0]:.3f}, {rs[-1]:.3f}]" if rs else "")

cmp = comparisons()
json.dump({"meta": meta, "results": rows}, open(os.path.join(d, "results.json"), "w"), indent=1)
with open(os.path.join(d, "results.md"), "w") as f:
    f.write(f"Benchmark run {meta['date']}, kernel {meta['kernel']}, {meta['cpus']} CPUs ({meta['cpu']}), "
            f"{meta['bench_reps']} rounds x {meta['bench_secs']} s per case, source on "
            f"{meta['source_cpus']} CPU(s); load average {meta['load_start']} at the start, "
            f"{' '.join(meta['load_end'])} at the end.\n\n{meta['peers']}\n\n")
    f.write("## Comparisons\n\nRates: higher is better; costs (ns): lower is better. A ratio is ours "
            "over the other bar, measured alternately in the same lab: the median of the "
            "per-round ratios where both have every round, and in brackets the lowest and "
            "highest of them: a range that takes in x1.000 is a difference this run cannot "
            "show (the machine's noise is larger).\n\n")
    for q in QUESTIONS + sorted(set(cmp) - set(QUESTIONS)):
        if q not in cmp:
            continue
        f.write(f"### {q}\n\n| case | ours | base | ours/base | peer | ours/peer | unit |\n"
                "|---|---:|---|---:|---|---:|---|\n")
        for s, roles in cmp[q]:
            o, b, p = roles.get("ours"), roles.get("base"), roles.get("peer")
            unit = (o or b or p)["unit"]
            f.write(f"| {s} | {fmt(o['value']) if o else '-'} | "
                    f"{(b['name'] + ' ' + fmt(b['value'])) if b else '-'} | {rt_range(o, b)} | "
                    f"{(p['name'] + ' ' + fmt(p['value'])) if p else '-'} | {rt_range(o, p)} | {unit} |\n")
        f.write("\n")
    f.write("## All rows\n\n| group | case | value | unit | note |\n|---|---|---:|---|---|\n")
    for r in rows:
        if not r.get("compare_only"):
            f.write(f"| {r['group']} | {r['case']} | {fmt(r['value'])} | {r['unit']} | {r['note']} |\n")

# The chart: one panel per question, a cluster of bars per compared case (ours, base, peer),
# the ratios written over our bar.
panels = [q for q in QUESTIONS + sorted(set(cmp) - set(QUESTIONS)) if q in cmp]
png = os.path.join(d, "chart.png")
if os.path.exists(png):
    os.unlink(png)
if not panels:
    sys.exit(0)
script = []
height = 330 * len(panels) + 60
script.append(f'set terminal pngcairo noenhanced size 1300,{height} font ",9"')
script.append(f'set output "{png}"')
script.append(f'set multiplot layout {len(panels)},1 title "XDP suite vs bare programs and peers, '
              f'veth lab, {meta["date"]} (compare within one run)"')
script.append("set style data histograms\nset style histogram clustered gap 1\n"
              "set style fill solid 0.75 border -1\nset boxwidth 0.9\nset grid y\n"
              "set key top right\nset xtics nomirror rotate by -15 left font \",8\"\nset bmargin 7\nset rmargin 12")
for q in panels:
    sets = cmp[q]
    unit = next(r for _, roles in sets for r in roles.values())["unit"]
    scale, ylabel = (1e6, "Mpps") if unit == "pps" else (1, unit)
    better = "higher is better" if unit == "pps" else "lower is better"
    dat = os.path.join(d, f"chart-{q.replace(' ', '_')}.dat")
    ymax = 0
    with open(dat, "w") as f:
        for i, (s, roles) in enumerate(sets):
            vals = []
            for role in ("ours", "base", "peer"):
                r = roles.get(role)
                v = r["value"] / scale if r and r["value"] is not None else None
                vals.append("NaN" if v is None else f"{v:.4f}")
                ymax = max(ymax, v or 0)
            o, b, p = roles.get("ours"), roles.get("base"), roles.get("peer")
            # short labels: "x0.98 base", "x1.02 xdp-bench" (two decimals; the table has three)
            lb = f"{rt(o, b)[:5]} base" if o and b and rt(o, b) != "-" else ""
            lp = f"{rt(o, p)[:5]} {p['name'].split()[0]}" if o and p and rt(o, p) != "-" else ""
            name = s.replace('"', "'")
            f.write(f'"{name}" {" ".join(vals)} "{lb}" "{lp}"\n')
    script.append(f'set title "{q} ({ylabel}, {better})"')
    script.append(f'set ylabel "{ylabel}"')
    script.append(f"set yrange [0:{ymax * 1.35 if ymax else 1}]")
    # gnuplot refuses a histogram column without a single value: plot the roles there are
    cols = [(2, "ours", "#3465a4"), (3, "bare program / kernel path", "#babdb6"), (4, "peer", "#f57900")]
    have = [c for c in cols if any(roles.get(("ours", "base", "peer")[c[0] - 2]) for _, roles in sets)]
    plots = [f'"{dat}" using {c}{":xtic(1)" if i == 0 else ""} title "{t}" lc rgb "{rgb}"'
             for i, (c, t, rgb) in enumerate(have)]
    # the ratios, written over our bar (the first of each cluster)
    off = -(len(have) - 1) / 2 / (len(have) + 1)	# the first bar's centre (gap 1)
    for col, dy in ((5, 1.9), (6, 0.9)):
        plots.append(f'"" using ($0 + {off:.3f}):2:{col} with labels center offset 0,{dy} '
                     'font ",7" notitle')
    script.append("plot " + ", ".join(plots))
script.append("unset multiplot")
try:
    subprocess.run(["gnuplot"], input="\n".join(script).encode(), check=True, capture_output=True)
except (OSError, subprocess.CalledProcessError) as e:
    err = getattr(e, "stderr", b"") or b""
    print(f"bench: no chart ({e}{': ' + err.decode().strip() if err else ''})", file=sys.stderr)
    if os.path.exists(png):
        os.unlink(png)
PY
}

main() {
	local f fn only=("$@") wrote
	mkdir -p "$BENCH_DIR"
	: >"$BENCH_JSONL"
	for f in "$(dirname "$0")"/bench_*.sh; do
		[ -e "$f" ] && . "$f"
	done
	BENCH_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	export BENCH_LOAD_START
	peers_find
	echo "Benchmark: ${BENCH_REPS} rounds x ${BENCH_SECS} s per case after ${BENCH_WARMUP} s warm-up," \
		"source on ${BENCH_SOURCE_CPUS} CPU(s), load average $BENCH_LOAD_START; results in $BENCH_DIR"
	echo "$PEERS_LINE"
	printf '  %-14s %-50s %14s %-8s %s\n' group case value unit note
	for fn in $(declare -F | awk '{print $3}' | grep '^bench_'); do
		if [ ${#only[@]} -gt 0 ]; then
			local keep=0 o
			for o in "${only[@]}"; do [ "$fn" = "bench_$o" ] && keep=1; done
			[ $keep = 1 ] || continue
		fi
		( trap lab_down EXIT; "$fn" ) || echo "  $fn failed" >&2
	done
	write_reports
	wrote="results.json, results.md"
	[ -s "$BENCH_DIR/chart.png" ] && wrote="$wrote, chart.png"
	echo "Wrote $BENCH_DIR/$wrote (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
}

main "$@"
