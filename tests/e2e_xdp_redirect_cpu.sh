#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of xdp_redirect_cpu on the veth lab: N frames spread over the listed CPUs by
# each strategy exactly as it promises, the second stage's verdicts exact on the target CPUs
# (pass: the skbs reach the stack there, counted per CPU by a tc program), redirect out of a
# device to a peer that counts them, --stress without lost accounting, busy devices, signals,
# bad input.
. "$(dirname "$0")/lib.sh"

RCPU="$BINDIR/xdp_redirect_cpu"
N=10000
RATE=20000	# frames per second, from one CPU
# Queues that cannot overflow, whatever the scheduler does to the kthreads on a busy machine or
# in the 2-vCPU VMs: a target CPU's queue holds more than all the frames sent to it, and
# frames redirected into a veth (whose peer's ring holds 256) go in bursts of 250, each one
# received before the next is sent.
QSIZE=16384
BURST=250


# rcpu_start ARGS...: the tool on NS_B's veth in the background, JSON to $OUT, until attached.
rcpu_start() {
	OUT="$(tmpdir)/rcpu.json"
	bg_started "$OUT" in_b "$RCPU" "$VETH_B" --json --interval 0.2 --qsize $QSIZE "$@"
	RCPU_PID=$BG_PID
	CPUMAPS_SEEN=$(cpumaps_now)
}

# send_cpu0 N [pktgen options]: send_a from CPU 0 only, paced. Frames are received on the
# sender's CPU (veth), so CPU 0 is the one receive CPU and round-robin's cursor is exact.
send_cpu0() {
	(taskset -pc 0 "$BASHPID" >/dev/null && send_a "$@" --rate "$RATE" >/dev/null) ||
		fail "pktgen failed"
}

# rcpu_stop_at N: the run counts N frames received, and its target CPUs' kthreads (the
# tracepoints, with --queue-stats) or else its second stage (if any) as many as were chosen
# for them; it ends on SIGINT with exit 0 and a summary of N frames received and redirected.
rcpu_stop_at() {
	local done=""
	wait_until 10 jeq "$OUT" interval "j['rx']['rx']" "$1" ||
		fail "rx $(jget "$OUT" interval "j['rx']['rx']"), want $1"
	if [ "$(jget "$OUT" start "j['queue_stats']")" = 1 ]; then
		done="t['kthread_processed'] + t['enqueue_drops']"
	elif [ "$(jget "$OUT" start "j['remote_action']")" != none ]; then
		done="t['pass'] + t['drop'] + t['redirect'] + t['no_target']"
	fi
	[ -z "$done" ] || wait_until 10 jeq "$OUT" interval \
		"(lambda t: $done)(j['target_total']) >= $1" 1 ||
		fail "kthreads or second stage processed $(jget "$OUT" interval "j['target_total']")"
	CPUMAPS_SEEN="$CPUMAPS_SEEN $(cpumaps_now)"
	stop "$RCPU_PID" INT
	expect_eq "exit status after SIGINT ($(cat "$OUT.err"))" "$STOP_RC" 0
	expect_eq "summary rx" "$(jget "$OUT" summary "j['rx']['rx']")" "$1"
	expect_eq "summary redirected" "$(jget "$OUT" summary "j['rx']['redirected']")" "$1"
}

# per_target EXPR: EXPR of each target in the summary, in --cpu order ("5000 5000").
per_target() {
	jget "$OUT" summary "' '.join(str($1) for t in j['targets'])"
}

# tc_count_on NS DEV: a tc program on DEV's ingress counts its skbs per CPU that received them.
tc_count_on() {
	tc -n "$1" qdisc add dev "$2" clsact &&
		tc -n "$1" filter add dev "$2" ingress bpf da obj "$O/tests/tc_cpu_count_kern.o" sec tc
}

