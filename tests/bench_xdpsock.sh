# SPDX-License-Identifier: GPL-2.0
# tests/bench_xdpsock.sh: the "AF_XDP" question, sourced by tests/bench.sh after tests/lib.sh.
# xdpsock next to the AF_XDP example of bpf-examples (when installed), each pair alternating in
# the same lab, copy mode, counted the same way for both tools, with two placements of their
# data threads: "default" (what a user gets: xdpsock's --cpu auto, the example left to the
# scheduler) and "pinned" (both on XB_PIN_CPU, the first CPU the source does not use:
# xdpsock --cpu, the example under taskset). The source runs on the first BENCH_SOURCE_CPUS
# CPUs, where veth then runs the receiver's NAPI and its XDP program.
#   rxdrop native  frames the XDP program put into the socket (veth1's xdp_redirect counter)
#                  under the live-frames flood, over the measured window;
#   rxdrop skb     frames the tool says it received over the flood's time (generic XDP has no
#                  veth counter): xdpsock's JSON summary, the example's last cumulative "rx";
#   l2fwd          frames that came back to NS_A (a bare XDP_DROP on veth0 counts them);
#   txonly         frames that reached veth1 (a bare XDP_DROP counts them) while the tool sent.

# _xb_start WHO NS DEV OUT ARGS...: start xdpsock (ours) or the AF_XDP example (peer) on queue
# 0 of DEV in NS, output to OUT, pinned to XB_PIN when it is set; the pid is in XB_PID.
_xb_start() {
	local who=$1 ns=$2 dev=$3 out=$4
	shift 4
	if [ "$who" = peer ]; then
		# the example prints cumulative per-socket counters every second
		bg "$out" ip netns exec "$ns" ${XB_PIN:+taskset -c "$XB_PIN"} "$PEER_XDPSOCK" \
			-i "$dev" -q 0 -n 1 "$@"
	else
		bg "$out" ip netns exec "$ns" "$BINDIR/xdpsock" -i "$dev" -q 0 --json \
			--cpu "${XB_PIN:-auto}" "$@"
	fi
	XB_PID=$BG_PID
}

# _xb_pin_cpu: the first CPU this shell may run on after the source's BENCH_SOURCE_CPUS (pktgen
# --cpus takes the first ones), or the last one when the source takes them all.
_xb_pin_cpu() {
	python3 -c 'import os, sys
cpus = sorted(os.sched_getaffinity(0))
n = int(sys.argv[1])
print(cpus[n] if n < len(cpus) else cpus[-1])' "$BENCH_SOURCE_CPUS"
}

# _xb_rx_count WHO FILE: frames the tool received, from its own output.
_xb_rx_count() {
	if [ "$1" = peer ]; then
		awk '$1 == "rx" && NF >= 3 { n = $3 } END { gsub(/[^0-9]/, "", n); print n + 0 }' "$2"
	else
		jget "$2" summary "j['total']['rx']" 2>/dev/null || echo 0
	fi
}

# _xb_failed WHO OUT PPS: a run that counted nothing leaves the tool's first error line (or
# its last line; stderr in OUT.err, then stdout) in $(tmpdir)/xsk-WHO.fail, for the report: a
# peer that cannot run here (a limit, a missing feature) is named with its reason, and is no
# bar of the comparison, instead of a silent 0.
_xb_failed() {
	[ "${3:-0}" = 0 ] || return 0
	{ grep -h -m1 -i -E 'error|fail|denied|not permitted' "$2.err" "$2" ||
		tail -q -n1 "$2.err" "$2"; } 2>/dev/null | head -n1 |
		cut -c1-160 >"$(tmpdir)/xsk-$1.fail"
}

# _xb_case WHO BENCH MODE: one measurement of WHO (ours or peer), prints pps.
_xb_case() {
	local v
	v=$(_xb_measure "$@")
	_xb_failed "$1" "$(tmpdir)/xsk-$1.out" "$v"
	echo "${v:-0}"
}

