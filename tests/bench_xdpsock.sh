# SPDX-License-Identifier: GPL-2.0
# tests/bench_xdpsock.sh: AF_XDP packet rates on the veth lab, sourced by tests/bench.sh after
# tests/lib.sh. Defines bench_xdpsock(), which reports through result() and median().
#
# Source: `pktgen --live` in NS_A (BPF_PROG_RUN live frames redirected into veth, the fastest
# sender here), BENCH_SECS seconds per run, BENCH_REPS runs, median reported. Rates are measured
# at the receiver: frames xdpsock received (rxdrop) over the flood's measured time; l2fwd frames
# coming back, counted by xdp_rxq_info XDP_DROP on NS_A's veth; txonly frames counted by
# xdp_rxq_info XDP_DROP on the peer over xdpsock's run time.
# The ceiling is xdp_rxq_info XDP_DROP on the same device and mode (no AF_XDP at all).
# GRO is turned on for NS_B's veth so that live frames reach it in skb mode too.

# _xb_get FILE TYPE EXPR: jget, 0 when missing.
_xb_get() { jget "$@" 2>/dev/null || echo 0; }

# _xb_flood SECS [pktgen options]: run the live sender; prints "frames elapsed_ns".
_xb_flood() {
	local res
	res=$(send_a 0 --live --duration "$1" "${@:2}" 2>/dev/null) || return 1
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["sent"], j["elapsed_ns"])' "$res"
}

# _xb_rx_case EXPR ARGS...: one run of a receiver (xdp_rxq_info or xdpsock, ARGS) in NS_B under
# the flood; prints EXPR of its summary divided by the flood's time (pkt/s).
_xb_rx_case() {
	local expr=$1 size=$2 out pid flood n ns
	shift 2
	out="$(tmpdir)/bench.json"
	bg "$out" in_b "$@" --json
	pid=$BG_PID
	wait_until 10 has_line "$out" start || { stop "$pid" KILL; return 1; }
	flood=$(_xb_flood "$BENCH_SECS" --size "$size") || { stop "$pid" INT; return 1; }
	stop "$pid" INT
	read -r n ns <<<"$flood"
	python3 -c 'import sys; print(int(float(sys.argv[1]) * 1e9 / float(sys.argv[2])))' \
		"$(_xb_get "$out" summary "$expr")" "$ns"
}

# _xb_l2fwd_case ARGS...: xdpsock -l (ARGS) in NS_B under the flood; the frames it sends back
# are counted by xdp_rxq_info XDP_DROP on NS_A's veth (dropped in XDP, not by NS_A's stack);
# prints that count over the flood's time.
_xb_l2fwd_case() {
	local out aout pid apid flood n ns
	out="$(tmpdir)/bench-l2.json"
	aout="$(tmpdir)/bench-back.json"
	bg "$aout" in_a "$BINDIR/xdp_rxq_info" --dev "$VETH_A" --action XDP_DROP --mode native \
		--json --interval 1
	apid=$BG_PID
	bg "$out" in_b "$BINDIR/xdpsock" -i "$VETH_B" -l "$@" --json
	pid=$BG_PID
	wait_until 10 has_line "$out" start && wait_until 10 has_line "$aout" start ||
		{ stop "$pid" KILL; stop "$apid" KILL; return 1; }
	flood=$(_xb_flood "$BENCH_SECS" --size 64) || { stop "$pid" INT; stop "$apid" INT; return 1; }
	stop "$pid" INT
	stop "$apid" INT
	read -r n ns <<<"$flood"
	python3 -c 'import sys; print(int(float(sys.argv[1]) * 1e9 / float(sys.argv[2])))' \
		"$(_xb_get "$aout" summary "j['processed']")" "$ns"
}

