#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of xdp_monitor on the veth lab: real tracepoint events, exact counts. The
# monitor runs inside the lab's namespaces and, unless a test is about namespaces, counts only
# its own namespace's devices (--netns own), so XDP tests running in parallel on this machine
# do not disturb the counts.
. "$(dirname "$0")/lib.sh"

MON="$BINDIR/xdp_monitor"
RXQ="$BINDIR/xdp_rxq_info"
REDIR="$O/tests/xdp_redirect_to"
VETH_C=veth2	# NS_B side of the second pair (redirect target)
VETH_D=veth3	# its peer, in NS_C
N=2000

# mon_lab_up: the lab, and its scratch directory made in this shell (so lab_down removes it
# whichever lib.sh is in use: made inside $(tmpdir), it would outlive the test).
mon_lab_up() {
	lab_up "$@" || fail "lab_up"
	tmpdir >/dev/null
}

# mon_start NS ARGS...: xdp_monitor in NS (in_a/in_b/in_c) in the background, JSON to $OUT;
# --netns own unless ARGS choose.
mon_start() {
	local ns=$1
	shift
	case " $* " in *" --netns "*|*" --all-netns "*|*" --dev "*) ;; *) set -- --netns own "$@" ;; esac
	OUT="$(tmpdir)/mon$RANDOM.json"
	case $ns in
	in_c) bg_started "$OUT" ip netns exec "$NS_C" "$MON" --json --interval 0.2 "$@" ;;
	*) bg_started "$OUT" "$ns" "$MON" --json --interval 0.2 "$@" ;;
	esac
	MON_PID=$BG_PID
}

# mon_stop: SIGINT, exit 0, a summary line, its programs gone.
mon_stop() {
	local ids id
	ids=$(jget "$OUT" start "' '.join(str(i) for i in j['prog_ids'])")
	stop "$MON_PID" INT
	expect_eq "exit status after SIGINT" "$STOP_RC" 0
	has_line "$OUT" summary || fail "no summary"
	for id in $ids; do	# the kernel frees programs asynchronously (RCU): bounded wait
		wait_until 5 sh -c "! bpftool prog show id $id >/dev/null 2>&1" ||
			fail "program $id left loaded"
	done
	return 0
}

# Python expressions over the JSON objects.
exc_on() { echo "sum(e['count'] for e in j['exceptions'] if e['dev']['name'] == '$1' and e['action'] == '${2:-XDP_ABORTED}')"; }
exc_all="sum(e['count'] for e in j['exceptions'])"
xmit_sent() { echo "sum(x['sent'] for x in j['devmap_xmit'] if x['from']['name'] == '$1' and x['to']['name'] == '$2')"; }

# jge FILE TYPE EXPR N: the expression is at least N.
jge() {
	local v
	v=$(jget "$1" "$2" "$3" 2>/dev/null) && [ "$v" -ge "$4" ]
}

# rxq_abort NS DEV: xdp_rxq_info --action XDP_ABORTED on DEV in NS (background).
rxq_abort() {
	local out
	out="$(tmpdir)/rxq$RANDOM.json"
	bg_started "$out" ip netns exec "$1" "$RXQ" --dev "$2" --action XDP_ABORTED --json --interval 0.5
}

# pair_up: a second veth pair $VETH_C (NS_B) <-> $VETH_D (NS_C); PASS on $VETH_D unless "nopass".
pair_up() {
	ip netns add "$NS_C" || fail "netns $NS_C"
	ip netns exec "$NS_C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip netns exec "$NS_B" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null
	ip link add "$VETH_C" netns "$NS_B" type veth peer name "$VETH_D" netns "$NS_C" ||
		fail "veth pair"
	ip -n "$NS_B" link set "$VETH_C" up
	ip -n "$NS_C" link set "$VETH_D" up
	if [ "${1:-}" != nopass ]; then
		xdp_bare "$NS_C" "$VETH_D" pass || fail "pass program on $VETH_D"
	fi
}

# redirect_up [nopass]: frames arriving on $VETH_B are redirected to $VETH_C (bpf_redirect, or
# through a devmap entry with REDIR_VIA=devmap).
redirect_up() {
	mon_lab_up
	pair_up "$@"
	in_b "$REDIR" "$VETH_B" "${REDIR_VIA:+$REDIR_VIA:}$VETH_C" || fail "attach the redirect program"
}

