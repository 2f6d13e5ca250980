#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of xdpsock on the veth lab: exact counts for rxdrop, txonly and l2fwd, skb and
# native copy modes, several sockets on one queue, UMEM frame accounting, signals, bad input.
. "$(dirname "$0")/lib.sh"

XSK="$BINDIR/xdpsock"
RXQ="$BINDIR/xdp_rxq_info"
N=20000
# Exact-count runs: rings deep enough (16,384 frames) that a data thread starved of CPU by a
# busy machine does not overflow its RX ring while the sender runs, paced, for 0.2 s.
DEEP=(-f 2048 --frames 16384 --ring-size 16384)
RATE=100000

# xsk_start ARGS...: run xdpsock on NS_B's veth in the background, JSON to $OUT; waits until
# it reports that it is running.
xsk_start() {
	OUT="$(tmpdir)/xsk.json"
	bg_started "$OUT" in_b "$XSK" -i "$VETH_B" --json -n 0.2 "$@"
	XSK_PID=$BG_PID
}

# xsk_stop: SIGINT, exit 0, a summary whose UMEM books balance, and no XDP left on the device.
xsk_stop() {
	stop "$XSK_PID" INT
	expect_eq "exit status after SIGINT" "$STOP_RC" 0
	has_line "$OUT" summary || fail "no summary: $(cat "$OUT.err")"
	expect_eq "UMEM frames accounted for" "$(jget "$OUT" summary "j['umem']['ok']")" 1
	expect_eq "UMEM frames lost" "$(jget "$OUT" summary "j['umem']['lost']")" 0
	expect_eq "XDP left on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

# xsk_expect_rx N: the running xdpsock counts exactly N received frames, stops cleanly and its
# summary and its XDP program agree.
xsk_expect_rx() {
	wait_until 10 jeq "$OUT" interval "j['total']['rx']" "$1" ||
		fail "rx never reached $1: $(tail -1 "$OUT" | cut -c1-300)"
	xsk_stop
	expect_eq "summary rx" "$(jget "$OUT" summary "j['total']['rx']")" "$1"
	expect_eq "redirected by the program" "$(jget "$OUT" summary "sum(j['prog']['redirect'])")" "$1"
	expect_eq "no empty slot hit" "$(jget "$OUT" summary "j['prog']['no_socket']")" 0
}

test_rxdrop_native_counts_exactly() {
	lab_up
	xsk_start -r -N "${DEEP[@]}"
	expect_eq "mode" "$(jget "$OUT" start "j['mode']")" native
	expect_eq "bind" "$(jget "$OUT" start "j['bind']")" copy
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	xsk_expect_rx $N
}

test_rxdrop_skb_counts_exactly() {
	lab_up
	xsk_start -S "${DEEP[@]}"
	expect_eq "mode" "$(jget "$OUT" start "j['mode']")" skb
	expect_eq "default benchmark" "$(jget "$OUT" start "j['bench']")" rxdrop
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	xsk_expect_rx $N
}

test_rxdrop_poll_and_read_bytes() {
	lab_up
	xsk_start -p --read-bytes 1500 -x -a "${DEEP[@]}"
	expect_eq "read_bytes" "$(jget "$OUT" start "j['read_bytes']")" 1500
	send_a 3000 --size 1500 --rate $RATE >/dev/null || fail "pktgen failed"
	xsk_expect_rx 3000
	[ "$(jget "$OUT" summary "j['total']['app_stats']['opt_polls']")" -gt 0 ] ||
		fail "poll() never called with -p"
}

test_unaligned_odd_frame_size() {
	lab_up
	xsk_start -u -f 3000 --frames 1000
	expect_eq "frame size" "$(jget "$OUT" start "j['frame_size']")" 3000
	# 1,000 frames in the UMEM: paced so that a data thread starved for a while (a busy host,
	# emulation) finds its fill ring refilled in time
	send_a 5000 --size 1000 --rate 10000 >/dev/null || fail "pktgen failed"
	xsk_expect_rx 5000
	expect_eq "frames" "$(jget "$OUT" summary "j['umem']['frames']")" 1000
}

# Four queues, flows spread over them: only queue 2 reaches the socket, the rest passes.
test_queue_steering_other_queues_pass() {
	lab_up 4
	xsk_start -q 2 "${DEEP[@]}"
	send_a 8000 --flows 256 --rate $RATE >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['prog']['other_queue'] + sum(j['prog']['redirect'])" 8000 ||
		fail "program saw $(jget "$OUT" interval "j['prog']")"
	local q2
	q2=$(jget "$OUT" interval "j['prog']['redirect'][0]")
	[ "$q2" -gt 0 ] && [ "$q2" -lt 8000 ] || fail "queue 2 got $q2 of 8000 frames"
	xsk_expect_rx "$q2"
	expect_eq "passed: other queues" "$(jget "$OUT" summary "j['prog']['other_queue']")" $((8000 - q2))
}

test_txonly_counted_exactly_by_receiver() {
	lab_up
	local out n=$N
	out="$(tmpdir)/rxq.json"
	bg_started "$out" in_b "$RXQ" --dev "$VETH_B" --action XDP_DROP --json --interval 0.2
	local rxq=$BG_PID
	OUT="$(tmpdir)/tx.json"
	in_a "$XSK" -i "$VETH_A" -t -C $n --tx-dmac "$MAC_B" --tx-saddr "$IP_A" --tx-daddr "$IP_B" \
		--json -n 0.2 >"$OUT" 2>"$OUT.err" || fail "xdpsock -t exit $?: $(cat "$OUT.err")"
	expect_eq "txonly attaches nothing" "$(jget "$OUT" start "j['mode']")" none
	expect_eq "summary tx" "$(jget "$OUT" summary "j['total']['tx']")" $n
	expect_eq "UMEM books" "$(jget "$OUT" summary "j['umem']['free']")" 4096
	expect_rxq_counted "$out" "$rxq" $n
	expect_eq "XDP left on $VETH_A" "$(xdp_on "$NS_A" "$VETH_A")" ""
}

# -T: one batch of 64 every 2 ms, 640 frames: exactly 10 cycles, all 640 frames received, and
# (deadlines are absolute) the first and last cycle starts at least 9 cycles apart.
test_txonly_cyclic_paced_and_counted() {
	lab_up
	local out
	out="$(tmpdir)/rxq.json"
	bg_started "$out" in_b "$RXQ" --dev "$VETH_B" --action XDP_DROP --json --interval 0.2
	local rxq=$BG_PID
	OUT="$(tmpdir)/tx.json"
	in_a "$XSK" -i "$VETH_A" -t -T 2000 -b 64 -C 640 --tx-dmac "$MAC_B" --tx-saddr "$IP_A" \
		--tx-daddr "$IP_B" --json -n 0.2 >"$OUT" 2>"$OUT.err" ||
		fail "xdpsock -t -T exit $?: $(cat "$OUT.err")"
	expect_eq "cycles" "$(jget "$OUT" summary "j['tx_cycle']['cycles']")" 10
	expect_eq "span >= 9 cycles" "$(jget "$OUT" summary "int(j['tx_cycle']['span_us'] >= 18000)")" 1
	local c="j['tx_cycle']"
	expect_eq "0 < min <= avg <= max" \
		"$(jget "$OUT" summary "int(0 < $c['min_us'] <= $c['avg_us'] <= $c['max_us'])")" 1
	expect_eq "avg = span / 9 periods" \
		"$(jget "$OUT" summary "int(abs($c['avg_us'] * 9 - $c['span_us']) < 0.01)")" 1
	# a timer never fires early and always a little late: a lateness of 0 means none was recorded
	expect_eq "lateness recorded" "$(jget "$OUT" summary "int($c['late_max_us'] > 0)")" 1
	expect_eq "summary tx" "$(jget "$OUT" summary "j['total']['tx']")" 640
	expect_rxq_counted "$out" "$rxq" 640
}

# The receiver's IP/UDP stack checks the frames: right length, valid IPv4 and UDP checksums.
test_txonly_frames_valid_udp_ipv4() {
	lab_up
	local n=500 size
	for size in 64 1000; do
		local rx0 np0 ce0 he0
		rx0=$(snmp "$NS_B" Ip InReceives)
		np0=$(snmp "$NS_B" Udp NoPorts)
		ce0=$(snmp "$NS_B" Udp InCsumErrors)
		he0=$(snmp "$NS_B" Ip InHdrErrors)
		in_a "$XSK" -i "$VETH_A" -t -C $n -s $size --tx-dmac "$MAC_B" --tx-saddr "$IP_A" \
			--tx-daddr "$IP_B" -P 0xdeadbeef -Q >/dev/null 2>&1 || fail "xdpsock -t -s $size"
		wait_until 5 test "$(($(snmp "$NS_B" Udp NoPorts) - np0))" -ge $n
		expect_eq "IPv4 packets received (size $size)" "$(($(snmp "$NS_B" Ip InReceives) - rx0))" $n
		expect_eq "UDP datagrams to port 9 (size $size)" "$(($(snmp "$NS_B" Udp NoPorts) - np0))" $n
		expect_eq "UDP checksum errors" "$(($(snmp "$NS_B" Udp InCsumErrors) - ce0))" 0
		expect_eq "IPv4 header errors" "$(($(snmp "$NS_B" Ip InHdrErrors) - he0))" 0
	done
}

# l2fwd: every frame comes back with its MACs swapped. Deep rings and a 10,000 pps pace, so
# that neither a starved data thread nor the way back overflows under emulation (in the 6.1
# guest 856 of 5,000 frames were lost at 50,000 pps with default rings).
l2fwd_case() {
	lab_up
	lab_pass_on_a || fail "attach the pass program on $VETH_A"
	xsk_start -l "${DEEP[@]}" "$@"
	local res n=5000
	res=$(send_a $n --rate 10000 --expect-back 10) || fail "pktgen failed"
	expect_eq "frames back" "$(jfield received <<<"$res")" $n
	expect_eq "frames back with MACs swapped" "$(jfield swapped <<<"$res")" $n
	xsk_expect_rx $n
	expect_eq "summary tx" "$(jget "$OUT" summary "j['total']['tx']")" $n
}

test_l2fwd_native_returns_frames_swapped() { l2fwd_case -N; }
test_l2fwd_skb_returns_frames_swapped() { l2fwd_case -S --read; }

# need_frags: skip, with xdpsock's own one-line reason (exit 4), where the kernel lacks AF_XDP
# multi-buffer (XDP_USE_SG, 6.6).
need_frags() {
	local err rc=0
	err=$(in_b "$XSK" -i "$VETH_B" -S --frags -d 0.01 2>&1 >/dev/null) || rc=$?
	if [ $rc = 4 ]; then
		expect_eq "one line" "$(echo "$err" | wc -l)" 1
		case $err in *"XDP_USE_SG, Linux 6.6+"*) ;; *) fail "message: $err" ;; esac
		skip "${err#xdpsock: }"
	fi
	return 0
}

