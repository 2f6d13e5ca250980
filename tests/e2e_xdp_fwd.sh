#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of xdp_fwd on tests/lib.sh's router lab:
#   A veth0 10.200.0.1  <->  R veth1 10.200.0.2 | R veth2 10.201.0.1  <->  C veth3 10.201.0.2
# xdp_fwd runs on both router devices. It attaches through netlink and outlives its process; it
# keeps its state in the kernel only (the programs on the devices and their maps), so it runs
# the way people run commands in a namespace, `ip netns exec`, and the same through nsenter.
. "$(dirname "$0")/lib.sh"

N=2000
IP6_A=fd00:a::1
IP6_R1=fd00:a::2
IP6_R2=fd00:c::1
IP6_C=fd00:c::2

in_c() { ip netns exec "$NS_C" "$@"; }

# fwd ARGS...: xdp_fwd inside the router's network namespace, through `ip netns exec`.
fwd() { ip netns exec "$NS_B" "$BINDIR/xdp_fwd" "$@"; }
# fwd_nsenter ARGS...: the same through nsenter (no private /sys).
fwd_nsenter() { nsenter --net="/run/netns/$NS_B" "$BINDIR/xdp_fwd" "$@"; }

# The router lab and an XDP_PASS program on the hosts' veths (frames redirected into a veth
# reach its peer only when the peer runs XDP). veth2's ifindex is above FWD_STATS_DIRECT, so
# its counters live in the hash map while veth1's are in the array: every test covers both.
fwd_lab() {
	router_lab_up 3000 || fail "router lab"
	lab_pass_on_a || fail "XDP_PASS on $VETH_A"
	xdp_bare "$NS_C" "$VETH_C" pass || fail "XDP_PASS on $VETH_C"
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
# their TTL / hop limit and IPv4 header checksum. It ends on conditions, not on a clock: 0.5 s
# after the N-th frame (to see extras), or, once recv_expect said the sender is done, when no
# frame came for 3 s; 300 s is only a safety net (TCG on a busy host is slow, but not that
# slow). The JSON result is in $RECV_OUT: the counts, how long it ran, why it stopped, and the
# frames its socket dropped (PACKET_STATISTICS).
recv_start() {
	local ns=$1 dev=$2 n=$3 t
	t=$(tmpdir)
	RECV_OUT="$t/recv.$dev.json"
	RECV_NS=$ns RECV_DEV=$dev
	cat >"$t/recv.py" <<'PY'
import json, os, socket, struct, sys, time
dev, n, ready, sent = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, 33, 1 << 26)	# SO_RCVBUFFORCE: bursts must not overflow it
s.bind((dev, 0))
s.settimeout(0.1)
open(ready, "w").close()
res = {"n": 0, "ttl": {}, "bad_csum": 0, "len": {}}
start = last = time.monotonic(); done_at = sent_at = stop = None
def csum_ok(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s == 0xffff
while True:
    try:
        buf, addr = s.recvfrom(65535)
    except socket.timeout:
        # the socket was empty for 0.1 s of our own waiting: time to look at the clock
        now = time.monotonic()
        if sent_at is None and os.path.exists(sent):
            sent_at = now
        if done_at and now - done_at > 0.5:
            stop = "all frames"
        elif sent_at is not None and now - max(last, sent_at) > 3:
            stop = "nothing for 3 s after the sender ended"
        elif now - start > 300:
            stop = "its 300 s limit"
        if stop:
            break
        continue
    if done_at and time.monotonic() - done_at > 0.5:
        stop = "all frames"
        break
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
    last = time.monotonic()
    res["n"] += 1
    res["ttl"][str(ttl)] = res["ttl"].get(str(ttl), 0) + 1
    res["bad_csum"] += not ok
    res["len"][str(len(buf))] = res["len"].get(str(len(buf)), 0) + 1
    if res["n"] == n:
        done_at = last
res["secs"] = round(time.monotonic() - start, 3)
res["stop"] = stop
res["sock_drops"] = struct.unpack("II", s.getsockopt(263, 6, 8))[1]	# PACKET_STATISTICS
print(json.dumps(res))
PY
	rm -f "$RECV_OUT.ready" "$RECV_OUT.sent"
	bg "$RECV_OUT" ip netns exec "$ns" python3 "$t/recv.py" "$dev" "$n" "$RECV_OUT.ready" \
		"$RECV_OUT.sent"
	RECV_PID=$BG_PID
	wait_until 10 test -e "$RECV_OUT.ready" || fail "receiver did not start"
}

# ns_watch NS: $NS_PID, a process in network namespace NS (its /proc/PID/net/dev lists NS's
# devices): the receiver when it listens there, else a sleep started for it (lab_down ends it).
ns_watch() {
	local ino
	if [ "$1" = "${RECV_NS:-}" ] && kill -0 "${RECV_PID:-0}" 2>/dev/null; then
		NS_PID=$RECV_PID
		return 0
	fi
	ino=$(stat -L -c %i "/run/netns/$1") || return 1
	bg "$(tmpdir)/hold.$1" ip netns exec "$1" sleep 600
	wait_until 10 in_netns "$BG_PID" "$ino" || return 1
	NS_PID=$BG_PID
}

in_netns() { [ "$(readlink "/proc/$1/ns/net")" = "net:[$2]" ]; }

# paced NS DEV N SENDER ARGS...: `SENDER N ARGS...` (send_a, send_c) with no more than 200
# frames ever on their way to DEV in NS, where they all go: pktgen sends each 200th frame only
# once DEV counted the ones before (--window). Through the router a frame waits in two veth
# rings of 256: the first pushes back (pktgen retries what it refuses), the second, into which
# XDP redirects, drops when full; under TCG on a busy host one guest CPU can stall while the
# other goes on forwarding into it. If a window never arrives whole, pktgen says so and sends
# the rest unpaced, and the count tells.
paced() {
	local ns=$1 dev=$2 n=$3 sender=$4
	shift 4
	ns_watch "$ns" || fail "no process in $ns to watch $dev through"
	"$sender" "$n" --window 200 --window-rx "/proc/$NS_PID/net/dev:$dev" "$@" >/dev/null
}

send_c() {
	local n=$1
	shift
	in_c "$PKTGEN" --dev "$VETH_C" --count "$n" "$@"
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# recv_where: where the frames went, for a failing count: the receiver's run, the receiving
# device's counters, xdp_fwd's counters on the router's ports.
recv_where() {
	local r k
	r=$(python3 -c 'import json,sys; j = json.load(open(sys.argv[1]))
print("receiver stopped after %.1f s on %s, its socket dropped %d" % (j["secs"], j["stop"], j["sock_drops"]))' \
		"$RECV_OUT" 2>/dev/null)
	r+="; $RECV_DEV rx $(ip -n "$RECV_NS" -j -s link show "$RECV_DEV" |
		python3 -c 'import json,sys; s = json.load(sys.stdin)[0]["stats64"]["rx"]
print(s["packets"], "dropped", s["dropped"])')"
	for k in "$VETH_B" "$VETH_R2"; do
		r+="; xdp_fwd $k $(counter "$k" "" 2>/dev/null |
			python3 -c 'import ast,sys; d = ast.literal_eval(sys.stdin.read())
print("rx %d fwd %d tx %d pass %d %s" % (d["rx"], d["fwd"], d["tx"], d["pass"],
	{k: v for k, v in d["reasons"].items() if v}))' 2>/dev/null)"
	done
	echo "$r"
}

# recv_expect N TTL: tell the receiver the sender is done, wait for it; exactly N frames, all
# with TTL, checksums valid. A wrong count says where the frames went.
recv_expect() {
	touch "$RECV_OUT.sent"
	wait_until 310 pid_gone "$RECV_PID" || fail "the receiver did not end"
	wait "$RECV_PID" 2>/dev/null
	local n ttl bad
	n=$(jfield n "$RECV_OUT")
	ttl=$(jfield ttl "$RECV_OUT")
	bad=$(jfield bad_csum "$RECV_OUT")
	[ -n "$n" ] || fail "receiver failed: $(cat "$RECV_OUT.err")"
	[ "$n" = "$1" ] || fail "frames received: got '$n', want '$1' ($(recv_where))"
	expect_eq "TTL / hop limit histogram" "$ttl" "{'$2': $1}"
	expect_eq "bad IPv4 checksums" "$bad" 0
}

# a_to_c N TTL [pktgen options]: N frames from A to C ($IP_C unless the options say otherwise)
# arrive at C, exactly N, all with TTL (hop limit), IPv4 checksums valid. Live frames are not
# paced (pktgen has no --window for them): they go in batches of 64 on the sender's CPU, and
# veth's NAPI forwards each batch before the next one is sent.
a_to_c() {
	local n=$1 ttl=$2
	shift 2
	recv_start "$NS_C" "$VETH_C" "$n"
	if [[ " $* " == *" --live "* ]]; then
		send_a "$n" --dst-ip "$IP_C" "$@" >/dev/null || fail "pktgen failed"
	else
		paced "$NS_C" "$VETH_C" "$n" send_a --dst-ip "$IP_C" "$@" || fail "pktgen failed"
	fi
	recv_expect "$n" "$ttl"
}

# stats_both DIR: `xdp_fwd -s` twice in the background, as a table (DIR/s.txt, $ptxt) and as
# JSON lines (DIR/s.json, $pjs), both printing already.
stats_both() {
	bg "$1/s.txt" in_b "$BINDIR/xdp_fwd" -s -z -i 0.2
	ptxt=$BG_PID
	bg "$1/s.json" in_b "$BINDIR/xdp_fwd" -s -j -i 0.2
	pjs=$BG_PID
	wait_until 10 has_line "$1/s.json" interval || fail "no JSON interval: $(cat "$1/s.json.err")"
	wait_until 10 grep -q "^Period" "$1/s.txt" || fail "no table: $(cat "$1/s.txt.err")"
}

# counter DEV EXPR: evaluate EXPR on DEV's counts since attach (bound to d) of one
# xdp_fwd -s --json read.
counter() {
	local out
	out="$(tmpdir)/stats.json"
	fwd -s --json --duration 0.05 --interval 0.05 "$1" >"$out" 2>"$out.err" ||
		fail "xdp_fwd -s: $(cat "$out.err")"
	jget "$out" summary \
		"(lambda d: d$2)([d for d in j['devices'] if d['dev'] == '$1'][0]['since_attach'])"
}

# ports: the router's ports by name, sorted, from one xdp_fwd -s --json read (its notices on
# stderr are in "$(tmpdir)/ports.err").
ports() {
	local out
	out="$(tmpdir)/ports.json"
	fwd -s --json --duration 0.05 --interval 0.05 >"$out" 2>"$(tmpdir)/ports.err" ||
		fail "xdp_fwd -s: $(cat "$(tmpdir)/ports.err")"
	jget "$out" start "' '.join(sorted(d['dev'] for d in j['devices']))"
}

# router_maps: the ids of the router's maps (ports stats stats_hi), from xdp_fwd -s.
router_maps() {
	local out
	out="$(tmpdir)/maps.json"
	fwd -s --json --duration 0.05 --interval 0.05 >"$out" 2>"$out.err" ||
		fail "xdp_fwd -s: $(cat "$out.err")"
	jget "$out" start "'%d %d %d' % (j['map_ids']['ports'], j['map_ids']['stats'],
		j['map_ids']['stats_hi'])"
}

# gone KIND IDS...: no BPF object of KIND (prog, map) with any of these ids is left.
gone() {
	local kind=$1 id
	shift
	for id in "$@"; do
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && return 1
	done
	return 0
}

# fs_state: the bpffs on /sys/fs/bpf and what of xdp_fwd's it holds, to compare before and after
# (older versions mounted it when missing and pinned the maps there).
fs_state() {
	awk '$2 == "/sys/fs/bpf" {print $2, $3}' /proc/self/mounts
	find /sys/fs/bpf -name '*xdp_fwd*' 2>/dev/null | sort
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

# both_attached: both router devices run an XDP program (xdp_fwd's, in these tests).
both_attached() { xdp_attached "$NS_B" "$VETH_B" && xdp_attached "$NS_B" "$VETH_R2"; }

fwd_attach_both() {
	local out
	out=$(fwd "$@" "$VETH_B" "$VETH_R2" 2>&1) || fail "attach: $out"
	both_attached || fail "not attached after the loader exited: $out"
}

# fwd_up: the lab with xdp_fwd on both router devices; remembers what must go with it: the
# programs ($PROGS), the router's maps ($MAPS), and the filesystem as it was ($FS_BEFORE).
fwd_up() {
	fwd_lab
	FS_BEFORE=$(fs_state)
	fwd_attach_both
	PROGS="$(xdp_on "$NS_B" "$VETH_B") $(xdp_on "$NS_B" "$VETH_R2")"
	MAPS=$(router_maps)
}

# nothing_left: fwd_up's programs and maps are gone, and no bpffs or file of ours appeared.
nothing_left() {
	# shellcheck disable=SC2086
	wait_until 10 gone prog $PROGS || fail "programs left: $PROGS"
	# shellcheck disable=SC2086
	wait_until 10 gone map $MAPS || fail "maps left: $MAPS"
	expect_eq "bpffs on /sys/fs/bpf and xdp_fwd's files there" "$(fs_state)" "$FS_BEFORE"
}

# ---------------------------------------------------------------- tests

# Attach, forward, count and detach, all under `ip netns exec` (the way people run commands
# in a namespace), with exact counts; afterwards nothing is left: no bpffs mounted, no files,
# no programs, no maps.
test_ipv4_forwarded_exactly_once_ttl_minus_one() {
	fwd_up
	local k0
	k0=$(ip_fwd_datagrams)
	a_to_c $N 63 --rate 20000
	expect_eq "xdp_fwd fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" $N
	expect_eq "xdp_fwd rx on $VETH_B" "$(counter "$VETH_B" "['rx']")" $N
	expect_eq "xdp_fwd tx on $VETH_R2" "$(counter "$VETH_R2" "['tx']")" $N
	expect_eq "kernel ForwDatagrams delta" "$(($(ip_fwd_datagrams) - k0))" 0
	fwd -d "$VETH_B" "$VETH_R2" >/dev/null || fail "detach"
	expect_eq "XDP on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
	expect_eq "XDP on $VETH_R2" "$(xdp_on "$NS_B" "$VETH_R2")" ""
	nothing_left
}

# Live-frame pages are recycled without a fresh copy of the frame: unless pktgen --live rewrites
# the headers each time, the router's in-place TTL decrement would pile up lap after lap (the
# page pool holds 64 frames, so frames 65+ would arrive with TTL 62, 61, ...).
test_live_frames_forwarded_intact() {
	fwd_lab
	fwd_attach_both
	a_to_c 300 63 --live
	expect_eq "xdp_fwd fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" 300
}

test_ipv6_forwarded_exactly_once_hop_limit_minus_one() {
	fwd_lab
	fwd_lab6
	fwd_attach_both
	local k0
	k0=$(ip_fwd_datagrams 6)
	a_to_c $N 63 --src-ip "$IP6_A" --dst-ip "$IP6_C" --size 128 --rate 20000
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
	xdp_bare "$NS_C" "$VETH_C" pass_frags xdpdrv || fail "frags-capable XDP_PASS on $VETH_C"
	fwd_attach_both --mode native
	a_to_c $N 63 --size 5000 --rate 20000
	expect_eq "lengths" "$(jfield len "$RECV_OUT")" "{'5000': $N}"
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
	paced "$NS_A" "$VETH_A" $N send_c --dst-mac "$MAC_R2" --src-ip "$IP_C" --dst-ip "$IP_A" \
		--ttl 10 --rate 20000 || fail "pktgen failed"
	recv_expect $N 9
	expect_eq "xdp_fwd fwd on $VETH_R2" "$(counter "$VETH_R2" "['fwd']")" $N
	expect_eq "xdp_fwd tx on $VETH_B" "$(counter "$VETH_B" "['tx']")" $N
}

test_without_xdp_fwd_the_kernel_forwards() {
	# the reference: the same frames take the kernel path and move its counter by N
	fwd_lab
	local k0
	k0=$(ip_fwd_datagrams)
	a_to_c $N 63 --rate 20000
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
	# the `stats` subcommand, human table, through nsenter
	fwd_nsenter stats --duration 0.2 --interval 0.1 "$VETH_B" >"$out" ||
		fail "stats (table) failed"
	grep -q "fwd (pkt/s)" "$out" || fail "no table header: $(cat "$out")"
	grep -q "^Summary" "$out" || fail "no summary: $(cat "$out")"
}

# text_row FILE DEV WHAT...: the four counts (rx fwd tx pass; not tx-fail) of DEV's summary
# row WHAT ("this run", "since attach") in a text summary printed with -z.
text_row() {
	local f=$1 dev=$2
	shift 2
	awk -v dev="$dev" -v what="$*" 'BEGIN {n = split(what, w, " ")}
		/^Summary/ {s = 1}
		s && $1 == dev && $2 == w[1] && $3 == w[2] {print $4, $5, $6, $8}' "$f"
}

# One run watched by a text and a JSON xdp_fwd -s at once: both summaries give the same counts
# of the run (N frames), the same counts since attach (N plus 100 sent before the run), and
# rates computed from the run's counts. C drops the frames in XDP, so that no reply of its
# stack (port unreachable) adds frames of its own.
test_json_and_text_summaries_agree() {
	fwd_lab
	ip -n "$NS_C" link set dev "$VETH_C" xdp off
	xdp_bare "$NS_C" "$VETH_C" drop xdpdrv || fail "XDP_DROP on $VETH_C"
	fwd_attach_both
	send_a 100 --dst-ip "$IP_C" >/dev/null || fail "pktgen failed"
	local t ptxt pjs dev
	t=$(tmpdir)
	stats_both "$t"
	paced "$NS_C" "$VETH_C" $N send_a --dst-ip "$IP_C" --rate 20000 || fail "pktgen failed"
	wait_until 10 jeq "$t/s.json" interval \
		"[d for d in j['devices'] if d['dev'] == '$VETH_R2'][0]['since_attach']['tx']" \
		$((N + 100)) || fail "the frames never showed"
	stop "$ptxt" INT
	expect_eq "text -s exit code" "$STOP_RC" 0
	stop "$pjs" INT
	expect_eq "JSON -s exit code" "$STOP_RC" 0
	expect_eq "this run, $VETH_B (text)" "$(text_row "$t/s.txt" "$VETH_B" this run)" "$N $N 0 0"
	expect_eq "since attach, $VETH_B (text)" "$(text_row "$t/s.txt" "$VETH_B" since attach)" \
		"$((N + 100)) $((N + 100)) 0 0"
	expect_eq "this run, $VETH_R2 (text)" "$(text_row "$t/s.txt" "$VETH_R2" this run)" "0 0 $N 0"
	expect_eq "since attach, $VETH_R2 (text)" "$(text_row "$t/s.txt" "$VETH_R2" since attach)" \
		"0 0 $((N + 100)) 0"
	for dev in "$VETH_B" "$VETH_R2"; do
		local sel="[d for d in j['devices'] if d['dev'] == '$dev'][0]"
		local fields="' '.join(str(x[k]) for k in ('rx', 'fwd', 'tx', 'pass'))"
		expect_eq "this run, $dev: JSON delta = text" \
			"$(jget "$t/s.json" summary "(lambda x: $fields)($sel['delta'])")" \
			"$(text_row "$t/s.txt" "$dev" this run)"
		expect_eq "since attach, $dev: JSON = text" \
			"$(jget "$t/s.json" summary "(lambda x: $fields)($sel['since_attach'])")" \
			"$(text_row "$t/s.txt" "$dev" since attach)"
	done
	expect_eq "JSON rx_pps is the run's rx over its duration" "$(jget "$t/s.json" summary \
		"(lambda d, t: int(abs(d['rx_pps'] * t / 1e9 - d['delta']['rx']) < 0.01))(
		[d for d in j['devices'] if d['dev'] == '$VETH_B'][0], j['duration_ns'])")" 1
	local dur rate
	dur=$(sed -n 's/^Summary: \([0-9.]*\) s$/\1/p' "$t/s.txt")
	rate=$(awk -v dev="$VETH_B" '/^Summary/ {s = 1} s && $1 == dev && $2 == "rate" {print $4}' \
		"$t/s.txt")
	expect_eq "text rate ($rate pkt/s) is the run's rx ($N) over its duration ($dur s)" \
		"$(awk -v r="$rate" -v d="$dur" -v n=$N 'BEGIN { e = 1 + n * 0.0005 / (d * d)
			# the duration is printed to 1 ms: n/d is known to within n * 0.0005 / d^2
			print (r - n / d <= e && n / d - r <= e) }')" 1
}

# A port whose veth peer runs no XDP program cannot send what xdp_fwd redirects into it: the
# attach warns, and -s reports every one of those frames as tx-fail next to fwd and tx, text
# and JSON alike (EOPNOTSUPP since 6.3; before, veth's driver drops them: ENXIO).
test_tx_failures_reported_per_egress_device() {
	local t err sel pjs ptxt
	fwd_lab
	ip -n "$NS_C" link set dev "$VETH_C" xdp off
	err=$(fwd "$VETH_B" "$VETH_R2" 2>&1 >/dev/null) || fail "attach: $err"
	case $err in
	*"warning: the peer of veth $VETH_R2 ($VETH_C, in another network namespace) runs no XDP program"*) ;;
	*) fail "no warning at attach: $err" ;;
	esac
	expect_eq "warnings" "$(printf '%s\n' "$err" | grep -c warning)" 1
	t=$(tmpdir)
	stats_both "$t"
	send_a $N --dst-ip "$IP_C" --rate 20000 >/dev/null || fail "pktgen failed"
	sel="[d for d in j['devices'] if d['dev'] == '$VETH_R2'][0]"
	wait_until 10 jeq "$t/s.json" interval "$sel['since_attach']['tx']" $N ||
		fail "tx never $N: $(tail -1 "$t/s.json" | cut -c1-300)"
	# (tx_failed of an interval line is that interval's: the summary has the run's)
	stop "$pjs" INT
	expect_eq "JSON -s exit code" "$STOP_RC" 0
	stop "$ptxt" INT
	expect_eq "text -s exit code" "$STOP_RC" 0
	expect_eq "fwd at $VETH_B" "$(jget "$t/s.json" summary \
		"[d for d in j['devices'] if d['dev'] == '$VETH_B'][0]['delta']['fwd']")" $N
	expect_eq "tx failed at $VETH_R2" "$(jget "$t/s.json" summary "$sel['tx_failed']['total']")" $N
	expect_eq "none at $VETH_B" "$(jget "$t/s.json" summary \
		"[d for d in j['devices'] if d['dev'] == '$VETH_B'][0]['tx_failed']['total']")" 0
	if bpftool btf dump file /sys/kernel/btf/vmlinux format raw |
		grep -q "'NETDEV_XDP_ACT_NDO_XMIT'"; then
		expect_eq "EOPNOTSUPP" "$(jget "$t/s.json" summary \
			"$sel['tx_failed']['errors']['EOPNOTSUPP']")" $N
	else
		expect_eq "driver drops" "$(jget "$t/s.json" summary "$sel['tx_failed']['xmit_drops']")" $N
	fi
	expect_eq "text: this run at $VETH_R2 (rx fwd tx tx-fail pass)" "$(awk -v dev="$VETH_R2" \
		'/^Summary/ {s = 1} s && $1 == dev && $2 == "this" {print $4, $5, $6, $7, $8}' \
		"$t/s.txt")" "0 0 $N $N 0"
	grep -q "^$VETH_R2 *tx-fail: " "$t/s.txt" || fail "no tx-fail detail: $(tail -8 "$t/s.txt")"
	fwd -d "$VETH_B" "$VETH_R2" >/dev/null || fail "detach"
}

