# SPDX-License-Identifier: GPL-2.0
# bench_xdp_redirect_veth: xdp_redirect's rate on the veth lab next to a bare program doing the
# same redirect. Live frames from NS_A arrive on veth1 (IN, in NS_B) and are redirected into
# the egress ports veth2, veth4, veth6 of NS_B, whose peers in NS_C drop them in XDP. For each
# mode (bpf_redirect, --map, --multi to 2 and to 3 ports) xdp_redirect (MACs swapped, its
# default) runs against the bare program of tests/xdp_floor_kern.c that swaps and redirects
# alike without counters or options (put on veth1 by tests/xdp_floor_attach); all cases of a
# round alternate, the order rotating. The rate is what the first peer ran through XDP (its
# veth counters: every port gets every frame); the ratio is the median of the per-round ratios.
# The ports run a bare XDP_PASS in every case, so xdp_redirect adds no dummy and both sides
# meet the same devices. (Program cost under BPF_PROG_TEST_RUN: progcost --suite redirect.)
# Sourced by tests/bench.sh; uses result, median and spread from there, tests/lib.sh's lab.

RB_MODES="redirect map multi2 multi3"

rb_port() { echo "veth$((2 + 2 * $1))"; }
rb_peer() { echo "veth$((3 + 2 * $1))"; }

# rb_lab_up: the lab, NS_C and three egress pairs; XDP_PASS on the ports, XDP_DROP on the peers.
rb_lab_up() {
	local k
	lab_up || return 1
	ip netns add "$NS_C" || return 1
	for k in 0 1 2; do
		ip link add "$(rb_port $k)" netns "$NS_B" type veth \
			peer name "$(rb_peer $k)" netns "$NS_C" || return 1
		ip -n "$NS_B" link set "$(rb_port $k)" up
		ip -n "$NS_C" link set "$(rb_peer $k)" up
		xdp_bare "$NS_B" "$(rb_port $k)" pass || return 1
		xdp_bare "$NS_C" "$(rb_peer $k)" drop || return 1
	done
}

# rb_rx_packets: frames the first peer ran through XDP (all queues).
rb_rx_packets() {
	ip netns exec "$NS_C" ethtool -S "$(rb_peer 0)" |
		awk '/rx_queue_[0-9]+_xdp_packets:/{s+=$2} END{print s+0}'
}

# rb_case MODE ours|bare: one measurement; prints the first peer's rate (pps).
rb_case() {
	local mode=$1 who=$2 ports=() args=() prog pid="" out src spid c0 c1 t0 t1 k n=1
	local secs=${BENCH_SECS:-3} warm=${BENCH_WARMUP:-1}
	case $mode in
	redirect) prog=xdp_floor_redirect_swap ;;
	map) prog=xdp_floor_redirect_map_swap; args=(--map) ;;
	multi*) prog=xdp_floor_redirect_multi_swap; args=(--multi); n=${mode#multi} ;;
	esac
	for ((k = 0; k < n; k++)); do ports+=("$(rb_port $k)"); done
	if [ "$who" = ours ]; then
		out="$(tmpdir)/redir-$mode.json"
		bg "$out" in_b "$BINDIR/xdp_redirect" "$VETH_B" "${ports[@]}" "${args[@]}" --json \
			--interval 3600
		pid=$BG_PID
		wait_until 10 has_line "$out" start || return 1
	else
		in_b "$O/tests/xdp_floor_attach" "$O/tests/xdp_floor_kern.o" "$VETH_B" "$prog" \
			"${ports[@]}" || return 1
	fi
	src="$(tmpdir)/src-$mode-$who.json"
	bg "$src" send_a 0 --live --duration "$((warm + secs + 1))"
	spid=$BG_PID
	sleep "$warm"
	c0=$(rb_rx_packets)
	t0=$(date +%s%N)
	sleep "$secs"
	c1=$(rb_rx_packets)
	t1=$(date +%s%N)
	stop "$spid" TERM
	if [ -n "$pid" ]; then
		stop "$pid" INT
	else
		ip -n "$NS_B" link set dev "$VETH_B" xdp off
	fi
	echo $(( (c1 - c0) * 1000000000 / (t1 - t0) ))
}

# rb_ratio "A..." "B...": the median of the per-round ratios A/B.
rb_ratio() {
	python3 -c 'import statistics, sys
a, b = ([float(x) for x in v.split()] for v in sys.argv[1:3])
r = [x / y for x, y in zip(a, b) if y > 0]
print("%.3f" % statistics.median(r) if r else "-")' "$1" "$2"
}

bench_xdp_redirect_veth() {
	local reps=${BENCH_REPS:-3} cases=() r i c m label ratio
	rb_lab_up || return 1
	tmpdir >/dev/null	# made in this shell, so that lab_down removes it
	for m in $RB_MODES; do cases+=("$m:ours" "$m:bare"); done
	declare -A runs=()
	for ((r = 0; r < reps; r++)); do
		for ((i = 0; i < ${#cases[@]}; i++)); do
			c=${cases[$(((i + r) % ${#cases[@]}))]}
			runs[$c]+=" $(rb_case "${c%%:*}" "${c#*:}")"
		done
	done
	for m in $RB_MODES; do
		case $m in
		redirect) label="bpf_redirect" ;;
		map) label="--map" ;;
		multi*) label="--multi, ${m#multi} ports" ;;
		esac
		ratio=$(rb_ratio "${runs[$m:ours]}" "${runs[$m:bare]}")
		# shellcheck disable=SC2086
		RUNS="${runs[$m:bare]}" result xdp_redirect "$label, bare program (veth)" \
			"$(median ${runs[$m:bare]})" pps \
			"rate at the first peer; median of $reps x ${BENCH_SECS:-3} s, spread $(spread ${runs[$m:bare]})%" \
			redirect "$label (veth)" base bare
		# shellcheck disable=SC2086
		RUNS="${runs[$m:ours]}" result xdp_redirect "$label, xdp_redirect (veth)" \
			"$(median ${runs[$m:ours]})" pps \
			"spread $(spread ${runs[$m:ours]})%; x$ratio of the bare program (median of the per-round ratios)" \
			redirect "$label (veth)" ours xdp_redirect
	done
}