# jumbo_lab: the lab with a 9000-byte MTU on both veths (5000-byte frames need 3 buffers of a
# 2048-byte frame: 2048 - 256 bytes of XDP headroom each).
jumbo_lab() {
	lab_up
	ip -n "$NS_A" link set "$VETH_A" mtu 9000 && ip -n "$NS_B" link set "$VETH_B" mtu 9000 ||
		fail "MTU 9000"
}

# --frags: every 5000-byte frame arrives whole, as one packet in three buffers, skb and native.
test_frags_multi_buffer_rxdrop_skb_and_native() {
	local m n=1000
	for m in -S -N; do
		jumbo_lab
		need_frags
		xsk_start $m --frags "${DEEP[@]}"
		expect_eq "frags in the banner" "$(jget "$OUT" start "j['frags']")" 1
		send_a $n --size 5000 --rate 50000 >/dev/null || fail "pktgen failed"
		xsk_expect_rx $n
		expect_eq "$m buffers" "$(jget "$OUT" summary "j['total']['rx_bufs']")" $((3 * n))
		expect_eq "$m bytes" "$(jget "$OUT" summary "j['total']['rx_bytes']")" $((5000 * n))
		expect_eq "$m dropped" "$(jget "$OUT" summary "j['total']['xdp_stats']['rx_dropped']")" 0
		lab_down
	done
}

