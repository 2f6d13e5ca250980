#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every tool's normal path (start, attach, count real traffic, exit) under valgrind memcheck:
# no errors, no leaks. Known false positives (valgrind not knowing newer bpf() attr fields that
# libbpf leaves unset) are suppressed in tests/valgrind.supp, one entry per field.
. "$(dirname "$0")/lib.sh"

vg_setup() {
	need_valgrind "$BINDIR/xdp_rxq_info"
	lab_up
	lab_pass_on_a
}

# vg_run NAME ARGS...: run TOOL under valgrind in NS_B while frames arrive; must exit 0.
vg_run() {
	local name=$1 t
	shift
	t=$(tmpdir)
	bg "$t/$name.out" ip netns exec "$NS_B" "${VALGRIND[@]}" --log-file="$t/$name.vg" "$@"
	local pid=$BG_PID
	# valgrind makes start-up slow: send for a while, then let --duration end the run
	send_a 200 --rate 100 >/dev/null
	wait_until 60 sh -c "! kill -0 $pid 2>/dev/null" || fail "$name did not end: $(tail -3 "$t/$name.out.err")"
	stop "$pid"
	expect_eq "$name exit status" "$STOP_RC" 0
	valgrind_clean "$name" "$t/$name.vg"
}

test_valgrind_xdp_rxq_info() {
	vg_setup
	vg_run rxq "$BINDIR/xdp_rxq_info" --dev "$VETH_B" -a XDP_TX --read -i 0.5 --duration 4
}

test_valgrind_xdp_sample_pkts() {
	vg_setup
	vg_run sample "$BINDIR/xdp_sample_pkts" "$VETH_B" --snaplen 128 -w "$(tmpdir)/s.pcap" \
		--duration 4
}

test_valgrind_xdpsock() {
	vg_setup
	vg_run xsk "$BINDIR/xdpsock" -i "$VETH_B" -l -M 2 -x -a -n 0.5 -d 4
}

test_valgrind_xdp_monitor() {
	vg_setup
	xdp_bare "$NS_B" "$VETH_B" pass || fail "XDP_PASS on $VETH_B"
	vg_run monitor "$BINDIR/xdp_monitor" --stats -i 0.5 --duration 4
}

# --multi into two veth pairs of NS_B (a pass program on each peer), with egress programs, the
# success tracepoint, the dummies and the peer check: the widest path.
test_valgrind_xdp_redirect() {
	vg_setup
	local i
	for i in 0 2; do
		ip -n "$NS_B" link add "vrd$i" type veth peer name "vrd$((i + 1))" || fail "veth pair"
		ip -n "$NS_B" link set "vrd$i" up
		ip -n "$NS_B" link set "vrd$((i + 1))" up
		xdp_bare "$NS_B" "vrd$((i + 1))" pass || fail "XDP_PASS on vrd$((i + 1))"
	done
	vg_run redirect "$BINDIR/xdp_redirect" "$VETH_B" vrd0 vrd2 --multi --egress-prog forward \
		--stats -i 0.5 --duration 4
}

test_valgrind_cpustat() {
	vg_setup
	vg_run cpustat "$BINDIR/cpustat" -i 0.5 --duration 3
}

test_valgrind_xdp_redirect_cpu() {
	vg_setup
	vg_run rcpu "$BINDIR/xdp_redirect_cpu" "$VETH_B" --cpu all --lb round-robin -r redirect \
		-D "$VETH_B" --stress --queue-stats -i 0.5 --duration 4
}

test_valgrind_xdp_fwd() {
	vg_setup
	local t
	t=$(tmpdir)
	ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=1
	local fwd=(ip netns exec "$NS_B" "${VALGRIND[@]}")
	"${fwd[@]}" --log-file="$t/attach.vg" "$BINDIR/xdp_fwd" "$VETH_B" >/dev/null 2>&1 ||
		fail "attach under valgrind"
	"${fwd[@]}" --log-file="$t/stats.vg" "$BINDIR/xdp_fwd" -s -j -i 0.5 --duration 2 \
		>/dev/null 2>&1 || fail "stats under valgrind"
	"${fwd[@]}" --log-file="$t/detach.vg" "$BINDIR/xdp_fwd" -d "$VETH_B" >/dev/null 2>&1 ||
		fail "detach under valgrind"
	valgrind_clean "xdp_fwd attach" "$t/attach.vg"
	valgrind_clean "xdp_fwd -s" "$t/stats.vg"
	valgrind_clean "xdp_fwd -d" "$t/detach.vg"
}

run_tests "$@"
