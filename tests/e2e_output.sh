#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Output and signals across the long-running tools: a failed write to stdout is an error
# (/dev/full), a closed reader ends the run cleanly (`| head -1`, exit 7), a reader that stops
# reading never keeps SIGINT, SIGTERM or SIGHUP from detaching and ending the run within 2 s,
# closed fds 0-2 do not become the tool's files, and a signal during load ends the run through
# the loop (no 128+N exit code). xdp_fwd -s has the same tests in e2e_xdp_fwd.sh (its lab),
# xdp_sample_pkts' pcap output in e2e_xdp_sample_pkts.sh.
. "$(dirname "$0")/lib.sh"

tools="xdp_rxq_info xdpsock xdp_sample_pkts xdp_monitor cpustat xdp_redirect xdp_redirect_cpu"
device_tools="xdp_rxq_info xdpsock xdp_sample_pkts xdp_redirect xdp_redirect_cpu"

built() { [ -x "$BINDIR/$1" ]; }

# cmd TOOL [json]: a command line for TOOL on the lab device, printing every 10 ms (JSON with
# "json").
cmd() {
	local j=
	[ "${2:-}" = json ] && j=--json
	case $1 in
	xdp_rxq_info) echo "$BINDIR/xdp_rxq_info --dev $VETH_B -i 0.01 $j" ;;
	xdpsock) echo "$BINDIR/xdpsock -i $VETH_B -c -n 0.01 $j" ;;
	xdp_sample_pkts) echo "$BINDIR/xdp_sample_pkts $VETH_B -i 0.01 $j" ;;
	xdp_monitor) echo "$BINDIR/xdp_monitor -i 0.01 $j" ;;
	cpustat) echo "$BINDIR/cpustat -i 0.01 $j" ;;
	xdp_redirect) echo "$BINDIR/xdp_redirect $VETH_B lo -i 0.01 $j" ;;
	xdp_redirect_cpu) echo "$BINDIR/xdp_redirect_cpu $VETH_B --cpu 0 -i 0.01 $j" ;;
	esac
}

test_stdout_on_dev_full_is_an_error() {
	lab_up
	local t
	for t in $tools; do
		built "$t" || continue
		# shellcheck disable=SC2046
		expect_dev_full "$t" in_b $(cmd "$t" json) --duration 0.3
		wait_until 5 xdp_detached "$NS_B" "$VETH_B" || fail "$t left XDP attached"
	done
}

test_head_1_ends_the_run_cleanly() {
	lab_up
	local t
	for t in $tools; do
		built "$t" || continue
		# shellcheck disable=SC2046
		expect_head_1 "$t" ip netns exec "$NS_B" $(cmd "$t")
		wait_until 5 xdp_detached "$NS_B" "$VETH_B" || fail "$t left XDP attached"
	done
}

test_signals_work_while_stdout_is_blocked() {
	lab_up
	local t sig
	for t in $tools; do
		built "$t" || continue
		for sig in INT TERM HUP; do
			# shellcheck disable=SC2046
			expect_signal_despite_blocked_reader "$t" "$sig" -- \
				ip netns exec "$NS_B" $(cmd "$t" json)
			wait_until 5 xdp_detached "$NS_B" "$VETH_B" || fail "$t left XDP attached after SIG$sig"
		done
	done
}

# With fds 0-2 closed the tools still run: what they open never becomes their stdout.
test_closed_standard_fds() {
	lab_up
	local t rc
	for t in $tools; do
		built "$t" || continue
		# shellcheck disable=SC2046
		in_b $(cmd "$t" json) --duration 0.3 <&- >&- 2>&-
		rc=$?
		expect_eq "$t with fds 0-2 closed: exit code" "$rc" 0
		wait_until 5 xdp_detached "$NS_B" "$VETH_B" || fail "$t left XDP attached"
	done
}

# signals_blocked PID: PID blocks SIGINT, SIGTERM and SIGHUP (bits 2, 15, 1 of SigBlk), as every
# tool does first thing in main(), before it loads anything.
signals_blocked() {
	local m
	m=$(awk '/^SigBlk:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$m" ] && (( (0x$m & 0x4003) == 0x4003 ))
}

# A stop signal that comes while the program is still loading (it blocks the stop signals first
# thing; the signal comes then, or a moment later) waits for the loop: the run ends cleanly
# (exit 0, a summary), never with 128+N, nothing left attached.
test_signal_during_load_ends_cleanly() {
	lab_up
	local t sig delay out
	for t in $tools; do
		built "$t" || continue
		for delay in 0 0.1; do
			for sig in INT TERM HUP; do
				out="$(tmpdir)/$t.$sig.$delay"
				# shellcheck disable=SC2046
				bg "$out" in_b $(cmd "$t" json)
				wait_until 10 signals_blocked "$BG_PID" ||
					fail "$t never blocked the stop signals"
				sleep "$delay"
				stop "$BG_PID" "$sig"
				[ "$STOP_RC" -lt 128 ] ||
					fail "$t: SIG$sig after ${delay}s killed it ($STOP_RC)"
				expect_eq "$t: exit after SIG$sig at ${delay}s ($(cat "$out.err"))" "$STOP_RC" 0
				has_line "$out" summary || fail "$t: no summary after SIG$sig at ${delay}s"
				wait_until 5 xdp_detached "$NS_B" "$VETH_B" || fail "$t left XDP attached"
			done
		done
	done
}

run_tests "$@"