# Without --frags the same frames do not fit a frame: skb mode counts each as rx_dropped;
# native mode refuses to attach at this MTU and says why.
test_frags_off_large_frames_dropped_or_refused() {
	local n=500
	jumbo_lab
	xsk_start -S "${DEEP[@]}"
	send_a $n --size 5000 --rate 50000 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['total']['xdp_stats']['rx_dropped']" $n ||
		fail "rx_dropped never reached $n: $(tail -1 "$OUT" | cut -c1-300)"
	xsk_stop
	expect_eq "received" "$(jget "$OUT" summary "j['total']['rx']")" 0
	local err rc=0
	err=$(in_b "$XSK" -i "$VETH_B" -N -f 2048 -d 0.1 2>&1 >/dev/null) || rc=$?
	expect_eq "native without --frags: exit" "$rc" 3
	echo "$err" | grep -q "MTU is too large.*multi-buffer" || fail "message: $err"
}

# txonly --frags -s 5000 on 2048-byte frames: each frame goes out in three buffers, and the
# receiver's IP/UDP stack takes every one as a valid 5000-byte datagram (checksums included).
test_frags_txonly_sends_valid_jumbo_frames() {
	jumbo_lab
	need_frags
	local n=1000 np0 ce0 rx0 out
	rx0=$(snmp "$NS_B" Ip InReceives)
	np0=$(snmp "$NS_B" Udp NoPorts)
	ce0=$(snmp "$NS_B" Udp InCsumErrors)
	out="$(tmpdir)/txf.json"
	in_a "$XSK" -i "$VETH_A" -t --frags -s 5000 -f 2048 -C $n --tx-dmac "$MAC_B" \
		--tx-saddr "$IP_A" --tx-daddr "$IP_B" --json -n 0.2 >"$out" 2>"$out.err" ||
		fail "xdpsock -t --frags exit $?: $(cat "$out.err")"
	expect_eq "buffers per frame" "$(jget "$out" start "j['tx_bufs']")" 3
	expect_eq "summary tx" "$(jget "$out" summary "j['total']['tx']")" $n
	expect_eq "UMEM books" "$(jget "$out" summary "j['umem']['ok']")" 1
	wait_until 5 test "$(($(snmp "$NS_B" Udp NoPorts) - np0))" -ge $n
	expect_eq "IPv4 packets received" "$(($(snmp "$NS_B" Ip InReceives) - rx0))" $n
	expect_eq "UDP datagrams to port 9" "$(($(snmp "$NS_B" Udp NoPorts) - np0))" $n
	expect_eq "UDP checksum errors" "$(($(snmp "$NS_B" Udp InCsumErrors) - ce0))" 0
}