test_nsenter_and_ip_netns_exec_share_one_router() {
	fwd_lab
	fwd_nsenter "$VETH_B" >/dev/null || fail "attach $VETH_B through nsenter"
	fwd -D "$VETH_R2" >/dev/null || fail "attach $VETH_R2 through ip netns exec"
	expect_eq "ports" "$(ports)" "$VETH_B $VETH_R2"
	a_to_c 500 63 --rate 20000
	expect_eq "fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" 500
	expect_eq "tx on $VETH_R2" "$(counter "$VETH_R2" "['tx']")" 500
	fwd_nsenter -d "$VETH_R2" >/dev/null || fail "detach $VETH_R2 through nsenter"
	fwd -d "$VETH_B" >/dev/null || fail "detach $VETH_B through ip netns exec"
	expect_eq "XDP on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
	expect_eq "XDP on $VETH_R2" "$(xdp_on "$NS_B" "$VETH_R2")" ""
}

# -d takes the device out of the router's ports, not only its program: the other ports no
# longer redirect into it, so frames routed out of it go to the stack (no_port), which
# forwards them.
test_detach_stops_forwarding_out_of_the_device() {
	fwd_lab
	fwd_attach_both
	fwd -d "$VETH_R2" >/dev/null || fail "detach $VETH_R2"
	expect_eq "ports" "$(ports)" "$VETH_B"
	local k0
	k0=$(ip_fwd_datagrams)
	a_to_c $N 63 --rate 20000
	expect_eq "fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" 0
	expect_eq "no_port on $VETH_B" "$(counter "$VETH_B" "['reasons']['no_port']")" $N
	local d=$(($(ip_fwd_datagrams) - k0))
	[ "$d" -ge $N ] || fail "kernel ForwDatagrams delta $d, want >= $N"
}

