# SPDX-License-Identifier: GPL-2.0
# bench_xdp_rxq_info: the "receive" question. xdp_rxq_info (no-touch, --read, --swapmac; XDP_DROP
# native and skb, XDP_TX and XDP_PASS native) next to a bare program doing the same frame work
# and, when installed, xdp-bench doing the same; every case of a set alternates within each
# round, on the same lab and source. Then the source's own rate, the --read depth sweep, and
# what each program costs per packet: BPF_PROG_TEST_RUN (progcost, thread CPU time) and the
# kernel's run-time statistics under live traffic (progstats). Sourced by tests/bench.sh.
#
# On veth the receiver's NAPI runs on the CPU that sent the frame, so a receive rate is that of
# source and receiver together: the ratio to the bare program at the same source is the
# figure; a rate within 5% of what the source sends with nothing receiving is "source-bound".

# rx_attach MODE HOW: put a receiver on VETH_B; RX_PID is its process (empty for a bare
# program). HOW: bare:PROG (tests/xdp_floor_kern.o), ours:ARGS (xdp_rxq_info), peer:ARGS
# (xdp-bench; the device is appended), none (nothing: the source alone).
rx_attach() {
	local mode=$1 how=$2 args out
	RX_PID=""
	args=${how#*:}
	case $how in
	none) ;;
	bare:*)
		ip -n "$NS_B" link set dev "$VETH_B" "$([ "$mode" = skb ] && echo xdpgeneric || echo xdpdrv)" \
			obj "$O/tests/xdp_floor_kern.o" sec xdp program "$args" || return 1 ;;
	ours:*)
		out="$(tmpdir)/rxq.json"
		# shellcheck disable=SC2086
		bg "$out" in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_B" --mode "$mode" --json \
			--interval 60 $args
		RX_PID=$BG_PID
		wait_until 10 has_line "$out" start || return 1 ;;
	peer:*)
		# shellcheck disable=SC2086
		bg "$(tmpdir)/peer.out" in_b "$PEER_XDP_BENCH" $args -m "$mode" -i 60 "$VETH_B"
		RX_PID=$BG_PID
		wait_until 10 xdp_attached "$NS_B" "$VETH_B" || return 1 ;;
	esac
}

rx_detach() {
	[ -n "$RX_PID" ] && stop "$RX_PID" INT
	ip -n "$NS_B" link set dev "$VETH_B" xdpdrv off 2>/dev/null
	ip -n "$NS_B" link set dev "$VETH_B" xdpgeneric off 2>/dev/null
	wait_until 5 xdp_detached "$NS_B" "$VETH_B"
}

# rx_case MODE HOW [pktgen options]: one measurement; prints "RX SRC" (see with_source).
rx_case() {
	local mode=$1 how=$2 res
	shift 2
	rx_attach "$mode" "$how" || { rx_detach; echo "0 0"; return 1; }
	res=$(with_source "$NS_B" "$VETH_B" "$@")
	rx_detach
	echo "$res"
}

