# SPDX-License-Identifier: GPL-2.0
# tests/lib.sh: the veth lab and the end-to-end test runner, sourced by tests/e2e_<tool>.sh,
# tests/demo.sh and tests/bench.sh.
#
# The lab: two network namespaces, "$NS_A" (the traffic source) and "$NS_B" (the device under
# test), joined by a veth pair $VETH_A <-> $VETH_B with addresses only inside them. Every name
# carries this shell's PID, so parallel runs never collide. lab_down removes everything and runs
# from an EXIT trap, so a failing or interrupted test leaves nothing behind. router_lab_up adds
# a third namespace "$NS_C" behind a router in "$NS_B" (xdp_fwd's tests and benchmark), and
# xdp_bare puts the suite's bare XDP programs on devices by hand.
#
# A test file defines functions test_<name> and ends with `run_tests "$@"`. Each test runs in
# its own subshell: `fail MSG` fails it, `skip REASON` skips it, returning 0 passes it.

: "${O:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}"
: "${BINDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PKTGEN="$O/tests/pktgen"
# Every bound on waiting (wait_until, stop, the 2 s signal checks) is multiplied by TIME_SCALE:
# 1 on a real machine, 5 inside the kernel lab's emulated guest (tests/vm.sh), which runs
# 10-30 times slower. Counts stay exact whatever it is.
: "${TIME_SCALE:=$([ -n "${VMLAB_GUEST:-}" ] && echo 5 || echo 1)}"
export TIME_SCALE
LAB_ID=$$
NS_A="xa$LAB_ID"
NS_B="xb$LAB_ID"
NS_C="xc$LAB_ID"
VETH_A=veth0
VETH_B=veth1
MAC_A=02:00:00:00:00:0a
MAC_B=02:00:00:00:00:0b
IP_A=10.200.0.1
IP_B=10.200.0.2
TMP_DIR=""
BG_PIDS=()

# ---------------------------------------------------------------- lab

# lab_up [QUEUES]: namespaces, veth pair (QUEUES rx/tx queues each), IPv4 only, static
# neighbours, so the only frames on the wire are the ones a test sends.
lab_up() {
	local q=${1:-1} ns
	tmpdir_make
	for ns in "$NS_A" "$NS_B"; do
		ip netns add "$ns" || return 1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null
		ip -n "$ns" link set lo up
	done
	ip link add "$VETH_A" netns "$NS_A" numtxqueues "$q" numrxqueues "$q" address "$MAC_A" \
		type veth peer name "$VETH_B" netns "$NS_B" numtxqueues "$q" numrxqueues "$q" \
		address "$MAC_B" || return 1
	ip -n "$NS_A" addr add "$IP_A/24" dev "$VETH_A"
	ip -n "$NS_B" addr add "$IP_B/24" dev "$VETH_B"
	ip -n "$NS_A" link set "$VETH_A" up
	ip -n "$NS_B" link set "$VETH_B" up
	ip -n "$NS_A" neigh replace "$IP_B" lladdr "$MAC_B" dev "$VETH_A" nud permanent
	ip -n "$NS_B" neigh replace "$IP_A" lladdr "$MAC_A" dev "$VETH_B" nud permanent
}

# xdp_bare NS DEV pass|drop|pass_frags [xdp|xdpdrv|xdpgeneric]: attach one of the suite's bare
# programs (tests/xdp_floor_kern.c: return XDP_PASS, XDP_DROP, or XDP_PASS frags-capable, which
# attaches at jumbo MTUs) to DEV by hand, through iproute2's netlink attach; ip's `xdp` (the
# default) is native mode where the driver has it. A pass fixture, or someone else's program.
xdp_bare() {
	ip -n "$1" link set dev "$2" "${4:-xdp}" obj "$O/tests/xdp_floor_kern.o" program "xdp_floor_$3"
}

# Frames sent back to NS_A by XDP_TX (or redirected into veth) reach it only when NS_A's veth
# runs an XDP program: a bare XDP_PASS.
lab_pass_on_a() { xdp_bare "$NS_A" "$VETH_A" pass; }

# ---------------------------------------------------------------- the router lab

# xdp_fwd's tests and benchmark: host A ($NS_A) -- router R ($NS_B) -- host C ($NS_C)
#   A veth0 10.200.0.1  <->  R veth1 10.200.0.2 | R veth2 10.201.0.1  <->  C veth3 10.201.0.2
VETH_R2=veth2
VETH_C=veth3
MAC_R2=02:00:00:00:00:0d
MAC_C=02:00:00:00:00:0c
IP_R2=10.201.0.1
IP_C=10.201.0.2

