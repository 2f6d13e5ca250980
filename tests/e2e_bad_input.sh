#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The bad-input table, for every tool: each option that takes a value gets missing, empty,
# negative, huge, non-numeric and unknown values (as fits its kind, read from the tool's own
# --help), plus unknown options and stray arguments. Every case must give exactly one line on
# stderr, exit 2, nothing attached. Then each tool without privileges: one line, exit 6.
. "$(dirname "$0")/lib.sh"

# base arguments that make each tool's command line otherwise valid
tool_base() {
	case $1 in
	xdp_rxq_info) echo "--dev $VETH_B --duration 1" ;;
	xdp_monitor) echo "--duration 1" ;;
	xdp_fwd) echo "$VETH_B" ;;
	xdpsock) echo "-i $VETH_B -d 1" ;;
	xdp_sample_pkts) echo "$VETH_B" ;;
	cpustat) echo "--duration 1" ;;
	xdp_redirect) echo "$VETH_B lo --duration 1" ;;
	xdp_redirect_cpu) echo "$VETH_B --cpu 0 --duration 1" ;;
	esac
}

tools_built() {
	local t
	for t in xdp_rxq_info xdp_monitor xdp_fwd xdpsock xdp_sample_pkts cpustat xdp_redirect xdp_redirect_cpu; do
		[ -x "$BINDIR/$t" ] && echo "$t"
	done
}

# options_of TOOL: "NAME KIND" per option taking a value; KIND: num, iface, enum, str.
options_of() {
	"$BINDIR/$1" --help | python3 -c '
import re, sys
numeric = {"N", "SEC", "BYTES", "PPS", "ID", "K", "NUM", "COUNT", "SIZE", "MS", "US", "CPU",
           "RATE", "LEN", "TTL", "QUEUE", "Q", "SECS", "MSEC", "USEC", "FRAMES", "NSEC"}
lines = sys.stdin.read().splitlines()
for i, l in enumerate(lines):
    m = re.match(r"\s+(?:-\w, )?--([\w-]+) ([A-Z][A-Z_0-9.]*)\b", l)
    if not m:
        continue
    name, meta = m.group(1), m.group(2).rstrip(".")
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if "one of " in nxt and not re.match(r"\s+-", nxt):
        kind = "enum"
    elif meta in numeric:
        kind = "num"
    elif meta in ("IFACE", "DEV", "IFNAME"):
        kind = "iface"
    else:
        kind = "str"
    print(name, kind)
'
}

test_every_option_bad_values() {
	lab_up
	local t name kind base n=0 v
	for t in $(tools_built); do
		base=$(tool_base "$t")
		while read -r name kind; do
			[ -n "$name" ] || continue
			# shellcheck disable=SC2086
			expect_bad_input timeout 10 ip netns exec "$NS_B" "$BINDIR/$t" $base "--$name"
			case $kind in
			num) for v in "" -1 abc 99999999999999999999999 1e400 0x; do
				# shellcheck disable=SC2086
				expect_bad_input timeout 10 ip netns exec "$NS_B" "$BINDIR/$t" $base "--$name=$v"
			     done ;;
			iface) for v in "" nosuchdev0 999999; do
				# shellcheck disable=SC2086
				expect_bad_input timeout 10 ip netns exec "$NS_B" "$BINDIR/$t" $base "--$name=$v"
			       done ;;
			enum) for v in "" bogus_value; do
				# shellcheck disable=SC2086
				expect_bad_input timeout 10 ip netns exec "$NS_B" "$BINDIR/$t" $base "--$name=$v"
			      done ;;
			str) # shellcheck disable=SC2086
			     expect_bad_input timeout 10 ip netns exec "$NS_B" "$BINDIR/$t" $base "--$name=" ;;
			esac
			n=$((n + 1))
		done < <(options_of "$t")
		# shellcheck disable=SC2086
		expect_bad_input timeout 10 ip netns exec "$NS_B" "$BINDIR/$t" $base --no-such-option
		# shellcheck disable=SC2086
		expect_bad_input timeout 10 ip netns exec "$NS_B" "$BINDIR/$t" $base -Y
		"$BINDIR/$t" --help >/dev/null || fail "$t --help: exit $?"
		xdp_attached "$NS_B" "$VETH_B" && fail "$t left XDP on $VETH_B"
	done
	[ "$n" -gt 0 ] || fail "no options found in any --help"
}

test_every_tool_without_privileges() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	lab_up
	local t err rc
	for t in $(tools_built); do
		# shellcheck disable=SC2046
		err=$(as_user "" "$BINDIR/$t" $(tool_base "$t") 2>&1 >/dev/null)
		rc=$?
		expect_eq "$t exit code without privileges" "$rc" 6
		[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$t: want one line, got: $err"
		case $err in *"missing privileges: need "*CAP_*) ;; *) fail "$t message: $err" ;; esac
	done
}

# tool_caps TOOL: the capabilities README "Privileges" lists for TOOL (xdp_fwd: see its tests).
tool_caps() {
	case $1 in
	xdp_rxq_info|xdp_sample_pkts|xdp_redirect|xdp_redirect_cpu) echo "bpf net_admin perfmon" ;;
	xdp_monitor|cpustat) echo "bpf perfmon" ;;
	xdpsock) echo "bpf net_admin perfmon net_raw ipc_lock" ;;
	esac
}