# tp_in_kernel NAME: the running kernel has tracepoint xdp:NAME (its BTF names it).
tp_in_kernel() {
	bpftool btf dump file /sys/kernel/btf/vmlinux format raw | grep -q "'btf_trace_$1'"
}

# tp_listed FILE LIST NAME: the start object lists tracepoint NAME under tracepoints.LIST.
tp_listed() {
	[ "$(jget "$1" start "int('$3' in j['tracepoints']['$2'])")" = 1 ]
}

test_exceptions_counted_exactly() {
	mon_lab_up
	mon_start in_b --dev "$VETH_B"
	rxq_abort "$NS_B" "$VETH_B"
	send_a $N >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "$(exc_on "$VETH_B")" $N ||
		fail "exceptions never reached $N: $(tail -1 "$OUT" | cut -c1-300)"
	mon_stop
	expect_eq "summary XDP_ABORTED on $VETH_B" "$(jget "$OUT" summary "$(exc_on "$VETH_B")")" $N
	expect_eq "no other exception" "$(jget "$OUT" summary "$exc_all")" $N
	expect_eq "no redirect errors" "$(jget "$OUT" summary "j['redirect']['error']")" 0
}

# send_redirected N: N frames from NS_A, redirected on $VETH_B; waits until the monitor (JSON in
# $OUT) counted N redirect successes.
send_redirected() {
	send_a "$1" >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['redirect']['success']" "$1" ||
		fail "redirect successes never reached $1: $(tail -1 "$OUT" | cut -c1-300)"
}

# N frames redirected from $VETH_B to $VETH_C, each counted once as a success and transmitted.
# Where the kernel still defines xdp_redirect_map and xdp_redirect_map_err (6.1, 6.12; no longer
# fired there) their programs are attached too, and the counts stay exact.
redirect_stats_case() {
	redirect_up
	mon_start in_b --stats
	expect_eq "stats on" "$(jget "$OUT" start "j['stats']")" 1
	local t
	for t in xdp_redirect_map xdp_redirect_map_err; do
		if tp_in_kernel $t; then
			tp_listed "$OUT" loaded $t || fail "$t not loaded: $(head -1 "$OUT")"
		fi
	done
	send_redirected $N
	wait_until 10 jeq "$OUT" interval "$(xmit_sent "$VETH_B" "$VETH_C")" $N ||
		fail "devmap xmit $VETH_B->$VETH_C never reached $N: $(tail -1 "$OUT" | cut -c1-400)"
	mon_stop
	expect_eq "summary success (once each)" "$(jget "$OUT" summary "j['redirect']['success']")" $N
	expect_eq "summary errors" "$(jget "$OUT" summary "j['redirect']['error']")" 0
	expect_eq "summary xmit $VETH_B->$VETH_C" \
		"$(jget "$OUT" summary "$(xmit_sent "$VETH_B" "$VETH_C")")" $N
	expect_eq "only that pair" "$(jget "$OUT" summary "len(j['devmap_xmit'])")" 1
	expect_eq "no drops" "$(jget "$OUT" summary "j['devmap_xmit'][0]['drops']")" 0
}

test_stats_counts_redirects_and_devmap_xmit() { redirect_stats_case; }
test_map_redirects_counted_once() { REDIR_VIA=devmap redirect_stats_case; }

# The raw_tp programs, which xdp_monitor uses where the verifier refuses the tp_btf ones (tp_btf
# reads of the `const void *` target need 6.16), count the same, through the device filter too.
test_raw_tp_programs_count_the_same() {
	redirect_up
	mon_start in_b --stats --test-raw-tp --dev "$VETH_C"
	local t
	for t in xdp_redirect xdp_redirect_err; do
		tp_listed "$OUT" raw_tp $t || fail "$t not raw_tp: $(head -1 "$OUT")"
	done
	send_redirected $N
	ip -n "$NS_B" link set "$VETH_C" down
	send_a 300 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['redirect']['errors']['ENETDOWN']" 300 ||
		fail "ENETDOWN never reached 300: $(tail -1 "$OUT" | cut -c1-300)"
	mon_stop
	expect_eq "summary success" "$(jget "$OUT" summary "j['redirect']['success']")" $N
	expect_eq "summary errors" "$(jget "$OUT" summary "j['redirect']['error']")" 300
}