# router_lab_up [IFINDEX [QUEUES]]: lab_up QUEUES, then the namespace C and the pair R veth2 <->
# C veth3 (veth2 with ifindex IFINDEX if given and not empty; QUEUES rx/tx queues each, default
# 1), routes between A and C through R, static neighbours (no ARP, no IPv6), IPv4 forwarding on
# in R. No XDP anywhere yet.
router_lab_up() {
	local index=() q=${2:-1}
	[ -z "${1:-}" ] || index=(index "$1")
	lab_up "$q" || return 1
	ip netns add "$NS_C" &&
	ip netns exec "$NS_C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 &&
	ip -n "$NS_C" link set lo up &&
	ip link add "$VETH_R2" netns "$NS_B" "${index[@]}" numtxqueues "$q" numrxqueues "$q" \
		address "$MAC_R2" type veth peer name "$VETH_C" netns "$NS_C" numtxqueues "$q" \
		numrxqueues "$q" address "$MAC_C" &&
	ip -n "$NS_B" addr add "$IP_R2/24" dev "$VETH_R2" &&
	ip -n "$NS_C" addr add "$IP_C/24" dev "$VETH_C" &&
	ip -n "$NS_B" link set "$VETH_R2" up &&
	ip -n "$NS_C" link set "$VETH_C" up &&
	ip -n "$NS_A" route add 10.201.0.0/24 via "$IP_B" &&
	ip -n "$NS_C" route add 10.200.0.0/24 via "$IP_R2" &&
	ip -n "$NS_B" neigh replace "$IP_C" lladdr "$MAC_C" dev "$VETH_R2" nud permanent &&
	ip -n "$NS_C" neigh replace "$IP_R2" lladdr "$MAC_R2" dev "$VETH_C" nud permanent &&
	ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=1
}

lab_down() {
	local pid ns
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	BG_PIDS=()
	for ns in "$NS_A" "$NS_B" "$NS_C"; do
		# a process started in a subshell ($(...)) is not in BG_PIDS: whatever still runs in
		# the lab's namespaces would outlive them (and keep its programs attached)
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP_DIR" ] && rm -rf "$TMP_DIR"
	TMP_DIR=""
	return 0
}

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

# send_a N [pktgen options]: exactly N frames from NS_A towards NS_B; prints pktgen's JSON.
send_a() {
	local n=$1
	shift
	in_a "$PKTGEN" --dev "$VETH_A" --count "$n" \
		--dst-mac "$MAC_B" --src-ip "$IP_A" --dst-ip "$IP_B" "$@"
}

# xdp_on NS DEV: prints the id of the XDP program on DEV (nothing when none).
xdp_on() {
	ip -n "$1" -d link show dev "$2" 2>/dev/null |
		sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1
}

# xdp_attached NS DEV, xdp_detached NS DEV: DEV runs an XDP program; DEV runs none.
xdp_attached() { [ -n "$(xdp_on "$1" "$2")" ]; }
xdp_detached() { [ -z "$(xdp_on "$1" "$2")" ]; }

# snmp NS PROTO FIELD: a counter of NS's /proc/net/snmp by its header name ("Ip" "InReceives").
snmp() {
	ip netns exec "$1" awk -v p="$2:" -v f="$3" '$1 == p && !h { for (i = 2; i <= NF; i++)
		if ($i == f) c = i; h = 1; next } $1 == p && h { print $c; exit }' /proc/net/snmp
}

# xdp_rx_packets NS DEV: frames the veth ran through its XDP path (all RX queues); with
# XDP_COUNTER=xdp_redirect, those its program redirected (into an AF_XDP socket, say).
xdp_rx_packets() {
	ip netns exec "$1" ethtool -S "$2" |
		awk -v c="${XDP_COUNTER:-xdp_packets}" '$1 ~ "^rx_queue_[0-9]+_" c ":$" {s+=$2} END{printf "%.0f\n", s}'
}

# need_two_cpus: skip unless two CPUs are online (tests that place work on CPUs 0 and 1).
need_two_cpus() {
	local online
	online=$(getconf _NPROCESSORS_ONLN)
	[ "$online" -ge 2 ] || skip "needs 2 online CPUs, found $online"
}

# ---------------------------------------------------------------- waiting, processes, JSON

# wait_until SECONDS CMD...: poll CMD every 50 ms; 1 if it never held.
wait_until() {
	local limit=$1 t=0
	shift
	local steps
	steps=$(awk -v l="$limit" -v s="$TIME_SCALE" 'BEGIN { printf "%d", l * 20 * s }')
	while ! "$@" >/dev/null 2>&1; do
		t=$((t + 1))
		[ "$t" -ge "$steps" ] && return 1
		sleep 0.05
	done
	return 0
}

