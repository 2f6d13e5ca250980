#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/bench.sh: `make bench`. Runs every bench_<tool>() of tests/bench_<tool>.sh on the veth
# lab and writes build/bench/results.json, results.md and chart.png.
#   BENCH_SECS   seconds measured per run (default 3)     BENCH_WARMUP  seconds before (1)
#   BENCH_REPS   repetitions, cases alternating (3)       arguments: which bench_<tool> to run
# Numbers from veth on a shared VM: compare the ratios within one run, not absolute values.
. "$(dirname "$0")/lib.sh"

export BENCH_SECS=${BENCH_SECS:-3}
export BENCH_WARMUP=${BENCH_WARMUP:-1}
export BENCH_REPS=${BENCH_REPS:-3}
BENCH_DIR="$O/bench"
BENCH_JSONL="$BENCH_DIR/results.jsonl"

# result GROUP CASE VALUE UNIT [NOTE]: one row of the report.
result() {
	local group=$1 name=$2 value=$3 unit=$4 note=${5:-}
	python3 - "$BENCH_JSONL" "$group" "$name" "$value" "$unit" "$note" <<'PY'
import json, sys
path, group, name, value, unit, note = sys.argv[1:7]
try:
    v = float(value)
except ValueError:
    v = None
with open(path, "a") as f:
    f.write(json.dumps({"group": group, "case": name, "value": v, "unit": unit, "note": note}) + "\n")
PY
	printf '  %-14s %-44s %14s %-8s %s\n' "$group" "$name" "$(fmt_num "$value")" "$unit" "$note"
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

fmt_num() {
	python3 -c 'import sys
v = sys.argv[1]
try:
    f = float(v)
    print(f"{f:,.0f}" if abs(f) >= 100 else f"{f:,.3f}")
except ValueError:
    print(v)' "$1"
}

# rx_pps NS DEV: the receiver's XDP rate over BENCH_SECS, measured from the device counters.
rx_pps() {
	local c0 c1 t0 t1
	c0=$(xdp_rx_packets "$1" "$2")
	t0=$(date +%s%N)
	sleep "$BENCH_SECS"
	c1=$(xdp_rx_packets "$1" "$2")
	t1=$(date +%s%N)
	echo $(( (c1 - c0) * 1000000000 / (t1 - t0) ))
}

# with_source_pps NS DEV [pktgen options]: run the live-frames source from NS_A for warm-up +
# measurement and print the receiver's rate; the source's own rate goes to $SOURCE_PPS_FILE.
with_source_pps() {
	local ns=$1 dev=$2 src pps
	shift 2
	src="$(tmpdir)/source.json"
	bg "$src" send_a 0 --live --duration "$(awk -v w="$BENCH_WARMUP" -v s="$BENCH_SECS" 'BEGIN{print w + s + 1}')" "$@"
	local spid=$BG_PID
	sleep "$BENCH_WARMUP"
	pps=$(rx_pps "$ns" "$dev")
	stop "$spid" TERM
	wait_until 5 test -s "$src"
	[ -s "$src" ] && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pps"])' "$src" \
		>"${SOURCE_PPS_FILE:-/dev/null}" 2>/dev/null
	echo "$pps"
}

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
}
json.dump({"meta": meta, "results": rows}, open(os.path.join(d, "results.json"), "w"), indent=1)
def fmt(v):
    if v is None: return "-"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3f}"
with open(os.path.join(d, "results.md"), "w") as f:
    f.write(f"Benchmark run {meta['date']}, kernel {meta['kernel']}, {meta['cpus']} CPUs ({meta['cpu']}), "
            f"{meta['bench_reps']} x {meta['bench_secs']} s per case\n\n")
    f.write("| group | case | value | unit | note |\n|---|---|---:|---|---|\n")
    for r in rows:
        f.write(f"| {r['group']} | {r['case']} | {fmt(r['value'])} | {r['unit']} | {r['note']} |\n")
# chart: every pps row, one horizontal bar each
pps = [r for r in rows if r["unit"] == "pps" and r["value"]]
if pps:
    dat = os.path.join(d, "chart.dat")
    with open(dat, "w") as f:
        for i, r in enumerate(pps):
            label = f"{r['group']}: {r['case']}".replace('"', "'")
            f.write(f'{i} {r["value"]/1e6:.4f} "{label}"\n')
    h = max(300, 28 * len(pps) + 120)
    gp = f"""set terminal pngcairo noenhanced size 1100,{h} font ",9"
set output "{os.path.join(d, 'chart.png')}"
set title "XDP suite on the veth lab (Mpps, higher is better; compare within one run)"
set style fill solid 0.6
set yrange [-1:{len(pps)}]
set ytics nomirror
set xlabel "Mpps"
set grid x
unset key
set lmargin 58
plot "{dat}" using (0.5*$2):1:(0.5*$2):(0.4):ytic(3) with boxxyerrorbars lc rgb "#3465a4", \\
     "" using 2:1:(sprintf("%.3f", $2)) with labels left offset 0.5,0 font ",8"
"""
    try:
        subprocess.run(["gnuplot"], input=gp.encode(), check=True, capture_output=True)
    except Exception as e:
        print(f"bench: no chart ({e})", file=sys.stderr)
PY
}

main() {
	local f fn only=("$@")
	mkdir -p "$BENCH_DIR"
	: >"$BENCH_JSONL"
	for f in "$(dirname "$0")"/bench_*.sh; do
		[ -e "$f" ] && . "$f"
	done
	echo "Benchmark: ${BENCH_REPS} x ${BENCH_SECS} s per case after ${BENCH_WARMUP} s warm-up; results in $BENCH_DIR"
	printf '  %-14s %-44s %14s %-8s %s\n' group case value unit note
	for fn in $(declare -F | awk '{print $3}' | grep '^bench_'); do
		if [ ${#only[@]} -gt 0 ]; then
			local keep=0 o
			for o in "${only[@]}"; do [ "$fn" = "bench_$o" ] && keep=1; done
			[ $keep = 1 ] || continue
		fi
		( trap lab_down EXIT; "$fn" ) || echo "  $fn failed" >&2
	done
	write_reports
	echo "Wrote $BENCH_DIR/results.json, results.md, chart.png"
}

main "$@"
