#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Faults across every tool: SIGKILL at random moments (also during load and attach), the device
# deleted under a running tool, two tools on one device, and a sustained full-rate run whose
# counters must still be exact.
. "$(dirname "$0")/lib.sh"

# run_args TOOL: a long-running command line on the lab device, JSON on stdout.
run_args() {
	case $1 in
	xdp_rxq_info) echo "--dev $VETH_B --action XDP_DROP --json --interval 0.2" ;;
	xdpsock) echo "-i $VETH_B -r --json -n 0.2" ;;
	xdp_sample_pkts) echo "$VETH_B --json --quiet --interval 0.2" ;;
	xdp_monitor) echo "--json --interval 0.2" ;;
	cpustat) echo "--json --interval 0.2" ;;
	xdp_redirect) echo "$VETH_B lo --json --interval 0.2" ;;
	xdp_redirect_cpu) echo "$VETH_B --cpu 0 -r drop --json --interval 0.2" ;;
	esac
}

device_tools="xdp_rxq_info xdpsock xdp_sample_pkts xdp_redirect xdp_redirect_cpu"
all_tools="xdp_rxq_info xdpsock xdp_sample_pkts xdp_monitor cpustat xdp_redirect xdp_redirect_cpu"

built() { [ -x "$BINDIR/$1" ]; }

# no_leftovers: no XDP program on the lab device, nothing of ours pinned, no process left.
no_leftovers() {
	xdp_detached "$NS_B" "$VETH_B" || return 1
	[ -z "$(find /sys/fs/bpf -mindepth 1 -maxdepth 2 -name '*xdp*' 2>/dev/null | grep -v xdp_fwd)" ]
}

test_sigkill_at_random_moments() {
	lab_up
	local t i delay out
	for t in $all_tools; do
		built "$t" || continue
		for i in 1 2 3 4; do
			# 0..0.6 s: from option parsing through load and attach into the run loop
			delay=$(awk -v s="$RANDOM" 'BEGIN{srand(s); printf "%.3f", rand() * 0.6}')
			out="$(tmpdir)/$t-$i"
			# shellcheck disable=SC2046
			bg "$out" in_b "$BINDIR/$t" $(run_args "$t")
			sleep "$delay"
			stop "$BG_PID" KILL
			wait_until 5 no_leftovers || fail "$t killed after ${delay}s left: XDP $(xdp_on "$NS_B" "$VETH_B")"
		done
	done
	# traffic still flows normally afterwards
	in_a ping -c 1 -W 2 "$IP_B" >/dev/null || fail "ping after the kills"
}

test_device_deleted_under_each_tool() {
	local t
	for t in $device_tools; do
		built "$t" || continue
		lab_up
		local out
		out="$(tmpdir)/$t"
		# shellcheck disable=SC2046
		bg_started "$out" in_b "$BINDIR/$t" $(run_args "$t")
		local pid=$BG_PID
		expect_ends_when_deleted "$pid" "$out" "$NS_B" "$VETH_B"
		lab_down
	done
}

# counted TOOL FILE N: the tool's JSON says N frames counted.
counted() {
	case $1 in
	xdp_rxq_info) jeq "$2" interval "j['total']['processed']" "$3" ;;
	xdpsock) jeq "$2" interval "j['total']['rx']" "$3" ;;
	xdp_sample_pkts) jeq "$2" interval "j['received']" "$3" ;;
	xdp_redirect) jeq "$2" interval "j['total']['rx']" "$3" ;;
	xdp_redirect_cpu) jeq "$2" interval "j['rx']['rx']" "$3" ;;
	esac
}

# A device renamed while a tool runs (down, rename, up): the tool follows its ifindex, says
# "renamed to" once and keeps counting exactly.
test_device_renamed_under_each_tool() {
	local t out pid
	for t in $device_tools; do
		built "$t" || continue
		lab_up
		out="$(tmpdir)/$t"
		# shellcheck disable=SC2046
		bg_started "$out" in_b "$BINDIR/$t" $(run_args "$t")
		pid=$BG_PID
		ip -n "$NS_B" link set "$VETH_B" down
		ip -n "$NS_B" link set "$VETH_B" name renamed0 || fail "rename"
		ip -n "$NS_B" link set renamed0 up
		# going down flushed the static neighbour: without it NS_B would ARP (an extra frame)
		ip -n "$NS_B" neigh replace "$IP_A" lladdr "$MAC_A" dev renamed0 nud permanent
		send_a 1000 >/dev/null || fail "pktgen failed"
		wait_until 10 counted "$t" "$out" 1000 ||
			fail "$t after the rename: $(tail -1 "$out" | cut -c1-200) $(cat "$out.err")"
		stop "$pid" INT
		expect_eq "$t exit after SIGINT ($(cat "$out.err"))" "$STOP_RC" 0
		expect_eq "$t: rename reported once" \
			"$(grep -c "device $VETH_B renamed to renamed0" "$out.err")" 1
		expect_eq "$t: XDP left" "$(xdp_on "$NS_B" renamed0)" ""
		lab_down
	done
}

test_second_tool_on_a_busy_device_refused() {
	lab_up
	local a b out err rc
	for a in $device_tools; do
		built "$a" || continue
		out="$(tmpdir)/$a"
		# shellcheck disable=SC2046
		bg_started "$out" in_b "$BINDIR/$a" $(run_args "$a")
		local pid=$BG_PID
		for b in $device_tools; do
			built "$b" || continue
			# shellcheck disable=SC2046
			err=$(in_b timeout 10 "$BINDIR/$b" $(run_args "$b") 2>&1 >/dev/null)
			rc=$?
			expect_eq "$b started while $a runs: exit code" "$rc" 3
			[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$b next to $a: want one line: $err"
		done
		stop "$pid" INT
		expect_eq "$a exit after SIGINT" "$STOP_RC" 0
		wait_until 5 no_leftovers || fail "$a left XDP behind"
	done
}

test_sustained_60s_full_rate_exact() {
	lab_up
	local out src
	out="$(tmpdir)/rxq.json"
	src="$(tmpdir)/src.json"
	bg_started "$out" in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_B" --action XDP_DROP --json --interval 5
	local pid=$BG_PID
	send_a 0 --live --duration "${FAULTS_SUSTAIN_SECS:-60}" >"$src" || fail "source failed"
	local sent
	sent=$(jfield sent "$src")
	[ "$sent" -gt 1000000 ] || fail "source sent only $sent frames"
	# frames the veth could not queue for NS_B (its ring full: under emulation the receiving
	# NAPI can fall behind the source) never reach XDP there; veth counts them
	local lost
	lost=$(in_a ethtool -S "$VETH_A" | awk '/tx_queue_[0-9]+_xdp_xmit_errors:/ { n += $2 }
		END { print n + 0 }')
	[ "$lost" -gt 0 ] && echo "  info veth ring full: $lost of $sent frames not queued" >&2
	wait_until 10 jeq "$out" interval "j['total']['processed'] >= $sent - $lost" 1 || true
	stop "$pid" INT
	expect_eq "frames counted after ${FAULTS_SUSTAIN_SECS:-60} s at full rate" \
		"$(jget "$out" summary "j['processed']")" "$((sent - lost))"
}

run_tests "$@"