# tc_counts NS DEV: those counts, CPU 0 first ("0 10000").
tc_counts() {
	local prog map
	prog=$(tc -n "$1" -j filter show dev "$2" ingress | python3 -c 'import json, sys
print([f for f in json.load(sys.stdin) if "options" in f][0]["options"]["prog"]["id"])') || return 1
	map=$(bpftool prog show id "$prog" -j | jfield map_ids | tr -d '[]') || return 1
	bpftool map dump id "$map" -j | python3 -c 'import json, sys
print(" ".join(str(v["value"]) for v in json.load(sys.stdin)[0]["formatted"]["values"]))'
}

# cpumaps_now: the ids of every cpumap in the kernel.
cpumaps_now() {
	bpftool map list -j | python3 -c 'import json, sys
print(" ".join(str(m["id"]) for m in json.load(sys.stdin) if m["type"] == "cpumap"))'
}

# foreign_cpumaps: the cpumaps other than this run's that existed at its start or end.
foreign_cpumaps() {
	# shellcheck disable=SC2086 # one id a word
	printf '%s\n' $CPUMAPS_SEEN | grep -vx "$(jget "$OUT" start "j['cpumap_id']")" | sort -u |
		tr '\n' ' '
}

# cpumap_cmp: how the cpumap events compare with what this run sent: "==", or ">=" (saying
# why) when other cpumaps existed, whose events count too.
cpumap_cmp() {
	local foreign
	foreign=$(foreign_cpumaps)
	if [ -z "$foreign" ]; then
		echo "=="
		return
	fi
	echo "  note: other cpumaps ($foreign) existed during the run: their events count too" >&2
	echo ">="
}

# expect_cpumap_exact: the kernel's cpumap (the tracepoints) enqueued, and the kthread of each
# target CPU processed, exactly the frames chosen for it; none dropped for a full queue (the
# test's queues cannot fill).
# The cpumap tracepoints are counted for every cpumap (the shared module does not tell maps
# apart yet): when another one existed at the start or the end of the run (a test running in
# parallel on this machine), its events may add to ours, and ours must only not be short.
expect_cpumap_exact() {
	local chosen foreign cmp
	chosen=$(per_target "t['chosen']")
	foreign=$(foreign_cpumaps)
	cmp=$(cpumap_cmp)
	jeq "$OUT" summary "all(t['enqueued'] + t['enqueue_drops'] $cmp t['chosen'] and t['kthread_processed'] $cmp t['chosen'] for t in j['targets'])" 1 ||
		fail "per target: chosen $chosen, enqueued $(per_target "t['enqueued']"), kthread processed $(per_target "t['kthread_processed']")"
	[ -n "$foreign" ] ||
		expect_eq "enqueue drops" "$(jget "$OUT" summary "j['target_total']['enqueue_drops']")" 0
}

# snmp_is NS PROTO FIELD VALUE: the counter has that value.
snmp_is() { [ "$(snmp "$1" "$2" "$3")" = "$4" ]; }

# first_two COUNTS: the counts of CPUs 0 and 1 ("5000 5000"), the lab's target CPUs.
first_two() { echo "$1" | awk '{ print $1, $2 }'; }

# ---------------------------------------------------------------- strategies

# Each strategy's promise on N frames over CPUs 0 and 1, from one receive CPU: round-robin
# splits exactly; l4-sport follows the source port (pktgen --flows 2: 9000, 9001 alternate);
# l4-dport the destination port (9: odd, the second CPU); l4-proto UDP (the second);
# no-touch and touch the first. The list's order counts: with --cpu 1,0 the first is CPU 1.
test_strategies_spread_exactly() {
	need_two_cpus
	local c lb cpus flows want
	local cases=("round-robin 0,1 1 5000:5000" "round-robin 1,0 1 5000:5000"
		"l4-sport 0,1 2 5000:5000" "l4-dport 0,1 1 0:10000" "l4-proto 0,1 1 0:10000"
		"no-touch 0,1 1 10000:0" "touch 0,1 1 10000:0" "no-touch 1,0 1 10000:0"
		"l4-dport 1,0 1 0:10000")
	# the smoke layer (each case is a lab and a start, 15 s under TCG): both CPU orders, a
	# spreading and a pinning L4 strategy, the touching one
	[ -z "${SMOKE_LAYER:-}" ] || cases=("${cases[1]}" "${cases[2]}" "${cases[6]}" "${cases[8]}")
	for c in "${cases[@]}"; do
		read -r lb cpus flows want <<<"$c"
		lab_up
		rcpu_start --cpu "$cpus" --lb "$lb" -r drop --queue-stats
		send_cpu0 $N --flows "$flows"
		rcpu_stop_at $N
		expect_eq "$lb over $cpus: chosen per target" "$(per_target "t['chosen']")" "${want/:/ }"
		expect_eq "$lb over $cpus: dropped on each target" "$(per_target "t['drop']")" \
			"${want/:/ }"
		expect_eq "$lb: target CPUs in --cpu order" "$(per_target "t['cpu']")" "${cpus/,/ }"
		expect_cpumap_exact
		lab_down
	done
}

# hash: each flow (source address here, IPv4 and IPv6) goes to exactly one CPU, the same for
# all its frames, and the flows use both CPUs.
test_hash_one_cpu_per_flow() {
	need_two_cpus
	lab_up
	rcpu_start --cpu 0,1 --lb hash -r drop
	wait_until 5 has_line "$OUT" interval || fail "no interval line"
	local k src total=0 before after used=""
	for k in 11 12 13 14 15 16 fd00::11 fd00::12 fd00::13 fd00::14; do
		case $k in *:*) src=$k; set -- --dst-ip fd00::2 ;; *) src=10.200.0.$k; set -- ;; esac
		before=$(jget "$OUT" interval "' '.join(str(t['chosen']) for t in j['targets'])")
		send_cpu0 500 --src-ip "$src" "$@"
		total=$((total + 500))
		wait_until 10 jeq "$OUT" interval "j['rx']['rx']" "$total" || fail "flow $src not counted"
		after=$(jget "$OUT" interval "' '.join(str(t['chosen']) for t in j['targets'])")
		# shellcheck disable=SC2086
		case "$(python3 -c 'import sys; a, b = sys.argv[1].split(), sys.argv[2].split()