# A tracepoint whose program the verifier refuses in every form is left out and named once, and
# the rest counts. With --test-no-raw-tp the redirect tracepoints have only their tp_btf
# programs, which verifiers before 6.16 refuse (6.1, 6.12); newer kernels load them all.
test_refused_programs_left_out_and_named() {
	mon_lab_up
	mon_start in_b --test-no-raw-tp
	expect_eq "no raw_tp programs" "$(jget "$OUT" start "j['tracepoints']['raw_tp']")" "[]"
	if tp_listed "$OUT" loaded xdp_redirect_err; then
		expect_eq "nothing refused" "$(jget "$OUT" start "j['tracepoints']['refused']")" "[]"
	else
		tp_listed "$OUT" refused xdp_redirect_err || fail "not refused: $(head -1 "$OUT")"
		grep -q "verifier refuses, not used: .*xdp_redirect_err" "$OUT.err" ||
			fail "not named: $(cat "$OUT.err")"
		expect_eq "named once" "$(grep -c "verifier refuses" "$OUT.err")" 1
	fi
	rxq_abort "$NS_B" "$VETH_B"
	send_a 100 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "$exc_all" 100 || fail "exceptions: $(tail -1 "$OUT" | cut -c1-300)"
	mon_stop
}

test_errors_only_by_default() {
	redirect_up
	mon_start in_b
	expect_eq "stats off" "$(jget "$OUT" start "j['stats']")" 0
	grep -q "NOTICE.*--stats" "$OUT.err" || fail "no notice about --stats: $(cat "$OUT.err")"
	send_a $N >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "$(xmit_sent "$VETH_B" "$VETH_C")" $N ||
		fail "devmap xmit never reached $N"
	mon_stop
	expect_eq "no successes counted without --stats" \
		"$(jget "$OUT" summary "j['redirect']['success']")" 0
}

# redirect_error_case ERRNO SETUP...: the redirect fails N times with ERRNO.
redirect_errors_are() {
	local want=$1
	mon_start in_b
	send_a $N "${@:2}" >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['redirect']['errors']['$want']" $N ||
		fail "$want never reached $N: $(tail -1 "$OUT" | cut -c1-300)"
	mon_stop
	expect_eq "all errors are $want" "$(jget "$OUT" summary "j['redirect']['error']")" $N
	expect_eq "nothing transmitted" "$(jget "$OUT" summary "len(j['devmap_xmit'])")" 0
}

test_redirect_to_down_device_is_enetdown() {
	redirect_up
	ip -n "$NS_B" link set "$VETH_C" down
	redirect_errors_are ENETDOWN
}

# xmit_refused_by_driver: N frames redirected from $VETH_B to $VETH_C, where veth's driver
# refuses every bulk (-ENXIO): the devmap-xmit row shows the drops, the driver-error bulks and
# the decoded error, and no redirect failed.
xmit_refused_by_driver() {
	mon_start in_b
	send_a $N >/dev/null || fail "pktgen failed"
	local row="[x for x in j['devmap_xmit'] if x['from']['name'] == '$VETH_B' and x['to']['name'] == '$VETH_C']"
	wait_until 10 jeq "$OUT" interval "sum(x['drops'] for x in $row)" $N ||
		fail "devmap xmit drops never reached $N: $(tail -1 "$OUT" | cut -c1-400)"
	mon_stop
	expect_eq "sent" "$(jget "$OUT" summary "sum(x['sent'] for x in $row)")" 0
	expect_eq "drops" "$(jget "$OUT" summary "sum(x['drops'] for x in $row)")" $N
	expect_eq "every bulk a driver error" \
		"$(jget "$OUT" summary "sum(x['drv_err'] - x['events'] for x in $row)")" 0
	expect_eq "decoded error" "$(jget "$OUT" summary "$row[0]['last_err']")" ENXIO
	expect_eq "no redirect errors" "$(jget "$OUT" summary "j['redirect']['error']")" 0
}