# cap_cmd TOOL: a short run of TOOL on the lab device.
cap_cmd() {
	case $1 in
	xdp_rxq_info) echo "--dev $VETH_B --read --duration 0.3" ;;
	xdp_sample_pkts) echo "$VETH_B --duration 0.3" ;;
	xdpsock) echo "-i $VETH_B -c -d 0.3" ;;
	xdp_redirect) echo "$VETH_B lo --duration 0.3" ;;
	xdp_redirect_cpu) echo "$VETH_B --cpu 0 -r pass --duration 0.3" ;;
	*) echo "--duration 0.3" ;;
	esac
}

# as_user "CAP..." CMD...: CMD as nobody, in NS_B, with exactly those capabilities.
as_user() {
	local caps=-all c
	for c in $1; do caps="$caps,+$c"; done
	shift
	ip netns exec "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps="$caps" --ambient-caps="$caps" timeout 10 "$@"
}

# paranoid: kernel.perf_event_paranoid (Debian's kernels default to 3: perf events, the perf
# buffer included, only with CAP_SYS_ADMIN).
paranoid() { cat /proc/sys/kernel/perf_event_paranoid; }

# sample_pkts_paranoid: at perf_event_paranoid 3, xdp_sample_pkts with its usual capabilities
# stops in one line naming the setting and CAP_SYS_ADMIN (exit 6), and runs with CAP_SYS_ADMIN.
sample_pkts_paranoid() {
	local err rc
	# shellcheck disable=SC2046
	err=$(as_user "bpf net_admin perfmon" "$BINDIR/xdp_sample_pkts" $(cap_cmd xdp_sample_pkts) \
		2>&1 >/dev/null)
	rc=$?
	expect_eq "xdp_sample_pkts at perf_event_paranoid 3: exit code ($err)" "$rc" 6
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "paranoid 3: want one line: $err"
	case $err in *"missing privileges"*"perf_event_paranoid is 3"*CAP_SYS_ADMIN*) ;;
	*) fail "paranoid 3: $err" ;; esac
	# shellcheck disable=SC2046
	err=$(as_user "net_admin sys_admin" "$BINDIR/xdp_sample_pkts" \
		$(cap_cmd xdp_sample_pkts) 2>&1 >/dev/null) || fail "with CAP_SYS_ADMIN: $err"
}

# Each tool runs as an ordinary user with exactly the capabilities the README lists for it, and
# without any one of them stops at once (exit 6) naming it. xdpsock's UMEM needs CAP_IPC_LOCK or
# a memlock limit as large as the UMEM; xdp_sample_pkts' perf buffer beyond the perf mlock
# allowance too; at perf_event_paranoid 3 (Debian's default) the perf buffer needs
# CAP_SYS_ADMIN, which covers CAP_BPF and CAP_PERFMON.
test_each_tool_needs_exactly_its_capabilities() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	lab_up
	local t caps c rest err rc cap
	for t in xdp_rxq_info xdp_sample_pkts xdp_monitor cpustat xdpsock xdp_redirect xdp_redirect_cpu; do
		[ -x "$BINDIR/$t" ] || continue
		if [ "$t" = xdp_sample_pkts ] && [ "$(paranoid)" -ge 3 ]; then
			sample_pkts_paranoid
			continue
		fi
		caps=$(tool_caps "$t")
		# shellcheck disable=SC2046
		err=$(as_user "$caps" "$BINDIR/$t" $(cap_cmd "$t") 2>&1 >/dev/null)
		rc=$?
		expect_eq "$t with $caps: exit code ($err)" "$rc" 0
		for c in $caps; do
			rest=$(echo " $caps " | sed "s/ $c / /")
			# shellcheck disable=SC2046
			err=$(as_user "$rest" "$BINDIR/$t" $(cap_cmd "$t") 2>&1 >/dev/null)
			rc=$?
			cap=$(echo "CAP_$c" | tr a-z A-Z)
			[ "$c" = ipc_lock ] && cap="CAP_IPC_LOCK or a memlock limit"
			expect_eq "$t without $c: exit code ($err)" "$rc" 6
			[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$t without $c: want one line: $err"
			case $err in *"missing privileges"*"$cap"*) ;; *) fail "$t without $c: $err" ;; esac
		done
	done
	# xdpsock without CAP_IPC_LOCK runs when the UMEM fits in the memlock limit
	err=$(as_user "bpf net_admin perfmon net_raw" "$BINDIR/xdpsock" -i "$VETH_B" -c -d 0.3 \
		--frames 256 2>&1 >/dev/null) || fail "xdpsock, 1 MiB UMEM, no CAP_IPC_LOCK: $err"
	# xdp_sample_pkts: 4,096 pages per CPU is beyond the perf mlock allowance
	caps="bpf net_admin perfmon"
	[ "$(paranoid)" -lt 3 ] || caps="net_admin sys_admin"
	# shellcheck disable=SC2086
	err=$(as_user "$caps" "$BINDIR/xdp_sample_pkts" "$VETH_B" --pages 4096 \
		--duration 0.3 2>&1 >/dev/null)
	rc=$?
	expect_eq "xdp_sample_pkts --pages 4096 without CAP_IPC_LOCK ($err)" "$rc" 6
	case $err in *"needs CAP_IPC_LOCK"*) ;; *) fail "--pages 4096: $err" ;; esac
	as_user "$caps ipc_lock" "$BINDIR/xdp_sample_pkts" "$VETH_B" --pages 4096 \
		--duration 0.3 >/dev/null 2>&1 || fail "--pages 4096 with CAP_IPC_LOCK: exit $?"
	expect_eq "device left clean" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