print(" ".join(str(int(y) - int(x)) for x, y in zip(a, b)))' "$before" "$after")" in
		"500 0") used="$used 0" ;;
		"0 500") used="$used 1" ;;
		*) fail "flow $src spread over CPUs: $before -> $after" ;;
		esac
	done
	case $used in *0*) ;; *) fail "no flow on CPU 0:$used" ;; esac
	case $used in *1*) ;; *) fail "no flow on CPU 1:$used" ;; esac
	rcpu_stop_at $total
}

# ---------------------------------------------------------------- the second stage

# pass, and none (no program): the frames become skbs on the target CPU. With the sender on CPU
# 0 and the targets CPU 1 alone, then 0 and 1, a tc program on the device's ingress counts the
# skbs on each target CPU exactly as many as it was sent; the stack got them all (UDP to a
# closed port: NoPorts).
test_pass_builds_skbs_on_the_target_cpu() {
	need_two_cpus
	local ra cpus want noports
	local cases=("pass 1 0:10000" "pass 0,1 5000:5000" "none 1 0:10000" "none 0,1 5000:5000") c
	# the smoke layer: each verdict once, each placement once
	[ -z "${SMOKE_LAYER:-}" ] || cases=("${cases[1]}" "${cases[2]}")
	for c in "${cases[@]}"; do
		read -r ra cpus want <<<"$c"
		lab_up
		tc_count_on "$NS_B" "$VETH_B" || fail "tc program on $VETH_B"
		noports=$(snmp "$NS_B" Udp NoPorts)
		rcpu_start --cpu "$cpus" --lb round-robin -r "$ra" --queue-stats
		send_cpu0 $N
		rcpu_stop_at $N
		wait_until 5 snmp_is "$NS_B" Udp NoPorts $((noports + N)) ||
			fail "-r $ra --cpu $cpus: Udp NoPorts went from $noports to" \
				"$(snmp "$NS_B" Udp NoPorts); $(jget "$OUT" summary "j['targets']")"
		expect_eq "-r $ra --cpu $cpus: skbs per CPU (tc)" \
			"$(first_two "$(tc_counts "$NS_B" "$VETH_B")")" "${want/:/ }"
		expect_cpumap_exact
		if [ "$ra" = pass ]; then
			expect_eq "-r pass --cpu $cpus: second stage passed" \
				"$(per_target "t['pass']")" \
				"$(per_target "t['chosen']")"
			expect_eq "-r pass: the kernel's count of XDP_PASS in the kthreads" \
				"$(per_target "t['kthread_xdp_pass']")" \
				"$(per_target "t['chosen']")"
		fi
		lab_down
	done
}