# A veth whose peer runs no XDP program cannot take redirected frames. Since 6.3 veth says so
# through its XDP features and the redirect fails with EOPNOTSUPP; before, the redirect succeeds
# and veth refuses every bulk (ENXIO, devmap-xmit drops).
test_redirect_to_veth_without_peer_program() {
	redirect_up nopass
	if bpftool btf dump file /sys/kernel/btf/vmlinux format raw |
		grep -q "'NETDEV_XDP_ACT_NDO_XMIT'"; then
		redirect_errors_are EOPNOTSUPP
		return
	fi
	xmit_refused_by_driver
}

test_redirect_oversize_frame_is_emsgsize() {
	redirect_up
	ip -n "$NS_B" link set "$VETH_C" mtu 500
	redirect_errors_are EMSGSIZE --size 1000
}

# The redirect itself succeeds (veth2 advertises ndo_xdp_xmit: its peer runs XDP), but with
# the peer down its NAPI is gone and the driver refuses every bulk (-ENXIO): the devmap-xmit
# row shows the drops, the driver-error bulks and the decoded error.
test_devmap_xmit_driver_error_counted() {
	redirect_up
	ip -n "$NS_C" link set "$VETH_D" down
	xmit_refused_by_driver
}

test_xdp_tx_bulk_counted() {
	mon_lab_up
	lab_pass_on_a || fail "attach the pass program on $VETH_A"
	mon_start in_b --dev "$VETH_B"
	local out
	out="$(tmpdir)/tx.json"
	bg_started "$out" in_b "$RXQ" --dev "$VETH_B" --action XDP_TX --json --interval 0.5
	send_a 1500 >/dev/null || fail "pktgen failed"
	local sent="sum(x['sent'] for x in j['bulk_tx'] if x['dev']['name'] == '$VETH_B')"
	wait_until 10 jeq "$OUT" interval "$sent" 1500 || fail "bulk_tx: $(tail -1 "$OUT" | cut -c1-400)"
	mon_stop
	expect_eq "bulk_tx drops" "$(jget "$OUT" summary "sum(x['drops'] for x in j['bulk_tx'])")" 0
	expect_eq "no devmap xmit for XDP_TX" "$(jget "$OUT" summary "len(j['devmap_xmit'])")" 0
}

# cpumap: frames redirected into a cpumap entry for CPU 0; the enqueue and kthread tables
# (these events carry no device or namespace: counted from every namespace)
test_cpumap_enqueue_and_kthread() {
	mon_lab_up
	in_b "$REDIR" "$VETH_B" cpu:0 || fail "attach the cpumap redirect program"
	mon_start in_b
	send_a 1000 >/dev/null || fail "pktgen failed"
	local enq="sum(c['processed'] + c['drops'] for c in j['cpumap_enqueue'] if c['to_cpu'] == 0)"
	local kt="sum(c['processed'] + c['drops'] for c in j['cpumap_kthread'] if c['cpu'] == 0)"
	# at least: another process's cpumap traffic would count too (no device to filter on)
	wait_until 10 jge "$OUT" interval "$enq" 1000 || fail "cpumap enqueue: $(tail -1 "$OUT" | cut -c1-400)"
	wait_until 10 jge "$OUT" interval "$kt" 1000 || fail "cpumap kthread: $(tail -1 "$OUT" | cut -c1-400)"
	mon_stop
	expect_eq "redirect successes not counted (errors only)" \
		"$(jget "$OUT" summary "j['redirect']['success']")" 0
}

# A program on the cpumap entry: its verdicts show in the kthread row (xdp_drop, then xdp_pass).
test_cpumap_program_verdicts_counted() {
	mon_lab_up
	local v other kt
	for v in drop pass; do
		other=pass
		[ $v = pass ] && other=drop
		ip -n "$NS_B" link set dev "$VETH_B" xdp off
		in_b "$REDIR" "$VETH_B" cpu:0:$v || fail "attach the cpumap redirect program ($v)"
		mon_start in_b
		send_a 1000 >/dev/null || fail "pktgen failed"
		kt="sum(c['xdp_$v'] for c in j['cpumap_kthread'] if c['cpu'] == 0)"
		wait_until 10 jge "$OUT" interval "$kt" 1000 ||
			fail "cpumap program $v: $(tail -1 "$OUT" | cut -c1-400)"
		mon_stop
		expect_eq "no xdp_$other with a $v program" \
			"$(jget "$OUT" summary "sum(c['xdp_$other'] for c in j['cpumap_kthread'])")" 0
	done
}