# expect_bad_input_saying WHAT TEXT CMD...: exit 2, one line on stderr that contains TEXT.
expect_bad_input_saying() {
	local text=$1 err
	shift
	expect_bad_input "$@"
	err=$("$@" 2>&1 >/dev/null)
	case $err in *"$text"*) ;; *) fail "'$*': message lacks '$text': $err" ;; esac
}

# A whole number beyond what the option takes says "too large", naming the limit; one with a
# fraction still asks for a whole number.
test_too_large_says_so() {
	lab_up
	local sp="$BINDIR/xdp_sample_pkts"
	expect_bad_input_saying "too large: at most 4294967295" in_b "$sp" "$VETH_B" --count 99999999999
	expect_bad_input_saying "too large: at most 4294967295" in_b "$sp" "$VETH_B" --count 1e400
	expect_bad_input_saying "too large: at most 9216" in_b "$sp" "$VETH_B" --snaplen 9217
	expect_bad_input_saying "too small: at least 1" in_b "$sp" "$VETH_B" --snaplen 0
	expect_bad_input_saying "want a whole number" in_b "$sp" "$VETH_B" --count 1.5
	expect_bad_input_saying "too large: at most 3600" in_b "$BINDIR/cpustat" --interval 1e9
	expect_bad_input_saying "too large" in_b "$BINDIR/xdpsock" -i "$VETH_B" -t -C 99999999999
}

# The device given twice, differently (IFACE and --dev, -i and --dev): refused, not one of them
# silently ignored.
test_conflicting_devices_refused() {
	lab_up
	expect_bad_input_saying "two devices given" in_b "$BINDIR/xdp_sample_pkts" --dev "$VETH_B" lo \
		--duration 0.3
	expect_bad_input_saying "two devices given" in_b "$BINDIR/xdpsock" -i "$VETH_B" --dev lo -d 0.3
	expect_bad_input_saying "two devices given" in_b "$BINDIR/xdp_rxq_info" --dev lo --dev "$VETH_B" \
		--duration 0.3
	expect_eq "device untouched" "$(xdp_on "$NS_B" "$VETH_B")" ""
	# the same device twice is no conflict
	in_b "$BINDIR/xdp_sample_pkts" --dev "$VETH_B" "$VETH_B" --duration 0.2 >/dev/null 2>&1 ||
		fail "the same device as IFACE and --dev: exit $?"
}

# A device whose name is a number is found by its name (ifindex 50 here, not 3).
test_numeric_device_name_found() {
	lab_up
	ip -n "$NS_B" link add 3 index 50 type veth peer name p3 || fail "add device 3"
	ip -n "$NS_B" link set 3 up
	local out="$TMP_DIR/num.json"
	in_b "$BINDIR/xdp_rxq_info" --dev 3 --json --duration 0.2 >"$out" 2>/dev/null ||
		fail "--dev 3: exit $?"
	expect_eq "device" "$(jget "$out" start "j['dev']")" 3
	expect_eq "ifindex" "$(jget "$out" start "j['ifindex']")" 50
	# an index still works when no device has that name
	in_b "$BINDIR/xdp_rxq_info" --dev 50 --json --duration 0.2 >"$out" 2>/dev/null ||
		fail "--dev 50: exit $?"
	expect_eq "device by index" "$(jget "$out" start "j['dev']")" 3
}

# Device names are bytes: JSON lines stay valid when a name is not UTF-8.
test_non_utf8_device_name_in_json() {
	lab_up
	local name=$'x\xff\xfe\xc3' out="$TMP_DIR/name.json"
	ip -n "$NS_B" link add "$name" type veth peer name pn || fail "add a device with a non-UTF-8 name"
	ip -n "$NS_B" link set "$name" up
	in_b "$BINDIR/xdp_rxq_info" --dev "$name" --json --duration 0.2 >"$out" 2>/dev/null ||
		fail "exit $?"
	python3 - "$out" <<'PY' || fail "invalid JSON: $(head -c 300 "$out" | od -c | head -5)"
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
objs = [json.loads(l) for l in lines]	# json.loads(bytes) insists on UTF-8
name = [o for o in objs if o["type"] == "start"][0]["dev"]
# each byte that is not UTF-8 is its Latin-1 code point
sys.exit(name.encode("latin-1") != b"x\xff\xfe\xc3")
PY
}

run_tests "$@"