# drop: every frame dropped on its target CPU; nothing reaches the stack.
test_drop_on_the_target_cpus() {
	need_two_cpus
	lab_up
	tc_count_on "$NS_B" "$VETH_B" || fail "tc program on $VETH_B"
	local ip0
	ip0=$(snmp "$NS_B" Ip InReceives)
	rcpu_start --cpu 0,1 --lb round-robin -r drop
	send_cpu0 $N
	rcpu_stop_at $N
	expect_eq "dropped per target" "$(per_target "t['drop']")" "5000 5000"
	expect_eq "other verdicts" "$(jget "$OUT" summary \
		"j['target_total']['pass'] + j['target_total']['redirect'] + j['target_total']['no_target']")" 0
	expect_eq "skbs (tc)" "$(first_two "$(tc_counts "$NS_B" "$VETH_B")")" "0 0"
	expect_eq "Ip InReceives delta" "$(($(snmp "$NS_B" Ip InReceives) - ip0))" 0
}

# redirect back out of the device itself: the frames come back to the sender (a bare XDP_PASS
# on its veth lets them in), every one, with the MACs swapped, or as received with
# --no-swapmac.
test_redirect_back_to_sender_swapped_or_not() {
	need_two_cpus
	local swap res
	for swap in 1 0; do
		lab_up
		lab_pass_on_a || fail "XDP_PASS on $VETH_A"
		if [ $swap = 1 ]; then
			rcpu_start --cpu 0,1 --lb round-robin -r redirect -D "$VETH_B"
		else
			rcpu_start --cpu 0,1 --lb round-robin -r redirect -D "$VETH_B" --no-swapmac
		fi
		expect_eq "swapmac" "$(jget "$OUT" start "j['swapmac']")" $swap
		local i back=0 swapped=0
		for i in 1 2 3 4 5 6 7 8; do
			res=$( (taskset -pc 0 "$BASHPID" >/dev/null &&
				send_a $BURST --rate "$RATE" --expect-back 10)) || fail "pktgen failed"
			back=$((back + $(jfield received <<<"$res")))
			swapped=$((swapped + $(jfield swapped <<<"$res")))
		done
		expect_eq "frames back" $back $((8 * BURST))
		expect_eq "frames back with MACs swapped" $swapped $((swap * 8 * BURST))
		rcpu_stop_at $((8 * BURST))
		expect_eq "redirected per target" "$(per_target "t['redirect']")" \
			"$((4 * BURST)) $((4 * BURST))"
		lab_down
	done
}

# redirect out of another device: veth2 of the router lab, whose peer in NS_C runs
# xdp_rxq_info and counts every frame; veth2 ran no XDP program, so the tool puts an XDP_PASS
# one there for the run, and takes it away at the end.
test_redirect_to_another_device_reaches_its_peer() {
	need_two_cpus
	router_lab_up || fail "router lab"
	local rx="$TMP_DIR/rx.json"
	bg_started "$rx" ip netns exec "$NS_C" "$BINDIR/xdp_rxq_info" --dev "$VETH_C" --json \
		--interval 0.2 --action XDP_DROP
	local rx_pid=$BG_PID
	rcpu_start --cpu 0,1 --lb round-robin -r redirect -D "$VETH_R2" --queue-stats
	grep -q "$VETH_R2 ran no XDP program: an XDP_PASS one is attached" "$OUT.err" ||
		fail "no notice of the program on $VETH_R2: $(cat "$OUT.err")"
	xdp_attached "$NS_B" "$VETH_R2" || fail "no XDP program on $VETH_R2 during the run"
	local i n=0
	for i in 1 2 3 4 5 6 7 8; do
		send_cpu0 $BURST
		n=$((n + BURST))
		wait_until 10 jeq "$rx" interval "j['total']['processed']" $n ||
			fail "xdp_rxq_info on $VETH_C counted $(jget "$rx" interval \
				"j['total']['processed']"), want $n"
	done
	expect_rxq_counted "$rx" "$rx_pid" $n
	rcpu_stop_at $n
	expect_eq "redirected per target" "$(per_target "t['redirect']")" "$((n / 2)) $((n / 2))"
	expect_eq "sent out of $VETH_R2 (xdp_devmap_xmit)" "$(jget "$OUT" summary "j['xmit']['sent']")" $n
	expect_eq "redirect errors" "$(jget "$OUT" summary "sum(j['redirect_errors'].values())")" 0
	wait_until 5 xdp_detached "$NS_B" "$VETH_R2" || fail "the XDP_PASS program stayed on $VETH_R2"
}