test_dev_filter_excludes_other_devices() {
	redirect_up
	# exceptions on veth3 (NS_C) are another namespace's; exceptions on veth2 come from NS_C
	ip -n "$NS_C" link set dev "$VETH_D" xdp off
	ip -n "$NS_B" link set "$VETH_C" mtu 500	# frames from veth1 larger than that: errors
	rxq_abort "$NS_B" "$VETH_C"
	mon_start in_b --dev "$VETH_C"
	local only=$OUT only_pid=$MON_PID
	mon_start in_b
	local all=$OUT all_pid=$MON_PID
	# 500 frames into veth2 from NS_C: aborted there; N 1000-byte frames into veth1: redirected
	# to veth2, which fails (EOPNOTSUPP since 6.3, as veth2's peer has no XDP program now;
	# EMSGSIZE before): errors from veth1 *to* veth2
	ip netns exec "$NS_C" "$PKTGEN" --dev "$VETH_D" --count 500 --dst-mac 02:00:00:00:00:0c \
		--src-ip 10.201.0.1 --dst-ip 10.201.0.2 >/dev/null || fail "pktgen in $NS_C"
	send_a $N --size 1000 >/dev/null || fail "pktgen failed"
	OUT=$all
	wait_until 10 jeq "$all" interval "j['redirect']['error']" $N || fail "errors: $(tail -1 "$all")"
	wait_until 10 jeq "$all" interval "$(exc_on "$VETH_C")" 500 || fail "exceptions: $(tail -1 "$all")"
	MON_PID=$all_pid mon_stop
	OUT=$only
	MON_PID=$only_pid mon_stop
	expect_eq "--dev $VETH_C: its exceptions" "$(jget "$only" summary "$exc_all")" 500
	expect_eq "--dev $VETH_C: redirects to it" "$(jget "$only" summary "j['redirect']['error']")" $N
	# and a filter on veth0? not ours. On veth1: only the redirect errors from it.
	mon_start in_b --dev "$VETH_B"
	ip netns exec "$NS_C" "$PKTGEN" --dev "$VETH_D" --count 300 --dst-mac 02:00:00:00:00:0c \
		--src-ip 10.201.0.1 --dst-ip 10.201.0.2 >/dev/null || fail "pktgen in $NS_C"
	send_a 100 --size 1000 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['redirect']['error']" 100 || fail "errors: $(tail -1 "$OUT")"
	mon_stop
	expect_eq "--dev $VETH_B: no exceptions of $VETH_C" "$(jget "$OUT" summary "$exc_all")" 0
}

# --dev X, then X is deleted: the monitor says so and ends (exit 1) instead of counting zeros.
test_dev_deleted_ends_the_run() {
	mon_lab_up
	pair_up
	mon_start in_b --dev "$VETH_C"
	expect_ends_when_deleted "$MON_PID" "$OUT" "$NS_B" "$VETH_C"
	has_line "$OUT" summary || fail "no summary"
}

