#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of xdp_sample_pkts on the veth lab: exact sample counts, headers and bytes
# against what was sent, pcap read back by tcpdump, exact 1-in-N sampling, --count, lost-sample
# accounting, traffic still flowing, busy devices, signals, bad input.
. "$(dirname "$0")/lib.sh"

SP="$BINDIR/xdp_sample_pkts"

# sp_start ARGS...: run xdp_sample_pkts --json on NS_B's veth in the background, output in
# $OUT; waits until it reports that it is attached.
sp_start() {
	OUT="$(tmpdir)/sp.json"
	bg_started "$OUT" in_b "$SP" --json "$@" "$VETH_B"
	SP_PID=$BG_PID
}

nsamples() { grep -c '"type":"sample"' "$1" 2>/dev/null; }
has_samples() { [ "$(nsamples "$1")" -ge "$2" ]; }

# sp_stop: SIGINT, exit 0, a summary, nothing left on the device.
sp_stop() {
	stop "$SP_PID" INT
	expect_eq "exit status after SIGINT" "$STOP_RC" 0
	has_line "$OUT" summary || fail "no summary: $(tail -2 "$OUT")"
	expect_eq "XDP left on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

# send_pinned N ARGS...: pktgen on CPU 0, so every frame is received (and counted) on CPU 0.
send_pinned() {
	local n=$1
	shift
	in_a taskset -c 0 "$PKTGEN" --dev "$VETH_A" --count "$n" --dst-mac "$MAC_B" \
		--src-ip "$IP_A" --dst-ip "$IP_B" "$@" >/dev/null || fail "pktgen failed"
}

# check_samples FILE PYTHON: run PYTHON with `s` = the list of sample objects and `summ` = the
# summary object; it prints an error and exits 1 on a mismatch.
check_samples() {
	python3 - "$1" "$2" <<'PY' || fail "sample check failed"
import json, sys
s, summ = [], None
for line in open(sys.argv[1]):
    if line.startswith("{"):
        o = json.loads(line)
        if o["type"] == "sample":
            s.append(o)
        elif o["type"] == "summary":
            summ = o
def want(what, got, exp):
    if got != exp:
        print("  %s: got %r, want %r" % (what, got, exp), file=sys.stderr)
        sys.exit(1)
exec(sys.argv[2])
PY
}

# The fields of a pktgen frame: 64-byte IPv4/UDP, payload magic "XDPS" then the sequence number.
PKTGEN_FIELDS='
for i, o in enumerate(s):
    want("len", o["len"], 64)
    want("cap", o["cap"], 64)
    want("dst", o["dst"], "02:00:00:00:00:0b")
    want("src", o["src"], "02:00:00:00:00:0a")
    want("ethertype", o["ethertype"], 0x0800)
    want("vlans", o["vlans"], [])
    want("l3", o["l3"], "ipv4")
    want("saddr/daddr", (o["saddr"], o["daddr"]), ("10.200.0.1", "10.200.0.2"))
    want("proto", o["proto"], 17)
    want("ports", (o["sport"], o["dport"]), (9000, 9))
    want("ttl", o["ttl"], 64)
    want("ifindex", o["ifindex"], int(IFINDEX))
    d = bytes.fromhex(o["data"])
    want("data length", len(d), o["cap"])
    want("data = header fields", (d[0:6].hex(":"), d[6:12].hex(":"), d[12:14].hex()),
         (o["dst"], o["src"], "0800"))
    want("payload magic", d[42:46], b"XDPS")
    want("payload pattern", list(d[50:64]), [b & 0xff for b in range(50, 64)])
'

test_json_n_samples_match_what_was_sent() {
	lab_up || fail "lab_up"
	local n=300
	sp_start
	send_a $n --rate 20000 >/dev/null || fail "pktgen failed"
	wait_until 10 has_samples "$OUT" $n || fail "only $(nsamples "$OUT") of $n samples"
	sp_stop
	expect_eq "samples printed" "$(nsamples "$OUT")" $n
	IFINDEX=$(jget "$OUT" start "j['ifindex']")
	check_samples "$OUT" "IFINDEX=$IFINDEX
$PKTGEN_FIELDS
seqs = sorted(int.from_bytes(bytes.fromhex(o['data'])[46:50], 'big') for o in s)
want('sequence numbers: every frame once', seqs, list(range($n)))
want('n', [o['n'] for o in s], list(range(1, $n + 1)))
for k, v in (('seen', $n), ('sampled', $n), ('received', $n), ('lost', 0), ('bad', 0)):
    want('summary ' + k, summ[k], v)"
}

test_pcap_read_back_by_tcpdump_byte_identical() {
	lab_up || fail "lab_up"
	local n=200 dir sent got
	dir=$(tmpdir)
	sent="$dir/sent.pcap"
	got="$dir/got.pcap"
	# what the sender really put on the wire, captured on the sender's side
	bg "$dir/tcpdump.txt" in_a tcpdump -i "$VETH_A" -n -U -w "$sent" udp
	local td=$BG_PID
	wait_until 10 grep -q "listening on" "$dir/tcpdump.txt.err" || fail "tcpdump did not start"
	sp_start --snaplen 100 -w "$got" -q --interval 0.2
	# 300-byte frames (cut at 100) and 60-byte ones (shorter than the snaplen)
	send_a $((n / 2)) --size 300 --rate 20000 >/dev/null || fail "pktgen failed"
	send_a $((n / 2)) --size 60 --rate 20000 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['received']" $n || fail "not all $n samples received"
	wait_until 10 sh -c "[ \$(tcpdump -r '$sent' 2>/dev/null | wc -l) -ge $n ]" ||
		fail "the sender-side capture has fewer than $n frames"
	stop "$td" INT
	sp_stop
	expect_eq "summary written" "$(jget "$OUT" summary "j['written']")" $n
	expect_eq "tcpdump -r: packets" "$(tcpdump -r "$got" -n 2>/dev/null | wc -l)" $n
	expect_eq "tcpdump -r: UDP lines" \
		"$(tcpdump -r "$got" -n 2>/dev/null | grep -c '10.200.0.1.9000 > 10.200.0.2.9: UDP')" $n
	python3 - "$sent" "$got" <<'PY' || fail "pcap comparison failed"
import struct, sys, time
def read(path):
    b = open(path, "rb").read()
    magic = struct.unpack("<I", b[:4])[0]
    nano = {0xa1b2c3d4: False, 0xa1b23c4d: True}[magic]
    snap = struct.unpack("<I", b[16:20])[0]
    off, out = 24, []
    while off < len(b):
        sec, frac, cap, ln = struct.unpack("<IIII", b[off:off + 16])
        out.append((sec + frac / (1e9 if nano else 1e6), cap, ln, b[off + 16:off + 16 + cap]))
        off += 16 + cap
    return nano, snap, out
_, _, sent = read(sys.argv[1])
nano, snap, got = read(sys.argv[2])
def want(what, g, e):
    if g != e:
        print("  %s: got %r, want %r" % (what, g, e), file=sys.stderr)
        sys.exit(1)
want("nanosecond pcap", nano, True)
want("snaplen in the file header", snap, 100)
want("packets", len(got), len(sent))
now = time.time()
for i, ((ts, cap, ln, d), (sts, scap, sln, sd)) in enumerate(zip(got, sent)):
    want("len of %d" % i, ln, sln)
    want("caplen of %d" % i, cap, min(100, sln))
    want("bytes of %d" % i, d, sd[:cap])
    # wall-clock stamps: the receive time is within 1 s of the send time and not in the future
    if abs(ts - sts) > 1 or ts > now + 1:
        want("timestamp of %d" % i, ts, sts)
PY
}

test_pcap_to_stdout_pipes_into_tcpdump() {
	lab_up || fail "lab_up"
	local out
	out="$(tmpdir)/pipe.txt"
	# -w - with -c: the tool ends by itself, tcpdump reads the stream to its end
	bg "$out" in_b sh -c "'$SP' -w - -c 5 --snaplen 80 '$VETH_B' | tcpdump -r - -n -e"
	local pid=$BG_PID
	wait_until 10 grep -q "^Sampling 1 in 1 frames" "$out.err" || fail "no banner on stderr: $(cat "$out.err")"
	send_a 20 --size 120 --rate 20000 >/dev/null || fail "pktgen failed"
	wait_until 10 sh -c "! kill -0 $pid 2>/dev/null" || fail "pipeline still running"
	stop "$pid"
	expect_eq "pipeline exit" "$STOP_RC" 0
	expect_eq "packets tcpdump read" "$(grep -c 'length 120: 10.200.0.1.9000 > 10.200.0.2.9: UDP' "$out")" 5
	# every sample accounted for: those read after the 5th are discarded, not lost
	local line
	line=$(grep "^Samples: " "$out.err") || fail "summary not on stderr: $(cat "$out.err")"
	python3 - "$line" <<'PY' || fail "summary: $line"
import re, sys
m = re.match(r"Samples: ([\d,]+) sampled = 5 received \+ ([\d,]+) discarded after --count; 0 lost",
             sys.argv[1])
n = lambda s: int(s.replace(",", ""))
sys.exit(not (m and n(m.group(1)) == 5 + n(m.group(2))))
PY
	expect_eq "XDP left on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

# MTU 9000: 5000-byte frames are multi-buffer in native mode (veth, page-sized buffers). The
# program is frags-capable, so it attaches natively and samples whole frames across buffers.
test_jumbo_multi_buffer_frames_sampled_whole() {
	lab_up || fail "lab_up"
	ip -n "$NS_A" link set "$VETH_A" mtu 9000 && ip -n "$NS_B" link set "$VETH_B" mtu 9000 ||
		fail "MTU 9000"
	local n=100
	sp_start --mode native --snaplen 6000 --pages 512	# 2 MiB per CPU: no sample lost
	send_a $n --size 5000 --rate 20000 >/dev/null || fail "pktgen failed"
	wait_until 10 has_samples "$OUT" $n || fail "only $(nsamples "$OUT") of $n samples"
	sp_stop
	check_samples "$OUT" "
want('samples', len(s), $n)
for o in s:
    d = bytes.fromhex(o['data'])
    want('len, cap, data', (o['len'], o['cap'], len(d)), (5000, 5000, 5000))
    want('payload magic', d[42:46], b'XDPS')
    want('payload pattern to the last byte', d[50:], bytes(i & 0xff for i in range(50, 5000)))
want('sequence numbers', sorted(int.from_bytes(bytes.fromhex(o['data'])[46:50], 'big') for o in s),
     list(range($n)))
want('summary received, lost', (summ['received'], summ['lost']), ($n, 0))"
}

test_sample_rate_4_exact() {
	lab_up || fail "lab_up"
	local n=400
	sp_start --sample-rate 4 --interval 0.2
	send_pinned $n --rate 20000
	wait_until 10 jeq "$OUT" interval "j['seen'] == $n and j['received'] == j['sampled']" 1 ||
		fail "not all frames seen and samples read: $(grep interval "$OUT" | tail -1)"
	sp_stop
	expect_eq "samples printed" "$(nsamples "$OUT")" $((n / 4))
	check_samples "$OUT" "
seqs = [int.from_bytes(bytes.fromhex(o['data'])[46:50], 'big') for o in s]
want('frames 0, 4, 8, ... sampled', seqs, list(range(0, $n, 4)))
want('seq in the header', [o['seq'] for o in s], list(range(0, $n, 4)))
want('summary seen', summ['seen'], $n)
want('summary sampled', summ['sampled'], $n // 4)
want('per CPU: ceil(seen / 4)', sum((c['seen'] + 3) // 4 for c in summ['cpus']), summ['sampled'])"
}

test_ping_works_while_sampling() {
	lab_up || fail "lab_up"
	sp_start
	in_a ping -c 3 -i 0.2 -W 2 "$IP_B" >/dev/null || fail "ping while sampling failed"
	wait_until 5 has_samples "$OUT" 3 || fail "echo requests not sampled"
	sp_stop
	check_samples "$OUT" "
want('samples: 3 echo requests', [(o['l3'], o['proto'], o['icmp_type'], o['len']) for o in s],
     [('ipv4', 1, 8, 98)] * 3)"
}

test_count_stops_after_n() {
	lab_up || fail "lab_up"
	sp_start -c 10
	send_a 100 --rate 20000 >/dev/null || fail "pktgen failed"
	wait_until 10 sh -c "! kill -0 $SP_PID 2>/dev/null" || fail "still running after 10 samples"
	stop "$SP_PID"
	expect_eq "exit status" "$STOP_RC" 0
	expect_eq "samples printed" "$(nsamples "$OUT")" 10
	expect_eq "summary received" "$(jget "$OUT" summary "j['received']")" 10
	expect_eq "XDP left on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

# Ctrl-\ (SIGQUIT) mutes and unmutes the lines per sample; sampling and counting go on.
test_sigquit_toggles_sample_lines() {
	lab_up || fail "lab_up"
	sp_start --interval 0.1
	send_a 5 >/dev/null || fail "pktgen failed"
	wait_until 10 has_samples "$OUT" 5 || fail "first 5 not printed"
	kill -QUIT "$SP_PID"
	send_a 5 >/dev/null || fail "pktgen failed"
	wait_until 10 jeq "$OUT" interval "j['received']" 10 || fail "muted samples not received"
	kill -QUIT "$SP_PID"
	send_a 5 >/dev/null || fail "pktgen failed"
	wait_until 10 has_samples "$OUT" 10 || fail "lines not back after the second SIGQUIT"
	sp_stop
	expect_eq "lines printed" "$(nsamples "$OUT")" 10
	expect_eq "samples received" "$(jget "$OUT" summary "j['received']")" 15
}

test_vlan_ipv6_and_text_lines() {
	lab_up || fail "lab_up"
	local txt
	txt="$(tmpdir)/sp.txt"
	bg "$txt" in_b "$SP" -x "$VETH_B"
	local pid=$BG_PID
	wait_until 10 grep -q "^Sampling 1 in 1 frames" "$txt" || fail "no banner: $(cat "$txt.err")"
	send_a 2 --vlan 7 --size 100 >/dev/null || fail "pktgen vlan"
	send_a 2 --src-ip fd00::1 --dst-ip fd00::2 --size 100 >/dev/null || fail "pktgen ipv6"
	# an ARP request and a TCP SYN, built by hand
	in_a python3 - "$VETH_A" <<'PY' || fail "raw sender"
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
a, b = bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b")
arp = b"\xff" * 6 + a + b"\x08\x06" + bytes.fromhex("0001080006040001") + a + \
      bytes([10, 200, 0, 1]) + b"\0" * 6 + bytes([10, 200, 0, 2]) + b"\0" * 18
ip = bytes.fromhex("450000280001000040060000") + bytes([10, 200, 0, 1, 10, 200, 0, 2])
tcp = (1234).to_bytes(2, "big") + (80).to_bytes(2, "big") + b"\0" * 8 + b"\x50\x02" + b"\0" * 6
s.send(b + a + b"\x08\x00" + ip + tcp)
s.send(arp)
PY
	wait_until 10 sh -c "[ \$(grep -c ' cpu ' '$txt') -ge 6 ]" || fail "samples: $(cat "$txt")"
	stop "$pid" INT
	expect_eq "exit" "$STOP_RC" 0
	local l
	l=$(grep -c 'len 100 cap 64 dst 02:00:00:00:00:0b src 02:00:00:00:00:0a vlan 7 type 0x0800 IPv4 udp 10.200.0.1.9000 > 10.200.0.2.9 ttl 64' "$txt")
	expect_eq "VLAN lines" "$l" 2
	l=$(grep -c 'len 100 cap 64 .* type 0x86dd IPv6 udp fd00::1.9000 > fd00::2.9 hlim 64' "$txt")
	expect_eq "IPv6 lines" "$l" 2
	grep -q 'len 54 cap 54 .* type 0x0800 IPv4 tcp 10.200.0.1.1234 > 10.200.0.2.80 \[S\] ttl 64 len 40' "$txt" ||
		fail "TCP line: $(grep tcp "$txt")"
	grep -q 'len 60 cap 60 dst ff:ff:ff:ff:ff:ff src 02:00:00:00:00:0a type 0x0806 ARP request who-has 10.200.0.2 tell 10.200.0.1' "$txt" ||
		fail "ARP line: $(grep 0x0806 "$txt")"
	grep -q '^  0000: 0200 0000 000b 0200 0000 000a' "$txt" || fail "no hex dump"
	grep -q '^Samples: 6 sampled = 6 received + 0 discarded after --count; 0 lost' "$txt" ||
		fail "summary: $(tail -3 "$txt")"
}

# Malformed and truncated frames (random bytes, cut IPv4/IPv6/ARP/TCP headers, bogus IHL and
# extension header lengths, VLAN stacks): every one is sampled byte for byte and summarized
# without crashing (run the suite with SAN=address for the bounds of the parser).
test_malformed_frames_sampled_exactly() {
	lab_up || fail "lab_up"
	local n=1500 sent
	sent="$(tmpdir)/sent.hex"
	sp_start --snaplen 256 --pages 256 --interval 0.2
	in_a taskset -c 0 python3 - "$VETH_A" "$n" "$sent" <<'PY' || fail "raw sender"
import random, socket, struct, sys
dev, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(42)
def rb(k): return bytes(rnd.getrandbits(8) for _ in range(k))
eth = lambda t: bytes.fromhex("02000000000b02000000000a") + struct.pack("!H", t)
def ipv4():
    ihl = rnd.choice([5, 5, 0, 4, 6, 15])
    h = bytes([0x40 | ihl, 0]) + struct.pack("!HHHBBH", rnd.randrange(65536), 1, 0,
        64, rnd.choice([6, 17, 1, 47, 253]), 0) + bytes([10, 200, 0, 1, 10, 200, 0, 2])
    return eth(0x0800) + h + rb(rnd.randrange(0, 60))
def ipv6():
    p = b""
    nh = rnd.choice([0, 43, 60, 44, 6, 17, 58])
    first = nh
    for _ in range(rnd.randrange(0, 5)):
        nxt = rnd.choice([0, 43, 60, 44, 6, 17, 58])
        p += bytes([nxt, rnd.randrange(0, 4)]) + rb(6)
    h = bytes([0x60, 0, 0, 0]) + struct.pack("!HBB", rnd.randrange(65536), first, 64) + rb(32)
    return eth(0x86dd) + h + p + rb(rnd.randrange(0, 30))
def vlan():
    tags = b"".join(struct.pack("!HH", rnd.choice([0x8100, 0x88a8]), rnd.randrange(65536))
                    for _ in range(rnd.randrange(1, 4)))
    return bytes.fromhex("02000000000b02000000000a") + tags + \
        struct.pack("!H", rnd.choice([0x0800, 0x86dd, 0x0806, 0x1234])) + rb(rnd.randrange(0, 80))
def arp():
    return eth(0x0806) + struct.pack("!HHBBH", rnd.choice([1, 6]), 0x0800, 6, 4,
        rnd.randrange(4)) + rb(rnd.randrange(0, 30))
kinds = [lambda: eth(rnd.randrange(65536)) + rb(rnd.randrange(0, 300)), ipv4, ipv6, vlan, arp]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
with open(path, "w") as f:
    for i in range(n):
        fr = rnd.choice(kinds)()
        fr = fr[:rnd.randrange(14, len(fr) + 1)] if rnd.random() < 0.5 else fr
        s.send(fr)
        f.write(fr.hex() + "\n")
PY
	wait_until 20 jeq "$OUT" interval "j['seen'] == $n and j['received'] == j['sampled']" 1 ||
		fail "not all frames sampled: $(grep interval "$OUT" | tail -1)"
	sp_stop
	check_samples "$OUT" "
sent = sorted(l.strip()[:512] for l in open('$sent'))
want('sampled bytes equal the frames sent (up to 256)', sorted(o['data'] for o in s), sent)
want('lost', summ['lost'], 0)
want('every sample has a summary', all(o['summary'] for o in s), True)
want('some truncated headers recognized', any('[truncated]' in o['summary'] for o in s), True)
want('some stacked VLANs', any(len(o['vlans']) == 2 for o in s), True)"
}

# lose_samples N: start with one perf buffer page per CPU (about 40 samples) and stop the
# reader while N frames arrive; returns once it has read what the buffer held.
lose_samples() {
	sp_start --pages 1 -q --interval 0.1
	kill -STOP "$SP_PID"
	send_pinned "$1" --rate 50000
	kill -CONT "$SP_PID"
	wait_until 10 jeq "$OUT" interval "j['seen'] == $1 and j['received'] == j['sampled']" 1 ||
		fail "reader did not catch up: $(grep interval "$OUT" | tail -1)"
}

test_lost_samples_counted_exactly() {
	lab_up || fail "lab_up"
	local n=2000
	lose_samples $n
	# one more frame: the kernel reports the drops with the next record it can write
	send_pinned 1
	wait_until 10 jeq "$OUT" interval "j['lost_reported'] > 0 and j['seen'] == $n + 1" 1 ||
		fail "no lost record reported: $(grep interval "$OUT" | tail -1)"
	sp_stop
	local seen sampled received lost reported
	seen=$(jget "$OUT" summary "j['seen']")
	sampled=$(jget "$OUT" summary "j['sampled']")
	received=$(jget "$OUT" summary "j['received']")
	lost=$(jget "$OUT" summary "j['lost']")
	reported=$(jget "$OUT" summary "j['lost_reported']")
	expect_eq "seen" "$seen" $((n + 1))
	expect_eq "sampled + lost = seen" $((sampled + lost)) "$seen"
	expect_eq "every sampled record received" "$received" "$sampled"
	[ "$lost" -gt $((n / 2)) ] || fail "lost $lost, want most of $n"
	expect_eq "the perf buffer's lost records agree" "$reported" "$lost"
}

# The kernel reports a CPU's lost samples with the next sample it stores there: at the end of
# a run some may not be reported yet. The summary reconciles both counts: lost = reported + not
# yet reported.
test_lost_samples_reconciled_at_exit() {
	lab_up || fail "lab_up"
	local n=2000 lost
	lose_samples $n
	sp_stop
	lost=$(jget "$OUT" summary "j['lost']")
	[ "$lost" -gt $((n / 2)) ] || fail "lost $lost, want most of $n"
	expect_eq "lost = reported + not yet reported" \
		"$(jget "$OUT" summary "j['lost_reported'] + j['lost_unreported']")" "$lost"
	expect_eq "nothing sampled after the drops: none reported yet" \
		"$(jget "$OUT" summary "j['lost_unreported']")" "$lost"
}

# --count N: the samples read after the N-th are counted as discarded, so sampled = received +
# discarded exactly (the perf buffer is read to its end after detaching). The reader is stopped
# while 1,000 frames arrive, so all of them are sampled before it can reach the 100th.
test_count_accounts_for_every_sample() {
	lab_up || fail "lab_up"
	sp_start -c 100 -q
	kill -STOP "$SP_PID"
	send_pinned 1000 --rate 100000
	kill -CONT "$SP_PID"
	wait_until 10 sh -c "! kill -0 $SP_PID 2>/dev/null" || fail "still running after 100 samples"
	stop "$SP_PID"
	expect_eq "exit status" "$STOP_RC" 0
	expect_eq "sampled, received, discarded, bad, lost" \
		"$(jget "$OUT" summary "(j['sampled'], j['received'], j['discarded'], j['bad'], j['lost'])")" \
		"(1000, 100, 900, 0, 0)"
}

# A pcap file on a filesystem that fills up: the run ends with one line and exit 1, the file
# ends with the last whole record (tcpdump reads it without complaint), and the summary says
# how many records it holds.
test_pcap_on_a_full_filesystem() {
	lab_up || fail "lab_up"
	local mnt err n
	mnt="$(tmpdir)/small"
	mkdir -p "$mnt" && mount -t tmpfs -o size=64k tmpfs "$mnt" || fail "mount a 64 KiB tmpfs"
	trap "umount -l '$mnt'; lab_down" EXIT
	sp_start -w "$mnt/s.pcap" --snaplen 1500 -q
	send_pinned 200 --size 1400 --rate 2000
	wait_until 10 sh -c "! kill -0 $SP_PID 2>/dev/null" || fail "still running on a full disk"
	stop "$SP_PID"
	expect_eq "exit status" "$STOP_RC" 1
	err=$(grep -v "native XDP refused" "$OUT.err")
	expect_eq "one line" "$(printf '%s\n' "$err" | wc -l)" 1
	case $err in *"write $mnt/s.pcap: No space left on device"*) ;; *) fail "message: $err" ;; esac
	n=$(tcpdump -r "$mnt/s.pcap" -n 2>"$mnt/td.err" | wc -l)
	grep -qi "truncated" "$mnt/td.err" && fail "tcpdump: $(cat "$mnt/td.err")"
	[ "$n" -gt 0 ] && [ "$n" -lt 200 ] || fail "$n records in the file"
	expect_eq "summary written = records in the file" "$(jget "$OUT" summary "j['written']")" "$n"
	expect_eq "not written = received - written" \
		"$(jget "$OUT" summary "j['received'] - j['not_written']")" "$n"
	expect_eq "XDP left on $VETH_B" "$(xdp_on "$NS_B" "$VETH_B")" ""
}

# Started with stdout closed and -w FILE: the file is not the tool's fd 1, so nothing but pcap
# records lands in it.
test_closed_stdout_pcap_file_valid() {
	lab_up || fail "lab_up"
	local f rc
	f="$(tmpdir)/c.pcap"
	ip netns exec "$NS_B" "$SP" "$VETH_B" -w "$f" -c 50 >&- 2>"$f.err" &
	local pid=$!
	BG_PIDS+=("$pid")
	wait_until 10 xdp_attached "$NS_B" "$VETH_B" || fail "not attached: $(cat "$f.err")"
	send_pinned 50
	wait_until 10 sh -c "! kill -0 $pid 2>/dev/null" || fail "still running"
	wait "$pid"
	rc=$?
	expect_eq "exit status ($(cat "$f.err"))" "$rc" 0
	expect_eq "packets tcpdump reads" "$(tcpdump -r "$f" -n 2>/dev/null | grep -c 'UDP')" 50
}

# The pcap goes into a FIFO whose reader stopped reading: the signals still detach and end the
# run within 2 s, and the tool says how many records it could not write.
test_pcap_fifo_blocked_reader_and_signals() {
	lab_up || fail "lab_up"
	local sig fifo
	fifo="$(tmpdir)/fifo"
	bg "$(tmpdir)/src" in_a "$PKTGEN" --dev "$VETH_A" --count 0 --live --duration 60 \
		--dst-mac "$MAC_B" --src-ip "$IP_A" --dst-ip "$IP_B"
	for sig in INT TERM HUP; do
		expect_signal_despite_blocked_reader "xdp_sample_pkts -w FIFO" "$sig" --fifo "$fifo" -- \
			ip netns exec "$NS_B" "$SP" "$VETH_B" -w "$fifo" -q --sample-rate 100
		wait_until 5 sh -c "! ip -n $NS_B -d link show dev $VETH_B | grep -q prog/xdp" ||
			fail "XDP left after SIG$sig"
	done
}

test_interval_and_skb_mode() {
	lab_up || fail "lab_up"
	sp_start -S -q --interval 0.2 --sample-rate 1000
	expect_eq "mode" "$(jget "$OUT" start "j['mode']")" skb
	send_pinned 5000 --rate 50000
	wait_until 10 jeq "$OUT" interval "j['seen']" 5000 || fail "interval never showed 5000 seen"
	sp_stop
	expect_eq "sampled" "$(jget "$OUT" summary "j['sampled']")" 5
	expect_eq "received" "$(jget "$OUT" summary "j['received']")" 5
	expect_eq "printed (quiet)" "$(nsamples "$OUT")" 0
}

test_refuses_busy_device_and_force_replaces() {
	lab_up || fail "lab_up"
	expect_busy_refused "$NS_B" "$VETH_B" in_b "$SP" --duration 1 "$VETH_B"
	sp_start --force
	[ "$(xdp_on "$NS_B" "$VETH_B")" != "$BUSY_ID" ] || fail "--force did not replace"
	send_a 5 >/dev/null
	wait_until 10 has_samples "$OUT" 5 || fail "no samples after --force"
	sp_stop
}

test_signals_leave_no_program() {
	lab_up || fail "lab_up"
	expect_signals_end_runs "INT TERM HUP KILL" sp_start "xdp_attached $NS_B $VETH_B" \
		"xdp_detached $NS_B $VETH_B"
}

test_device_removed_while_running() {
	lab_up || fail "lab_up"
	sp_start
	expect_ends_when_deleted "$SP_PID" "$OUT" "$NS_B" "$VETH_B"
	has_line "$OUT" summary || fail "no summary"
}

test_bad_input_one_line_exit_2() {
	lab_up || fail "lab_up"
	local d
	d=$(tmpdir)
	expect_bad_input in_b "$SP"
	expect_bad_input in_b "$SP" nosuchdev0
	expect_bad_input in_b "$SP" --snaplen 0 "$VETH_B"
	expect_bad_input in_b "$SP" --snaplen 9217 "$VETH_B"
	expect_bad_input in_b "$SP" --snaplen abc "$VETH_B"
	expect_bad_input in_b "$SP" --sample-rate 0 "$VETH_B"
	expect_bad_input in_b "$SP" --sample-rate 1.5 "$VETH_B"
	expect_bad_input in_b "$SP" -c -1 "$VETH_B"
	expect_bad_input in_b "$SP" --pages 3 "$VETH_B"
	expect_bad_input in_b "$SP" --pages 1 --snaplen 9216 "$VETH_B"
	expect_bad_input in_b "$SP" --mode turbo "$VETH_B"
	expect_bad_input in_b "$SP" --mode native -S "$VETH_B"
	expect_bad_input in_b "$SP" --json -w - "$VETH_B"
	expect_bad_input in_b "$SP" -w "$d/no/such/dir/x.pcap" "$VETH_B"
	expect_bad_input in_b "$SP" -w "" "$VETH_B"
	expect_bad_input in_b "$SP" --bogus "$VETH_B"
	expect_bad_input in_b "$SP" "$VETH_B" extra
	expect_eq "device untouched" "$(xdp_on "$NS_B" "$VETH_B")" ""
	in_b "$SP" --help >/dev/null || fail "--help exit status"
}

test_valgrind_clean_start_run_exit() {
	need_valgrind "$SP"
	lab_up || fail "lab_up"
	local out
	out="$(tmpdir)/vg"
	bg "$out" in_b "${VALGRIND[@]}" "$SP" --json -w "$(tmpdir)/vg.pcap" --snaplen 128 \
		--interval 0.2 "$VETH_B"
	local pid=$BG_PID
	wait_until 30 has_line "$out" start || fail "did not start under valgrind: $(tail -3 "$out.err")"
	send_a 100 --size 200 >/dev/null
	send_a 10 --vlan 9 --src-ip fd00::1 --dst-ip fd00::2 >/dev/null
	wait_until 30 jeq "$out" interval "j['received']" 110 || fail "not all received"
	stop "$pid" INT
	expect_eq "valgrind exit status (9: errors or leaks)" "$STOP_RC" 0
	valgrind_clean xdp_sample_pkts "$out.err"
	expect_eq "samples" "$(nsamples "$out")" 110
}

run_tests "$@"
