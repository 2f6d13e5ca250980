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