# The same name and ifindex in two namespaces: --dev veth1 in NS_B never counts NS_C's veth1.
test_netns_same_name_and_ifindex_not_mixed() {
	mon_lab_up
	local idx
	idx=$(ip -n "$NS_B" -o link show "$VETH_B" | cut -d: -f1)
	ip netns add "$NS_C" || fail "netns"
	ip netns exec "$NS_C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	ip link add "$VETH_B" netns "$NS_C" index "$idx" type veth peer name vethz netns "$NS_C" index 77 ||
		fail "twin veth1 with ifindex $idx in $NS_C"
	expect_eq "twin ifindex" "$(ip -n "$NS_C" -o link show "$VETH_B" | cut -d: -f1)" "$idx"
	ip -n "$NS_C" link set "$VETH_B" address 02:00:00:00:00:0b up
	ip -n "$NS_C" link set vethz up
	rxq_abort "$NS_B" "$VETH_B"
	rxq_abort "$NS_C" "$VETH_B"
	mon_start in_b --dev "$VETH_B"
	local b=$OUT b_pid=$MON_PID
	mon_start in_a --all-netns
	local all=$OUT all_pid=$MON_PID
	send_a 700 >/dev/null || fail "pktgen failed"
	ip netns exec "$NS_C" "$PKTGEN" --dev vethz --count 300 --dst-mac 02:00:00:00:00:0b \
		--src-ip 10.201.0.1 --dst-ip 10.201.0.2 >/dev/null || fail "pktgen in $NS_C"
	local ns_b ns_c
	ns_b=$(in_b stat -L -c %i /proc/self/ns/net)
	ns_c=$(ip netns exec "$NS_C" stat -L -c %i /proc/self/ns/net)
	local row="sum(e['count'] for e in j['exceptions'] if e['dev']['ifindex'] == $idx and e['dev']['netns'] =="
	wait_until 10 jeq "$all" interval "$row $ns_b)" 700 || fail "NS_B row: $(tail -1 "$all" | cut -c1-400)"
	wait_until 10 jeq "$all" interval "$row $ns_c)" 300 || fail "NS_C row: $(tail -1 "$all" | cut -c1-400)"
	OUT=$all MON_PID=$all_pid mon_stop
	OUT=$b MON_PID=$b_pid mon_stop
	expect_eq "--dev $VETH_B in $NS_B" "$(jget "$b" summary "$exc_all")" 700
	expect_eq "rows in $NS_B's monitor" "$(jget "$b" summary "len(j['exceptions'])")" 1
}

test_netns_own_counts_only_its_namespace() {
	mon_lab_up
	rxq_abort "$NS_B" "$VETH_B"
	mon_start in_a --netns own
	local a=$OUT a_pid=$MON_PID
	mon_start in_b --netns own
	send_a 500 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "$exc_all" 500 || fail "NS_B monitor: $(tail -1 "$OUT")"
	mon_stop
	OUT=$a MON_PID=$a_pid mon_stop
	expect_eq "NS_A's monitor sees none of NS_B's exceptions" "$(jget "$a" summary "$exc_all")" 0
}

# By default every namespace counts, as in the kernel sample: a monitor in the root namespace
# sees NS_B's exceptions, its device labelled with NS_B's `ip netns` name, in JSON and in the
# table. Other tests may run beside this one: only NS_B's rows are counted.
test_every_netns_by_default_labelled() {
	mon_lab_up
	rxq_abort "$NS_B" "$VETH_B"
	local idx ns_b out pid row
	idx=$(ip -n "$NS_B" -o link show "$VETH_B" | cut -d: -f1)
	ns_b=$(in_b stat -L -c %i /proc/self/ns/net)
	OUT="$(tmpdir)/root.json"
	bg_started "$OUT" "$MON" --json --interval 0.2
	MON_PID=$BG_PID
	out="$(tmpdir)/root.txt"
	bg "$out" "$MON" --interval 0.2
	pid=$BG_PID
	wait_until 10 grep -q "^Monitoring XDP" "$out" || fail "no banner: $(cat "$out.err")"
	send_a 500 >/dev/null || fail "pktgen failed"
	row="[e for e in j['exceptions'] if e['dev']['ifindex'] == $idx and e['dev']['netns'] == $ns_b]"
	wait_until 10 jeq "$OUT" interval "sum(e['count'] for e in $row)" 500 ||
		fail "NS_B's exceptions: $(tail -1 "$OUT" | cut -c1-400)"
	expect_eq "label" "$(jget "$OUT" interval "$row[0]['dev']['name']")" "$VETH_B@$NS_B"
	expect_eq "netns_name" "$(jget "$OUT" interval "$row[0]['dev']['netns_name']")" "$NS_B"
	wait_until 10 grep -q "^exception  *$VETH_B@$NS_B " "$out" || fail "table: $(tail -5 "$out")"
	stop "$pid" INT
	expect_eq "table monitor exit" "$STOP_RC" 0
	mon_stop
	# --netns own in the root namespace: none of them
	mon_start in_a --netns own
	send_a 100 >/dev/null || fail "pktgen failed"
	sleep 0.5
	mon_stop
	expect_eq "--netns own in $NS_A" "$(jget "$OUT" summary "$exc_all")" 0
}