# l2fwd --frags: the three buffers of each packet go back as one frame, MACs swapped once.
test_frags_l2fwd_returns_whole_frames() {
	jumbo_lab
	need_frags
	xsk_start -l -S --frags "${DEEP[@]}"
	local res n=1000
	res=$(send_a $n --size 5000 --rate 50000 --expect-back 10) || fail "pktgen failed"
	expect_eq "frames back" "$(jfield received <<<"$res")" $n
	expect_eq "frames back with MACs swapped" "$(jfield swapped <<<"$res")" $n
	expect_eq "frames back whole (5000 bytes, payload intact)" "$(jfield whole <<<"$res")" $n
	xsk_expect_rx $n
	expect_eq "summary tx" "$(jget "$OUT" summary "j['total']['tx']")" $n
	expect_eq "buffers" "$(jget "$OUT" summary "j['total']['rx_bufs']")" $((3 * n))
}

test_multi_sock_3_accounts_for_all() {
	lab_up
	xsk_start -M 3 "${DEEP[@]}"
	expect_eq "sockets" "$(jget "$OUT" start "j['sockets']")" 3
	send_a 9000 --rate $RATE >/dev/null || fail "pktgen failed"
	xsk_expect_rx 9000
	local ncpu s got
	ncpu=$(nproc --all)
	for s in 0 1 2; do
		got=$(jget "$OUT" summary "j['sockets'][$s]['rx']")
		# per-CPU round-robin: each CPU hands out its share evenly, so a socket is at most
		# one frame per CPU away from N/3
		[ $((got > 3000 ? got - 3000 : 3000 - got)) -le "$ncpu" ] ||
			fail "socket $s got $got of 9000 (want 3000 +- $ncpu)"
		expect_eq "socket $s rx = program's redirects to slot $s" \
			"$(jget "$OUT" summary "j['prog']['redirect'][$s]")" "$got"
	done
}

# Frames everywhere (fill, RX, TX, completion rings) when the run is stopped under load: the
# books must still balance. l2fwd with two sockets under a live-frames flood.
test_umem_accounting_after_loaded_run() {
	lab_up
	xsk_start -l -M 2 --frames 2048
	bg "$(tmpdir)/flood.json" in_a "$PKTGEN" --dev "$VETH_A" --dst-mac "$MAC_B" --count 0 \
		--live --duration 5
	local flood=$BG_PID
	wait_until 10 jeq "$OUT" interval "j['total']['rx'] > 50000" 1 ||
		fail "not enough traffic: $(tail -1 "$OUT" | cut -c1-200)"
	xsk_stop
	{ stop "$flood" TERM; } 2>/dev/null
	expect_eq "frames" "$(jget "$OUT" summary "j['umem']['frames']")" 2048
	local rx tx
	rx=$(jget "$OUT" summary "j['total']['rx']")
	tx=$(jget "$OUT" summary "j['total']['tx']")
	[ "$tx" -le "$rx" ] && [ "$tx" -gt 0 ] || fail "rx $rx tx $tx"
	# every frame the program redirected was received or counted as dropped by the kernel
	expect_eq "redirected = rx + rx_queue_full + rx_dropped" \
		"$(jget "$OUT" summary "sum(j['prog']['redirect'])")" \
		"$(jget "$OUT" summary "j['total']['rx'] + j['total']['xdp_stats']['rx_queue_full'] + j['total']['xdp_stats']['rx_dropped']")"
}

test_bind_modes_copy_zero_copy_fallback() {
	lab_up
	xsk_start -c
	expect_eq "-c bind" "$(jget "$OUT" start "j['bind']")" copy
	grep -q "zero-copy refused" "$OUT.err" && fail "notice with -c"
	xsk_stop
	xsk_start
	expect_eq "default bind on veth" "$(jget "$OUT" start "j['bind']")" copy
	grep -q "zero-copy refused on $VETH_B queue 0" "$OUT.err" || fail "no fallback notice"
	expect_eq "need_wakeup" "$(jget "$OUT" start "j['need_wakeup']")" 1
	xsk_stop
	xsk_start -m
	expect_eq "-m" "$(jget "$OUT" start "j['need_wakeup']")" 0
	send_a 1000 >/dev/null
	xsk_expect_rx 1000
}

