# SPDX-License-Identifier: GPL-2.0
# tests/bench_xdp_fwd.sh: sourced by tests/bench.sh after tests/lib.sh; defines bench_xdp_fwd.
#
# Forwarded pps through the router namespace R on the three-namespace lab
#   A veth0 -- veth1 R veth2 -- veth3 C
# with xdp_fwd on veth1+veth2 versus the kernel's own forwarding (XDP_PASS on veth1, needed
# for live frames redirected into veth0 to reach it). Source: pktgen --live from A; the rate is
# counted at C by an XDP_DROP counter (xdp_rxq_info --action XDP_DROP on veth3): received
# frames / sending time. Two sources: pktgen --live (fastest; its program rewrites the headers
# of every recycled frame, since live-frame pages are reused without a fresh copy and the
# router's TTL decrement would otherwise persist until the TTL expires) and the AF_PACKET
# socket sender (pktgen without --live; sender-bound, so both paths show about the sender's
# rate). On veth, source, router and sink share the sender's CPU, so the ratio is of whole
# pipelines. Plus the per-packet program cost from BPF_PROG_TEST_RUN next to an empty program
# (tests/prog_run fwd_cost).

_fwdb_lab() {
	tmpdir >/dev/null
	lab_up || return 1
	ip netns add "$NS_C" || return 1
	ip netns exec "$NS_C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NS_C" link set lo up
	ip link add veth2 netns "$NS_B" address 02:00:00:00:00:0d type veth \
		peer name veth3 netns "$NS_C" address 02:00:00:00:00:0c || return 1
	ip -n "$NS_B" addr add 10.201.0.1/24 dev veth2
	ip -n "$NS_C" addr add 10.201.0.2/24 dev veth3
	ip -n "$NS_B" link set veth2 up
	ip -n "$NS_C" link set veth3 up
	ip -n "$NS_A" route add 10.201.0.0/24 via "$IP_B"
	ip -n "$NS_C" route add 10.200.0.0/24 via 10.201.0.1
	ip -n "$NS_B" neigh replace 10.201.0.2 lladdr 02:00:00:00:00:0c dev veth2 nud permanent
	ip -n "$NS_C" neigh replace 10.201.0.1 lladdr 02:00:00:00:00:0d dev veth3 nud permanent
	ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=1
	# the pin directory lives in a private bpffs, removed by _fwdb_down
	mkdir -p "$(tmpdir)/bpffs" && mount -t bpf bpf "$(tmpdir)/bpffs"
}

_fwdb_down() {
	[ -n "$TMP_DIR" ] && umount -l "$TMP_DIR/bpffs" 2>/dev/null
	lab_down
}

# _fwdb_rate SECS [pktgen options]: frames from A for SECS seconds; prints frames counted at C
# per second of sending.
_fwdb_rate() {
	local secs=$1 out sent
	shift
	out="$(tmpdir)/rxq.json"
	bg "$out" ip netns exec "$NS_C" "$BINDIR/xdp_rxq_info" --dev veth3 --action XDP_DROP \
		--json --interval 0.5
	wait_until 10 has_line "$out" start || { stop "$BG_PID" KILL; return 1; }
	sent=$(send_a 0 "$@" --duration "$secs" --dst-ip 10.201.0.2) ||
		{ stop "$BG_PID" KILL; return 1; }
	# drain: the count stops moving once the queues are empty
	wait_until 5 has_line "$out" interval
	local a b=-1
	while :; do
		sleep 0.6
		a=$(jget "$out" interval "j['total']['processed']")
		[ "$a" = "$b" ] && break
		b=$a
	done
	stop "$BG_PID" INT
	python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(int(int(sys.argv[2]) * 1e9 / s["elapsed_ns"]))' \
		"$sent" "$a"
}

bench_xdp_fwd() {
	local secs=${BENCH_SECS:-3} reps=${BENCH_REPS:-3} res
	res=$(mktemp /tmp/.xdp-fwd-bench.XXXXXX)
	(
		trap _fwdb_down EXIT
		_fwdb_lab || exit 1
		local fwd=(nsenter --net="/run/netns/$NS_B" "$BINDIR/xdp_fwd" \
			   --pin-dir "$(tmpdir)/bpffs/xdp_fwd")
		local i src
		# kernel forwarding: XDP_PASS on veth1 so live frames reach R at all
		ip -n "$NS_B" link set dev veth1 xdp obj "$O/xdp_rxq_info_kern.o" sec xdp || exit 1
		for src in live socket; do
			for ((i = 0; i < reps; i++)); do
				echo "kernel_$src $(_fwdb_rate "$secs" $([ $src = live ] && echo --live))"
			done
		done >>"$res"
		ip -n "$NS_B" link set dev veth1 xdp off
		"${fwd[@]}" veth1 veth2 >/dev/null || exit 1
		for src in live socket; do
			for ((i = 0; i < reps; i++)); do
				echo "xdp_$src $(_fwdb_rate "$secs" $([ $src = live ] && echo --live))"
			done
		done >>"$res"
		"${fwd[@]}" -d veth1 veth2 >/dev/null
	)
	local src kern xdp kl xl what
	for src in live socket; do
		kl=$(sed -n "s/^kernel_$src //p" "$res" | tr '\n' ' ')
		xl=$(sed -n "s/^xdp_$src //p" "$res" | tr '\n' ' ')
		what="pktgen --live (BPF_PROG_RUN live frames)"
		[ $src = socket ] && what="pktgen AF_PACKET socket"
		if [ -z "${kl// /}" ] || [ -z "${xl// /}" ]; then
			result xdp_fwd "forwarding ($src)" 0 pps "lab or sender failed"
			continue
		fi
		# shellcheck disable=SC2086
		kern=$(median $kl)
		# shellcheck disable=SC2086
		xdp=$(median $xl)
		result xdp_fwd "kernel forwarding ($src)" "$kern" pps \
			"median of $reps x $secs s from $what, counted at C: $kl"
		result xdp_fwd "xdp_fwd ($src)" "$xdp" pps \
			"median of $reps x $secs s from $what, counted at C: $xl"
		result xdp_fwd "xdp_fwd / kernel ($src)" \
			"$(awk -v a="$xdp" -v b="$kern" 'BEGIN{printf "%.2f", b ? a / b : 0}')" x \
			"target >= 3"
	done
	rm -f "$res"
	local line
	line=$(FWD_COST_CALLS=400 "$O/tests/prog_run" fwd_cost | sed -n 's/.*info fwd_cost //p')
	result xdp_fwd "prog cost (IPv4 fwd)" "$(echo "$line" | sed -n 's/.*prog_ns=\([0-9.]*\).*/\1/p')" \
		ns "BPF_PROG_TEST_RUN, IPv4 forwarded, mean of 400 x 250 runs"
	result xdp_fwd "empty prog floor" "$(echo "$line" | sed -n 's/.*floor_ns=\([0-9.]*\).*/\1/p')" \
		ns "BPF_PROG_TEST_RUN of r0 = XDP_PASS; exit"
}