# Labels of other namespaces are long (NAME@NETNS->NAME@NETNS): the columns widen so every
# number stays under its header, in the redirect section (exception rows) and the transmit one.
test_table_columns_hold_long_labels() {
	redirect_up nopass
	local out
	out="$(tmpdir)/wide.txt"
	bg "$out" "$MON" -s --interval 0.3
	local pid=$BG_PID
	wait_until 10 grep -q "^Monitoring XDP" "$out" || fail "no banner: $(cat "$out.err")"
	# veth1 -> veth2 redirects (devmap-xmit), aborted on arrival at veth3 (exceptions)
	rxq_abort "$NS_C" "$VETH_D"
	send_a 3000 --rate 20000 >/dev/null || fail "pktgen failed"
	wait_until 10 grep -q "^devmap-xmit  *$VETH_B@$NS_B->$VETH_C@$NS_B " "$out" ||
		fail "no devmap-xmit row: $(tail -8 "$out")"
	wait_until 10 grep -q "^exception  *$VETH_D@$NS_C " "$out" ||
		fail "no exception row: $(tail -8 "$out")"
	stop "$pid" INT
	python3 - "$out" "@$NS_B" "@$NS_C" <<'PY' || fail "misaligned: $(grep -A8 '^Period' "$out" | tail -20)"
import re, sys
lines, labels = open(sys.argv[1]).read().splitlines(), sys.argv[2:]
ends = lambda line: [m.end() for m in re.finditer(r"\S+", line)]
bad = checked = 0
hdr = {}
for line in lines:
    if line.startswith("Period"):
        hdr = {}
    for h in ("redirect ", "transmit "):
        if line.startswith(h):
            hdr[h] = ends(line)
    if not any(l in line for l in labels):
        continue
    if line.startswith("devmap-xmit") and "transmit " in hdr:
        t = hdr["transmit "]	# transmit from->to / device xmit pkt/s drop pkt/s drv-err/s bulk-avg
        want, got = [t[5], t[7], t[8], t[9]], ends(line)[2:6]
    elif line.startswith("exception") and "redirect " in hdr:
        t = hdr["redirect "]	# redirect CPU ok pkt/s err pkt/s
        want, got = [t[3], t[5]], ends(line)[2:4]
    else:
        continue
    checked += 1
    if got != want:
        print("  %r: numbers end at %s, their headers at %s" % (line, got, want), file=sys.stderr)
        bad += 1
sys.exit(1 if bad or checked < 2 else 0)
PY
}

# xdp_redirect_map(_err), gone since 2025: named once as missing where the kernel lacks them,
# loaded (with --stats) where it has them (6.1, 6.12).
test_missing_tracepoints_reported_and_tool_runs() {
	mon_lab_up
	local miss t
	miss=$(for t in xdp_redirect_map xdp_redirect_map_err; do tp_in_kernel $t || echo "$t"; done)
	mon_start in_b --stats
	if [ -z "$miss" ]; then
		for t in xdp_redirect_map xdp_redirect_map_err; do
			tp_listed "$OUT" loaded $t || fail "$t not loaded: $(head -1 "$OUT")"
		done
		grep -q "not on this kernel" "$OUT.err" && fail "reported missing: $(cat "$OUT.err")"
	fi
	for t in $miss; do
		grep -q "not on this kernel:.*$t" "$OUT.err" || fail "$t not reported: $(cat "$OUT.err")"
		expect_eq "$t unavailable in JSON" "$(jget "$OUT" start "int('$t' in j['tracepoints']['unavailable'])")" 1
	done
	[ -z "$miss" ] || expect_eq "reported once" "$(grep -c "not on this kernel" "$OUT.err")" 1
	rxq_abort "$NS_B" "$VETH_B"
	send_a 100 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "$exc_all" 100 || fail "no exceptions counted"
	mon_stop
}

test_forced_unknown_tracepoint_degrades() {
	redirect_up
	ip -n "$NS_B" link set "$VETH_C" down
	mon_start in_b --test-tp xdp_exception=xdp_no_such_tracepoint
	grep -q "not on this kernel:.*xdp_no_such_tracepoint" "$OUT.err" ||
		fail "not reported: $(cat "$OUT.err")"
	expect_eq "unavailable in JSON" \
		"$(jget "$OUT" start "int('xdp_no_such_tracepoint' in j['tracepoints']['unavailable'])")" 1
	expect_eq "exception program not loaded" \
		"$(jget "$OUT" start "int('xdp_exception' in j['tracepoints']['loaded'])")" 0
	# the rest still works: redirect errors are counted
	send_a 300 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['redirect']['errors']['ENETDOWN']" 300 ||
		fail "redirect errors not counted: $(tail -1 "$OUT" | cut -c1-300)"
	mon_stop
}