# A veth to redirect into whose peer runs no XDP program drops every frame: the tool says so
# at the start, and the frames show as redirect errors (EOPNOTSUPP, since Linux 6.3) or as
# transmit drops (before).
test_redirect_to_a_veth_without_peer_program_warned() {
	need_two_cpus
	router_lab_up || fail "router lab"
	rcpu_start --cpu 0,1 --lb round-robin -r redirect -D "$VETH_R2" --queue-stats
	grep -q "warning: the peer of veth $VETH_R2 ($VETH_C, in another network namespace) runs no XDP program" \
		"$OUT.err" || fail "no warning: $(cat "$OUT.err")"
	send_cpu0 1000
	rcpu_stop_at 1000
	expect_eq "redirected by the second stage" "$(jget "$OUT" summary \
		"j['target_total']['redirect']")" 1000
	expect_eq "lost: redirect errors + transmit drops" "$(jget "$OUT" summary \
		"sum(j['redirect_errors'].values()) + j['xmit']['drops']")" 1000
	expect_eq "sent" "$(jget "$OUT" summary "j['xmit']['sent']")" 0
}

# xdp_monitor --stats beside the tool counts the same N: N redirect successes (into the
# cpumap), N enqueued, N processed by the kthreads.
test_xdp_monitor_beside_counts_the_same() {
	need_two_cpus
	lab_up
	local mon="$TMP_DIR/mon.json"
	bg_started "$mon" in_b "$BINDIR/xdp_monitor" --stats --dev "$VETH_B" --json --interval 0.2
	local mon_pid=$BG_PID
	rcpu_start --cpu 0,1 --lb round-robin -r drop --queue-stats
	send_cpu0 $N
	rcpu_stop_at $N
	wait_until 10 jeq "$mon" interval \
		"sum(k['processed'] for k in j['cpumap_kthread'])" $N ||
		fail "xdp_monitor: $(tail -1 "$mon" | cut -c1-400)"
	stop "$mon_pid" INT
	expect_eq "xdp_monitor exit" "$STOP_RC" 0
	expect_eq "xdp_monitor redirect successes" "$(jget "$mon" summary "j['redirect']['success']")" $N
	expect_eq "xdp_monitor redirect errors" "$(jget "$mon" summary "j['redirect']['error']")" 0
	local cmp
	cmp=$(cpumap_cmp)
	jeq "$mon" summary "sum(e['processed'] for e in j['cpumap_enqueue']) $cmp $N" 1 ||
		fail "xdp_monitor cpumap enqueued: $(jget "$mon" summary "j['cpumap_enqueue']")"
	jeq "$mon" summary "sorted(k['cpu'] for k in j['cpumap_kthread'] if k['processed'] $cmp 5000)[:2] == [0, 1]" 1 ||
		fail "xdp_monitor kthread processed per CPU: $(jget "$mon" summary "j['cpumap_kthread']")"
	expect_cpumap_exact
}

# A queue of 8 frames under a burst: frames dropped for a full queue, counted, and the rest
# exactly what the kthread took and the second stage dropped; nothing unaccounted for, and
# what the tool's own counters call dropped at enqueue or still queued is those drops.
test_full_queue_drops_accounted() {
	need_two_cpus
	lab_up
	rcpu_start --cpu 1 --lb no-touch -r drop --qsize 8 --queue-stats
	send_a 0 --live --duration 0.5 >"$TMP_DIR/src.json" || fail "source failed"
	local sent
	sent=$(jfield sent "$TMP_DIR/src.json")
	rcpu_stop_at "$sent"
	local t="j['targets'][0]"
	jeq "$OUT" summary "$t['enqueue_drops'] > 0" 1 ||
		fail "no frame found the queue full: $(jget "$OUT" summary "$t")"
	jeq "$OUT" summary "$t['enqueued'] + $t['enqueue_drops'] $(cpumap_cmp) $sent" 1 ||
		fail "enqueued + dropped != $sent: $(jget "$OUT" summary "$t")"
	[ -n "$(foreign_cpumaps)" ] && return
	expect_eq "the kthread took what was enqueued" \
		"$(jget "$OUT" summary "$t['kthread_processed'] - $t['enqueued']")" 0
	expect_eq "the second stage dropped what was enqueued" \
		"$(jget "$OUT" summary "$t['drop'] - $t['enqueued']")" 0
	expect_eq "dropped at enqueue or still queued: the enqueue drops, once all is done" \
		"$(jget "$OUT" summary "$t['dropped_or_queued'] - $t['enqueue_drops']")" 0
}