# A port whose program was replaced (here by xdp_rxq_info --force, through a bpf_link) is
# dropped from the router with a notice the next time xdp_fwd runs there: frames routed out of
# it go to the stack, and -d leaves the new program alone.
test_replaced_program_dropped_from_the_ports() {
	fwd_lab
	fwd_attach_both
	local out id
	out="$(tmpdir)/rxq"
	bg_started "$out" in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_R2" --force --json --interval 0.2
	id=$(xdp_on "$NS_B" "$VETH_R2")
	expect_eq "ports" "$(ports)" "$VETH_B"
	# (the kernel keeps 15 characters of a program's name; xdp_rxq_info's depends on its options)
	grep -q "$VETH_R2 no longer runs xdp_fwd (it runs XDP program $id (xdp_rxq_info_[a-z_]*));" \
		"$(tmpdir)/ports.err" || fail "no notice: $(cat "$(tmpdir)/ports.err")"
	expect_eq "no notice the second time" "$(ports; cat "$(tmpdir)/ports.err")" "$VETH_B"
	a_to_c $N 63 --rate 20000
	expect_eq "fwd on $VETH_B" "$(counter "$VETH_B" "['fwd']")" 0
	expect_eq "no_port on $VETH_B" "$(counter "$VETH_B" "['reasons']['no_port']")" $N
	fwd -d "$VETH_R2" >/dev/null 2>&1
	expect_eq "-d of the replaced device: exit code" "$?" 3
	expect_eq "xdp_rxq_info's program untouched" "$(xdp_on "$NS_B" "$VETH_R2")" "$id"
}