# A tracepoint whose arguments differ from what the program reads is refused, not misread:
# probing xdp_bulk_tx (dev, sent, drops, err) for xdp_exception (dev, prog, act).
test_tracepoint_with_other_arguments_not_used() {
	mon_lab_up
	mon_start in_b --test-tp xdp_exception=xdp_bulk_tx
	grep -q "unexpected arguments, not used: xdp_bulk_tx" "$OUT.err" ||
		fail "not reported: $(cat "$OUT.err")"
	expect_eq "in bad_layout" "$(jget "$OUT" start "j['tracepoints']['bad_layout']")" "['xdp_bulk_tx']"
	rxq_abort "$NS_B" "$VETH_B"
	send_a 100 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['redirect']['error']" 0 || fail "not running"
	mon_stop
	expect_eq "no exceptions counted" "$(jget "$OUT" summary "$exc_all")" 0
}

test_table_output() {
	redirect_up
	ip -n "$NS_B" link set "$VETH_C" down
	local out
	out="$(tmpdir)/table.txt"
	# only this lab's namespace: other labs on the machine redirect too
	bg "$out" in_b "$MON" --netns own -i 0.3
	local pid=$BG_PID
	wait_until 5 grep -q "^Monitoring XDP" "$out" || fail "no banner"
	send_a 5000 >/dev/null
	wait_until 10 grep -q "redirect-err  *ENETDOWN" "$out" || fail "no ENETDOWN row: $(cat "$out")"
	stop "$pid" TERM
	expect_eq "exit after SIGTERM" "$STOP_RC" 0
	grep -q "^Summary: .* 5,000 errors" "$out" || fail "summary: $(tail -3 "$out")"
}

# mon_progs_known: the running monitor named its programs (kept in MON_IDS);
# mon_progs_gone: none of them is loaded any more.
mon_progs_known() {
	MON_IDS=$(jget "$OUT" start "' '.join(str(i) for i in j['prog_ids'])")
	[ -n "$MON_IDS" ]
}
mon_progs_gone() {
	local id
	for id in $MON_IDS; do
		! bpftool prog show id "$id" >/dev/null 2>&1 || return 1
	done
}

test_signals_print_summary_and_leave_nothing() {
	mon_lab_up
	expect_signals_end_runs "INT TERM HUP KILL" "mon_start in_b" mon_progs_known mon_progs_gone
}

test_duration_ends_run() {
	mon_lab_up
	local out="$(tmpdir)/d.json"
	in_b "$MON" --json --interval 0.1 --duration 0.5 >"$out" 2>/dev/null ||
		fail "exit status $?"
	has_line "$out" summary || fail "no summary"
	expect_eq "signal" "$(jget "$out" summary "j['signal']")" 0
}

test_bad_input_one_line_exit_2() {
	mon_lab_up
	expect_bad_input in_b "$MON" --dev nosuchdev0
	expect_bad_input in_b "$MON" --dev "$VETH_B" --dev "$VETH_B"
	expect_bad_input in_b "$MON" --dev "$VETH_B" --all-netns
	expect_bad_input in_b "$MON" --interval 0
	expect_bad_input in_b "$MON" --interval abc
	expect_bad_input in_b "$MON" --sec -1
	expect_bad_input in_b "$MON" --duration x
	expect_bad_input in_b "$MON" --bogus
	expect_bad_input in_b "$MON" extra
	expect_bad_input in_b "$MON" --test-tp nonsense
	expect_bad_input in_b "$MON" --test-tp xdp_nosuch=foo
	in_b "$MON" --help >/dev/null || fail "--help exit status"
	in_b "$MON" --help | grep -q -- "--netns WHICH" || fail "--help lacks --netns"
	expect_bad_input in_b "$MON" --netns elsewhere
	expect_bad_input in_b "$MON" --netns own --all-netns
}

run_tests "$@"