test_table_output_and_summary() {
	lab_up
	local out
	out="$(tmpdir)/table.txt"
	# deep rings and a paced sender, as for every exact count: a data thread starved of CPU by
	# a busy machine must not overflow its RX ring
	bg "$out" in_b "$XSK" -i "$VETH_B" -n 0.3 -x -a "${DEEP[@]}"
	local pid=$BG_PID
	wait_until 5 grep -q "^xdpsock rxdrop on $VETH_B:0" "$out" || fail "no banner: $(cat "$out.err")"
	send_a 5000 --rate 10000 >/dev/null
	wait_until 10 grep -q "^0 .* 5,000 " "$out" ||
		fail "no socket row with 5,000: $(grep -A1 '^sock  ' "$out" | tail -1)"
	stop "$pid" INT
	expect_eq "exit" "$STOP_RC" 0
	grep -q "rx_queue_full" "$out" || fail "no -x rows"
	grep -q "rx_empty_polls" "$out" || fail "no -a rows"
	grep -q "^Summary: .* rx 5,000 packets" "$out" || fail "summary: $(tail -3 "$out")"
	grep -q "^Dropped in the kernel: 0 packets" "$out" || fail "drops line: $(tail -3 "$out")"
	grep -q "^UMEM: 16,384 frames = .*(ok)" "$out" || fail "UMEM line: $(tail -2 "$out")"
}

# irq_counts: "NUM TOTAL NAME" for every numbered interrupt of /proc/interrupts.
irq_counts() {
	awk 'NR == 1 { ncpu = NF; next }
	     $1 ~ /^[0-9]+:$/ { t = 0; for (i = 2; i <= ncpu + 1; i++) t += $i
				 sub(":", "", $1); print $1, t, $NF }' /proc/interrupts
}

# disk_io DIR: 16 MiB of direct (uncached) writes, so the disk raises interrupts.
disk_io() {
	dd if=/dev/zero of="$1/irq-io" bs=1M count=16 oflag=direct 2>/dev/null
	rm -f "$1/irq-io"
}

# -I NAME counts that interrupt exactly as /proc/interrupts does: the machine's disk is the
# interrupt source (veth has none), found as the one that direct I/O raises most. The count
# must be above zero and within what /proc/interrupts moved across the whole run.
test_irq_string_counts_interrupts() {
	lab_up
	local io_dir="$O" before after name num t0 t1 cnt
	before="$(tmpdir)/irq0"
	irq_counts >"$before"
	disk_io "$io_dir"
	read -r num name < <(irq_counts | awk 'NR == FNR { b[$1] = $2; next }
		{ d = $2 - b[$1]; if (d > best) { best = d; n = $1; nm = $3 } }
		END { if (best > 0) print n, nm }' "$before" -)
	[ -n "$name" ] || skip "no numbered interrupt rises with direct disk I/O on this machine"
	# the name must pick only this interrupt, or the totals below are not comparable
	[ "$(irq_counts | awk -v s="$name" 'index($3, s)' | wc -l)" = 1 ] ||
		skip "interrupt name $name is not unique"
	t0=$(irq_counts | awk -v n="$num" '$1 == n { print $2 }')
	xsk_start -S -I "$name"
	send_a 100 >/dev/null || fail "pktgen failed"
	disk_io "$io_dir"
	wait_until 10 jge_irq || fail "no interrupt counted: $(tail -1 "$OUT" | cut -c1-400)"
	xsk_stop
	t1=$(irq_counts | awk -v n="$num" '$1 == n { print $2 }')
	expect_eq "interrupt matched" "$(jget "$OUT" summary "j['irq']['irqs']")" "[$num]"
	cnt=$(jget "$OUT" summary "j['irq']['count']")
	[ "$cnt" -gt 0 ] && [ "$cnt" -le $((t1 - t0)) ] ||
		fail "counted $cnt interrupts, /proc/interrupts moved $((t1 - t0))"
	expect_eq "per-CPU counts add up" \
		"$(jget "$OUT" summary "sum(c['count'] for c in j['irq']['per_cpu']) - j['irq']['count']")" 0
	expect_eq "packets received" "$(jget "$OUT" summary "j['total']['rx']")" 100
	expect_eq "interrupts per packet = count / packets" \
		"$(jget "$OUT" summary "int(abs(j['irq']['per_pkt'] - j['irq']['count'] / 100) < 1e-9)")" 1
}
jge_irq() { [ "$(jget "$OUT" interval "j['irq']['count']" 2>/dev/null)" -gt 0 ] 2>/dev/null; }

umem_books_balance() {
	expect_eq "UMEM books after SIG$1" "$(jget "$OUT" summary "j['umem']['ok']")" 1
}

test_signals_leave_no_program() {
	lab_up
	expect_signals_end_runs "INT TERM HUP KILL" "xsk_start -M 2" "xdp_attached $NS_B $VETH_B" \
		"xdp_detached $NS_B $VETH_B" umem_books_balance
	# the queue is free again: a new instance binds to it
	xsk_start
	send_a 100 >/dev/null
	xsk_expect_rx 100
}

test_busy_device_refused() {
	lab_up
	expect_busy_refused "$NS_B" "$VETH_B" in_b "$XSK" -i "$VETH_B" -d 1
	xsk_start -F
	# a second instance is refused before it makes sockets, with the real reason the first
	# time: the first one's bpf_link holds the program, so --force cannot help either
	local force err rc
	for force in "" -F; do
		# shellcheck disable=SC2086
		err=$(in_b "$XSK" -i "$VETH_B" $force -d 1 2>&1 >/dev/null)
		rc=$?
		expect_eq "exit code of a second instance ${force:-without -F}" "$rc" 3
		case $err in
		*"(xdpsock_prog) held by the bpf_link of process $XSK_PID (xdpsock); --force cannot"*) ;;
		*) fail "message ${force:-without -F}: $err" ;;
		esac
	done
	send_a 100 >/dev/null
	xsk_expect_rx 100
}