# ---------------------------------------------------------------- --stress

# The entries re-created every 0.1 s while 20,000 frames flow: every frame still accounted for,
# once: received = redirected, and each target's second stage passed what was chosen for it.
test_stress_keeps_every_frame_accounted() {
	need_two_cpus
	lab_up
	OUT="$(tmpdir)/rcpu.json"
	bg_started "$OUT" in_b "$RCPU" "$VETH_B" --json --interval 0.1 --cpu 0,1 --lb round-robin \
		-r pass --stress --qsize $QSIZE --queue-stats
	RCPU_PID=$BG_PID
	CPUMAPS_SEEN=$(cpumaps_now)
	RATE=10000 send_cpu0 20000
	rcpu_stop_at 20000
	local rounds
	rounds=$(jget "$OUT" summary "j['stress_rounds']")
	[ "$rounds" -ge 10 ] || fail "entries re-created $rounds times in 2 s, want 10 or more"
	expect_eq "chosen per target" "$(per_target "t['chosen']")" "10000 10000"
	expect_eq "passed per target" "$(per_target "t['pass']")" "10000 10000"
	expect_cpumap_exact
}

# ---------------------------------------------------------------- the usual

test_table_output_has_rows_and_totals() {
	need_two_cpus
	lab_up
	local out="$TMP_DIR/table.txt"
	bg "$out" in_b "$RCPU" "$VETH_B" --cpu 0,1 --lb round-robin -r pass -i 0.3 --queue-stats
	local pid=$BG_PID
	wait_until 5 grep -q "^Redirecting dev $VETH_B" "$out" || fail "no banner: $(cat "$out.err")"
	send_cpu0 $N
	stop "$pid" INT
	expect_eq "exit" "$STOP_RC" 0
	grep -q "^receive CPU  *rx pkt/s" "$out" || fail "no receive table"
	grep -q "^target CPU  *chosen pkt/s  *enq pkt/s .* sched/s$" "$out" || fail "no target table"
	! grep -q -- "--queue-stats" "$out" || fail "--queue-stats named although given"
	grep -q "^second stage  *pass pkt/s" "$out" || fail "no second-stage table"
	grep -q "^  total " "$out" || fail "no total row"
	grep -q "^Summary: $VETH_B->CPU 0,1, .*: 10,000 rx" "$out" ||
		fail "summary: $(grep -A3 Summary "$out")"
	grep -A1 "^  CPU 1: 5,000 chosen, 5,000 enqueued (0 dropped: queue full), kthread 5,000" "$out" |
		grep -q "^         second stage: pass 5,000, drop 0," ||
		fail "summary per CPU: $(grep -A3 Summary "$out")"
}

# tp_links_of PID: the tracepoints that process PID's bpf_links attach to, one a line (the
# links' ids from its fds, their tracepoints from bpftool).
tp_links_of() {
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		id=$(awk '/^link_id:/ { print $2 }' "$f" 2>/dev/null)
		[ -z "$id" ] || bpftool link show id "$id" -j | python3 -c 'import json, sys
print(json.load(sys.stdin).get("tp_name", ""))'
	done | grep .
}

