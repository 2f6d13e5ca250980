# SPDX-License-Identifier: GPL-2.0
# bench_xdp_redirect: the "redirect" question for xdp_redirect, sourced by tests/bench.sh (the
# cpumap half is tests/bench_xdp_redirect_cpu.sh, on the helpers here).
#
# The redirect lab: live frames from NS_A arrive on veth1 (IN, in NS_B); the egress ports
# veth2, veth4, veth6 of NS_B lead to peers veth3, veth5, veth7 in NS_C, which drop in XDP (a
# veth transmits redirected frames only to a peer that runs XDP). The ports run a bare
# XDP_PASS in every case, so xdp_redirect adds no dummy program and both sides of a pair meet
# the same devices. For each mode (bpf_redirect, --map, --multi to 2 and to 3 ports)
# xdp_redirect (MACs swapped, its default) runs against the bare program of
# tests/xdp_floor_kern.c that swaps and redirects alike without counters or options (put on
# veth1 by tests/xdp_floor_attach); the cases of a set alternate within each round, the order
# rotating. The rate is what the first peer ran through XDP (every port gets every frame): the
# frames that made it all the way. Then what each program costs per packet under
# BPF_PROG_TEST_RUN against the bare programs (progcost --suite redirect).

# rb_port K, rb_peer K: egress port K (0..2) in NS_B, and its peer in NS_C.
rb_port() { echo "veth$((2 + 2 * $1))"; }
rb_peer() { echo "veth$((3 + 2 * $1))"; }

# rb_lab_up: the bench lab, NS_C and the three egress pairs (as many queues as the source has
# CPUs); XDP_PASS on the ports, XDP_DROP on the peers.
rb_lab_up() {
	local k q=$BENCH_SOURCE_CPUS
	lab_bench_up || return 1
	ip netns add "$NS_C" || return 1
	for k in 0 1 2; do
		ip link add "$(rb_port $k)" netns "$NS_B" numtxqueues "$q" numrxqueues "$q" type veth \
			peer name "$(rb_peer $k)" netns "$NS_C" numtxqueues "$q" numrxqueues "$q" ||
			return 1
		ip -n "$NS_B" link set "$(rb_port $k)" up || return 1
		ip -n "$NS_C" link set "$(rb_peer $k)" up || return 1
		xdp_bare "$NS_B" "$(rb_port $k)" pass xdpdrv || return 1
		xdp_bare "$NS_C" "$(rb_peer $k)" drop xdpdrv || return 1
	done
}

# rb_attach HOW: put a redirect program on VETH_B; RB_PID is the tool's process (empty for a
# bare program). HOW: bare:PROG TARGET... (tests/xdp_floor_attach), ours:TOOL ARGS... (the
# tool, in native mode, with VETH_B first), peer:COMMAND OUT (xdp-bench COMMAND VETH_B OUT).
rb_attach() {
	local how=$1 out
	local -a w
	read -r -a w <<<"${how#*:}"
	RB_PID=""
	case $how in
	bare:*)
		in_b "$O/tests/xdp_floor_attach" "$O/tests/xdp_floor_kern.o" "$VETH_B" "${w[@]}" ;;
	ours:*)
		out="$(tmpdir)/${w[0]}.json"
		bg "$out" in_b "$BINDIR/${w[0]}" "$VETH_B" "${w[@]:1}" --mode native --json \
			--interval 3600
		RB_PID=$BG_PID
		wait_until 10 has_line "$out" start || { echo "  ${w[0]}: $(cat "$out.err")" >&2; return 1; } ;;
	peer:*)
		# xdp-bench puts its own dummy program on OUT (and refuses a port running another)
		ip -n "$NS_B" link set dev "${w[1]}" xdpdrv off || return 1
		out="$(tmpdir)/peer.out"
		bg "$out" in_b "$PEER_XDP_BENCH" "${w[0]}" -m native -i 60 "$VETH_B" "${w[@]:1}"
		RB_PID=$BG_PID
		wait_until 10 xdp_attached "$NS_B" "$VETH_B" ||
			{ echo "  xdp-bench ${w[0]}: $(cat "$out" "$out.err")" >&2; return 1; } ;;
	esac
}

rb_detach() {
	local k
	[ -n "$RB_PID" ] && stop "$RB_PID" INT
	ip -n "$NS_B" link set dev "$VETH_B" xdpdrv off 2>/dev/null
	wait_until 5 xdp_detached "$NS_B" "$VETH_B"
	for k in 0 1 2; do	# the bare XDP_PASS back on a port a peer used (redirect lab only)
		ip -n "$NS_B" link show dev "$(rb_port $k)" >/dev/null 2>&1 || continue
		xdp_attached "$NS_B" "$(rb_port $k)" || xdp_bare "$NS_B" "$(rb_port $k)" pass xdpdrv
	done
}