# tmpdir: prints the test's scratch directory. It is made by lab_up, in the test's own shell:
# made on first use inside $(...), TMP_DIR would be set only in that subshell and the
# directory would outlive lab_down.
tmpdir_make() {
	[ -n "$TMP_DIR" ] || TMP_DIR=$(mktemp -d /tmp/xdp-suite.XXXXXX)
}

tmpdir() {
	tmpdir_make
	echo "$TMP_DIR"
}

# bg OUTFILE CMD...: start CMD in the background (stdout to OUTFILE, stderr to OUTFILE.err);
# the pid is in $BG_PID, and lab_down kills whatever is still running.
bg() {
	local out=$1
	shift
	# expand the namespace wrappers, so that $! is the tool itself and not a subshell
	case $1 in
	in_a) shift; set -- ip netns exec "$NS_A" "$@" ;;
	in_b) shift; set -- ip netns exec "$NS_B" "$@" ;;
	esac
	# truncate here, not in the child: a waiter must never see a previous run's lines
	: >"$out"
	: >"$out.err"
	"$@" >"$out" 2>"$out.err" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bg_started OUTFILE CMD...: bg, then wait up to 10 s for the tool's JSON "start" line in
# OUTFILE; without it the test fails with the tool's stderr. The pid is in $BG_PID.
bg_started() {
	bg "$@"
	wait_until 10 has_line "$1" start || fail "did not start: ${*:2}: $(cat "$1.err")"
}

# stop PID [SIGNAL]: signal and wait (bounded); the exit status is in $STOP_RC.
stop() {
	local pid=$1 sig=${2:-INT} t=0
	kill "-$sig" "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do
		t=$((t + 1))
		if [ "$t" -gt $((200 * TIME_SCALE)) ]; then
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	STOP_RC=$?
}

# jget FILE TYPE EXPR: evaluate the Python expression EXPR on the last JSON line of FILE
# whose "type" is TYPE (bound to `j`); prints the value.
jget() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
path, typ, expr = sys.argv[1:4]
last = None
with open(path) as f:
    for line in f:
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("type") == typ:
            last = obj
if last is None:
    sys.exit(1)
v = eval(expr, {}, {"j": last})
print(v if not isinstance(v, bool) else int(v))
PY
}

# jfield KEY [FILE]: the field KEY of the one JSON object in FILE, or on stdin (a command's
# result: pktgen's, a receiver's), as Python prints it (booleans as 0/1, like jget).
jfield() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin)[sys.argv[1]]
print(v if not isinstance(v, bool) else int(v))' "$@"
}

# has_line FILE TYPE: the tool printed a JSON object of that type.
has_line() { grep -q "\"type\":\"$2\"" "$1" 2>/dev/null; }

# jeq FILE TYPE EXPR VALUE: the expression equals VALUE.
jeq() { [ "$(jget "$1" "$2" "$3" 2>/dev/null)" = "$4" ]; }

# ---------------------------------------------------------------- assertions

fail() {
	echo "  $*" >&2
	exit 1
}

skip() {
	[ -n "$*" ] || fail "skip without a reason"
	echo "$*" >"$SKIP_FILE"
	exit 2
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# expect_bad_input CMD...: exit code 2, exactly one line on stderr, nothing on stdout.
expect_bad_input() {
	local out err rc
	out=$("$@" 2>/tmp/.xdp-suite-err.$$)
	rc=$?
	err=$(cat /tmp/.xdp-suite-err.$$)
	rm -f /tmp/.xdp-suite-err.$$
	[ "$rc" = 2 ] || fail "'$*': exit $rc, want 2 (stderr: $err)"
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] && [ -n "$err" ] ||
		fail "'$*': want one line on stderr, got: $err"
	[ -z "$out" ] || fail "'$*': unexpected stdout: $out"
}

# ---------------------------------------------------------------- output and signals (every tool)

# expect_dev_full WHAT CMD...: with stdout on /dev/full, CMD fails with exit 1 and one line on
# stderr naming the error, its last (it must not exit 0 with its output lost; notices that the
# tool prints anyway may come before).
expect_dev_full() {
	local what=$1 err rc
	shift
	err=$("$@" 2>&1 >/dev/full)
	rc=$?
	expect_eq "$what >/dev/full: exit code" "$rc" 1
	expect_eq "$what >/dev/full: lines about it ($err)" "$(printf '%s\n' "$err" | grep -c 'stdout')" 1
	case $(printf '%s\n' "$err" | tail -1) in
	*"write stdout: No space left on device") ;;
	*) fail "$what >/dev/full: $err" ;;
	esac
}

