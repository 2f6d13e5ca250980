# SPDX-License-Identifier: GPL-2.0
# tests/bench_xdpsock.sh: the "AF_XDP" question, sourced by tests/bench.sh after tests/lib.sh.
# xdpsock next to the AF_XDP example of bpf-examples (when installed), each pair alternating in
# the same lab, copy mode, default thread placement, counted the same way for both tools:
#   rxdrop native  frames the XDP program put into the socket (veth1's xdp_redirect counter)
#                  under the live-frames flood, over the measured window;
#   rxdrop skb     frames the tool says it received over the flood's time (generic XDP has no
#                  veth counter): xdpsock's JSON summary, the example's last cumulative "rx";
#   l2fwd          frames that came back to NS_A (a bare XDP_DROP on veth0 counts them);
#   txonly         frames that reached veth1 (a bare XDP_DROP counts them) while the tool sent.

# _xb_start WHO NS DEV OUT ARGS...: start xdpsock (ours) or the AF_XDP example (peer) on queue
# 0 of DEV in NS, output to OUT; the pid is in XB_PID.
_xb_start() {
	local who=$1 ns=$2 dev=$3 out=$4
	shift 4
	if [ "$who" = peer ]; then
		# the example prints cumulative per-socket counters every second
		bg "$out" ip netns exec "$ns" "$PEER_XDPSOCK" -i "$dev" -q 0 -n 1 "$@"
	else
		bg "$out" ip netns exec "$ns" "$BINDIR/xdpsock" -i "$dev" -q 0 --json "$@"
	fi
	XB_PID=$BG_PID
}

# _xb_rx_count WHO FILE: frames the tool received, from its own output.
_xb_rx_count() {
	if [ "$1" = peer ]; then
		awk '$1 == "rx" && NF >= 3 { n = $3 } END { gsub(/[^0-9]/, "", n); print n + 0 }' "$2"
	else
		jget "$2" summary "j['total']['rx']" 2>/dev/null || echo 0
	fi
}

# _xb_case WHO BENCH MODE: one measurement of WHO (ours or peer), prints pps.
_xb_case() {
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

bench_xdpsock() {
	lab_bench_up || return 1
	tmpdir >/dev/null	# made in this shell, so that lab_down removes it
	# live frames reach a veth through ndo_xdp_xmit, which needs the peer's NAPI: native XDP
	# enables it, skb (generic) XDP does not, GRO does
	in_b ethtool -K "$VETH_B" gro on >/dev/null 2>&1
	local who=(ours) set what mode r i w v
	[ -n "$PEER_XDPSOCK" ] && who+=(peer)
	for set in "rxdrop native" "rxdrop skb" "l2fwd native" "l2fwd skb" "txonly native"; do
		read -r what mode <<<"$set"
		declare -A runs=()
		for ((r = 0; r < BENCH_REPS; r++)); do
			for ((i = 0; i < ${#who[@]}; i++)); do
				w=${who[$(((i + r) % ${#who[@]}))]}
				v=$(_xb_case "$w" "$what" "$mode")
				runs[$w]+=" ${v:-0}"
			done
		done
		local mo mp=""
		# shellcheck disable=SC2086
		mo=$(median ${runs[ours]})
		# shellcheck disable=SC2086
		[ -n "$PEER_XDPSOCK" ] && mp=$(median ${runs[peer]})
		# shellcheck disable=SC2086
		RUNS=${runs[ours]} result xdpsock "xdpsock $what $mode copy" "$mo" pps \
			"median of $BENCH_REPS:${runs[ours]}${mp:+; x$(ratio "${runs[ours]}" "${runs[peer]}") of the AF_XDP example}" \
			AF_XDP "$what $mode copy" ours xdpsock
		# shellcheck disable=SC2086
		[ -n "$mp" ] && RUNS=${runs[peer]} result xdpsock "AF_XDP example $what $mode copy" "$mp" pps \
			"median of $BENCH_REPS:${runs[peer]}" \
			AF_XDP "$what $mode copy" peer "AF_XDP example"
		unset runs
	done
	lab_down
}
