# SPDX-License-Identifier: GPL-2.0
# bench_xdp_rxq_info: XDP_DROP receive rate of xdp_rxq_info (no-touch, --read, --swapmac;
# native and skb) next to a bare XDP_DROP program on the same lab and source, measured
# alternately; the --read depth sweep; the two frame sources; per-packet program cost from
# BPF_PROG_TEST_RUN next to the empty-program floor. Sourced by tests/bench.sh.

# rxq_bench_case MODE ACTION:WHAT [pktgen options]: one measurement, prints pps.
#   ACTION: DROP PASS TX ABORTED, or "floor" (the bare XDP_DROP program);
#   WHAT: notouch | read | swapmac | readN (read N bytes)
rxq_bench_case() {
	local mode=$1 action=${2%%:*} what=${2#*:} pps args=() pid=""
	shift 2
	case $what in
	notouch) args=() ;;
	read) args=(--read) ;;
	swapmac) args=(--swapmac) ;;
	read*) args=(--read-bytes "${what#read}") ;;
	esac
	if [ "$action" = floor ]; then
		local flag=xdpdrv
		[ "$mode" = skb ] && flag=xdpgeneric
		ip -n "$NS_B" link set dev "$VETH_B" "$flag" obj "$O/tests/xdp_floor_kern.o" \
			sec xdp program xdp_floor_drop || return 1
	else
		local out
		out="$(tmpdir)/rxq-$mode-$action-$what.json"
		bg "$out" in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_B" --mode "$mode" --json \
			--interval 60 --action "XDP_$action" "${args[@]}"
		pid=$BG_PID
		wait_until 10 has_line "$out" start || return 1
	fi
	pps=$(with_source_pps "$NS_B" "$VETH_B" "$@")
	if [ -n "$pid" ]; then
		stop "$pid" INT
	else
		ip -n "$NS_B" link set dev "$VETH_B" xdpdrv off 2>/dev/null
		ip -n "$NS_B" link set dev "$VETH_B" xdpgeneric off 2>/dev/null
	fi
	echo "$pps"
}

# rxq_bench_matrix LABEL CASES [pktgen options]: BENCH_REPS rounds over all cases (alternating),
# then one result row per case with its median and spread; ratios against the first case.
rxq_bench_matrix() {
	local label=$1 cases=$2 c r
	shift 2
	declare -A runs=()
	for ((r = 0; r < BENCH_REPS; r++)); do
		for c in $cases; do
			runs[$c]+=" $(rxq_bench_case "${c%%:*}" "${c#*:}" "$@")"
		done
	done
	local base="" m
	for c in $cases; do
		# shellcheck disable=SC2086
		m=$(median ${runs[$c]})
		[ -n "$base" ] || base=$m
		result xdp_rxq_info "$(echo "$c" | tr ':' ' ')$label" "$m" pps \
			"spread $(spread ${runs[$c]})%, x$(awk -v a="$m" -v b="$base" 'BEGIN{ if (b > 0) printf "%.3f", a/b; else print "-" }') of ${cases%% *}"
	done
}

bench_xdp_rxq_info() {
	lab_up || return 1
	in_b ethtool -K "$VETH_B" gro on >/dev/null	# NAPI on: redirected frames reach skb mode too

	# The sources: live frames (BPF_PROG_RUN) against a socket sender, into the bare drop.
	local f
	f="$(tmpdir)/src"
	SOURCE_PPS_FILE=$f rxq_bench_case native floor:notouch >/dev/null
	result source "live frames (BPF_PROG_RUN), 64 B" "$(cat "$f")" pps "sender's own rate"
	ip -n "$NS_B" link set dev "$VETH_B" xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
		program xdp_floor_drop
	local sp
	sp=$(send_a 0 --duration "$BENCH_SECS" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["pps"])')
	ip -n "$NS_B" link set dev "$VETH_B" xdpdrv off
	result source "AF_PACKET socket, 64 B" "$sp" pps "sender's own rate"

	# XDP_TX sends frames back to NS_A: a bare drop there takes them off the wire cheaply.
	ip -n "$NS_A" link set dev "$VETH_A" xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
		program xdp_floor_drop
	local mode
	for mode in native skb; do
		rxq_bench_matrix "" "$mode:floor:notouch $mode:DROP:notouch $mode:DROP:read $mode:DROP:swapmac"
		rxq_bench_matrix "" "$mode:PASS:notouch $mode:PASS:read $mode:PASS:swapmac \
			$mode:TX:notouch $mode:TX:read $mode:TX:swapmac \
			$mode:ABORTED:notouch $mode:ABORTED:read $mode:ABORTED:swapmac"
	done
	# the --read depth sweep: bytes touched per 1500-byte frame
	rxq_bench_matrix " (1500 B frames)" \
		"native:DROP:notouch native:DROP:read64 native:DROP:read256 native:DROP:read1500" \
		--size 1500

	# Per-packet program cost, BPF_PROG_TEST_RUN, against the empty program.
	"$O/tests/progcost" --floor "$O/tests/xdp_floor_kern.o" --reps "$((BENCH_REPS * 2 + 1))" |
		python3 -c '
import json, sys
for l in sys.stdin:
    j = json.loads(l)
    print("%s\t%s\t%.3f" % (j["case"], j["ns_per_pkt"], j["ratio_to_floor"]))' |
		while IFS=$'\t' read -r name ns ratio; do
			result progcost "$name" "$ns" ns/pkt "x$ratio of the floor"
		done
}
