# SPDX-License-Identifier: GPL-2.0
# tests/bench_xdp_sample_pkts.sh: the cost of sampling. Sourced by tests/bench.sh after
# tests/lib.sh; defines bench_xdp_sample_pkts only.
#
# Receive rate on the lab's NS_B veth (live frames from NS_A, the fastest source here) with
#   - xdp_rxq_info --action XDP_PASS (the baseline: count and pass),
#   - xdp_sample_pkts --sample-rate 1000 and --sample-rate 1 (-q: perf output and reading,
#     no printing), each passing every frame as well.
# The rate is measured at the receiver, from the tools' own --json interval counters, over the
# intervals that lie wholly inside the sending window.

# _bsp_rate FILE KIND: packets per second over the inner intervals of a run (KIND rxq|sp).
_bsp_rate() {
	python3 - "$1" "$2" <<'PY'
import json, sys
path, kind = sys.argv[1:3]
iv = []
for line in open(path):
    if line.startswith("{"):
        o = json.loads(line)
        if o["type"] == "interval":
            d = o["total"]["delta"] if kind == "rxq" else o["delta"]
            iv.append((d, o["period_ns"]))
busy = [i for i, (d, _) in enumerate(iv) if d > 0]
if len(busy) < 3:
    print(0)
    sys.exit()
inner = iv[busy[0] + 1:busy[-1]]
n = sum(d for d, _ in inner)
t = sum(p for _, p in inner)
print(int(n * 1e9 / t) if t else 0)
PY
}

# _bsp_run KIND ARGS...: one run of SECS seconds; prints "PPS LOST_PERCENT".
_bsp_run() {
	local kind=$1 out pid pps lost=0
	shift
	out="$(tmpdir)/bench_sp.json"
	if [ "$kind" = rxq ]; then
		bg "$out" in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_B" --json --interval 0.5 "$@"
	else
		bg "$out" in_b "$BINDIR/xdp_sample_pkts" --json -q --interval 0.5 "$@" "$VETH_B"
	fi
	pid=$BG_PID
	if ! wait_until 10 has_line "$out" start; then
		stop "$pid" KILL
		echo "0 0"
		return
	fi
	send_a 0 --live --duration "${BENCH_SECS:-3}" >/dev/null
	# let an interval close after the last frame (its delta is 0)
	if [ "$kind" = rxq ]; then
		wait_until 5 jeq "$out" interval "j['total']['delta']" 0
	else
		wait_until 5 jeq "$out" interval "j['delta']" 0
	fi
	stop "$pid" INT
	pps=$(_bsp_rate "$out" "$kind")
	if [ "$kind" = sp ]; then
		lost=$(jget "$out" summary \
			"round(100.0 * j['lost'] / max(1, j['sampled'] + j['lost']), 1)" 2>/dev/null)
	fi
	echo "$pps ${lost:-0}"
}

bench_xdp_sample_pkts() {
	local reps=${BENCH_REPS:-3} secs=${BENCH_SECS:-3} i r base pps note
	local -a base_v r1000_v r1000_l r1_v r1_l
	lab_up || { echo "bench_xdp_sample_pkts: lab_up failed" >&2; lab_down; return 1; }
	tmpdir >/dev/null	# set TMP_DIR here, not in a $(...) subshell, so lab_down removes it

	# the cases alternate within each repetition, so load drift on the shared VM hits all alike
	for ((i = 0; i < reps; i++)); do
		set -- $(_bsp_run rxq --action XDP_PASS)
		base_v+=("$1")
		set -- $(_bsp_run sp --sample-rate 1000)
		r1000_v+=("$1") r1000_l+=("$2")
		set -- $(_bsp_run sp --sample-rate 1)
		r1_v+=("$1") r1_l+=("$2")
	done
	base=$(median "${base_v[@]}")
	result xdp_sample_pkts "baseline xdp_rxq_info XDP_PASS" "$base" pps \
		"median of $reps x $secs s, live frames, receiver counters"
	for r in 1000 1; do
		local -n vals="r${r}_v" lost="r${r}_l"
		pps=$(median "${vals[@]}")
		note="median of $reps x $secs s; $(awk -v a="$pps" -v b="$base" \
			'BEGIN { if (b > 0) printf "%.1f%% of baseline", 100 * a / b; else printf "no baseline" }')"
		note="$note; $(median "${lost[@]}")% of samples lost (perf buffer full)"
		result xdp_sample_pkts "sample-rate $r (-q)" "$pps" pps "$note"
		compare_row "monitor overhead" "xdp_sample_pkts 1 in $r, every frame passed" ours \
			xdp_sample_pkts "$pps" pps
		compare_row "monitor overhead" "xdp_sample_pkts 1 in $r, every frame passed" base \
			"xdp_rxq_info XDP_PASS" "$base" pps
		unset -n vals lost
	done
	lab_down
}
