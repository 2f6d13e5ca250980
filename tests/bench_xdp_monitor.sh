# SPDX-License-Identifier: GPL-2.0
# bench_xdp_monitor: the cost of monitoring. Redirect rate of the live-frames source (an XDP
# program doing bpf_redirect into $VETH_A, in $NS_A) measured at the receiver ($VETH_B, XDP_DROP
# by xdp_rxq_info), without xdp_monitor, with it in errors-only mode and with --stats; the three
# cases alternate within every repetition (rotating order). The monitor runs in $NS_A, so its
# own-namespace filter accepts the redirects: the full per-event path is measured.
# Sourced by tests/bench.sh (after tests/lib.sh); uses result and median from there.

# mon_bench_xdp_pkts: frames $VETH_B ran through XDP (all queues)
mon_bench_xdp_pkts() {
	in_b ethtool -S "$VETH_B" | awk '/rx_queue_[0-9]+_xdp_packets:/{s+=$2} END{print s+0}'
}

# mon_bench_case none|errors|stats: one measurement, prints the receiver's pps.
mon_bench_case() {
	local mode=$1 pid="" out secs=${BENCH_SECS:-3} warm=${BENCH_WARMUP:-1} c0 c1 t0 t1 src spid
	if [ "$mode" != none ]; then
		out="$(tmpdir)/mon-$mode.json"
		bg "$out" in_a "$BINDIR/xdp_monitor" --json --interval 3600 \
			$([ "$mode" = stats ] && echo --stats)
		pid=$BG_PID
		wait_until 10 has_line "$out" start || return 1
	fi
	src="$(tmpdir)/src-$mode.json"
	bg "$src" send_a 0 --live --duration "$((warm + secs + 2))"
	spid=$BG_PID
	sleep "$warm"
	c0=$(mon_bench_xdp_pkts)
	t0=$(date +%s%N)
	sleep "$secs"
	c1=$(mon_bench_xdp_pkts)
	t1=$(date +%s%N)
	stop "$spid" TERM
	[ -n "$pid" ] && stop "$pid" INT
	echo $(( (c1 - c0) * 1000000000 / (t1 - t0) ))
}

bench_xdp_monitor() {
	local reps=${BENCH_REPS:-3} cases=(none errors stats) r i c out
	lab_up || return 1
	tmpdir >/dev/null	# made in this shell, so that lab_down removes it
	out="$(tmpdir)/rxq.json"
	bg "$out" in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_B" --action XDP_DROP --json --interval 3600
	wait_until 10 has_line "$out" start || return 1
	declare -A runs=()
	for ((r = 0; r < reps; r++)); do
		for ((i = 0; i < 3; i++)); do
			c=${cases[$(((i + r) % 3))]}
			runs[$c]+=" $(mon_bench_case "$c")"
		done
	done
	local base m
	# shellcheck disable=SC2086
	base=$(median ${runs[none]})
	for c in "${cases[@]}"; do
		# shellcheck disable=SC2086
		m=$(median ${runs[$c]})
		result xdp_monitor "redirect, monitor: $c" "$m" pps \
			"median of $reps x ${BENCH_SECS:-3} s; runs:${runs[$c]}; $(awk -v a="$m" -v b="$base" \
			'BEGIN{ if (b > 0) printf "x%.3f, cost %.1f%%", a/b, 100*(1-a/b); else print "-" }')"
	done
}