# expect_head_1 WHAT CMD...: `CMD | head -1` ends CMD cleanly within 10 s: exit 7 (output
# closed), never SIGPIPE's 141, with a line saying so. $HEAD_ERR holds its stderr.
expect_head_1() {
	local what=$1 rc
	shift
	HEAD_ERR="$(tmpdir)/head1.err"
	timeout -s KILL 10 "$@" 2>"$HEAD_ERR" | head -1 >/dev/null
	rc=${PIPESTATUS[0]}
	expect_eq "$what | head -1: exit code (stderr: $(tail -1 "$HEAD_ERR"))" "$rc" 7
	grep -q "stdout closed by its reader" "$HEAD_ERR" || fail "$what | head -1: $(cat "$HEAD_ERR")"
}

# expect_signal_despite_blocked_reader WHAT SIGNAL [--fifo PATH] -- CMD...: the output (stdout,
# or the FIFO PATH) fills a pipe nobody reads; SIGNAL must still end CMD within 2 s, through its
# loop (exit 0 or 1, not death by the signal), saying what it could not write.
expect_signal_despite_blocked_reader() {
	local what=$1 sig=$2 res rc secs filled
	shift 2
	res=$(python3 "$(dirname "${BASH_SOURCE[0]}")/blocked_reader.py" "$sig" "$@") ||
		fail "$what: blocked_reader.py failed"
	rc=$(jfield rc <<<"$res")
	secs=$(jfield secs <<<"$res")
	filled=$(jfield filled <<<"$res")
	expect_eq "$what: the output pipe filled" "$filled" 1
	python3 -c "import sys; sys.exit(not $secs < 2.0 * $TIME_SCALE)" ||
		fail "$what: SIG$sig took ${secs}s to end it (exit $rc)"
	case $rc in 0|1) ;; *) fail "$what: exit $rc after SIG$sig with a blocked reader: $res" ;; esac
	case $res in *"not written: its reader did not keep up"*) ;;
	*) fail "$what: no word of the output it dropped: $res" ;; esac
}

# expect_signals_end_runs SIGNALS START UP GONE [CHECK]: a looping tool's run ends cleanly on
# each of SIGNALS ("INT TERM HUP KILL"). The other arguments are commands, each one string split
# at spaces. For each signal: START starts the tool in the background ($BG_PID, its JSON lines
# in $OUT) and UP must then hold; the signal goes to the tool. After INT, TERM or HUP the run
# must end through the tool's loop: exit 0 and a summary in $OUT whose "signal" is that
# signal's number; CHECK SIG checks the rest, if given. SIGKILL must kill it (137). Then GONE
# must hold within 5 s: what the run loaded or attached is gone (or, for a program meant to
# outlive its loader, still there).
expect_signals_end_runs() {
	local sigs=$1 start=$2 up=$3 gone=$4 check=${5:-} sig
	for sig in $sigs; do
		$start
		$up || fail "before SIG$sig: not '$up'"
		# (bash reports a job killed by a signal on stderr: not a test failure)
		{ stop "$BG_PID" "$sig"; } 2>/dev/null
		if [ "$sig" = KILL ]; then
			expect_eq "exit status after SIGKILL" "$STOP_RC" 137
		else
			expect_eq "exit status after SIG$sig" "$STOP_RC" 0
			expect_eq "the summary's signal after SIG$sig" \
				"$(jget "$OUT" summary "j['signal']")" "$(kill -l "$sig")"
			[ -z "$check" ] || $check "$sig"
		fi
		wait_until 5 $gone || fail "after SIG$sig: not '$gone'"
	done
}

# expect_ends_when_deleted PID OUT NS DEV: DEV (of NS) is deleted under the running tool (PID;
# its stderr in OUT.err): the run ends by itself within 10 s, exit 1, saying "device DEV
# disappeared".
expect_ends_when_deleted() {
	local pid=$1 out=$2 ns=$3 dev=$4
	ip -n "$ns" link del "$dev" || fail "delete $dev"
	wait_until 10 sh -c "! kill -0 $pid 2>/dev/null" || fail "still running after $dev went"
	stop "$pid"
	expect_eq "exit code after $dev went ($(tail -1 "$out.err"))" "$STOP_RC" 1
	grep -q "device $dev disappeared" "$out.err" || fail "message: $(cat "$out.err")"
}