# The default run (no --queue-stats) attaches none of the tracepoints hit per bulk of frames
# (cpumap enqueue and kthread, devmap transmit: they cost a few % of the redirect rate), only
# the redirect error ones, as its start line and bpftool agree; its own counters still count N
# exactly per target CPU (chosen and second-stage verdicts, none left dropped at enqueue or
# queued), the keys that need those tracepoints are absent, and the text output leaves their
# columns out and names --queue-stats.
test_default_run_counts_without_queue_tracepoints() {
	need_two_cpus
	lab_up
	rcpu_start --cpu 0,1 --lb round-robin -r drop
	expect_eq "start: queue_stats" "$(jget "$OUT" start "j['queue_stats']")" 0
	jeq "$OUT" start "'xdp_redirect_err' in j['tracepoints']['loaded'] and set(j['tracepoints']['loaded']) <= {'xdp_redirect_err', 'xdp_redirect_map_err'}" 1 ||
		fail "tracepoints loaded: $(jget "$OUT" start "j['tracepoints']")"
	local tps
	tps=$(tp_links_of "$RCPU_PID") || fail "bpftool: no tracepoint link held by the tool"
	! grep -qE "cpumap|devmap" <<<"$tps" || fail "bpftool: the tool's links attach to ${tps//$'\n'/, }"
	send_cpu0 $N
	rcpu_stop_at $N
	expect_eq "chosen per target" "$(per_target "t['chosen']")" "5000 5000"
	expect_eq "dropped per target (second stage)" "$(per_target "t['drop']")" "5000 5000"
	expect_eq "other verdicts" "$(per_target "t['pass'] + t['redirect'] + t['no_target']")" "0 0"
	expect_eq "dropped at enqueue or still queued" "$(per_target "t['dropped_or_queued']")" "0 0"
	expect_eq "keys that need the tracepoints" "$(jget "$OUT" summary \
		"sorted(k for k in j['target_total'] if k.startswith(('enq', 'kthread')))")" "[]"
	expect_eq "redirect errors" "$(jget "$OUT" summary "sum(j['redirect_errors'].values())")" 0

	local out="$TMP_DIR/default.txt"
	bg "$out" in_b "$RCPU" "$VETH_B" --cpu 0,1 --lb round-robin -r drop -i 0.3 --qsize $QSIZE
	local pid=$BG_PID
	wait_until 5 grep -q "^Redirecting dev $VETH_B" "$out" || fail "no banner: $(cat "$out.err")"
	grep -q "^Not counted: the cpumap queues (enqueued, enqueue drops, kthread, sched, bulk size); --queue-stats adds them" "$out" ||
		fail "no line naming --queue-stats: $(head -3 "$out")"
	send_cpu0 $N
	stop "$pid" INT
	expect_eq "exit" "$STOP_RC" 0
	grep -q "^target CPU  *chosen pkt/s$" "$out" ||
		fail "target table header: $(grep "^target CPU" "$out" | head -1)"
	grep -q "^  CPU 1: 5,000 chosen, [0-9,]* dropped at enqueue or still queued$" "$out" ||
		fail "summary per CPU: $(grep -A5 Summary "$out")"
	grep -q "^  (chosen - verdicts, exact once traffic has stopped; --queue-stats tells drops from queued)$" "$out" ||
		fail "summary: $(grep -A6 Summary "$out")"
}

test_refuses_busy_device_and_force_replaces() {
	lab_up
	expect_busy_refused "$NS_B" "$VETH_B" in_b "$RCPU" "$VETH_B" --cpu 0 --duration 1
	rcpu_start --cpu 0 --force
	[ "$(xdp_on "$NS_B" "$VETH_B")" != "$BUSY_ID" ] || fail "--force did not replace"
	send_a 100 >/dev/null
	rcpu_stop_at 100
}

test_second_instance_refused() {
	lab_up
	rcpu_start --cpu 0
	local err rc
	err=$(in_b "$RCPU" "$VETH_B" --cpu 0 --duration 1 2>&1 >/dev/null)
	rc=$?
	expect_eq "exit code of the second instance" "$rc" 3
	case $err in
	*"held by the bpf_link of process $RCPU_PID (xdp_redirect_c"*) ;;
	*) fail "message: $err" ;;
	esac
	send_a 10 >/dev/null
	rcpu_stop_at 10
}

# nothing left: no XDP program on the devices, the program and the cpumap (with its kthreads)
# gone from the kernel
gone_all() {
	xdp_detached "$NS_B" "$VETH_B" && xdp_detached "$NS_B" "$VETH_R2" &&
		! bpftool prog show id "$PROG_ID" >/dev/null 2>&1 &&
		! bpftool map show id "$CPUMAP_ID" >/dev/null 2>&1
}

