#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of xdp_redirect on a veth lab: frames from NS_A arrive on veth1 (IN, in NS_B)
# and are redirected into egress ports veth2, veth4, ... of NS_B, whose peers veth3, veth5, ...
# sit in NS_C, each counted there by a receiver of its own (xdp_rxq_info XDP_DROP, or
# xdp_sample_pkts for the addresses). Counts are exact: N in, N out of each port (N x ports
# with --multi), N at each peer; redirect errors decoded; nothing left after any end of a run.
. "$(dirname "$0")/lib.sh"

REDIR="$BINDIR/xdp_redirect"
RXQ="$BINDIR/xdp_rxq_info"
SAMPLE="$BINDIR/xdp_sample_pkts"
MON="$BINDIR/xdp_monitor"
N=2000
RATE=20000	# paced: a burst beyond a veth ring (256 frames) would be dropped, not redirected

port() { echo "veth$((2 + 2 * $1))"; }	# egress port k in NS_B
peer() { echo "veth$((3 + 2 * $1))"; }	# its peer in NS_C
port_mac() { echo "02:00:00:00:01:0$1"; }	# port k's address

# redir_lab K: the lab, NS_C and K egress pairs (up, no XDP anywhere); PORTS lists them.
redir_lab() {
	local k
	lab_up || fail "lab_up"
	ip netns add "$NS_C" || fail "netns $NS_C"
	ip netns exec "$NS_C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	PORTS=()
	for ((k = 0; k < $1; k++)); do
		ip link add "$(port $k)" netns "$NS_B" address "$(port_mac $k)" type veth \
			peer name "$(peer $k)" netns "$NS_C" ||
			fail "veth pair $k"
		ip -n "$NS_B" link set "$(port $k)" up
		ip -n "$NS_C" link set "$(peer $k)" up
		PORTS+=("$(port $k)")
	done
}