# expect_rxq_counted OUT PID N: the xdp_rxq_info run PID (its JSON lines in OUT), a tool under
# test or an exact receiver, counts N frames within 10 s, then ends on SIGINT with exit 0 and
# a summary of exactly N frames and no issues.
expect_rxq_counted() {
	wait_until 10 jeq "$1" interval "j['total']['processed']" "$3" ||
		fail "xdp_rxq_info counted $(jget "$1" interval "j['total']['processed']"), want $3"
	stop "$2" INT
	expect_eq "xdp_rxq_info exit status after SIGINT" "$STOP_RC" 0
	expect_eq "xdp_rxq_info summary processed" "$(jget "$1" summary "j['processed']")" "$3"
	expect_eq "xdp_rxq_info summary issues" "$(jget "$1" summary "j['issue']")" 0
}

# expect_busy_refused NS DEV CMD...: with someone else's program on DEV (a bare XDP_PASS put
# there by hand), CMD is refused: exit 3, a message naming the program and --force, and that
# program still in place; its id is left in $BUSY_ID.
expect_busy_refused() {
	local ns=$1 dev=$2 err rc
	shift 2
	xdp_bare "$ns" "$dev" pass || fail "hand attach"
	BUSY_ID=$(xdp_on "$ns" "$dev")
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	expect_eq "exit code on a busy device" "$rc" 3
	case $err in *"already runs XDP program"*"--force"*) ;; *) fail "message: $err" ;; esac
	expect_eq "the other program is untouched" "$(xdp_on "$ns" "$dev")" "$BUSY_ID"
}

# ---------------------------------------------------------------- valgrind

# memcheck as the suite runs it: every error and every leak fails the run (exit 9); libbpf's
# known false positives are suppressed in tests/valgrind.supp, one entry per field. Fair
# scheduling: valgrind runs one thread at a time, and with its default lock a busy-polling
# thread (xdpsock's) can keep the others off it: `xdpsock -d 4` took 5.9 and 19.6 s that way
# (60 s and more once in CI), 4.5 s every time with --fair-sched=yes.
VALGRIND=(valgrind --leak-check=full --errors-for-leak-kinds=all --error-exitcode=9
	--fair-sched=yes --suppressions="$(dirname "${BASH_SOURCE[0]}")/valgrind.supp")

# need_valgrind BIN: skip unless valgrind can run BIN (installed; BIN not built with
# AddressSanitizer, whose shadow memory valgrind cannot run).
need_valgrind() {
	command -v valgrind >/dev/null || skip "valgrind not installed"
	! ldd "$1" | grep -q libasan ||
		skip "$(basename "$1") built with AddressSanitizer; valgrind cannot run it"
}

# valgrind_clean WHAT LOG: valgrind's log LOG reports no error and no leak.
valgrind_clean() {
	grep -q "ERROR SUMMARY: 0 errors" "$2" ||
		fail "$1: $(grep 'ERROR SUMMARY' "$2") $(grep -m3 -A6 '^==[0-9]*== [A-Z][a-z]' "$2" | head -12)"
	grep -q "All heap blocks were freed" "$2" || fail "$1 leaks: $(grep -A5 'LEAK SUMMARY' "$2")"
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (CAP_NET_ADMIN, CAP_BPF) for namespaces and XDP"
}

# ---------------------------------------------------------------- runner

# run_tests [FILTER...]: run every test_* function (or those whose names contain a FILTER).
run_tests() {
	local suite t rc name
	suite=$(basename "$0" .sh)
	SKIP_FILE=$(mktemp /tmp/.xdp-suite-skip.XXXXXX)
	for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
		name=${t#test_}
		if [ $# -gt 0 ]; then
			local f keep=0
			for f in "$@"; do
				case $name in *"$f"*) keep=1 ;; esac
			done
			[ $keep = 1 ] || continue
		fi
		: >"$SKIP_FILE"
		(
			trap lab_down EXIT
			trap 'exit 130' INT TERM
			tmpdir_make	# in this shell, so lab_down removes it
			need_root
			"$t"
		)
		rc=$?
		# status 2 is a skip only when skip() wrote its reason: a failing `[ "" -gt 0 ]`
		# also ends with 2, and must not pass for a skip
		if [ $rc = 2 ] && [ ! -s "$SKIP_FILE" ]; then
			echo "  exit status 2 without a skip reason" >&2
			rc=1
		fi
		case $rc in
		0) echo "PASS $suite.$name" ;;
		2) echo "SKIP $suite.$name: $(cat "$SKIP_FILE")" ;;
		*) echo "FAIL $suite.$name" ;;
		esac
	done
	rm -f "$SKIP_FILE"
}
