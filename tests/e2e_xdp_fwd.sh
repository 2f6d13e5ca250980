#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of xdp_fwd: host A ($NS_A) -- router R ($NS_B) -- host C ($NS_C).
#   A veth0 10.200.0.1  <->  R veth1 10.200.0.2 | R veth2 10.201.0.1  <->  C veth3 10.201.0.2
# xdp_fwd runs on both router devices. It attaches through netlink and must outlive its process,
# so its maps are pinned: the tool runs in R's network namespace through nsenter (which keeps
# the mount namespace, unlike `ip netns exec`, which remounts /sys) and pins into a private
# bpffs the test mounts and always removes.
. "$(dirname "$0")/lib.sh"

N=2000
VETH_R2=veth2
VETH_C=veth3
MAC_R2=02:00:00:00:00:0d
MAC_C=02:00:00:00:00:0c
IP_R2=10.201.0.1
IP_C=10.201.0.2
IP6_A=fd00:a::1
IP6_R1=fd00:a::2
IP6_R2=fd00:c::1
IP6_C=fd00:c::2
PIN=""

in_c() { ip netns exec "$NS_C" "$@"; }

# fwd ARGS...: xdp_fwd inside the router's network namespace, maps pinned under $PIN.
fwd() { nsenter --net="/run/netns/$NS_B" "$BINDIR/xdp_fwd" --pin-dir "$PIN" "$@"; }

fwd_down() {
	local t
	t=$(tmpdir)
	[ -d "$t/bpffs" ] && umount -l "$t/bpffs" 2>/dev/null
	lab_down
}

# The three namespaces, routes and static neighbours (no ARP, no IPv6 unless asked), forwarding
# on in R, an XDP_PASS program on the hosts' veths (frames redirected into a veth reach its peer
# only when the peer runs XDP), and the private bpffs.
fwd_lab() {
	trap fwd_down EXIT
	tmpdir >/dev/null
	lab_up || fail "lab_up"
	ip netns add "$NS_C" || fail "add $NS_C"
	in_c sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NS_C" link set lo up
	# veth2's ifindex is above FWD_STATS_DIRECT, so its counters live in the hash map while
	# veth1's are in the array: every test covers both
	ip link add "$VETH_R2" netns "$NS_B" index 3000 address "$MAC_R2" type veth \
		peer name "$VETH_C" netns "$NS_C" address "$MAC_C" || fail "add veth pair R-C"
	ip -n "$NS_B" addr add "$IP_R2/24" dev "$VETH_R2"
	ip -n "$NS_C" addr add "$IP_C/24" dev "$VETH_C"
	ip -n "$NS_B" link set "$VETH_R2" up
	ip -n "$NS_C" link set "$VETH_C" up
	ip -n "$NS_A" route add 10.201.0.0/24 via "$IP_B"
	ip -n "$NS_C" route add 10.200.0.0/24 via "$IP_R2"
	ip -n "$NS_B" neigh replace "$IP_C" lladdr "$MAC_C" dev "$VETH_R2" nud permanent
	ip -n "$NS_C" neigh replace "$IP_R2" lladdr "$MAC_R2" dev "$VETH_C" nud permanent
	in_b sysctl -qw net.ipv4.ip_forward=1
	lab_pass_on_a || fail "XDP_PASS on $VETH_A"
	ip -n "$NS_C" link set dev "$VETH_C" xdp obj "$O/xdp_rxq_info_kern.o" sec xdp ||
		fail "XDP_PASS on $VETH_C"
	PIN="$(tmpdir)/bpffs/xdp_fwd"
	mkdir -p "$(tmpdir)/bpffs" && mount -t bpf bpf "$(tmpdir)/bpffs" || fail "mount bpffs"
}