# An attach killed between attaching the program and adding the port leaves a device that runs
# our program without being a port (made here by deleting the port by hand): the next call
# adds it, with a notice.
test_interrupted_attach_repaired() {
	fwd_lab
	fwd_attach_both
	local ports_id
	ports_id=$(router_maps | cut -d' ' -f1)
	# veth2's ifindex 3000, little-endian
	bpftool map delete id "$ports_id" key 0xb8 0x0b 0 0 || fail "delete the port by hand"
	expect_eq "ports" "$(ports)" "$VETH_B $VETH_R2"
	grep -q "$VETH_R2 runs xdp_fwd but was none of the router's ports.*added" "$(tmpdir)/ports.err" ||
		fail "no notice: $(cat "$(tmpdir)/ports.err")"
	a_to_c 500 63 --rate 20000
	expect_eq "forwarded in XDP again" "$(counter "$VETH_B" "['fwd']")" 500
}

# Deleting the router's namespace takes everything with it: programs and maps are freed and
# nothing is left in the filesystem; a new namespace of the same name starts a new router.
test_deleted_namespace_leaves_nothing() {
	fwd_up
	ip netns del "$NS_B" || fail "delete $NS_B"
	nothing_left
	ip netns add "$NS_B" || fail "add $NS_B again"
	ip -n "$NS_B" link add "$VETH_B" type veth peer name veth9 || fail "add a veth"
	fwd "$VETH_B" >/dev/null || fail "attach in the new namespace"
	expect_eq "ports of the new router" "$(ports)" "$VETH_B"
	[ "$(router_maps)" != "$MAPS" ] || fail "the new router has the old maps"
}