# xsk_burst_while_stopped RX ARGS...: xdpsock ARGS is stopped (SIGSTOP) while 1,000 frames
# arrive, then goes on: it receives exactly RX of them, stops cleanly (xsk_stop).
xsk_burst_while_stopped() {
	local rx=$1
	shift
	xsk_start "$@"
	kill -STOP "$XSK_PID"
	send_a 1000 >/dev/null || { kill -CONT "$XSK_PID"; fail "pktgen failed"; }
	kill -CONT "$XSK_PID"
	wait_until 10 jeq "$OUT" interval "j['total']['rx']" "$rx" ||
		fail "rx: $(tail -1 "$OUT" | cut -c1-300)"
	xsk_stop
}

# The summary always says what the kernel dropped before the sockets and why, not only with
# -x. kernel_drops_case [--frags]: (in the lab) a stopped xdpsock with a 64-slot RX ring gets
# 1,000 frames: 64 received, 936 dropped in the kernel (rx_queue_full), said in the JSON and
# text summaries.
kernel_drops_case() {
	local frags=${1:-} txt
	# shellcheck disable=SC2086
	xsk_burst_while_stopped 64 -c --ring-size 64 --frames 256 $frags
	expect_eq "rx ${frags:-without --frags}" "$(jget "$OUT" summary "j['total']['rx']")" 64
	expect_eq "kernel drops ${frags:-without --frags}" \
		"$(jget "$OUT" summary "(j['kernel_drops']['total'], j['kernel_drops']['rx_queue_full'])")" \
		"(936, 936)"
	# the table summary says it too, without -x
	txt="$(tmpdir)/drops.txt"
	# shellcheck disable=SC2086
	bg "$txt" in_b "$XSK" -i "$VETH_B" -c --ring-size 64 --frames 256 -n 0.2 $frags
	local pid=$BG_PID
	wait_until 10 grep -q "^xdpsock rxdrop" "$txt" || fail "no banner: $(cat "$txt.err")"
	kill -STOP "$pid"
	send_a 1000 >/dev/null || { kill -CONT "$pid"; fail "pktgen failed"; }
	kill -CONT "$pid"
	wait_until 10 grep -q "^0  .* 64 " "$txt" || fail "table: $(tail -3 "$txt")"
	stop "$pid" INT
	grep -q "^Dropped in the kernel: 936 packets (rx_queue_full 936: RX ring full" "$txt" ||
		fail "text summary ${frags:-without --frags}: $(grep -A3 ^Summary "$txt")"
}

test_kernel_drops_in_summary() {
	lab_up
	kernel_drops_case
}

test_kernel_drops_in_summary_frags() {
	lab_up
	need_frags
	kernel_drops_case --frags
}

# A fill ring with too few frames: the kernel drops what finds no buffer, and says why.
test_kernel_drops_fill_ring_empty() {
	lab_up
	local m
	for m in 1 2; do
		# 64 frames, all on the fill ring; RX rings of 256 with room for every one of them
		xsk_burst_while_stopped 64 -c --ring-size 256 --frames 64 -M "$m"
		expect_eq "-M $m: kernel drops (total, rx_dropped, rx_queue_full)" \
			"$(jget "$OUT" summary "(j['kernel_drops']['total'], j['kernel_drops']['rx_dropped'], j['kernel_drops']['rx_queue_full'])")" \
			"(936, 936, 0)"
		expect_eq "-M $m: the fill ring was found empty" \
			"$(jget "$OUT" summary "j['kernel_drops']['fill_ring_empty'] >= 1")" 1
		# the sockets share one fill ring: counted once, not once per socket
		expect_eq "-M $m: the fill ring's count, once" \
			"$(jget "$OUT" summary "j['kernel_drops']['fill_ring_empty'] == j['sockets'][-1]['xdp_stats']['fill_ring_empty']")" 1
	done
}

# data_thread_cpus PID: the CPUs xdpsock's data thread (named xdpsock-data) may run on.
data_thread_cpus() {
	local t
	for t in /proc/"$1"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = xdpsock-data ] || continue
		awk '$1 == "Cpus_allowed_list:" { print $2 }' "$t/status"
		return 0
	done
	return 1
}