# rx_set_run MODE SET ENTRY... [-- pktgen options]: BENCH_REPS rounds over the entries of one
# compared set (ROLE|NAME|HOW, ROLE ours, base or peer; peer entries only when xdp-bench is
# there), alternating; one result row per entry: median rate, spread, ratio to the base.
rx_set_run() {
	local mode=$1 set=$2 e r i rx src n
	shift 2
	local entries=() opts=()
	while [ $# -gt 0 ]; do
		[ "$1" = -- ] && { shift; opts=("$@"); break; }
		[[ $1 == peer\|* ]] && [ -z "$PEER_XDP_BENCH" ] || entries+=("$1")
		shift
	done
	declare -A rxs=() srcs=()
	for ((r = 0; r < BENCH_REPS; r++)); do
		for ((i = 0; i < ${#entries[@]}; i++)); do
			# rotate the order from round to round: drift hits every entry alike
			e=${entries[$(((i + r) % ${#entries[@]}))]}
			read -r rx src < <(rx_case "$mode" "${e##*|}" "${opts[@]}")
			rxs[$e]+=" $rx"
			srcs[$e]+=" $src"
		done
	done
	local base="" m note role name
	for e in "${entries[@]}"; do
		[[ $e == base\|* ]] && base=${rxs[$e]}
	done
	for e in "${entries[@]}"; do
		role=${e%%|*} name=${e#*|} name=${name%%|*}
		# shellcheck disable=SC2086
		m=$(median ${rxs[$e]})
		# shellcheck disable=SC2086
		note="spread $(spread ${rxs[$e]})%, source sent $(fmt_num "$(median ${srcs[$e]})") pps"
		[ "$role" != base ] && [ -n "$base" ] &&
			note="$note, x$(ratio "${rxs[$e]}" "$base") of the bare program (median of the rounds' ratios)"
		[ -n "${SOURCE_ALONE:-}" ] && awk -v a="$m" -v s="$SOURCE_ALONE" 'BEGIN{ exit !(a >= 0.95 * s) }' &&
			note="$note, SOURCE-BOUND (within 5% of the source alone: a floor)"
		n=$name
		[ "$role" = ours ] && n="xdp_rxq_info $set"
		RUNS=${rxs[$e]} result receive "$n ($mode)" "$m" pps "$note" receive "$set ($mode)" "$role" "$name"
	done
}

bench_xdp_rxq_info() {
	lab_bench_up || return 1
	tmpdir >/dev/null	# made in this shell, so that lab_down removes it
	# XDP_TX sends frames back to NS_A: a bare drop there takes them off the wire cheaply.
	ip -n "$NS_A" link set dev "$VETH_A" xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
		program xdp_floor_drop

	# The source: alone (nothing on VETH_B takes the frames: no XDP program and GRO off, so the
	# veth has no NAPI and refuses them at once: what the source can offer at all), into a
	# bare XDP_DROP, and the AF_PACKET sender for comparison.
	in_b ethtool -K "$VETH_B" gro off >/dev/null
	local r v alone=() intodrop=() sp
	for ((r = 0; r < BENCH_REPS; r++)); do
		read -r _ v < <(rx_case native none)
		alone+=("$v")
		read -r v _ < <(rx_case native bare:xdp_floor_drop)
		intodrop+=("$v")
	done
	SOURCE_ALONE=$(median "${alone[@]}")
	result source "live frames, nothing receiving (the source alone)" "$SOURCE_ALONE" pps \
		"BPF_PROG_RUN live frames from $BENCH_SOURCE_CPUS CPU(s), one long call per thread; spread $(spread "${alone[@]}")%"
	result source "live frames into a bare XDP_DROP" "$(median "${intodrop[@]}")" pps \
		"source and receiver on the same CPU(s): the fastest any receiver here can be; spread $(spread "${intodrop[@]}")%"
	ip -n "$NS_B" link set dev "$VETH_B" xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
		program xdp_floor_drop
	sp=$(send_a 0 --duration "$BENCH_SECS" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pps"])')
	ip -n "$NS_B" link set dev "$VETH_B" xdpdrv off
	result source "AF_PACKET socket sender, 64 B" "$sp" pps "into a bare XDP_DROP; not used below"
	in_b ethtool -K "$VETH_B" gro on >/dev/null	# NAPI on: live frames reach skb mode too

	local mode
	for mode in native skb; do
		rx_set_run "$mode" "XDP_DROP no-touch" "base|bare XDP_DROP|bare:xdp_floor_drop" \
			"ours|xdp_rxq_info|ours:--action XDP_DROP" \
			"peer|xdp-bench drop|peer:drop -p no-touch"
		rx_set_run "$mode" "XDP_DROP --read" "base|bare read+drop|bare:xdp_floor_read" \
			"ours|xdp_rxq_info|ours:--action XDP_DROP --read"
		rx_set_run "$mode" "XDP_DROP --swapmac" "base|bare swap+drop|bare:xdp_floor_swap" \
			"ours|xdp_rxq_info|ours:--action XDP_DROP --swapmac" \
			"peer|xdp-bench drop -p swap-macs|peer:drop -p swap-macs"
	done
	rx_set_run native "XDP_TX --swapmac" "base|bare swap+TX|bare:xdp_floor_tx_swap" \
		"ours|xdp_rxq_info|ours:--action XDP_TX --swapmac" \
		"peer|xdp-bench tx|peer:tx -p swap-macs"
	rx_set_run native "XDP_PASS" "base|bare XDP_PASS|bare:xdp_floor_pass" \
		"ours|xdp_rxq_info|ours:--action XDP_PASS" \
		"peer|xdp-bench pass|peer:pass -p no-touch"
	# the --read depth sweep: bytes touched per 1500-byte frame (ours only)
	local b runs m0=""
	for b in 0 64 256 1500; do
		runs=()
		for ((r = 0; r < BENCH_REPS; r++)); do
			read -r v _ < <(rx_case native "ours:--action XDP_DROP $([ "$b" -gt 0 ] &&
				echo "--read-bytes $b")" --size 1500)
			runs+=("$v")
		done
		m=$(median "${runs[@]}")
		[ -n "$m0" ] || m0=$m
		result receive "xdp_rxq_info XDP_DROP --read-bytes $b, 1500 B frames (native)" "$m" pps \
			"spread $(spread "${runs[@]}")%, x$(ratio "$m" "$m0") of reading nothing"
	done

	rxq_cost_test_run
	rxq_cost_live
}

# BPF_PROG_TEST_RUN: every program on one cache-hot frame, thread CPU time, alternating;
# xdp-bench's drop program too when it is installed (loaded by xdp-bench, run by id).
rxq_cost_test_run() {
	local extra=() pid="" row
	if [ -n "$PEER_XDP_BENCH" ]; then
		bg "$(tmpdir)/peer.out" in_b "$PEER_XDP_BENCH" drop -p no-touch -i 60 "$VETH_B"
		pid=$BG_PID
		wait_until 10 xdp_attached "$NS_B" "$VETH_B" &&
			extra=(--prog-id "$(xdp_on "$NS_B" "$VETH_B")" --prog-name "xdp-bench drop")
	fi
	"$O/tests/progcost" --floor "$O/tests/xdp_floor_kern.o" --reps "$((BENCH_REPS * 4 + 1))" \
		"${extra[@]}" >"$(tmpdir)/cost.json"
	[ -n "$pid" ] && stop "$pid" INT
	# one result row per line: GROUP, CASE, VALUE, UNIT, NOTE, QUESTION, SET, ROLE, NAME
	python3 - "$(tmpdir)/cost.json" >"$(tmpdir)/cost.tsv" <<'PY'
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
ns = {c["case"]: c["ns_per_pkt"] for c in cases}
note = "BPF_PROG_TEST_RUN, one cache-hot frame, thread CPU time, median"
def row(*f):
    print("\t".join(str(x) for x in f))
for i, c in enumerate(cases):
    name, bare = c["case"], c.get("bare")
    if not name.startswith("xdp_rxq_info"):
        continue
    s = name.replace("xdp_rxq_info XDP_DROP ", "") + " (TEST_RUN)"
    if not bare:
        row("progcost", name, "%.3f" % c["ns_per_pkt"], "ns/pkt", note + "; x%.3f of the floor" % c["ratio_to_floor"], "", "", "", "")
        continue
    counted = cases[i - 1]["case"]		# progcost prints the counted bare program just before
    q = "program cost"
    row("progcost", bare, "%.3f" % ns[bare], "ns/pkt", note, q, s, "base", "bare work")
    row("progcost", counted, "%.3f" % ns[counted], "ns/pkt",
        note + "; xdp_rxq_info is x%.3f of this" % (c["ns_per_pkt"] / ns[counted]), "", "", "", "")
    row("progcost", name, "%.3f" % c["ns_per_pkt"], "ns/pkt",
        note + "; x%.3f of the bare work" % c["ratio_to_bare"], q, s, "ours", "xdp_rxq_info")
    if s.startswith("no-touch") and "xdp-bench drop" in ns:
        row("progcost", "xdp-bench drop", "%.3f" % ns["xdp-bench drop"], "ns/pkt",
            note + "; xdp_rxq_info is x%.3f of this" % (c["ns_per_pkt"] / ns["xdp-bench drop"]),
            q, s, "peer", "xdp-bench drop")
PY
	while IFS=$'\t' read -r -a row; do
		result "${row[@]}"
	done <"$(tmpdir)/cost.tsv"
}

# The kernel's run-time statistics under live traffic: each program on VETH_B in turn (rounds
# alternate), the mean ns per run over BENCH_SECS. The figure includes the two clock reads the
# statistics add around every run (the same for all).
rxq_cost_live() {
	local set e r i ns entries
	for set in "no-touch|bare:xdp_floor_drop|bare:xdp_floor_drop_count|ours:--action XDP_DROP|peer:drop -p no-touch" \
		"--read|bare:xdp_floor_read|bare:xdp_floor_read_count|ours:--action XDP_DROP --read|" \
		"--swapmac|bare:xdp_floor_swap|bare:xdp_floor_swap_count|ours:--action XDP_DROP --swapmac|peer:drop -p swap-macs"; do
		IFS='|' read -r -a entries <<<"$set"
		local name=${entries[0]}
		entries=("${entries[@]:1}")
		[ -z "$PEER_XDP_BENCH" ] || [ -z "${entries[3]}" ] && unset 'entries[3]'
		declare -A nss=()
		for ((r = 0; r < BENCH_REPS; r++)); do
			for ((i = 0; i < ${#entries[@]}; i++)); do
				e=${entries[$(((i + r) % ${#entries[@]}))]}
				ns=$(rx_cost_one "$e")
				nss[$e]+=" $ns"
			done
		done
		local b=${nss[${entries[0]}]} k=${nss[${entries[1]}]} o=${nss[${entries[2]}]} p
		# shellcheck disable=SC2086
		RUNS=$b result progstats "bare: ${entries[0]#bare:}" "$(median $b)" ns/run \
			"kernel run-time stats under live frames (clock reads included)" \
			"program cost" "$name (live)" base "bare work"
		# shellcheck disable=SC2086
		RUNS=$k result progstats "bare: ${entries[1]#bare:}" "$(median $k)" ns/run \
			"the same work plus a per-queue counter; xdp_rxq_info is x$(ratio "$o" "$k") of this"
		# shellcheck disable=SC2086
		RUNS=$o result progstats "xdp_rxq_info $name" "$(median $o)" ns/run \
			"x$(ratio "$o" "$b") of the bare work; runs:$o" \
			"program cost" "$name (live)" ours xdp_rxq_info
		if [ -n "${entries[3]:-}" ]; then
			p=${nss[${entries[3]}]}
			# shellcheck disable=SC2086
			RUNS=$p result progstats "xdp-bench ${entries[3]#peer:}" "$(median $p)" ns/run \
				"xdp_rxq_info is x$(ratio "$o" "$p") of this" \
				"program cost" "$name (live)" peer "xdp-bench"
		fi
		unset nss
	done
}

# rx_cost_one HOW: the mean run time of HOW's program on VETH_B under the live source.
rx_cost_one() {
	local src out pid ns
	rx_attach native "$1" || { rx_detach; echo 0; return; }
	src="$(tmpdir)/cost-source.json"
	# shellcheck disable=SC2046
	bg "$src" in_a "$PKTGEN" --dev "$VETH_A" --dst-mac "$MAC_B" --src-ip "$IP_A" --dst-ip "$IP_B" \
		--count 0 --live $(source_args) \
		--duration "$(awk -v w="$BENCH_WARMUP" -v s="$BENCH_SECS" 'BEGIN{print w + s + 0.2}')"
	pid=$BG_PID
	sleep "$BENCH_WARMUP"
	ns=$(in_b "$O/tests/progstats" --dev "$VETH_B" --secs "$BENCH_SECS" |
		python3 -c 'import json,sys; print("%.2f" % json.load(sys.stdin)["ns_per_run"])')
	wait "$pid" 2>/dev/null
	rx_detach
	echo "${ns:-0}"
}
