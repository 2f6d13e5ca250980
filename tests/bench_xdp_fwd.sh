# SPDX-License-Identifier: GPL-2.0
# tests/bench_xdp_fwd.sh: sourced by tests/bench.sh after tests/lib.sh; defines bench_xdp_fwd.
#
# Forwarding through the router namespace R on tests/lib.sh's router lab
#   A veth0 -- veth1 R veth2 -- veth3 C
# with xdp_fwd on veth1+veth2 versus the kernel's own forwarding (a bare XDP_PASS program on
# veth1, which veth needs before live frames redirected into veth0 reach it). The source is
# pktgen --live from A (BPF_PROG_RUN live frames; its program rewrites the headers of every
# recycled frame, since live-frame pages are reused without a fresh copy); the sink is a bare
# XDP_DROP program on veth3, and rates are read from veth's own XDP counters in steady state.
#
# On veth the source, R and the sink all run on the sender's CPU (veth runs the peer's NAPI
# where the frame was sent), so the end-to-end rate is that of the whole pipeline. A third case
# measures the pipeline without a router: frames dropped by a bare XDP_DROP on veth1. Its
# time per frame is what the source and veth1's receive cost; subtracting it from each path's
# time per frame leaves the router stage (everything R does plus the delivery into C):
#   stage_ns = 1e9 / path_pps - 1e9 / baseline_pps,   stage pps = 1e9 / stage_ns,
# computed per round (cases alternate within a round), then the median over rounds.
# xdp-forward (xdp-tools), when installed, is measured the same way in the same rounds. The
# router programs' cost per forwarded frame is read from the kernel's run-time statistics on
# R's veth1 under the same traffic (the way a user's router runs them); the test harness's
# BPF_PROG_TEST_RUN figure follows for reference.

# _fwdb_case CASE: put R in the state of CASE (base, kernel, xdp, peer) and print the
# steady-state rate at the point that counts (veth1 for base, veth3 otherwise). With COST=1,
# print instead the router program's mean run time on veth1 (kernel run-time statistics, under
# the same traffic) for xdp and peer.
_fwdb_case() {
	local fwd=(ip netns exec "$NS_B" "$BINDIR/xdp_fwd") peer=(ip netns exec "$NS_B" "$PEER_XDP_FORWARD")
	local floor="$O/tests/xdp_floor_kern.o" res
	case $1 in
	base)
		ip -n "$NS_B" link set dev veth1 xdpdrv obj "$floor" sec xdp program xdp_floor_drop ||
			return 1
		res=$(with_source "$NS_B" veth1 --dst-ip 10.201.0.2)
		;;
	kernel)
		ip -n "$NS_B" link set dev veth1 xdpdrv obj "$floor" sec xdp program xdp_floor_pass ||
			return 1
		res=$(with_source "$NS_C" veth3 --dst-ip 10.201.0.2)
		;;
	xdp|peer)
		if [ "$1" = xdp ]; then
			"${fwd[@]}" veth1 veth2 >/dev/null || return 1
		else
			"${peer[@]}" load veth1 veth2 >/dev/null 2>&1 || return 1
		fi
		if [ "${COST:-0}" = 1 ]; then
			res=$(_fwdb_cost)
		else
			res=$(with_source "$NS_C" veth3 --dst-ip 10.201.0.2)
		fi
		if [ "$1" = xdp ]; then
			"${fwd[@]}" -d veth1 veth2 >/dev/null || return 1
		else
			"${peer[@]}" unload veth1 veth2 >/dev/null 2>&1 || return 1
		fi
		;;
	esac
	ip -n "$NS_B" link set dev veth1 xdpdrv off 2>/dev/null
	echo "${res%% *}"
	return 0
}