# --cpu N pins the data thread there, says so, and never moves it.
test_cpu_option_pins_the_data_thread() {
	need_two_cpus
	lab_up
	local cpu txt
	for cpu in 1 0; do
		xsk_start -r -N "${DEEP[@]}" --cpu "$cpu"
		expect_eq "start placement" \
			"$(jget "$OUT" start "(j['placement']['policy'], j['placement']['cpu'], j['placement']['moves'])")" \
			"('cpu', $cpu, False)"
		expect_eq "the data thread's CPUs" "$(data_thread_cpus "$XSK_PID")" "$cpu"
		send_a 1000 --rate $RATE >/dev/null || fail "pktgen failed"
		xsk_expect_rx 1000
		expect_eq "summary placement" \
			"$(jget "$OUT" summary "(j['placement']['cpu'], j['placement']['moves'])")" "($cpu, 0)"
		expect_eq "the queue's XDP ran on the sender's CPU (counted per CPU)" \
			"$(jget "$OUT" summary "sum(c['redirected'] for c in j['placement']['xdp_cpus'])")" 1000
	done
	txt="$(tmpdir)/pin.txt"
	bg "$txt" in_b "$XSK" -i "$VETH_B" --cpu 1 -n 0.2
	local pid=$BG_PID
	wait_until 10 grep -q "^data thread on CPU 1 (--cpu)$" "$txt" ||
		fail "banner: $(cat "$txt" "$txt.err")"
	wait_until 10 grep -q "^thread   CPU 1; the queue's XDP on no CPU$" "$txt" ||
		fail "interval: $(tail -4 "$txt")"
	stop "$pid" INT
	grep -q "^Data thread: CPU 1 (--cpu 1), moved 0 time(s); no packet went through the queue's XDP$" \
		"$txt" || fail "summary: $(grep -A6 ^Summary "$txt")"
	# the sender on the same CPU: XDP runs there too, the thread stays, the summary says so
	bg "$txt" in_b "$XSK" -i "$VETH_B" --cpu 1 -n 0.2
	pid=$BG_PID
	wait_until 10 grep -q "^data thread on CPU 1 (--cpu)$" "$txt" || fail "no banner"
	live_on 1 1
	wait "$LIVE_PID" 2>/dev/null
	wait_until 5 grep -q "^thread   CPU 1; the queue's XDP on CPU 1 [0-9,]* pkt/s$" "$txt" ||
		fail "interval: $(tail -4 "$txt")"
	stop "$pid" INT
	grep -q "^Data thread: CPU 1 (--cpu 1), moved 0 time(s); the queue's XDP ran on CPU 1 ([0-9,]* packets); [0-9,]* of them on the data thread's CPU$" \
		"$txt" || fail "summary: $(grep -A6 ^Summary "$txt")"
	grep -q "^The data thread shared its CPU with the queue's XDP for more than a tenth of the packets: they took turns (--cpu auto moves it off that CPU)$" \
		"$txt" || fail "no hint: $(grep -A6 ^Summary "$txt")"
}

test_cpu_none_leaves_the_data_thread_to_the_scheduler() {
	lab_up
	xsk_start --cpu none
	expect_eq "start placement" \
		"$(jget "$OUT" start "(j['placement']['policy'], j['placement']['cpu'])")" "('none', -1)"
	expect_eq "the data thread's CPUs: the process's" "$(data_thread_cpus "$XSK_PID")" \
		"$(awk '$1 == "Cpus_allowed_list:" { print $2 }' "/proc/$XSK_PID/status")"
	xsk_stop
}

# live_on CPU SEC: live frames from NS_A for SEC seconds, the sender pinned to CPU (where veth
# then runs veth1's NAPI, and so xdpsock's XDP program).
live_on() {
	bg "$(tmpdir)/live.json" in_a taskset -c "$1" "$PKTGEN" --dev "$VETH_A" --dst-mac "$MAC_B" \
		--count 0 --live --cpus 1 --duration "$2"
	LIVE_PID=$BG_PID
}