up_all() {
	PROG_ID=$(jget "$OUT" start "j['prog_id']")
	CPUMAP_ID=$(jget "$OUT" start "j['cpumap_id']")
	xdp_attached "$NS_B" "$VETH_B" && xdp_attached "$NS_B" "$VETH_R2" &&
		bpftool map show id "$CPUMAP_ID" >/dev/null 2>&1
}

start_redirecting() { rcpu_start --cpu 0 -r redirect -D "$VETH_R2"; }

test_signals_leave_nothing() {
	router_lab_up || fail "router lab"
	expect_signals_end_runs "INT TERM HUP KILL" start_redirecting up_all gone_all
}

test_device_removed_while_running() {
	lab_up
	rcpu_start --cpu 0
	expect_ends_when_deleted "$RCPU_PID" "$OUT" "$NS_B" "$VETH_B"
	has_line "$OUT" summary || fail "no summary"
}

test_bad_input_one_line_exit_2() {
	lab_up
	local ncpus
	ncpus=$(getconf _NPROCESSORS_CONF)
	expect_bad_input in_b "$RCPU"
	expect_bad_input in_b "$RCPU" "$VETH_B"
	expect_bad_input in_b "$RCPU" --cpu 0
	expect_bad_input in_b "$RCPU" nosuchdev0 --cpu 0
	local l
	for l in "" x 0- -1 1-0 0,,1 0, ",0" "0 1" 0x1 0,0 0-1,1 "$ncpus" 99999999999 0-4096; do
		expect_bad_input in_b "$RCPU" "$VETH_B" --cpu "$l"
	done
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 --qsize 0
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 --qsize 16385
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 --lb l4-hash
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 -r redirect
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 -r pass -D "$VETH_B"
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 -D "$VETH_B"
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 --no-swapmac
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 -r bounce
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 --mode native -S
	expect_bad_input in_b "$RCPU" "$VETH_B" --cpu 0 extra
	expect_eq "device untouched" "$(xdp_on "$NS_B" "$VETH_B")" ""
	local err
	err=$(in_b "$RCPU" "$VETH_B" --cpu "$ncpus" 2>&1)
	case $err in *"CPU $ncpus does not exist"*) ;; *) fail "message: $err" ;; esac
	err=$(in_b "$RCPU" "$VETH_B" --cpu 0,0 2>&1)
	case $err in *"CPU 0 listed twice"*) ;; *) fail "message: $err" ;; esac
	in_b "$RCPU" --help >/dev/null || fail "--help exit status"
}

test_short_options_all_work() {
	need_two_cpus
	lab_up
	local out="$TMP_DIR/short.json"
	# -c -l -q -r -D -x -Q -i -S -F -z -j -d: every short form
	in_b "$RCPU" -d "$VETH_B" -c 1 -l touch -q 64 -r redirect -D "$VETH_B" -x -Q -i 0.25 -S -F \
		-z -j --duration 0.6 >"$out" 2>"$out.err" || fail "exit status $?: $(cat "$out.err")"
	expect_eq "cpus" "$(jget "$out" start "j['cpus']")" "[1]"
	expect_eq "lb" "$(jget "$out" start "j['lb']")" touch
	expect_eq "qsize" "$(jget "$out" start "j['qsize']")" 64
	expect_eq "remote action" "$(jget "$out" start "j['remote_action']")" redirect
	expect_eq "redirect device" "$(jget "$out" start "j['redirect_dev']")" "$VETH_B"
	expect_eq "stress" "$(jget "$out" start "j['stress']")" 1
	expect_eq "queue stats" "$(jget "$out" start "j['queue_stats']")" 1
	expect_eq "skb mode" "$(jget "$out" start "j['mode']")" skb
	expect_eq "intervals of 0.25 s in 0.6 s" "$(grep -c '"type":"interval"' "$out")" 3
	in_b "$RCPU" "$VETH_B" -c 0 -v --duration 0.3 >/dev/null 2>&1 || fail "-v"
	expect_eq "device left clean" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

run_tests "$@"
