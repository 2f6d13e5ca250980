#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of xdp_rxq_info on the veth lab: exact counts, every action, modes, queues,
# busy devices, signals, bad input.
. "$(dirname "$0")/lib.sh"

RXQ="$BINDIR/xdp_rxq_info"
N=20000

# rxq_start ARGS...: run xdp_rxq_info on NS_B's veth in the background, JSON to $OUT; waits
# until it reports that it is attached.
rxq_start() {
	OUT="$(tmpdir)/rxq.json"
	bg_started "$OUT" in_b "$RXQ" --dev "$VETH_B" --json --interval 0.2 "$@"
	RXQ_PID=$BG_PID
}

# rxq_expect_total N: the running tool's counters reach N, it stops on SIGINT with exit 0,
# its summary says exactly N, and the device is left without XDP.
rxq_expect_total() {
	expect_rxq_counted "$OUT" "$RXQ_PID" "$1"
	expect_eq "XDP left on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

test_drop_native_counts_exactly() {
	lab_up
	rxq_start --action XDP_DROP --mode native
	expect_eq "mode" "$(jget "$OUT" start "j['mode']")" native
	local ip0
	ip0=$(snmp "$NS_B" Ip InReceives)
	send_a $N >/dev/null || fail "pktgen failed"
	rxq_expect_total $N
	# dropped: not one frame reached NS_B's IP layer (under XDP_PASS this moves by N)
	expect_eq "Ip InReceives delta in $NS_B" "$(($(snmp "$NS_B" Ip InReceives) - ip0))" 0
}

test_drop_skb_counts_exactly() {
	lab_up
	rxq_start --action XDP_DROP -S
	expect_eq "mode" "$(jget "$OUT" start "j['mode']")" skb
	send_a $N >/dev/null || fail "pktgen failed"
	rxq_expect_total $N
}

test_aborted_counted() {
	lab_up
	rxq_start -a XDP_ABORTED
	send_a 1000 >/dev/null || fail "pktgen failed"
	rxq_expect_total 1000
}

test_pass_lets_traffic_through() {
	lab_up
	rxq_start --action XDP_PASS
	in_a ping -c 3 -i 0.2 -W 2 "$IP_B" >/dev/null || fail "ping through XDP_PASS failed"
	# 3 echo requests; no ARP (static neighbours), no IPv6 in the lab
	rxq_expect_total 3
}

test_tx_returns_frames_with_macs_swapped() {
	lab_up
	lab_pass_on_a || fail "attach the pass program on $VETH_A"
	rxq_start --action XDP_TX
	expect_eq "swapmac on with XDP_TX" "$(jget "$OUT" start "j['swapmac']")" 1
	local res
	res=$(send_a 5000 --rate 50000 --expect-back 10) || fail "pktgen failed"
	expect_eq "frames back" "$(jfield received <<<"$res")" 5000
	expect_eq "frames back with MACs swapped" "$(jfield swapped <<<"$res")" 5000
	rxq_expect_total 5000
}

test_read_and_read_bytes_count_exactly() {
	lab_up
	rxq_start --action XDP_DROP --read-bytes 1500
	expect_eq "read_bytes" "$(jget "$OUT" start "j['read_bytes']")" 1500
	send_a 3000 --size 1500 >/dev/null || fail "pktgen failed"
	rxq_expect_total 3000
	expect_eq "no short frames" "$(jget "$OUT" summary "j['short_frame']")" 0
}

# MTU 9000: 5000-byte frames arrive in several buffers in native mode. The program is
# frags-capable, counts them exactly, and --read-bytes reads past the first buffer: 5000 bytes
# are there, 5100 are not (the line at 5056 is past the end: each frame counts as short).
test_jumbo_multi_buffer_frames_read_across_buffers() {
	local rb short
	for rb in 5000:0 5100:300; do
		lab_up
		ip -n "$NS_A" link set "$VETH_A" mtu 9000 && ip -n "$NS_B" link set "$VETH_B" mtu 9000 ||
			fail "MTU 9000"
		rxq_start --action XDP_DROP --mode native --read-bytes "${rb%%:*}"
		send_a 300 --size 5000 --rate 50000 >/dev/null || fail "pktgen failed"
		short=${rb#*:}
		wait_until 10 jeq "$OUT" interval "j['total']['processed']" 300 ||
			fail "counters never reached 300: $(tail -1 "$OUT" | cut -c1-200)"
		stop "$RXQ_PID" INT
		expect_eq "summary processed" "$(jget "$OUT" summary "j['processed']")" 300
		expect_eq "--read-bytes ${rb%%:*}: short frames" \
			"$(jget "$OUT" summary "j['short_frame']")" "$short"
		lab_down
	done
}

test_multiqueue_shows_several_rx_queues() {
	lab_up 4
	rxq_start --action XDP_DROP
	send_a 8000 --flows 256 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['total']['processed']" 8000 || fail "not all counted"
	local queues
	queues=$(jget "$OUT" interval "len([q for q in j['rxqs'] if q['processed'] > 0])")
	[ "$queues" -gt 1 ] || fail "traffic on $queues RX queue(s), want more than one"
	expect_eq "per-queue sums add up" \
		"$(jget "$OUT" interval "sum(q['processed'] for q in j['rxqs'])")" 8000
	rxq_expect_total 8000
}

test_table_output_has_rows_and_totals() {
	lab_up
	local out
	out="$(tmpdir)/table.txt"
	bg "$out" in_b "$RXQ" --dev "$VETH_B" -a XDP_DROP -i 0.3
	local pid=$BG_PID
	wait_until 5 grep -q "^Running XDP" "$out" || fail "no banner"
	send_a 50000 >/dev/null
	# every frame through XDP before the stop (under emulation the receiver lags the sender)
	wait_until 20 test "$(xdp_rx_packets "$NS_B" "$VETH_B")" -ge 50000 ||
		fail "$VETH_B ran $(xdp_rx_packets "$NS_B" "$VETH_B") frames through XDP"
	stop "$pid" INT
	expect_eq "exit" "$STOP_RC" 0
	grep -q "^XDP-RX CPU  *total" "$out" || fail "no total row"
	grep -q "^rx_queue_index  *0:sum" "$out" || fail "no RXQ sum row"
	grep -q "^Summary: .* 50,000 packets" "$out" || fail "summary lacks '50,000 packets': $(tail -2 "$out")"
}

test_refuses_busy_device_and_force_replaces() {
	lab_up
	expect_busy_refused "$NS_B" "$VETH_B" in_b "$RXQ" --dev "$VETH_B" --duration 1
	rxq_start --force --action XDP_DROP
	[ "$(xdp_on "$NS_B" "$VETH_B")" != "$BUSY_ID" ] || fail "--force did not replace"
	send_a 100 >/dev/null
	rxq_expect_total 100
}

# The second instance hears the real reason the first time: the program is held by the first
# one's bpf_link (named), so --force cannot help.
test_second_instance_refused() {
	lab_up
	rxq_start --action XDP_DROP
	local err rc force
	for force in "" --force; do
		# shellcheck disable=SC2086
		err=$(in_b "$RXQ" --dev "$VETH_B" $force --duration 1 2>&1 >/dev/null)
		rc=$?
		expect_eq "exit code of the second instance ${force:-without --force}" "$rc" 3
		case $err in
		*"held by the bpf_link of process $RXQ_PID (xdp_rxq_info); --force cannot"*) ;;
		*) fail "message ${force:-without --force}: $err" ;;
		esac
	done
	send_a 10 >/dev/null
	rxq_expect_total 10
}