fwd_lab6() {
	local ns
	for ns in "$NS_A" "$NS_B" "$NS_C"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
			net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	done
	in_a sysctl -qw net.ipv6.conf.$VETH_A.disable_ipv6=0
	in_b sysctl -qw net.ipv6.conf.$VETH_B.disable_ipv6=0 net.ipv6.conf.$VETH_R2.disable_ipv6=0 \
		net.ipv6.conf.all.forwarding=1
	in_c sysctl -qw net.ipv6.conf.$VETH_C.disable_ipv6=0
	ip -n "$NS_A" addr add "$IP6_A/64" dev "$VETH_A" nodad
	ip -n "$NS_B" addr add "$IP6_R1/64" dev "$VETH_B" nodad
	ip -n "$NS_B" addr add "$IP6_R2/64" dev "$VETH_R2" nodad
	ip -n "$NS_C" addr add "$IP6_C/64" dev "$VETH_C" nodad
	ip -n "$NS_A" route add fd00:c::/64 via "$IP6_R1"
	ip -n "$NS_C" route add fd00:a::/64 via "$IP6_R2"
	ip -n "$NS_A" neigh replace "$IP6_R1" lladdr "$MAC_B" dev "$VETH_A" nud permanent
	ip -n "$NS_B" neigh replace "$IP6_A" lladdr "$MAC_A" dev "$VETH_B" nud permanent
	ip -n "$NS_B" neigh replace "$IP6_C" lladdr "$MAC_C" dev "$VETH_R2" nud permanent
	ip -n "$NS_C" neigh replace "$IP6_R2" lladdr "$MAC_R2" dev "$VETH_C" nud permanent
}

# recv_start NS DEV N: count pktgen's UDP frames arriving on DEV (not the ones sent), with
# their TTL / hop limit and IPv4 header checksum; stops 0.5 s after the N-th (to see extras)
# or 15 s after the start. The JSON result is in $RECV_OUT.
recv_start() {
	local ns=$1 dev=$2 n=$3 t
	t=$(tmpdir)
	RECV_OUT="$t/recv.$dev.json"
	cat >"$t/recv.py" <<'PY'
import json, socket, struct, sys, time
dev, n, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, 33, 1 << 26)	# SO_RCVBUFFORCE: bursts must not overflow it
s.bind((dev, 0))
s.settimeout(0.1)
open(ready, "w").close()
res = {"n": 0, "ttl": {}, "bad_csum": 0, "len": {}}
start = time.monotonic(); done_at = None
def csum_ok(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s == 0xffff
while True:
    now = time.monotonic()
    if (done_at and now - done_at > 0.5) or now - start > 15:
        break
    try:
        buf, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    proto = struct.unpack("!H", buf[12:14])[0]
    if proto == 0x0800:
        ihl = (buf[14] & 15) * 4
        if len(buf) < 34 or buf[23] != 17 or len(buf) < 14 + ihl + 12:
            continue
        udp = 14 + ihl; ttl = buf[22]; ok = csum_ok(buf[14:14 + ihl])
    elif proto == 0x86dd:
        if len(buf) < 66 or buf[20] != 17:
            continue
        udp = 54; ttl = buf[21]; ok = True
    else:
        continue
    if struct.unpack("!I", buf[udp + 8:udp + 12])[0] != 0x58445053:
        continue
    res["n"] += 1
    res["ttl"][str(ttl)] = res["ttl"].get(str(ttl), 0) + 1
    res["bad_csum"] += not ok
    res["len"][str(len(buf))] = res["len"].get(str(len(buf)), 0) + 1
    if res["n"] == n:
        done_at = time.monotonic()
print(json.dumps(res))
PY
	rm -f "$RECV_OUT.ready"
	bg "$RECV_OUT" ip netns exec "$ns" python3 "$t/recv.py" "$dev" "$n" "$RECV_OUT.ready"
	RECV_PID=$BG_PID
	wait_until 10 test -e "$RECV_OUT.ready" || fail "receiver did not start"
}

# recv_expect N TTL: wait for the receiver; exactly N frames, all with TTL, checksums valid.
recv_expect() {
	local t=0
	while kill -0 "$RECV_PID" 2>/dev/null && [ $t -lt 400 ]; do
		sleep 0.05
		t=$((t + 1))
	done
	wait "$RECV_PID" 2>/dev/null
	local n ttl bad
	n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["n"])' "$RECV_OUT")
	ttl=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ttl"])' "$RECV_OUT")
	bad=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bad_csum"])' "$RECV_OUT")
	[ -n "$n" ] || fail "receiver failed: $(cat "$RECV_OUT.err")"
	expect_eq "frames received" "$n" "$1"
	expect_eq "TTL / hop limit histogram" "$ttl" "{'$2': $1}"
	expect_eq "bad IPv4 checksums" "$bad" 0
}