# _xb_tx_case MODE: xdpsock -t in NS_A for BENCH_SECS, counted by xdp_rxq_info in NS_B.
_xb_tx_case() {
	local out tout pid
	out="$(tmpdir)/bench-rxq.json"
	tout="$(tmpdir)/bench-tx.json"
	bg "$out" in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_B" --action XDP_DROP --mode "$1" \
		--json --interval 1
	pid=$BG_PID
	wait_until 10 has_line "$out" start || { stop "$pid" KILL; return 1; }
	in_a "$BINDIR/xdpsock" -i "$VETH_A" -t --tx-dmac "$MAC_B" --tx-saddr "$IP_A" \
		--tx-daddr "$IP_B" -d "$BENCH_SECS" --json -Q >"$tout" 2>/dev/null
	# frames still in flight are counted by the receiver before it stops
	sleep 0.2
	stop "$pid" INT
	python3 -c 'import sys; print(int(float(sys.argv[1]) * 1e9 / float(sys.argv[2])))' \
		"$(_xb_get "$out" summary "j['processed']")" \
		"$(_xb_get "$tout" summary "j['duration_ns']")"
}

# _xb_report GROUP CASE NOTE CMD...: BENCH_REPS runs of CMD, median through result().
_xb_report() {
	local case=$1 note=$2 vals=() v i
	shift 2
	for ((i = 0; i < BENCH_REPS; i++)); do
		v=$("$@") && [ -n "$v" ] && vals+=("$v")
	done
	[ ${#vals[@]} -gt 0 ] || { result xdpsock "$case" 0 pps "FAILED: $note"; return; }
	result xdpsock "$case" "$(median "${vals[@]}")" pps \
		"median of ${#vals[@]} x ${BENCH_SECS} s; $note"
}

bench_xdpsock() {
	: "${BENCH_SECS:=3}" "${BENCH_REPS:=3}"
	local XSK="$BINDIR/xdpsock" RXQ="$BINDIR/xdp_rxq_info" mode m
	# no subshell: result() may collect into the caller's variables
	lab_up || { lab_down; result xdpsock "lab" 0 pps "FAILED: lab_up"; return 1; }
	# live frames reach a veth through ndo_xdp_xmit, which needs the peer's NAPI: native XDP
	# enables it, skb (generic) XDP does not, GRO does
	in_b ethtool -K "$VETH_B" gro on >/dev/null 2>&1
	{
		for mode in native skb; do
			m=$([ $mode = native ] && echo -N || echo -S)
			_xb_report "ceiling: xdp_rxq_info XDP_DROP $mode" "64 B frames, no AF_XDP" \
				_xb_rx_case "j['processed']" 64 "$RXQ" --dev "$VETH_B" \
				--action XDP_DROP --mode $mode --interval 1
			_xb_report "rxdrop $mode copy" "64 B frames" \
				_xb_rx_case "j['total']['rx']" 64 "$XSK" -i "$VETH_B" -r $m -c -Q
			_xb_report "l2fwd $mode copy" \
				"64 B frames back, counted by xdp_rxq_info XDP_DROP on the sender" \
				_xb_l2fwd_case $m -c -Q
			_xb_report "txonly copy (receiver $mode)" \
				"64 B frames counted by xdp_rxq_info XDP_DROP" _xb_tx_case $mode
		done
		_xb_report "rxdrop native copy --read" "64 B frames, first cache line read" \
			_xb_rx_case "j['total']['rx']" 64 "$XSK" -i "$VETH_B" -r -N -c -Q --read
		_xb_report "rxdrop native copy 1500 B" "1500 B frames, nothing read" \
			_xb_rx_case "j['total']['rx']" 1500 "$XSK" -i "$VETH_B" -r -N -c -Q
		_xb_report "rxdrop native copy 1500 B --read-bytes 1500" \
			"1500 B frames, every cache line read" \
			_xb_rx_case "j['total']['rx']" 1500 "$XSK" -i "$VETH_B" -r -N -c -Q \
			--read-bytes 1500
	}
	lab_down
}
