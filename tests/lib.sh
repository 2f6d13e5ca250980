# SPDX-License-Identifier: GPL-2.0
# tests/lib.sh: the veth lab and the end-to-end test runner, sourced by tests/e2e_<tool>.sh,
# tests/demo.sh and tests/bench.sh.
#
# The lab: two network namespaces, "$NS_A" (the traffic source) and "$NS_B" (the device under
# test), joined by a veth pair $VETH_A <-> $VETH_B with addresses only inside them. Every name
# carries this shell's PID, so parallel runs never collide. lab_down removes everything and runs
# from an EXIT trap, so a failing or interrupted test leaves nothing behind.
#
# A test file defines functions test_<name> and ends with `run_tests "$@"`. Each test runs in
# its own subshell: `fail MSG` fails it, `skip REASON` skips it, returning 0 passes it.

: "${O:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}"
: "${BINDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PKTGEN="$O/tests/pktgen"
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

# Frames sent back to NS_A by XDP_TX (or redirected into veth) reach it only when NS_A's veth
# runs an XDP program; attach the suite's object with its defaults (XDP_PASS), by hand.
lab_pass_on_a() {
	ip -n "$NS_A" link set dev "$VETH_A" xdp obj "$O/xdp_rxq_info_kern.o" sec xdp
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

# snmp NS PROTO FIELD: a counter of NS's /proc/net/snmp by its header name ("Ip" "InReceives").
snmp() {
	ip netns exec "$1" awk -v p="$2:" -v f="$3" '$1 == p && !h { for (i = 2; i <= NF; i++)
		if ($i == f) c = i; h = 1; next } $1 == p && h { print $c; exit }' /proc/net/snmp
}

# ---------------------------------------------------------------- waiting, processes, JSON

# wait_until SECONDS CMD...: poll CMD every 50 ms; 1 if it never held.
wait_until() {
	local limit=$1 t=0
	shift
	local steps=$((limit * 20))
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

# stop PID [SIGNAL]: signal and wait (bounded); the exit status is in $STOP_RC.
stop() {
	local pid=$1 sig=${2:-INT} t=0
	kill "-$sig" "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do
		t=$((t + 1))
		if [ "$t" -gt 200 ]; then
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
	read -r rc secs filled < <(python3 -c 'import json, sys; j = json.loads(sys.argv[1])
print(j["rc"], j["secs"], int(j["filled"]))' "$res")
	expect_eq "$what: the output pipe filled" "$filled" 1
	python3 -c "import sys; sys.exit(not $secs < 2.0)" ||
		fail "$what: SIG$sig took ${secs}s to end it (exit $rc)"
	case $rc in 0|1) ;; *) fail "$what: exit $rc after SIG$sig with a blocked reader: $res" ;; esac
	case $res in *"not written: its reader did not keep up"*) ;;
	*) fail "$what: no word of the output it dropped: $res" ;; esac
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