# _fwdb_cost: the mean run time of the program on R's veth1 while the source forwards through R.
_fwdb_cost() {
	local src pid ns
	src="$(tmpdir)/fwd-cost-source.json"
	# shellcheck disable=SC2046
	bg "$src" in_a "$PKTGEN" --dev "$VETH_A" --dst-mac "$MAC_B" --src-ip "$IP_A" \
		--dst-ip 10.201.0.2 --count 0 --live $(source_args) \
		--duration "$(awk -v w="$BENCH_WARMUP" -v s="$BENCH_SECS" 'BEGIN{print w + s + 0.2}')"
	pid=$BG_PID
	sleep "$BENCH_WARMUP"
	ns=$(in_b "$O/tests/progstats" --dev veth1 --secs "$BENCH_SECS" |
		python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["ns_per_run"])')
	wait "$pid" 2>/dev/null
	echo "${ns:-0}"
}

_fwdb_pps() { awk -v n="$1" 'BEGIN{printf "%.0f", (n > 0) ? 1e9 / n : 0}'; }

bench_xdp_fwd() {
	local reps=${BENCH_REPS:-3} res cases=(base kernel xdp)
	[ -n "$PEER_XDP_FORWARD" ] && cases+=(peer)
	res=$(mktemp /tmp/.xdp-fwd-bench.XXXXXX)
	(
		trap lab_down EXIT
		router_lab_up "" "$BENCH_SOURCE_CPUS" || exit 1
		ip -n "$NS_C" link set dev veth3 xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
			program xdp_floor_drop || exit 1
		local i j c
		declare -A v=()
		for ((i = 0; i < reps; i++)); do
			# rotate the order from round to round: drift hits every case alike
			for ((j = 0; j < ${#cases[@]}; j++)); do
				c=${cases[$(((i + j) % ${#cases[@]}))]}
				v[$c]=$(_fwdb_case "$c")
			done
			echo "round $i ${v[base]} ${v[kernel]} ${v[xdp]} ${v[peer]:-0}"
		done
		# the router programs' own cost, the way a router runs them
		local costed=(xdp)
		[ -n "$PEER_XDP_FORWARD" ] && costed+=(peer)
		for ((i = 0; i < reps; i++)); do
			for ((j = 0; j < ${#costed[@]}; j++)); do	# rotated as above
				c=${costed[$(((i + j) % ${#costed[@]}))]}
				echo "cost $c $(COST=1 _fwdb_case "$c")"
			done
		done
	) >>"$res"
	# per round: base kernel xdp peer pps, then the stage costs (ns)
	local rows
	rows=$(awk '/^round/ && $3 > 0 && $4 > 0 && $5 > 0 {
		b = 1e9 / $3; k = 1e9 / $4 - b; x = 1e9 / $5 - b; p = $6 > 0 ? 1e9 / $6 - b : 0
		printf "%d %d %d %d %.1f %.1f %.1f\n", $3, $4, $5, $6, k, x, p }' "$res")
	local costs_x costs_p
	costs_x=$(awk '$1 == "cost" && $2 == "xdp" {print $3}' "$res" | tr '\n' ' ')
	costs_p=$(awk '$1 == "cost" && $2 == "peer" {print $3}' "$res" | tr '\n' ' ')
	rm -f "$res"
	if [ -z "$rows" ]; then
		result xdp_fwd "forwarding" 0 pps "lab or sender failed"
		return 1
	fi
	local n k x p
	col() { echo "$rows" | awk -v c="$1" '{print $c}' | tr '\n' ' '; }
	# inv NS...: 1e9 / each (a stage's time per frame as a rate)
	inv() { awk '{ for (i = 1; i <= NF; i++) printf "%.0f ", ($i > 0 ? 1e9 / $i : 0) }' <<<"$*"; }
	n=$(echo "$rows" | wc -l)
	# shellcheck disable=SC2046
	RUNS=$(col 1) result xdp_fwd "no router: dropped at R's veth1 (baseline)" "$(median $(col 1))" pps \
		"median of $n rounds; live frames from A, bare XDP_DROP on veth1: $(col 1)"
	# shellcheck disable=SC2046
	RUNS=$(col 2) result xdp_fwd "kernel forwarding, end to end" "$(median $(col 2))" pps \
		"counted at C (bare XDP_DROP on veth3): $(col 2)" forward "end to end" base "kernel forwarding"
	# shellcheck disable=SC2046
	RUNS=$(col 3) result xdp_fwd "xdp_fwd, end to end" "$(median $(col 3))" pps \
		"counted at C: $(col 3); x$(ratio "$(col 3)" "$(col 2)") of kernel forwarding" \
		forward "end to end" ours xdp_fwd
	if [ -n "$PEER_XDP_FORWARD" ]; then
		# shellcheck disable=SC2046
		RUNS=$(col 4) result xdp_fwd "xdp-forward, end to end" "$(median $(col 4))" pps \
			"counted at C: $(col 4); xdp_fwd is x$(ratio "$(col 3)" "$(col 4)") of this" \
			forward "end to end" peer xdp-forward
	fi
	# shellcheck disable=SC2046
	k=$(median $(col 5)) x=$(median $(col 6))
	RUNS=$(inv "$(col 5)") result xdp_fwd "kernel forwarding, router stage" "$(_fwdb_pps "$k")" pps \
		"1e9 / stage ns; stage = 1e9/pps - 1e9/baseline pps = $k ns (rounds: $(col 5)ns)" \
		forward "router stage" base "kernel forwarding"
	RUNS=$(inv "$(col 6)") result xdp_fwd "xdp_fwd, router stage" "$(_fwdb_pps "$x")" pps \
		"1e9 / stage ns; stage = $x ns (rounds: $(col 6)ns); x$(ratio "$(col 5)" "$(col 6)") of kernel forwarding" \
		forward "router stage" ours xdp_fwd
	if [ -n "$PEER_XDP_FORWARD" ]; then
		# shellcheck disable=SC2046
		p=$(median $(col 7))
		RUNS=$(inv "$(col 7)") result xdp_fwd "xdp-forward, router stage" "$(_fwdb_pps "$p")" pps \
			"1e9 / stage ns; stage = $p ns (rounds: $(col 7)ns); xdp_fwd is x$(ratio "$(col 7)" "$(col 6)") of this" \
			forward "router stage" peer xdp-forward
	fi
	# shellcheck disable=SC2086
	RUNS=$costs_x result xdp_fwd "xdp_fwd program, per forwarded frame (router lab)" "$(median $costs_x)" ns \
		"kernel run-time statistics on R's veth1 under live traffic, clock reads included; rounds: $costs_x" \
		"program cost" "xdp_fwd / xdp-forward (live)" ours xdp_fwd
	if [ -n "$PEER_XDP_FORWARD" ]; then
		# shellcheck disable=SC2086
		RUNS=$costs_p result xdp_fwd "xdp-forward program, per forwarded frame (router lab)" "$(median $costs_p)" ns \
			"the same; rounds: $costs_p; xdp_fwd is x$(ratio "$costs_x" "$costs_p") of this" \
			"program cost" "xdp_fwd / xdp-forward (live)" peer xdp-forward
	fi
	local line
	line=$(FWD_COST_CALLS=400 "$O/tests/prog_run" fwd_cost | sed -n 's/.*info fwd_cost //p')
	result xdp_fwd "prog cost (IPv4 fwd), test harness" "$(echo "$line" | sed -n 's/.*prog_ns=\([0-9.]*\).*/\1/p')" \
		ns "BPF_PROG_TEST_RUN, IPv4 forwarded, mean of 400 x 250 runs (the harness's setup, not a router's)"
	result xdp_fwd "empty prog floor, test harness" "$(echo "$line" | sed -n 's/.*floor_ns=\([0-9.]*\).*/\1/p')" \
		ns "BPF_PROG_TEST_RUN of r0 = XDP_PASS; exit"
}
