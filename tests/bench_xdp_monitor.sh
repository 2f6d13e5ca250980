# SPDX-License-Identifier: GPL-2.0
# bench_xdp_monitor: the cost of monitoring. Redirect rate of the live-frames source (an XDP
# program doing bpf_redirect into $VETH_A, in $NS_A) measured at the receiver ($VETH_B, XDP_DROP
# by xdp_rxq_info), without xdp_monitor, with it in errors-only mode and with --stats; the three
# cases alternate within every repetition (rotating order). The monitor runs in $NS_A, so its
# own-namespace filter accepts the redirects: the full per-event path is measured.
# Sourced by tests/bench.sh (after tests/lib.sh); uses result and median from there.

# mon_bench_xdp_pkts: frames $VETH_B ran through XDP (all queues)
mon_bench_xdp_pkts() {
	xdp_rx_packets "$NS_B" "$VETH_B"
}

# mon_bench_case none|errors|stats: one measurement, prints the receiver's pps.
mon_bench_case() {
	local mode=$1 pid="" out res
	if [ "$mode" != none ]; then
		out="$(tmpdir)/mon-$mode.json"
		bg "$out" in_a "$BINDIR/xdp_monitor" --json --interval 3600 \
			$([ "$mode" = stats ] && echo --stats)
		pid=$BG_PID
		wait_until 10 has_line "$out" start || { stop "$pid" KILL; return 1; }
	fi
	res=$(with_source "$NS_B" "$VETH_B")
	[ -n "$pid" ] && stop "$pid" INT
	echo "${res%% *}"
}

# mon_bench_progtime errors|stats: BPF run time of all the monitor's programs per packet that
# reached the receiver (kernel.bpf_stats_enabled for one run, restored afterwards). Prints
# "ns/pkt events/pkt". The figure includes bpf_stats' own two clock reads per event.
mon_bench_progtime() {
	local mode=$1 out old ids id t=0 cnt=0 dt dc c0 c1 secs=${BENCH_SECS:-3} src
	old=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) || return 1
	out="$(tmpdir)/prog-$mode.json"
	bg "$out" in_a "$BINDIR/xdp_monitor" --json --interval 3600 \
		$([ "$mode" = stats ] && echo --stats)
	local pid=$BG_PID
	wait_until 10 has_line "$out" start || { stop "$pid" KILL; return 1; }
	ids=$(jget "$out" start "' '.join(str(i) for i in j['prog_ids'])")
	sysctl -qw kernel.bpf_stats_enabled=1
	c0=$(mon_bench_xdp_pkts)
	send_a 0 --live --duration "$secs" >/dev/null
	c1=$(mon_bench_xdp_pkts)
	for id in $ids; do
		read -r dt dc < <(bpftool prog show id "$id" -j | python3 -c \
			'import json,sys; j = json.load(sys.stdin); print(j.get("run_time_ns", 0), j.get("run_cnt", 0))')
		t=$((t + dt))
		cnt=$((cnt + dc))
	done
	sysctl -qw kernel.bpf_stats_enabled="$old"
	stop "$pid" INT
	awk -v t="$t" -v c="$cnt" -v n="$((c1 - c0))" \
		'BEGIN{ if (n > 0) printf "%.2f %.3f\n", t / n, c / n; else print "0 0" }'
}

bench_xdp_monitor() {
	local reps=${BENCH_REPS:-3} cases=(none errors stats) r i c out
	lab_bench_up || return 1
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
		local set
		set="redirect rate, xdp_monitor $([ "$c" = stats ] && echo --stats || echo errors-only)"
		result xdp_monitor "redirect, monitor: $c" "$m" pps \
			"median of $reps x ${BENCH_SECS:-3} s; runs:${runs[$c]}; $(awk -v a="$m" -v b="$base" \
			'BEGIN{ if (b > 0) printf "x%.3f, cost %.1f%%", a/b, 100*(1-a/b); else print "-" }')"
		if [ "$c" != none ]; then
			compare_row "monitor overhead" "$set" ours xdp_monitor "$m" pps
			compare_row "monitor overhead" "$set" base "no monitor" "$base" pps
		fi
	done
	# The same cost without the noise of a shared machine: the programs' own run time per
	# packet, against the time per packet of the unmonitored redirect path (1 / its pps).
	local ev
	for c in errors stats; do
		read -r m ev < <(mon_bench_progtime "$c") || continue
		result xdp_monitor "program time per packet, monitor: $c" "$m" ns/pkt \
			"bpf_stats run_time_ns / packets received ($ev events/pkt, clock reads included); $(awk -v t="$m" -v b="$base" \
			'BEGIN{ if (b > 0) printf "%.2f%% of the %.0f ns/pkt redirect path", 100*t*b/1e9, 1e9/b }')"
	done
}