# counter DEV EXPR: evaluate EXPR on DEV's record (bound to d) of one xdp_fwd -s --json read.
counter() {
	local out
	out="$(tmpdir)/stats.json"
	fwd -s --json --duration 0.05 --interval 0.05 "$1" >"$out" 2>"$out.err" ||
		fail "xdp_fwd -s: $(cat "$out.err")"
	jget "$out" summary "(lambda d: d$2)([d for d in j['devices'] if d['dev'] == '$1'][0])"
}

# ip_fwd_datagrams [6]: the router's kernel forwarding counter (IPv4 or IPv6).
ip_fwd_datagrams() {
	if [ "${1:-4}" = 6 ]; then
		in_b awk '$1 == "Ip6OutForwDatagrams" {print $2}' /proc/net/snmp6
	else
		in_b awk '/^Ip:/ {n++; if (n == 1) for (i = 1; i <= NF; i++) h[i] = $i;
			else for (i = 1; i <= NF; i++) if (h[i] == "ForwDatagrams") print $i}' /proc/net/snmp
	fi
}

fwd_attach_both() {
	local out
	out=$(fwd "$@" "$VETH_B" "$VETH_R2" 2>&1) || fail "attach: $out"
	[ -n "$(xdp_on "$NS_B" "$VETH_B")" ] && [ -n "$(xdp_on "$NS_B" "$VETH_R2")" ] ||
		fail "not attached after the loader exited: $out"
}

pins_left() { ls -A "$PIN" 2>/dev/null; }

# ---------------------------------------------------------------- tests

test_ipv4_forwarded_exactly_once_ttl_minus_one() {
	fwd_lab
	fwd_attach_both
	local k0
	k0=$(ip_fwd_datagrams)
	recv_start "$NS_C" "$VETH_C" $N
	send_a $N --dst-ip "$IP_C" --rate 20000 >/dev/null || fail "pktgen failed"
	recv_expect $N 63
	expect_eq "xdp_fwd fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" $N
	expect_eq "xdp_fwd rx on $VETH_B" "$(counter "$VETH_B" "['rx']")" $N
	expect_eq "xdp_fwd tx on $VETH_R2" "$(counter "$VETH_R2" "['tx']")" $N
	expect_eq "kernel ForwDatagrams delta" "$(($(ip_fwd_datagrams) - k0))" 0
}

# Live-frame pages are recycled without a fresh copy of the frame: unless pktgen --live rewrites
# the headers each time, the router's in-place TTL decrement would pile up lap after lap (the
# page pool holds 64 frames, so frames 65+ would arrive with TTL 62, 61, ...).
test_live_frames_forwarded_intact() {
	fwd_lab
	fwd_attach_both
	recv_start "$NS_C" "$VETH_C" 300
	send_a 300 --live --dst-ip "$IP_C" >/dev/null || fail "pktgen --live failed"
	recv_expect 300 63
	expect_eq "xdp_fwd fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" 300
}

test_ipv6_forwarded_exactly_once_hop_limit_minus_one() {
	fwd_lab
	fwd_lab6
	fwd_attach_both
	local k0
	k0=$(ip_fwd_datagrams 6)
	recv_start "$NS_C" "$VETH_C" $N
	send_a $N --src-ip "$IP6_A" --dst-ip "$IP6_C" --size 128 --rate 20000 >/dev/null || fail "pktgen failed"
	recv_expect $N 63
	expect_eq "xdp_fwd fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" $N
	expect_eq "xdp_fwd tx on $VETH_R2" "$(counter "$VETH_R2" "['tx']")" $N
	expect_eq "kernel Ip6OutForwDatagrams delta" "$(($(ip_fwd_datagrams 6) - k0))" 0
}