# receivers: xdp_rxq_info XDP_DROP on every peer (its XDP program is what lets veth take
# redirected frames); RX[k] its JSON, RX_PID[k].
receivers() {
	local k
	RX=() RX_PID=()
	for ((k = 0; k < ${#PORTS[@]}; k++)); do
		RX[k]="$(tmpdir)/rx$k.json"
		bg_started "${RX[k]}" ip netns exec "$NS_C" "$RXQ" --dev "$(peer $k)" \
			--action XDP_DROP --json --interval 0.2
		RX_PID[k]=$BG_PID
	done
}

# redir_start ARGS...: xdp_redirect veth1 PORTS... ARGS in NS_B, JSON in $OUT, pid $REDIR_PID.
redir_start() {
	OUT="$(tmpdir)/redir$RANDOM.json"
	bg_started "$OUT" in_b "$REDIR" "$VETH_B" "${PORTS[@]}" --json --interval 0.2 "$@"
	REDIR_PID=$BG_PID
}

# nothing_left: no XDP program on veth1 or on any port (the dummies gone too).
nothing_left() {
	local d
	for d in "$VETH_B" "${PORTS[@]}"; do
		xdp_detached "$NS_B" "$d" || return 1
	done
}

# redir_stop: SIGINT ends the run (exit 0, a summary) and leaves nothing attached.
redir_stop() {
	stop "$REDIR_PID" INT
	expect_eq "exit status after SIGINT ($(cat "$OUT.err"))" "$STOP_RC" 0
	has_line "$OUT" summary || fail "no summary"
	wait_until 5 nothing_left || fail "XDP left on $VETH_B or a port"
}

egress() { echo "[e for e in j['egress'] if e['dev'] == '$1'][0]['$2']"; }

# sent_out N: every port transmitted N frames (the kernel's devmap transmits from veth1: runs
# with --xmit).
sent_out() {
	local p
	for p in "${PORTS[@]}"; do
		wait_until 10 jeq "$OUT" interval "$(egress "$p" sent)" "$1" ||
			fail "$p sent $(jget "$OUT" interval "$(egress "$p" sent)"), want $1"
	done
}

# counts_exact N: the summary of an N-frame run: N received and redirected, N sent by every
# port without drops or errors, and N received by every peer.
counts_exact() {
	local p k
	expect_eq "rx" "$(jget "$OUT" summary "j['total']['rx']")" "$1"
	expect_eq "redirected" "$(jget "$OUT" summary "j['total']['redirected']")" "$1"
	expect_eq "redirect errors" "$(jget "$OUT" summary "j['redirect']['error']")" 0
	for p in "${PORTS[@]}"; do
		expect_eq "$p sent" "$(jget "$OUT" summary "$(egress "$p" sent)")" "$1"
		expect_eq "$p drops" "$(jget "$OUT" summary "$(egress "$p" drops)")" 0
		expect_eq "$p redirect errors" "$(jget "$OUT" summary "$(egress "$p" redirect_errors)")" 0
	done
	for ((k = 0; k < ${#PORTS[@]}; k++)); do
		expect_rxq_counted "${RX[k]}" "${RX_PID[k]}" "$1"
	done
}

# One mode, K ports: N frames in, N out of each port, N at each peer; the dummy programs are
# on the ports while the run lasts, named in the start object, gone after it.
mode_case() {
	local k=$1 p
	shift
	redir_lab "$k"
	receivers
	redir_start --xmit "$@"
	expect_eq "xmit in start" "$(jget "$OUT" start "j['xmit']")" 1
	for p in "${PORTS[@]}"; do
		xdp_attached "$NS_B" "$p" || fail "no dummy program on $p"
		expect_eq "$p dummy in start" \
			"$(jget "$OUT" start "[o for o in j['outs'] if o['dev'] == '$p'][0]['dummy']")" 1
		expect_eq "$p takes redirects" \
			"$(jget "$OUT" start "[o for o in j['outs'] if o['dev'] == '$p'][0]['takes_redirects']")" 1
	done
	grep -q "dummy XDP_PASS program" "$OUT.err" || fail "no notice of the dummy: $(cat "$OUT.err")"
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	sent_out $N
	redir_stop
	counts_exact $N
}

test_redirect_counts_exactly() {
	mode_case 1
	expect_eq "mode" "$(jget "$OUT" start "j['redirect']")" ifindex
}

test_map_counts_exactly() {
	mode_case 1 --map
	expect_eq "mode" "$(jget "$OUT" start "j['redirect']")" map
}

# --multi: a copy of every frame to each of 3 ports: N x 3 out, N at each peer.
test_multi_three_ports_counts_exactly() {
	mode_case 3 --multi
	expect_eq "mode" "$(jget "$OUT" start "j['redirect']")" multi
	expect_eq "sent in all" "$(jget "$OUT" summary "sum(e['sent'] for e in j['egress'])")" $((N * 3))
}

# macs_seen FILE: "DST SRC COUNT" per address pair of the samples in FILE.
macs_seen() {
	python3 - "$1" <<'PY'
import collections, json, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    if line.startswith("{"):
        o = json.loads(line)
        if o.get("type") == "sample":
            c[(o["dst"], o["src"])] += 1
print(" ".join("%s %s %d" % (d, s, n) for (d, s), n in sorted(c.items())))
PY
}

# mac_case WANT ARGS...: 50 frames through xdp_redirect ARGS arrive at the peer with the
# addresses WANT ("DST SRC 50"), sampled there by xdp_sample_pkts.
mac_case() {
	local want=$1 rx
	shift
	redir_lab 1
	rx="$(tmpdir)/sample.json"
	bg_started "$rx" ip netns exec "$NS_C" "$SAMPLE" "$(peer 0)" --json --interval 0.2
	local rx_pid=$BG_PID
	redir_start --xmit "$@"
	send_a 50 --rate $RATE >/dev/null || fail "pktgen failed"
	sent_out 50
	wait_until 10 jeq "$rx" interval "j['received']" 50 || fail "peer sampled $(jget "$rx" interval "j['received']")"
	stop "$rx_pid" INT
	expect_eq "addresses at the peer (dst src count)" "$(macs_seen "$rx")" "$want"
	redir_stop
}

test_macs_swapped_by_default() {
	mac_case "$MAC_A $MAC_B 50"
}

test_macs_untouched_with_no_swapmac() {
	mac_case "$MAC_B $MAC_A 50" --no-swapmac
}

test_load_bytes_and_read_swap_the_same() {
	mac_case "$MAC_A $MAC_B 50" --load-bytes --read-bytes 128
	expect_eq "load_bytes" "$(jget "$OUT" start "j['load_bytes']")" 1
	expect_eq "read_bytes" "$(jget "$OUT" start "j['read_bytes']")" 128
}

# --egress-prog forward: the devmap program sets the source to the port's own address.
test_egress_prog_forward_sets_source_mac() {
	mac_case "$MAC_A $(port_mac 0) 50" --map --egress-prog forward
	expect_eq "rewritten by the egress program" \
		"$(jget "$OUT" summary "$(egress "$(port 0)" prog)['rewritten']")" 50
}

# --egress-prog drop: every copy dropped after the redirect, on every port: the kernel counts
# them as transmit drops, the program as its own, and no peer receives any.
test_egress_prog_drop_drops_every_copy() {
	local p k
	redir_lab 2
	receivers
	redir_start --multi --egress-prog drop --xmit
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	for p in "${PORTS[@]}"; do
		wait_until 10 jeq "$OUT" interval "$(egress "$p" prog)['dropped']" $N ||
			fail "$p: program dropped $(jget "$OUT" interval "$(egress "$p" prog)")"
	done
	redir_stop
	for p in "${PORTS[@]}"; do
		expect_eq "$p transmit drops" "$(jget "$OUT" summary "$(egress "$p" drops)")" $N
		expect_eq "$p sent" "$(jget "$OUT" summary "$(egress "$p" sent)")" 0
	done
	for ((k = 0; k < ${#PORTS[@]}; k++)); do
		expect_rxq_counted "${RX[k]}" "${RX_PID[k]}" 0
	done
}

# errors_are ERRNO: N frames, each a redirect failure ERRNO (total, by errno, on port 0).
errors_are() {
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['redirect']['errors']['$1']" $N ||
		fail "$1: $(jget "$OUT" interval "j['redirect']")"
	redir_stop
	expect_eq "rx" "$(jget "$OUT" summary "j['total']['rx']")" $N
	expect_eq "redirected by the program" "$(jget "$OUT" summary "j['total']['redirected']")" $N
	expect_eq "errors" "$(jget "$OUT" summary "j['redirect']['error']")" $N
	expect_eq "$1 into $(port 0)" "$(jget "$OUT" summary "$(egress "$(port 0)" errors)['$1']")" $N
	if [ "$(jget "$OUT" start "j['xmit']")" = 1 ]; then
		expect_eq "sent" "$(jget "$OUT" summary "$(egress "$(port 0)" sent)")" 0
	else
		expect_eq "transmits not counted" \
			"$(jget "$OUT" summary "'sent' in j['egress'][0]")" 0
	fi
}

test_down_port_is_enetdown() {
	redir_lab 1
	receivers
	redir_start
	ip -n "$NS_B" link set "$(port 0)" down
	errors_are ENETDOWN
}

test_map_down_port_is_enetdown() {
	redir_lab 1
	receivers
	redir_start --map --xmit
	ip -n "$NS_B" link set "$(port 0)" down
	errors_are ENETDOWN
}

# A port whose veth peer runs no XDP program (the dummy is on the port, not on its peer):
# named at the start, in text and JSON; its frames are dropped. Since 6.3 (veth's XDP features)
# the redirect fails with EOPNOTSUPP; before, veth's driver drops every bulk (ENXIO).
test_port_without_peer_program_named_and_dropped() {
	redir_lab 1
	redir_start --xmit
	grep -q "warning: the peer of veth $(port 0) ($(peer 0), in another network namespace) runs no XDP program" "$OUT.err" ||
		fail "not named: $(cat "$OUT.err")"
	expect_eq "takes_redirects" "$(jget "$OUT" start "j['outs'][0]['takes_redirects']")" 0
	if bpftool btf dump file /sys/kernel/btf/vmlinux format raw |
		grep -q "'NETDEV_XDP_ACT_NDO_XMIT'"; then
		errors_are EOPNOTSUPP
		return
	fi
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "$(egress "$(port 0)" drops)" $N || fail "drops never $N"
	redir_stop
	expect_eq "last error" "$(jget "$OUT" summary "$(egress "$(port 0)" last_err)")" ENXIO
}

# xdp_monitor --stats beside it counts the same N: successes and transmits from veth1.
test_monitor_beside_counts_the_same() {
	local mon
	redir_lab 1
	receivers
	mon="$(tmpdir)/mon.json"
	bg_started "$mon" in_b "$MON" --stats --netns own --json --interval 0.2
	local mon_pid=$BG_PID
	redir_start --stats --xmit
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	sent_out $N
	wait_until 10 jeq "$OUT" interval "j['redirect']['success']" $N || fail "our successes"
	local xmit="sum(x['sent'] for x in j['devmap_xmit'] if x['from']['name'] == '$VETH_B')"
	wait_until 10 jeq "$mon" interval "j['redirect']['success']" $N ||
		fail "monitor successes $(jget "$mon" interval "j['redirect']")"
	wait_until 10 jeq "$mon" interval "$xmit" $N || fail "monitor transmits"
	stop "$mon_pid" INT
	expect_eq "monitor exit" "$STOP_RC" 0
	redir_stop
	expect_eq "our successes" "$(jget "$OUT" summary "j['redirect']['success']")" $N
	expect_eq "monitor successes" "$(jget "$mon" summary "j['redirect']['success']")" $N
	expect_eq "monitor errors" "$(jget "$mon" summary "j['redirect']['error']")" 0
	counts_exact $N
}

# A port that runs a program already (someone's) keeps it: no dummy there, and it stays.
test_port_with_a_program_keeps_it() {
	local id
	redir_lab 2
	xdp_bare "$NS_B" "$(port 1)" pass || fail "hand attach"
	id=$(xdp_on "$NS_B" "$(port 1)")
	receivers
	redir_start --multi --xmit
	expect_eq "no dummy on $(port 1)" "$(jget "$OUT" start "j['outs'][1]['dummy']")" 0
	expect_eq "dummy on $(port 0)" "$(jget "$OUT" start "j['outs'][0]['dummy']")" 1
	send_a 500 --rate $RATE >/dev/null || fail "pktgen failed"
	sent_out 500
	stop "$REDIR_PID" INT
	expect_eq "exit status" "$STOP_RC" 0
	expect_eq "$(port 1)'s program stays" "$(xdp_on "$NS_B" "$(port 1)")" "$id"
	wait_until 5 xdp_detached "$NS_B" "$(port 0)" || fail "dummy left on $(port 0)"
	wait_until 5 xdp_detached "$NS_B" "$VETH_B" || fail "left on $VETH_B"
}

# ids_known: the start object's program ids (ours on IN, the dummies) in $IDS.
ids_known() {
	IDS=$(jget "$OUT" start "j['prog_id']")
	[ -n "$IDS" ] && xdp_attached "$NS_B" "$(port 0)" &&
		IDS="$IDS $(xdp_on "$NS_B" "$(port 0)")"
}
# gone: nothing attached, and those programs unloaded.
gone() {
	local id
	nothing_left || return 1
	for id in $IDS; do
		! bpftool prog show id "$id" >/dev/null 2>&1 || return 1
	done
}

test_signals_leave_nothing() {
	redir_lab 1
	receivers
	expect_signals_end_runs "INT TERM HUP KILL" redir_start ids_known gone
}

test_busy_in_refused_force_replaces() {
	redir_lab 1
	expect_busy_refused "$NS_B" "$VETH_B" in_b "$REDIR" "$VETH_B" "$(port 0)" --duration 1
	expect_eq "no dummy left on $(port 0)" "$(xdp_on "$NS_B" "$(port 0)")" ""
	in_b "$REDIR" "$VETH_B" "$(port 0)" --force --duration 0.3 --json >/dev/null 2>&1 ||
		fail "--force: exit $?"
	wait_until 5 nothing_left || fail "left after --force"
}

test_generic_mode_counts_and_needs_no_dummy() {
	redir_lab 1
	receivers
	redir_start --mode skb
	expect_eq "mode" "$(jget "$OUT" start "j['mode']")" skb
	expect_eq "no dummy" "$(jget "$OUT" start "j['outs'][0]['dummy']")" 0
	xdp_detached "$NS_B" "$(port 0)" || fail "a dummy in generic mode"
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['total']['redirected']" $N || fail "redirected"
	expect_rxq_counted "${RX[0]}" "${RX_PID[0]}" $N
	redir_stop
}

test_port_deleted_ends_the_run() {
	redir_lab 2
	receivers
	redir_start --multi
	expect_ends_when_deleted "$REDIR_PID" "$OUT" "$NS_B" "$(port 1)"
	has_line "$OUT" summary || fail "no summary"
	wait_until 5 xdp_detached "$NS_B" "$VETH_B" || fail "left on $VETH_B"
	wait_until 5 xdp_detached "$NS_B" "$(port 0)" || fail "dummy left on $(port 0)"
}

test_table_and_summary() {
	local out
	redir_lab 2
	receivers
	out="$(tmpdir)/table.txt"
	bg "$out" in_b "$REDIR" "$VETH_B" "${PORTS[@]}" --multi -i 0.3 --xmit
	local pid=$BG_PID
	wait_until 10 grep -q "^Redirecting $VETH_B" "$out" || fail "no banner: $(cat "$out.err")"
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	wait_until 10 grep -q "^egress " "$out" || fail "no egress table"
	wait_until 10 jeq "${RX[1]}" interval "j['total']['processed']" $N || fail "peer 1"
	stop "$pid" TERM
	expect_eq "exit after SIGTERM" "$STOP_RC" 0
	grep -q "^Summary $VETH_B->$(port 0),$(port 1): .* rx 2,000 .* redirected 2,000, redirect errors 0, sent 4,000, dropped 0" "$out" ||
		fail "summary: $(grep -A3 '^Summary' "$out")"
	grep -q "^  $(port 1) *sent 2,000, dropped 0" "$out" || fail "port row: $(grep -A3 '^Summary' "$out")"
}

# The default run counts no transmits (their tracepoint fires per bulk and costs a few % of
# the rate): the program's counts and the redirect errors stay exact, the transmit tracepoint
# is not loaded, JSON has no transmit keys, the text says so; every peer still gets N.
test_default_counts_without_transmits() {
	local out p k
	redir_lab 2
	receivers
	redir_start --multi
	expect_eq "xmit in start" "$(jget "$OUT" start "j['xmit']")" 0
	expect_eq "devmap_xmit loaded" \
		"$(jget "$OUT" start "'xdp_devmap_xmit' in j['tracepoints']['loaded']")" 0
	send_a $N --rate $RATE >/dev/null || fail "pktgen failed"
	for ((k = 0; k < ${#PORTS[@]}; k++)); do
		expect_rxq_counted "${RX[k]}" "${RX_PID[k]}" $N
	done
	redir_stop
	expect_eq "rx" "$(jget "$OUT" summary "j['total']['rx']")" $N
	expect_eq "redirected" "$(jget "$OUT" summary "j['total']['redirected']")" $N
	expect_eq "redirect errors" "$(jget "$OUT" summary "j['redirect']['error']")" 0
	for p in "${PORTS[@]}"; do
		expect_eq "$p: no transmit keys" \
			"$(jget "$OUT" summary "sorted(set(['sent', 'drops', 'bulk_avg']) & set([e for e in j['egress'] if e['dev'] == '$p'][0]))")" "[]"
		expect_eq "$p redirect errors" "$(jget "$OUT" summary "$(egress "$p" redirect_errors)")" 0
	done
	out="$(tmpdir)/lean.txt"
	in_b "$REDIR" "$VETH_B" "${PORTS[@]}" --multi -i 0.1 --duration 0.35 >"$out" 2>&1 ||
		fail "text run: exit $?"
	grep -q "^ *transmits not counted (--xmit counts them)" "$out" || fail "table: $(cat "$out")"
	grep -q "^Summary .* redirect errors 0, transmits not counted (--xmit)" "$out" ||
		fail "summary: $(grep -A3 '^Summary' "$out")"
	grep -q "^egress  *device  *redir-err/s$" "$out" || fail "egress header: $(grep '^egress' "$out")"
}

test_duration_ends_run() {
	redir_lab 1
	local out="$(tmpdir)/d.json"
	in_b "$REDIR" "$VETH_B" "$(port 0)" --json --interval 0.1 --duration 0.5 >"$out" 2>/dev/null ||
		fail "exit status $?"
	expect_eq "signal" "$(jget "$out" summary "j['signal']")" 0
	nothing_left || fail "left attached"
}

test_bad_input_one_line_exit_2() {
	redir_lab 3
	local a=("$VETH_B" "$(port 0)")
	expect_bad_input in_b "$REDIR"
	expect_bad_input in_b "$REDIR" "$VETH_B"
	expect_bad_input in_b "$REDIR" "$VETH_B" nosuchdev0
	expect_bad_input in_b "$REDIR" "$VETH_B" "$VETH_B"
	expect_bad_input in_b "$REDIR" "$VETH_B" "$(port 0)" "$(port 1)"
	expect_bad_input in_b "$REDIR" "$VETH_B" "$(port 0)" "$(port 0)" --multi
	expect_bad_input in_b "$REDIR" "${a[@]}" --multi
	expect_bad_input in_b "$REDIR" "${a[@]}" --map --multi
	expect_bad_input in_b "$REDIR" "${a[@]}" --egress-prog forward
	expect_bad_input in_b "$REDIR" "${a[@]}" --map --egress-prog bogus
	expect_bad_input in_b "$REDIR" "${a[@]}" --read-bytes 0
	expect_bad_input in_b "$REDIR" "${a[@]}" --read-bytes 99999
	expect_bad_input in_b "$REDIR" "${a[@]}" --interval 0
	expect_bad_input in_b "$REDIR" "${a[@]}" --mode fast
	expect_bad_input in_b "$REDIR" "${a[@]}" --bogus
	expect_bad_input in_b "$REDIR" "$VETH_B" "$(port 0)" "$(port 0)" "$(port 1)" --multi
	in_b "$REDIR" --help >/dev/null || fail "--help exit status"
	nothing_left || fail "bad input left XDP behind"
}

run_tests "$@"
