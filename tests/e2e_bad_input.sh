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
	esac
}

tools_built() {
	local t
	for t in xdp_rxq_info xdp_monitor xdp_fwd xdpsock xdp_sample_pkts cpustat; do
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
		[ -n "$(xdp_on "$NS_B" "$VETH_B")" ] && fail "$t left XDP on $VETH_B"
	done
	[ "$n" -gt 0 ] || fail "no options found in any --help"
}

test_every_tool_without_privileges() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	lab_up
	local t err rc
	for t in $(tools_built); do
		# shellcheck disable=SC2046
		err=$(ip netns exec "$NS_B" setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=-all timeout 10 "$BINDIR/$t" $(tool_base "$t") 2>&1 >/dev/null)
		rc=$?
		expect_eq "$t exit code without privileges" "$rc" 6
		[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "$t: want one line, got: $err"
		case $err in *"missing privileges"*) ;; *) fail "$t message: $err" ;; esac
	done
}

run_tests "$@"