# MTU 9000 on every device: 5000-byte frames are multi-buffer in native XDP on veth. xdp_fwd is
# frags-capable, so it attaches and forwards them whole (a frags-capable XDP_PASS on C's veth).
# Before 6.3 (no NETDEV_XDP_ACT_NDO_XMIT_SG in the kernel's BTF) XDP cannot redirect them: they
# go to the stack under reason multi_buf, which forwards them whole.
test_jumbo_frames_forwarded_whole() {
	fwd_lab
	local d
	ip -n "$NS_A" link set dev "$VETH_A" xdp off
	ip -n "$NS_C" link set dev "$VETH_C" xdp off
	for d in "$NS_A:$VETH_A" "$NS_B:$VETH_B" "$NS_B:$VETH_R2" "$NS_C:$VETH_C"; do
		ip -n "${d%%:*}" link set "${d#*:}" mtu 9000 || fail "MTU 9000 on ${d#*:}"
	done
	ip -n "$NS_C" link set dev "$VETH_C" xdpdrv obj "$O/tests/xdp_floor_kern.o" \
		sec xdp.frags || fail "frags-capable XDP_PASS on $VETH_C"
	fwd_attach_both --mode native
	recv_start "$NS_C" "$VETH_C" $N
	send_a $N --dst-ip "$IP_C" --size 5000 --rate 20000 >/dev/null || fail "pktgen failed"
	recv_expect $N 63
	expect_eq "lengths" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["len"])' \
		"$RECV_OUT")" "{'5000': $N}"
	if bpftool btf dump file /sys/kernel/btf/vmlinux format raw |
		grep -q "'NETDEV_XDP_ACT_NDO_XMIT_SG'"; then
		expect_eq "forwarded in XDP" "$(counter "$VETH_B" "['fwd']")" $N
	else
		expect_eq "forwarded in XDP" "$(counter "$VETH_B" "['fwd']")" 0
		expect_eq "passed as multi_buf" "$(counter "$VETH_B" "['reasons']['multi_buf']")" $N
	fi
}

test_reverse_direction() {
	fwd_lab
	fwd_attach_both
	recv_start "$NS_A" "$VETH_A" $N
	in_c "$PKTGEN" --dev "$VETH_C" --count $N --dst-mac "$MAC_R2" --src-ip "$IP_C" \
		--dst-ip "$IP_A" --ttl 10 --rate 20000 >/dev/null || fail "pktgen failed"
	recv_expect $N 9
	expect_eq "xdp_fwd fwd on $VETH_R2" "$(counter "$VETH_R2" "['fwd']")" $N
	expect_eq "xdp_fwd tx on $VETH_B" "$(counter "$VETH_B" "['tx']")" $N
}

test_without_xdp_fwd_the_kernel_forwards() {
	# the reference: the same frames take the kernel path and move its counter by N
	fwd_lab
	local k0
	k0=$(ip_fwd_datagrams)
	recv_start "$NS_C" "$VETH_C" $N
	send_a $N --dst-ip "$IP_C" --rate 20000 >/dev/null || fail "pktgen failed"
	recv_expect $N 63
	# at least N: C's stack also answers some frames with (rate-limited) port unreachables
	local d=$(($(ip_fwd_datagrams) - k0))
	[ "$d" -ge $N ] || fail "kernel ForwDatagrams delta $d, want >= $N"
}

test_ping_through_and_ttl_exceeded() {
	fwd_lab
	fwd_attach_both
	in_a ping -c 3 -i 0.2 -W 2 "$IP_C" >/dev/null || fail "ping through the router failed"
	expect_eq "echo requests forwarded in XDP" "$(counter "$VETH_B" "['fwd']")" 3
	expect_eq "echo replies forwarded in XDP" "$(counter "$VETH_R2" "['fwd']")" 3
	local out
	out=$(in_a ping -c 1 -t 1 -W 2 "$IP_C" 2>&1)
	echo "$out" | grep -q "Time to live exceeded" || fail "no ICMP time exceeded: $out"
	expect_eq "ttl reason counted" "$(counter "$VETH_B" "['reasons']['ttl']")" 1
}