# By default the data thread starts on a CPU of its choosing (veth has no interrupt to avoid)
# and moves off a CPU that runs the queue's XDP; it stays where the XDP runs elsewhere.
test_auto_placement_moves_off_the_queues_cpu() {
	need_two_cpus
	lab_up
	local c0 other
	xsk_start -r -N "${DEEP[@]}"
	expect_eq "start placement" \
		"$(jget "$OUT" start "(j['placement']['policy'], j['placement']['queue_irq'], j['placement']['moves'])")" \
		"('auto', -1, True)"
	expect_eq "why the queue's interrupt is unknown" \
		"$(jget "$OUT" start "j['placement']['queue_irq_unknown']")" \
		"the device has no interrupt of its own"
	c0=$(jget "$OUT" start "j['placement']['cpu']")
	other=$((1 - c0))
	expect_eq "the data thread's CPUs" "$(data_thread_cpus "$XSK_PID")" "$c0"
	live_on "$other" 2
	wait "$LIVE_PID" 2>/dev/null
	wait_until 5 jeq "$OUT" interval "j['placement']['xdp_cpus'][-1]['cpu']" "$other" ||
		fail "XDP did not run on CPU $other: $(tail -1 "$OUT" | cut -c1-400)"
	expect_eq "no move while XDP ran on CPU $other" \
		"$(jget "$OUT" interval "(j['placement']['cpu'], j['placement']['moves'])")" "($c0, 0)"
	live_on "$c0" 3
	wait_until 5 jeq "$OUT" interval "j['placement']['moves']" 1 ||
		fail "did not move off CPU $c0: $(tail -1 "$OUT" | cut -c1-400)"
	expect_eq "moved to" "$(jget "$OUT" interval "j['placement']['cpu']")" "$other"
	expect_eq "the data thread's CPUs after the move" "$(data_thread_cpus "$XSK_PID")" "$other"
	wait "$LIVE_PID" 2>/dev/null
	xsk_stop
	expect_eq "summary: one move, on CPU $other" \
		"$(jget "$OUT" summary "(j['placement']['cpu'], j['placement']['moves'])")" "($other, 1)"
	expect_eq "every packet steered is counted per CPU" \
		"$(jget "$OUT" summary "sum(c['redirected'] for c in j['placement']['xdp_cpus']) == sum(j['prog']['redirect'])")" 1
}

# Each txonly address is checked on its own and named when wrong.
test_tx_addresses_named_when_wrong() {
	lab_up
	local opt val err
	for opt in tx-saddr tx-daddr tx-smac tx-dmac; do
		case $opt in tx-s*|tx-d*) val=fd77::1 ;; esac
		case $opt in *mac) val=02:00:00:00:00 ;; esac
		expect_bad_input in_b "$XSK" -i "$VETH_B" -t "--$opt" "$val"
		err=$(in_b "$XSK" -i "$VETH_B" -t "--$opt" "$val" 2>&1 >/dev/null)
		case $err in *"bad --$opt '$val'"*) ;; *) fail "--$opt $val: $err" ;; esac
	done
}

test_bad_input_one_line_exit_2() {
	lab_up
	expect_bad_input in_b "$XSK"
	expect_bad_input in_b "$XSK" -i nosuchdev0
	expect_bad_input in_b "$XSK" -i "$VETH_B" -q 1
	expect_bad_input in_b "$XSK" -i "$VETH_B" -f 3000
	expect_bad_input in_b "$XSK" -i "$VETH_B" -f 1024
	expect_bad_input in_b "$XSK" -i "$VETH_B" -u -f 5000
	expect_bad_input in_b "$XSK" -i "$VETH_B" -z
	expect_bad_input in_b "$XSK" -i "$VETH_B" -S -N
	expect_bad_input in_b "$XSK" -i "$VETH_B" --mode native -S
	expect_bad_input in_b "$XSK" -i "$VETH_B" -c -z
	expect_bad_input in_b "$XSK" -i "$VETH_B" -S -z
	expect_bad_input in_b "$XSK" -i "$VETH_B" -r -t
	expect_bad_input in_b "$XSK" -i "$VETH_B" -t -l
	expect_bad_input in_b "$XSK" -i "$VETH_B" -M 0
	expect_bad_input in_b "$XSK" -i "$VETH_B" -M 65
	expect_bad_input in_b "$XSK" -i "$VETH_B" -t -s 32
	expect_bad_input in_b "$XSK" -i "$VETH_B" -t -s 3000 -f 2048
	expect_bad_input in_b "$XSK" -i "$VETH_B" -t --read
	expect_bad_input in_b "$XSK" -i "$VETH_B" -r -C 10
	expect_bad_input in_b "$XSK" -i "$VETH_B" -t --tx-dmac 01:02
	expect_bad_input in_b "$XSK" -i "$VETH_B" -t --tx-daddr fd00::1
	expect_bad_input in_b "$XSK" -i "$VETH_B" -b 0
	expect_bad_input in_b "$XSK" -i "$VETH_B" -n 0
	expect_bad_input in_b "$XSK" -i "$VETH_B" --read-bytes 0
	expect_bad_input in_b "$XSK" -i "$VETH_B" --mode turbo
	expect_bad_input in_b "$XSK" -i "$VETH_B" --bogus
	expect_bad_input in_b "$XSK" -i "$VETH_B" --cpu abc
	expect_bad_input in_b "$XSK" -i "$VETH_B" --cpu -1
	expect_bad_input in_b "$XSK" -i "$VETH_B" --cpu 1x
	expect_bad_input in_b "$XSK" -i "$VETH_B" --cpu 4096
	expect_bad_input in_b taskset -c 0 "$XSK" -i "$VETH_B" --cpu 1
	expect_bad_input in_b "$XSK" -i "$VETH_B" extra
	expect_eq "device untouched" "$(xdp_on "$NS_B" "$VETH_B")" ""
	in_b "$XSK" --help >/dev/null || fail "--help exit status"
}

run_tests "$@"