test_signals_leave_no_program() {
	lab_up
	expect_signals_end_runs "INT TERM HUP KILL" "rxq_start --action XDP_DROP" \
		"xdp_attached $NS_B $VETH_B" "xdp_detached $NS_B $VETH_B"
}

test_device_removed_while_running() {
	lab_up
	rxq_start --action XDP_DROP
	expect_ends_when_deleted "$RXQ_PID" "$OUT" "$NS_B" "$VETH_B"
	has_line "$OUT" summary || fail "no summary"
}

test_bad_input_one_line_exit_2() {
	lab_up
	expect_bad_input in_b "$RXQ"
	expect_bad_input in_b "$RXQ" --dev nosuchdev0
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --action XDP_FOO
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --interval 0
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --interval abc
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --interval -1
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --read-bytes 0
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --read-bytes 99999
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --mode turbo
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --mode native -S
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" --bogus
	expect_bad_input in_b "$RXQ" --dev "$VETH_B" extra
	expect_eq "device untouched" "$(xdp_on "$NS_B" "$VETH_B")" ""
	in_b "$RXQ" --help >/dev/null || fail "--help exit status"
}

test_short_options_all_work() {
	lab_up
	local out
	out="$(tmpdir)/short.json"
	# -d -a -m -r -s -S -F -z -j: every short form (the seed's getopt string lacked most)
	in_b "$RXQ" -d "$VETH_B" -a XDP_DROP -m -r -s 0.25 -S -F -z -j --duration 0.6 >"$out" ||
		fail "exit status $?"
	expect_eq "action" "$(jget "$out" start "j['action']")" XDP_DROP
	expect_eq "swapmac" "$(jget "$out" start "j['swapmac']")" 1
	expect_eq "read" "$(jget "$out" start "j['read_bytes']")" 64
	expect_eq "skb mode" "$(jget "$out" start "j['mode']")" skb
	expect_eq "intervals of 0.25 s in 0.6 s" "$(grep -c '"type":"interval"' "$out")" 3
	in_b "$RXQ" -d "$VETH_B" -i 0.2 -v --duration 0.3 >/dev/null 2>&1 || fail "-i/-v"
	expect_eq "device left clean" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

test_valgrind_clean_start_run_exit() {
	need_valgrind "$RXQ"
	lab_up
	local out
	out="$(tmpdir)/vg"
	bg "$out" in_b "${VALGRIND[@]}" "$RXQ" --dev "$VETH_B" -a XDP_TX --read --json --interval 0.2
	local pid=$BG_PID
	wait_until 30 has_line "$out" start || fail "did not start under valgrind: $(tail -3 "$out.err")"
	send_a 100 >/dev/null
	wait_until 30 jeq "$out" interval "j['total']['processed']" 100 || fail "not counted"
	stop "$pid" INT
	expect_eq "valgrind exit status (9: errors or leaks)" "$STOP_RC" 0
	valgrind_clean xdp_rxq_info "$out.err"
}

run_tests "$@"