test_stats_table_and_json() {
	fwd_lab
	fwd_attach_both
	send_a 100 --dst-ip "$IP_C" >/dev/null || fail "pktgen failed"
	send_a 7 --dst-ip 10.99.0.1 >/dev/null || fail "pktgen failed"
	local out
	out="$(tmpdir)/s.json"
	fwd -s -j --duration 0.3 --interval 0.1 >"$out" || fail "stats failed"
	has_line "$out" start || fail "no start line"
	has_line "$out" interval || fail "no interval line"
	expect_eq "devices listed" "$(jget "$out" summary "sorted(d['dev'] for d in j['devices'])")" \
		"['$VETH_B', '$VETH_R2']"
	expect_eq "not_fwded (no route)" "$(counter "$VETH_B" "['reasons']['not_fwded']")" 7
	expect_eq "rx = fwd + pass" "$(counter "$VETH_B" "['rx'] - d['fwd'] - d['pass']")" 0
	# the `stats` subcommand, human table
	nsenter --net="/run/netns/$NS_B" "$BINDIR/xdp_fwd" stats --pin-dir "$PIN" --duration 0.2 \
		--interval 0.1 "$VETH_B" >"$out" || fail "stats (table) failed"
	grep -q "fwd (pkt/s)" "$out" || fail "no table header: $(cat "$out")"
	grep -q "^Summary" "$out" || fail "no summary: $(cat "$out")"
}

test_detach_only_ours_and_unpin_last() {
	fwd_lab
	fwd_attach_both
	[ -e "$PIN/xdp_fwd_stats" ] && [ -e "$PIN/xdp_fwd_ports" ] || fail "maps not pinned"
	fwd -d "$VETH_B" >/dev/null || fail "detach $VETH_B"
	[ -z "$(xdp_on "$NS_B" "$VETH_B")" ] || fail "$VETH_B still runs XDP"
	[ -n "$(xdp_on "$NS_B" "$VETH_R2")" ] || fail "$VETH_R2 lost its program"
	[ -e "$PIN/xdp_fwd_stats" ] || fail "unpinned while $VETH_R2 still runs"
	fwd -d "$VETH_R2" >/dev/null || fail "detach $VETH_R2"
	[ -z "$(xdp_on "$NS_B" "$VETH_R2")" ] || fail "$VETH_R2 still runs XDP"
	[ ! -e "$PIN" ] || fail "left pinned: $(pins_left)"
}

test_detach_refuses_someone_elses_program() {
	fwd_lab
	ip -n "$NS_B" link set dev "$VETH_B" xdp obj "$O/xdp_rxq_info_kern.o" sec xdp ||
		fail "attach the foreign program"
	local id rc
	id=$(xdp_on "$NS_B" "$VETH_B")
	fwd -d "$VETH_B" >/dev/null 2>&1
	rc=$?
	expect_eq "exit code" "$rc" 3
	expect_eq "foreign program still there" "$(xdp_on "$NS_B" "$VETH_B")" "$id"
	# and attaching over it is refused without --force
	fwd "$VETH_B" >/dev/null 2>&1
	expect_eq "attach over a foreign program: exit code" "$?" 3
	expect_eq "foreign program still there" "$(xdp_on "$NS_B" "$VETH_B")" "$id"
}

test_failure_rolls_back_the_call() {
	fwd_lab
	ip -n "$NS_B" link set dev "$VETH_R2" xdp obj "$O/xdp_rxq_info_kern.o" sec xdp ||
		fail "attach the foreign program"
	local id
	id=$(xdp_on "$NS_B" "$VETH_R2")
	fwd "$VETH_B" "$VETH_R2" >/dev/null 2>&1
	expect_eq "exit code" "$?" 3
	expect_eq "$VETH_B rolled back" "$(xdp_on "$NS_B" "$VETH_B")" ""
	expect_eq "foreign program untouched" "$(xdp_on "$NS_B" "$VETH_R2")" "$id"
	[ ! -e "$PIN/xdp_fwd_stats" ] || fail "left pinned: $(pins_left)"
	# --force replaces it; -d then removes ours
	fwd -F "$VETH_B" "$VETH_R2" >/dev/null 2>&1 || fail "--force attach"
	[ "$(xdp_on "$NS_B" "$VETH_R2")" != "$id" ] || fail "--force did not replace"
	fwd -d "$VETH_B" "$VETH_R2" >/dev/null || fail "detach"
	[ ! -e "$PIN" ] || fail "left pinned: $(pins_left)"
}