# An attach that waits for the namespace's lock ends at once on Ctrl-C, having changed nothing
# (the lock is held here by a stand-in bound to the same abstract socket name).
test_ctrl_c_while_waiting_for_the_lock() {
	fwd_lab
	local out="$TMP_DIR/attach.txt"
	bg "$TMP_DIR/holder" in_b python3 -c 'import socket, time
s = socket.socket(socket.AF_UNIX); s.bind("\0xdp_fwd.lock"); s.listen(1); print("held", flush=True); time.sleep(60)'
	wait_until 5 grep -q held "$TMP_DIR/holder" || fail "no lock holder: $(cat "$TMP_DIR/holder.err")"
	bg "$out" in_b "$BINDIR/xdp_fwd" "$VETH_B"
	local pid=$BG_PID
	wait_until 5 grep -q "waiting for another xdp_fwd (pid [1-9]" "$out.err" ||
		fail "no waiting notice: $(cat "$out.err")"
	stop "$pid" INT
	expect_eq "exit code" "$STOP_RC" 1
	grep -q "interrupted while waiting" "$out.err" || fail "message: $(cat "$out.err")"
	expect_eq "XDP on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

# Eight attaches at once in one namespace: all succeed, and they make one router whose devmap
# holds all eight.
test_concurrent_attaches_share_one_router() {
	fwd_lab
	local i t want="" pids=()
	t=$(tmpdir)
	for i in 0 1 2 3 4 5 6 7; do
		ip -n "$NS_B" link add "cc$i" type veth peer name "cp$i" || fail "add cc$i"
		want="$want cc$i"
	done
	for i in 0 1 2 3 4 5 6 7; do
		fwd "cc$i" >"$t/cc$i.out" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2 3 4 5 6 7; do
		wait "${pids[$i]}" || fail "attach cc$i failed: $(cat "$t/cc$i.out")"
	done
	expect_eq "ports" "$(ports)" "${want# }"
	expect_eq "notices" "$(cat "$(tmpdir)/ports.err")" ""
	# shellcheck disable=SC2086
	fwd -d $want >/dev/null || fail "detach all"
}

# The devmap holds 256 devices: the 257th is refused with the limit named, and nothing changes.
test_257th_port_says_at_most_256() {
	fwd_lab
	local i b t
	t=$(tmpdir)
	# dm0..dm257: 129 veth pairs (no dummy devices on every kernel)
	for i in $(seq 0 2 256); do
		echo "link add dm$i type veth peer name dm$((i + 1))"
	done >"$t/batch"
	ip -n "$NS_B" -batch "$t/batch" || fail "add 258 devices"
	for b in $(seq 0 7); do
		# shellcheck disable=SC2046
		fwd --mode skb $(for i in $(seq $((b * 32)) $((b * 32 + 31))); do echo "dm$i"; done) \
			>/dev/null || fail "attach devices $((b * 32))..$((b * 32 + 31))"
	done
	local err
	err=$(fwd --mode skb dm256 2>&1 >/dev/null)
	expect_eq "exit code" "$?" 3
	expect_eq "message" "$err" "xdp_fwd: xdp_fwd forwards between at most 256 devices of a \
network namespace: it runs on 256 here, 1 more asked"
	expect_eq "dm256 untouched" "$(xdp_on "$NS_B" dm256)" ""
	expect_eq "ports" "$(ports | wc -w)" 256
}

# -s follows a renamed device, and ends, saying why, when a watched device leaves the router:
# detached, or deleted.
test_stats_says_when_a_watched_device_leaves() {
	fwd_lab
	fwd_attach_both
	local out pid
	out="$(tmpdir)/s.json"
	bg "$out" in_b "$BINDIR/xdp_fwd" -s -j -i 0.1
	pid=$BG_PID
	wait_until 10 has_line "$out" interval || fail "no interval line: $(cat "$out.err")"
	# down first: before 6.2 the kernel refuses to rename a device that is up (EBUSY)
	ip -n "$NS_B" link set "$VETH_R2" down
	ip -n "$NS_B" link set "$VETH_R2" name veth2r || fail "rename $VETH_R2"
	ip -n "$NS_B" link set veth2r up
	wait_until 5 grep -q "device $VETH_R2 renamed to veth2r" "$out.err" ||
		fail "no notice of the rename: $(cat "$out.err")"
	kill -0 "$pid" 2>/dev/null || fail "-s ended on a rename"
	fwd -d "$VETH_B" >/dev/null || fail "detach $VETH_B"
	wait_until 5 sh -c "! kill -0 $pid 2>/dev/null" || fail "-s kept running"
	stop "$pid"
	expect_eq "exit code after the detach" "$STOP_RC" 1
	expect_eq "message" "$(tail -1 "$out.err")" \
		"xdp_fwd: xdp_fwd no longer runs on $VETH_B (detached, or its program replaced)"
	has_line "$out" summary || fail "no summary"
	bg "$out" in_b "$BINDIR/xdp_fwd" -s -j -i 0.1
	pid=$BG_PID
	wait_until 10 has_line "$out" interval || fail "no interval line: $(cat "$out.err")"
	ip -n "$NS_B" link del veth2r
	wait_until 5 sh -c "! kill -0 $pid 2>/dev/null" || fail "-s kept running"
	stop "$pid"
	expect_eq "exit code after the deletion" "$STOP_RC" 1
	expect_eq "message" "$(cat "$out.err")" "xdp_fwd: device veth2r disappeared"
	has_line "$out" summary || fail "no summary"
}

# A program that bears xdp_fwd's name but not its maps is not taken for ours: attaching next to
# it makes a router of our own, and -d leaves it alone, saying why.
test_foreign_program_with_our_name_is_not_ours() {
	fwd_lab
	ip -n "$NS_B" link set dev "$VETH_R2" xdp obj "$O/tests/xdp_fwd_impostor_kern.o" sec xdp ||
		fail "attach the impostor"
	local id err
	id=$(xdp_on "$NS_B" "$VETH_R2")
	fwd "$VETH_B" >/dev/null || fail "attach next to the impostor"
	expect_eq "ports" "$(ports)" "$VETH_B"
	err=$(fwd -d "$VETH_R2" 2>&1 >/dev/null)
	expect_eq "exit code" "$?" 3
	expect_eq "message" "$err" "xdp_fwd: device $VETH_R2 runs XDP program $id (xdp_fwd_prog), \
which has xdp_fwd's name but not its maps, not xdp_fwd's; left in place"
	expect_eq "impostor untouched" "$(xdp_on "$NS_B" "$VETH_R2")" "$id"
	fwd -d "$VETH_B" >/dev/null || fail "detach $VETH_B"
}

# xdp_fwd finds its programs and maps by id, which takes CAP_SYS_ADMIN: with CAP_BPF,
# CAP_NET_ADMIN and CAP_PERFMON only, it says exactly that (exit 6, nothing attached); with
# CAP_SYS_ADMIN and CAP_NET_ADMIN only, it attaches, counts and detaches.
test_capabilities() {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"
	fwd_lab
	local err rc caps
	err=$(in_b setpriv --inh-caps=-all --bounding-set=-all,+bpf,+net_admin,+perfmon \
		"$BINDIR/xdp_fwd" "$VETH_B" 2>&1 >/dev/null)
	rc=$?
	expect_eq "exit code" "$rc" 6
	expect_eq "message" "$err" "xdp_fwd: missing privileges: need CAP_SYS_ADMIN (run as root); \
xdp_fwd finds its programs and maps by id, which takes CAP_SYS_ADMIN (CAP_BPF is not enough)"
	expect_eq "nothing attached" "$(xdp_on "$NS_B" "$VETH_B")" ""
	caps=(setpriv --inh-caps=-all --bounding-set=-all,+sys_admin,+net_admin)
	in_b "${caps[@]}" "$BINDIR/xdp_fwd" "$VETH_B" "$VETH_R2" >/dev/null ||
		fail "attach with CAP_SYS_ADMIN and CAP_NET_ADMIN"
	send_a 10 --dst-ip "$IP_C" >/dev/null || fail "pktgen failed"
	in_b "${caps[@]}" "$BINDIR/xdp_fwd" -s -j --duration 0.1 -i 0.1 >"$(tmpdir)/s.json" ||
		fail "-s with CAP_SYS_ADMIN and CAP_NET_ADMIN"
	expect_eq "fwd on $VETH_B" "$(jget "$(tmpdir)/s.json" summary \
		"[d for d in j['devices'] if d['dev'] == '$VETH_B'][0]['since_attach']['fwd']")" 10
	in_b "${caps[@]}" "$BINDIR/xdp_fwd" -d "$VETH_B" "$VETH_R2" >/dev/null ||
		fail "-d with CAP_SYS_ADMIN and CAP_NET_ADMIN"
	expect_eq "detached" "$(xdp_on "$NS_B" "$VETH_B")$(xdp_on "$NS_B" "$VETH_R2")" ""
}

test_detach_only_ours() {
	fwd_lab
	fwd_attach_both
	fwd -d "$VETH_B" >/dev/null || fail "detach $VETH_B"
	xdp_detached "$NS_B" "$VETH_B" || fail "$VETH_B still runs XDP"
	xdp_attached "$NS_B" "$VETH_R2" || fail "$VETH_R2 lost its program"
	expect_eq "ports" "$(ports)" "$VETH_R2"
	fwd -d "$VETH_R2" >/dev/null || fail "detach $VETH_R2"
	xdp_detached "$NS_B" "$VETH_R2" || fail "$VETH_R2 still runs XDP"
	fwd -s -j --duration 0.05 >/dev/null 2>&1
	expect_eq "-s with xdp_fwd nowhere: exit code" "$?" 1
}

test_detach_refuses_someone_elses_program() {
	fwd_lab
	xdp_bare "$NS_B" "$VETH_B" pass || fail "attach the foreign program"
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
	xdp_bare "$NS_B" "$VETH_R2" pass || fail "attach the foreign program"
	local id
	id=$(xdp_on "$NS_B" "$VETH_R2")
	fwd "$VETH_B" "$VETH_R2" >/dev/null 2>&1
	expect_eq "exit code" "$?" 3
	expect_eq "$VETH_B rolled back" "$(xdp_on "$NS_B" "$VETH_B")" ""
	expect_eq "foreign program untouched" "$(xdp_on "$NS_B" "$VETH_R2")" "$id"
	# --force replaces it; -d then removes ours
	fwd -F "$VETH_B" "$VETH_R2" >/dev/null 2>&1 || fail "--force attach"
	[ "$(xdp_on "$NS_B" "$VETH_R2")" != "$id" ] || fail "--force did not replace"
	expect_eq "ports" "$(ports)" "$VETH_B $VETH_R2"
	fwd -d "$VETH_B" "$VETH_R2" >/dev/null || fail "detach"
	expect_eq "XDP left" "$(xdp_on "$NS_B" "$VETH_B")$(xdp_on "$NS_B" "$VETH_R2")" ""
}

test_bad_input() {
	fwd_lab
	expect_bad_input fwd nosuchdev0
	expect_bad_input fwd "$VETH_B" "$VETH_B"
	expect_bad_input fwd --mode turbo "$VETH_B"
	expect_bad_input fwd
	expect_bad_input fwd -d -s "$VETH_B"
	expect_bad_input fwd --pin-dir /sys/fs/bpf "$VETH_B"
	# native XDP on a device without it (lo): veth1 was attached first and is rolled back
	expect_bad_input fwd --mode native "$VETH_B" lo
	expect_eq "$VETH_B not half-configured" "$(xdp_on "$NS_B" "$VETH_B")" ""
	expect_eq "lo not half-configured" "$(xdp_on "$NS_B" lo)" ""
	"$BINDIR/xdp_fwd" --help | grep -q "^Usage: xdp_fwd" || fail "--help"
}

# stats_start: xdp_fwd -s --json in the background, until its first interval line.
stats_start() {
	OUT="$(tmpdir)/loop.json"
	bg "$OUT" in_b "$BINDIR/xdp_fwd" -s -j --interval 0.1
	wait_until 10 has_line "$OUT" interval || fail "no interval line: $(cat "$OUT.err")"
}

test_stats_loop_stops_on_signals_program_stays() {
	fwd_lab
	fwd_attach_both
	expect_signals_end_runs "INT TERM HUP KILL" stats_start both_attached both_attached
	expect_eq "ports" "$(ports)" "$VETH_B $VETH_R2"
	fwd -d "$VETH_B" "$VETH_R2" >/dev/null || fail "detach"
}

# -s prints like the other tools: a failed write is an error (/dev/full), a closed reader ends it
# (exit 7), a reader that stopped reading never keeps a signal from ending it within 2 s. The
# forwarding program stays throughout.
test_stats_output_errors_and_blocked_reader() {
	fwd_lab
	fwd_attach_both
	local sig
	expect_dev_full "xdp_fwd -s" ip netns exec "$NS_B" "$BINDIR/xdp_fwd" \
		-s -j --interval 0.05 --duration 0.3
	expect_head_1 "xdp_fwd -s" ip netns exec "$NS_B" "$BINDIR/xdp_fwd" -s --interval 0.05
	for sig in INT TERM HUP; do
		expect_signal_despite_blocked_reader "xdp_fwd -s" "$sig" -- \
			ip netns exec "$NS_B" "$BINDIR/xdp_fwd" -s -j --interval 0.01
	done
	both_attached || fail "the forwarding program must outlive -s"
	fwd -d "$VETH_B" "$VETH_R2" >/dev/null || fail "detach"
}

# Attaching with stdout's reader gone: both devices attached, then exit 7 with one line (the
# old tool attached both and died of SIGPIPE, 141).
test_attach_with_closed_stdout() {
	fwd_lab
	local rc
	fwd "$VETH_B" "$VETH_R2" 2>"$TMP_DIR/attach.err" | true
	rc=${PIPESTATUS[0]}
	expect_eq "exit code ($(cat "$TMP_DIR/attach.err"))" "$rc" 7
	grep -q "stdout closed by its reader" "$TMP_DIR/attach.err" || fail "$(cat "$TMP_DIR/attach.err")"
	both_attached || fail "not attached"
	fwd -d "$VETH_B" "$VETH_R2" >/dev/null || fail "detach"
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
	expect_eq "ports" "$(ports)" "$VETH_B"
	expect_eq "$VETH_B still counted" "$(counter "$VETH_B" "['rx']")" 0
	fwd -d "$VETH_B" >/dev/null || fail "detach"
}

run_tests "$@"
