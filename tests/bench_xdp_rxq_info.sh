# SPDX-License-Identifier: GPL-2.0
# bench_xdp_rxq_info: XDP_DROP receive rate of xdp_rxq_info (no-touch, --read, --swapmac;
# native and skb) next to a bare XDP_DROP program on the same lab and source, measured
# alternately; the --read depth sweep; the two frame sources; per-packet program cost from
# BPF_PROG_TEST_RUN next to the empty-program floor. Sourced by tests/bench.sh.

# rxq_bench_case MODE WHAT [pktgen options]: one measurement, prints pps.
#   WHAT: floor | notouch | read | swapmac | readN (read N bytes)
rxq_bench_case() {
	local mode=$1 what=$2 pps args=() pid=""
	shift 2
	case $what in
	floor) ;;
	notouch) args=(--action XDP_DROP) ;;
	read) args=(--action XDP_DROP --read) ;;
	swapmac) args=(--action XDP_DROP --swapmac) ;;
	read*) args=(--action XDP_DROP --read-bytes "${what#read}") ;;
	esac
	if [ "$what" = floor ]; then
		local flag=xdpdrv
		[ "$mode" = skb ] && flag=xdpgeneric
		ip -n "$NS_B" link set dev "$VETH_B" "$flag" obj "$O/tests/xdp_floor_kern.o" \
			sec xdp program xdp_floor_drop || return 1
	else
		local out
		out="$(tmpdir)/rxq-$mode-$what.json"
		bg "$out" in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_B" --mode "$mode" --json \
			--interval 60 "${args[@]}"
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
		result xdp_rxq_info "${c%%:*} ${c#*:}$label" "$m" pps \
			"spread $(spread ${runs[$c]})%, x$(awk -v a="$m" -v b="$base" 'BEGIN{ if (b > 0) printf "%.3f", a/b; else print "-" }') of ${cases%% *}"
	done
}

bench_xdp_rxq_info() {
	lab_up || return 1
	in_b ethtool -K "$VETH_B" gro on >/dev/null	# NAPI on: redirected frames reach skb mode too

	# The sources: live frames (BPF_PROG_RUN) against a socket sender, into the bare drop.
	local f
	f="$(tmpdir)/src"
	SOURCE_PPS_FILE=$f rxq_bench_case native floor >/dev/null
	result source "live frames (BPF_PROG_RUN), 64 B" "$(cat "$f")" pps "sender's own rate"
	ip -n "$NS_B" link set dev "$VETH_B" xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
		program xdp_floor_drop
	local sp
	sp=$(send_a 0 --duration "$BENCH_SECS" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["pps"])')
	ip -n "$NS_B" link set dev "$VETH_B" xdpdrv off
	result source "AF_PACKET socket, 64 B" "$sp" pps "sender's own rate"

	rxq_bench_matrix "" "native:floor native:notouch native:read native:swapmac"
	rxq_bench_matrix "" "skb:floor skb:notouch skb:read skb:swapmac"
	rxq_bench_matrix " (1500 B frames)" \
		"native:notouch native:read64 native:read256 native:read1500" --size 1500

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
