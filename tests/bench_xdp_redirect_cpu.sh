# SPDX-License-Identifier: GPL-2.0
# bench_xdp_redirect_cpu: the "redirect" question for xdp_redirect_cpu, sourced by tests/bench.sh
# (on the helpers of tests/bench_xdp_redirect.sh). Live frames from NS_A arrive on veth1 and
# go through a cpumap to one target CPU, whose entry runs a second stage that passes (the skb
# is built there and goes up NS_B's stack) or drops. Round-robin and hash (the source sends
# one flow), each with pass and drop, against the bare program of tests/xdp_floor_kern.c that
# chooses the CPU the same way without counters, with a bare second stage of the same verdict
# in the same cpumap entry (qsize 2048 on both sides). The target CPU is the source's own
# (CPU 0): the source, veth1's program, the enqueue and the cpumap kthread all share that CPU,
# so the rate is the whole path's cost per frame. A target on the other CPU makes the rate
# bimodal on this 2-CPU VM (cross-CPU wakeups of the kthread: spreads of 60-250% between
# rounds, where the same-CPU rows spread 1-2%). The rate is the frames veth1's program
# redirected into the cpumap (its xdp_redirect counter). Then the per-packet cost of every
# strategy under BPF_PROG_TEST_RUN against the bare programs (progcost --suite redirect_cpu).

bench_xdp_redirect_cpu() {
	lab_bench_up || return 1
	tmpdir >/dev/null	# made in this shell, so that lab_down removes it
	local lb bare act cpu=0
	for lb in round-robin hash; do
		case $lb in
		round-robin) bare=xdp_floor_redirect_cpu_rr ;;
		hash) bare=xdp_floor_redirect_cpu_hash ;;
		esac
		for act in pass drop; do
			XDP_COUNTER=xdp_redirect rb_set_run xdp_redirect_cpu \
				"cpumap $lb, $act, to the source's CPU (veth)" "$NS_B" "$VETH_B" \
				"base|bare cpumap+$act|bare:$bare cpu:$cpu stage:xdp_floor_cpumap_$act" \
				"ours|xdp_redirect_cpu|ours:xdp_redirect_cpu --cpu $cpu --lb $lb --remote-action $act"
		done
	done
	rb_cost redirect_cpu
}