# rb_set_run GROUP SET NS DEV ENTRY...: BENCH_REPS rounds over the entries of one compared set
# (ROLE|NAME|HOW, ROLE ours or base), alternating, the order rotating; the rate of each is how
# fast DEV (in NS) ran frames through XDP (XDP_COUNTER chooses the counter: see
# xdp_rx_packets). One result row per entry: median rate, spread, ratio to the base.
rb_set_run() {
	local group=$1 set=$2 ns=$3 dev=$4 e r i rx src
	shift 4
	local entries=("$@")
	declare -A rxs=() srcs=()
	for ((r = 0; r < BENCH_REPS; r++)); do
		for ((i = 0; i < ${#entries[@]}; i++)); do
			e=${entries[$(((i + r) % ${#entries[@]}))]}
			if rb_attach "${e##*|}"; then
				read -r rx src < <(with_source "$ns" "$dev")
			else
				rx=0 src=0
			fi
			rb_detach
			rxs[$e]+=" $rx"
			srcs[$e]+=" $src"
		done
	done
	local base="" note role name
	for e in "${entries[@]}"; do
		[[ $e == base\|* ]] && base=${rxs[$e]}
	done
	for e in "${entries[@]}"; do
		role=${e%%|*} name=${e#*|} name=${name%%|*}
		# shellcheck disable=SC2086
		note="spread $(spread ${rxs[$e]})%, source sent $(fmt_num "$(median ${srcs[$e]})") pps"
		[ "$role" != base ] && [ -n "$base" ] &&
			note="$note, x$(ratio "${rxs[$e]}" "$base") of the bare program (median of the rounds' ratios)"
		# shellcheck disable=SC2086
		RUNS=${rxs[$e]} result "$group" "$name $set" "$(median ${rxs[$e]})" pps "$note" \
			redirect "$set" "$role" "$name"
	done
}

# rb_cost SUITE: progcost's suite (BPF_PROG_TEST_RUN on one cache-hot frame, thread CPU time,
# all cases alternating): each tool case next to its bare program, under "program cost".
# Under BPF_PROG_TEST_RUN a redirect is the helper's work only: the frame goes nowhere.
rb_cost() {
	local row tsv
	tsv="$(tmpdir)/cost-$1.tsv"
	"$O/tests/progcost" --floor "$O/tests/xdp_floor_kern.o" --suite "$1" \
		--reps "$((BENCH_REPS * 4 + 1))" | python3 -c '
import json, sys
cases = [json.loads(l) for l in sys.stdin]
bare_rows = set()
q = "program cost"
for c in cases:
    if "bare" not in c:
        continue
    s = c["case"] + " (TEST_RUN)"
    note = "BPF_PROG_TEST_RUN, one cache-hot frame, thread CPU time, median of %d" % c["reps"]
    if c["bare"] in bare_rows:	# a bare program shared by several cases: one row
        print("\t".join(["compare", q, s, "base", "bare work", "%.3f" % c["bare_ns_per_pkt"], "ns/pkt"]))
    else:
        print("\t".join(["progcost", c["bare"], "%.3f" % c["bare_ns_per_pkt"], "ns/pkt", note,
                         q, s, "base", "bare work"]))
    bare_rows.add(c["bare"])
    print("\t".join(["progcost", c["case"], "%.3f" % c["ns_per_pkt"], "ns/pkt",
                     note + "; x%.3f of the bare work" % c["ratio_to_bare"],
                     q, s, "ours", c["case"].split()[0]]))' >"$tsv"
	while IFS=$'\t' read -r -a row; do
		if [ "${row[0]}" = compare ]; then
			compare_row "${row[@]:1}"
		else
			result "${row[@]}"
		fi
	done <"$tsv"
}

# rb_peer_entry ROLE|NAME|HOW: the entry, when xdp-bench is installed (nothing otherwise).
rb_peer_entry() {
	[ -n "${PEER_XDP_BENCH:-}" ] && echo "$1"
}

bench_xdp_redirect() {
	rb_lab_up || return 1
	tmpdir >/dev/null	# made in this shell, so that lab_down removes it
	local p0 p1 p2 peer
	p0=$(rb_port 0) p1=$(rb_port 1) p2=$(rb_port 2)
	rb_set_run xdp_redirect "bpf_redirect (veth)" "$NS_C" "$(rb_peer 0)" \
		"base|bare swap+redirect|bare:xdp_floor_redirect_swap $p0" \
		"ours|xdp_redirect|ours:xdp_redirect $p0"
	rb_set_run xdp_redirect "--map (veth)" "$NS_C" "$(rb_peer 0)" \
		"base|bare swap+devmap|bare:xdp_floor_redirect_map_swap $p0" \
		"ours|xdp_redirect|ours:xdp_redirect $p0 --map"
	# transmits counted: our --xmit next to xdp-bench, which attaches the transmit tracepoint
	# by default (the price of the tracepoint shows against the bare program)
	peer=$(rb_peer_entry "peer|xdp-bench|peer:redirect $p0")
	rb_set_run xdp_redirect "bpf_redirect --xmit (veth)" "$NS_C" "$(rb_peer 0)" \
		"base|bare swap+redirect|bare:xdp_floor_redirect_swap $p0" \
		"ours|xdp_redirect|ours:xdp_redirect $p0 --xmit" ${peer:+"$peer"}
	peer=$(rb_peer_entry "peer|xdp-bench|peer:redirect-map $p0")
	rb_set_run xdp_redirect "--map --xmit (veth)" "$NS_C" "$(rb_peer 0)" \
		"base|bare swap+devmap|bare:xdp_floor_redirect_map_swap $p0" \
		"ours|xdp_redirect|ours:xdp_redirect $p0 --map --xmit" ${peer:+"$peer"}
	rb_set_run xdp_redirect "--multi, 2 ports (veth)" "$NS_C" "$(rb_peer 0)" \
		"base|bare swap+broadcast|bare:xdp_floor_redirect_multi_swap $p0 $p1" \
		"ours|xdp_redirect|ours:xdp_redirect $p0 $p1 --multi"
	rb_set_run xdp_redirect "--multi, 3 ports (veth)" "$NS_C" "$(rb_peer 0)" \
		"base|bare swap+broadcast|bare:xdp_floor_redirect_multi_swap $p0 $p1 $p2" \
		"ours|xdp_redirect|ours:xdp_redirect $p0 $p1 $p2 --multi"
	rb_cost redirect
}
