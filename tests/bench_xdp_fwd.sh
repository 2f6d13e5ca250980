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
# Plus the per-packet program cost from BPF_PROG_TEST_RUN next to an empty program.

# _fwdb_case CASE: put R in the state of CASE (base, kernel, xdp) and print the steady-state
# rate at the point that counts (veth1 for base, veth3 otherwise).
_fwdb_case() {
	local fwd=(ip netns exec "$NS_B" "$BINDIR/xdp_fwd")
	local floor="$O/tests/xdp_floor_kern.o" pps
	case $1 in
	base)
		ip -n "$NS_B" link set dev veth1 xdpdrv obj "$floor" sec xdp program xdp_floor_drop ||
			return 1
		with_source_pps "$NS_B" veth1 --dst-ip 10.201.0.2
		;;
	kernel)
		ip -n "$NS_B" link set dev veth1 xdpdrv obj "$floor" sec xdp program xdp_floor_pass ||
			return 1
		with_source_pps "$NS_C" veth3 --dst-ip 10.201.0.2
		;;
	xdp)
		"${fwd[@]}" veth1 veth2 >/dev/null || return 1
		pps=$(with_source_pps "$NS_C" veth3 --dst-ip 10.201.0.2)
		"${fwd[@]}" -d veth1 veth2 >/dev/null || return 1
		echo "$pps"
		;;
	esac
	ip -n "$NS_B" link set dev veth1 xdpdrv off 2>/dev/null
	return 0
}

_fwdb_pps() { awk -v n="$1" 'BEGIN{printf "%.0f", (n > 0) ? 1e9 / n : 0}'; }

bench_xdp_fwd() {
	local reps=${BENCH_REPS:-3} res
	res=$(mktemp /tmp/.xdp-fwd-bench.XXXXXX)
	(
		trap lab_down EXIT
		router_lab_up || exit 1
		ip -n "$NS_C" link set dev veth3 xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
			program xdp_floor_drop || exit 1
		local i c
		for ((i = 0; i < reps; i++)); do
			echo "round $i $(for c in base kernel xdp; do echo -n "$(_fwdb_case $c) "; done)"
		done >>"$res"
	)
	# per round: base kernel xdp pps, then the stage costs
	local rows
	rows=$(awk '/^round/ && $3 > 0 && $4 > 0 && $5 > 0 {
		b = 1e9 / $3; k = 1e9 / $4 - b; x = 1e9 / $5 - b
		printf "%d %d %d %.1f %.1f %.3f %.3f\n", $3, $4, $5, k, x, (k > 0 && x > 0) ? k / x : 0, $5 / $4 }' "$res")
	rm -f "$res"
	if [ -z "$rows" ]; then
		result xdp_fwd "forwarding" 0 pps "lab or sender failed"
	else
		local col n
		col() { echo "$rows" | awk -v c="$1" '{print $c}' | tr '\n' ' '; }
		n=$(echo "$rows" | wc -l)
		# shellcheck disable=SC2046
		result xdp_fwd "no router: dropped at R's veth1 (baseline)" "$(median $(col 1))" pps \
			"median of $n rounds; live frames from A, bare XDP_DROP on veth1: $(col 1)"
		# shellcheck disable=SC2046
		result xdp_fwd "kernel forwarding, end to end" "$(median $(col 2))" pps \
			"counted at C (bare XDP_DROP on veth3): $(col 2)"
		# shellcheck disable=SC2046
		result xdp_fwd "xdp_fwd, end to end" "$(median $(col 3))" pps \
			"counted at C: $(col 3)"
		# shellcheck disable=SC2046
		result xdp_fwd "xdp_fwd / kernel, end to end" "$(median $(col 7))" x \
			"whole single-CPU pipeline, source and sink included"
		local k x
		# shellcheck disable=SC2046
		k=$(median $(col 4))
		# shellcheck disable=SC2046
		x=$(median $(col 5))
		result xdp_fwd "kernel forwarding, router stage" "$(_fwdb_pps "$k")" pps \
			"1e9 / stage ns; stage = 1e9/pps - 1e9/baseline pps = $k ns (rounds: $(col 4)ns)"
		result xdp_fwd "xdp_fwd, router stage" "$(_fwdb_pps "$x")" pps \
			"1e9 / stage ns; stage = $x ns (rounds: $(col 5)ns)"
		# shellcheck disable=SC2046
		result xdp_fwd "xdp_fwd / kernel, router stage" "$(median $(col 6))" x \
			"target >= 3; rounds: $(col 6)"
	fi
	local line
	line=$(FWD_COST_CALLS=400 "$O/tests/prog_run" fwd_cost | sed -n 's/.*info fwd_cost //p')
	result xdp_fwd "prog cost (IPv4 fwd)" "$(echo "$line" | sed -n 's/.*prog_ns=\([0-9.]*\).*/\1/p')" \
		ns "BPF_PROG_TEST_RUN, IPv4 forwarded, mean of 400 x 250 runs"
	result xdp_fwd "empty prog floor" "$(echo "$line" | sed -n 's/.*floor_ns=\([0-9.]*\).*/\1/p')" \
		ns "BPF_PROG_TEST_RUN of r0 = XDP_PASS; exit"
}