test_bad_input() {
	fwd_lab
	expect_bad_input fwd nosuchdev0
	expect_bad_input fwd "$VETH_B" "$VETH_B"
	expect_bad_input fwd --mode turbo "$VETH_B"
	expect_bad_input fwd
	expect_bad_input fwd -d -s "$VETH_B"
	# native XDP on a device without it (lo): veth1 was attached first and is rolled back
	expect_bad_input fwd --mode native "$VETH_B" lo
	expect_eq "$VETH_B not half-configured" "$(xdp_on "$NS_B" "$VETH_B")" ""
	expect_eq "lo not half-configured" "$(xdp_on "$NS_B" lo)" ""
	[ ! -e "$PIN/xdp_fwd_stats" ] || fail "left pinned: $(pins_left)"
	"$BINDIR/xdp_fwd" --help | grep -q "^Usage: xdp_fwd" || fail "--help"
}

test_ip_netns_exec_says_what_is_missing() {
	fwd_lab
	local err
	err=$(in_b "$BINDIR/xdp_fwd" "$VETH_B" 2>&1 >/dev/null)
	expect_eq "exit code" "$?" 1
	echo "$err" | grep -q "no bpffs" || fail "unexpected message: $err"
	expect_eq "nothing attached" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

test_stats_loop_stops_on_signals_program_stays() {
	fwd_lab
	fwd_attach_both
	local sig out
	out="$(tmpdir)/loop.json"
	for sig in INT TERM KILL; do
		bg "$out" nsenter --net="/run/netns/$NS_B" "$BINDIR/xdp_fwd" --pin-dir "$PIN" -s -j \
			--interval 0.1
		wait_until 10 has_line "$out" interval || fail "no interval line before SIG$sig"
		stop "$BG_PID" "$sig"
		if [ "$sig" != KILL ]; then
			expect_eq "exit code after SIG$sig" "$STOP_RC" 0
			has_line "$out" summary || fail "no summary after SIG$sig"
		fi
		[ -n "$(xdp_on "$NS_B" "$VETH_B")" ] && [ -n "$(xdp_on "$NS_B" "$VETH_R2")" ] ||
			fail "the forwarding program must outlive -s (SIG$sig)"
	done
	fwd -d "$VETH_B" "$VETH_R2" >/dev/null || fail "detach"
	[ ! -e "$PIN" ] || fail "left pinned: $(pins_left)"
}

test_failed_call_keeps_earlier_devices() {
	fwd_lab
	fwd "$VETH_B" >/dev/null || fail "attach $VETH_B"
	local id
	id=$(xdp_on "$NS_B" "$VETH_B")
	# veth1 already runs xdp_fwd: this call fails on it and rolls back veth2 only
	fwd "$VETH_R2" "$VETH_B" >/dev/null 2>&1
	expect_eq "exit code" "$?" 3
	expect_eq "$VETH_R2 rolled back" "$(xdp_on "$NS_B" "$VETH_R2")" ""
	expect_eq "$VETH_B keeps the earlier program" "$(xdp_on "$NS_B" "$VETH_B")" "$id"
	expect_eq "$VETH_B still registered" "$(counter "$VETH_B" "['rx']")" 0
	fwd -d "$VETH_B" >/dev/null || fail "detach"
	[ ! -e "$PIN" ] || fail "left pinned: $(pins_left)"
}

test_two_calls_share_the_pinned_maps() {
	fwd_lab
	fwd "$VETH_B" >/dev/null || fail "attach $VETH_B"
	fwd -D "$VETH_R2" >/dev/null || fail "attach $VETH_R2 in a second call (reusing the pins)"
	recv_start "$NS_C" "$VETH_C" 500
	send_a 500 --dst-ip "$IP_C" --rate 20000 >/dev/null || fail "pktgen failed"
	recv_expect 500 63
	expect_eq "fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" 500
	expect_eq "tx on $VETH_R2" "$(counter "$VETH_R2" "['tx']")" 500
	fwd -d "$VETH_B" >/dev/null && fwd -d "$VETH_R2" >/dev/null || fail "detach"
	[ ! -e "$PIN" ] || fail "left pinned: $(pins_left)"
}

run_tests "$@"