_xb_measure() {
	local who=$1 what=$2 mode=$3 out m res="" n src
	m=$([ "$mode" = native ] && echo -N || echo -S)
	out="$(tmpdir)/xsk-$who.out"
	case $what in
	rxdrop)
		_xb_start "$who" "$NS_B" "$VETH_B" "$out" -r "$m" -c
		wait_until 10 xdp_attached "$NS_B" "$VETH_B" || { stop "$XB_PID" KILL; echo 0; return; }
		if [ "$mode" = native ]; then
			res=$(XDP_COUNTER=xdp_redirect with_source "$NS_B" "$VETH_B")
			stop "$XB_PID" INT
			echo "${res%% *}"
		else
			src="$(tmpdir)/xsk-flood.json"
			# shellcheck disable=SC2046
			send_a 0 --live --duration "$BENCH_SECS" $(source_args) >"$src" 2>/dev/null
			stop "$XB_PID" INT
			n=$(_xb_rx_count "$who" "$out")
			python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(int(int(sys.argv[2]) * 1e9 / j["elapsed_ns"]) if j.get("elapsed_ns") else 0)' "$src" "$n"
		fi
		;;
	l2fwd)
		# the frames come back to NS_A: a bare drop there counts them
		ip -n "$NS_A" link set dev "$VETH_A" xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
			program xdp_floor_drop || { echo 0; return; }
		_xb_start "$who" "$NS_B" "$VETH_B" "$out" -l "$m" -c
		if wait_until 10 xdp_attached "$NS_B" "$VETH_B"; then
			res=$(with_source "$NS_A" "$VETH_A")
			stop "$XB_PID" INT
		else
			stop "$XB_PID" KILL
		fi
		ip -n "$NS_A" link set dev "$VETH_A" xdpdrv off
		echo "${res:-0}" | cut -d' ' -f1
		;;
	txonly)
		ip -n "$NS_B" link set dev "$VETH_B" xdpdrv obj "$O/tests/xdp_floor_kern.o" sec xdp \
			program xdp_floor_drop || { echo 0; return; }
		if [ "$who" = peer ]; then
			_xb_start peer "$NS_A" "$VETH_A" "$out" -t -N -c
		else
			_xb_start ours "$NS_A" "$VETH_A" "$out" -t -N -c --tx-dmac "$MAC_B" \
				--tx-saddr "$IP_A" --tx-daddr "$IP_B"
		fi
		sleep "$BENCH_WARMUP"
		local c0 c1 t0 t1
		c0=$(xdp_rx_packets "$NS_B" "$VETH_B")
		t0=$(date +%s%N)
		sleep "$BENCH_SECS"
		c1=$(xdp_rx_packets "$NS_B" "$VETH_B")
		t1=$(date +%s%N)
		stop "$XB_PID" INT
		ip -n "$NS_B" link set dev "$VETH_B" xdpdrv off
		echo $(((c1 - c0) * 1000000000 / (t1 - t0)))
		;;
	esac
}

# _xb_report CASE SET: the rows of one set from runs[ours] and runs[peer]: medians, spreads
# ((max - min) / median over the rounds, in %), the median of the per-round ratios.
_xb_report() {
	local mo mp="" so sp=""
	# shellcheck disable=SC2086
	mo=$(median ${runs[ours]})
	# shellcheck disable=SC2086
	so=$(spread ${runs[ours]})
	if [ -n "$PEER_XDPSOCK" ]; then
		# shellcheck disable=SC2086
		mp=$(median ${runs[peer]})
		# shellcheck disable=SC2086
		sp=$(spread ${runs[peer]})
	fi
	local w
	declare -A why=()
	for w in ours peer; do
		[ -s "$(tmpdir)/xsk-$w.fail" ] &&
			awk '{ for (i = 1; i <= NF; i++) if ($i != 0) exit 1 }' <<<"${runs[$w]:-0}" &&
			why[$w]="; counted nothing in any round, its output: $(cat "$(tmpdir)/xsk-$w.fail")"
	done
	local vs=""
	if [ -n "${why[peer]:-}" ]; then
		vs="; no ratio: the AF_XDP example counted nothing"
	elif [ -n "$mp" ]; then
		vs="; x$(ratio "${runs[ours]}" "${runs[peer]}") of the AF_XDP example"
	fi
	# shellcheck disable=SC2086
	RUNS=${runs[ours]} result xdpsock "xdpsock $1" "$mo" pps \
		"median of $BENCH_REPS:${runs[ours]} (spread $so%)$vs${why[ours]:-}" \
		AF_XDP "$2" ours xdpsock
	[ -z "$mp" ] && return 0
	if [ -n "${why[peer]:-}" ]; then
		RUNS=${runs[peer]} result xdpsock "AF_XDP example $1" "$mp" pps \
			"median of $BENCH_REPS:${runs[peer]}${why[peer]}"
	else
		# shellcheck disable=SC2086
		RUNS=${runs[peer]} result xdpsock "AF_XDP example $1" "$mp" pps \
			"median of $BENCH_REPS:${runs[peer]} (spread $sp%)" \
			AF_XDP "$2" peer "AF_XDP example"
	fi
}

bench_xdpsock() {
	lab_bench_up || return 1
	tmpdir >/dev/null	# made in this shell, so that lab_down removes it
	# live frames reach a veth through ndo_xdp_xmit, which needs the peer's NAPI: native XDP
	# enables it, skb (generic) XDP does not, GRO does
	in_b ethtool -K "$VETH_B" gro on >/dev/null 2>&1
	local who=(ours) set what mode place r i w v pin
	[ -n "$PEER_XDPSOCK" ] && who+=(peer)
	pin=$(_xb_pin_cpu)
	for set in "rxdrop native" "rxdrop skb" "l2fwd native" "l2fwd skb" "txonly native"; do
		read -r what mode <<<"$set"
		for place in default pinned; do
			declare -A runs=()
			rm -f "$(tmpdir)"/xsk-*.fail
			for ((r = 0; r < BENCH_REPS; r++)); do
				for ((i = 0; i < ${#who[@]}; i++)); do
					w=${who[$(((i + r) % ${#who[@]}))]}
					v=$(XB_PIN=$([ "$place" = pinned ] && echo "$pin") \
						_xb_case "$w" "$what" "$mode")
					runs[$w]+=" ${v:-0}"
				done
			done
			if [ "$place" = pinned ]; then
				_xb_report "$what $mode copy, pinned to CPU $pin" "$what $mode pinned"
			else
				_xb_report "$what $mode copy, default placement" "$what $mode default"
			fi
			unset runs
		done
	done
	lab_down
}
