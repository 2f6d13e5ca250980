# SPDX-License-Identifier: GPL-2.0
# bench_xdp_redirect_cpu: the "redirect" question for xdp_redirect_cpu, sourced by tests/bench.sh
# (on the helpers of tests/bench_xdp_redirect.sh). Live frames from NS_A arrive on veth1 and
# are spread over two target CPUs through a cpumap, whose entries run a second stage that
# passes (the skb is built on the target CPU and goes up NS_B's stack) or drops. Round-robin
# and hash (the source sends one flow, so hash keeps it on one CPU), each with pass and drop,
# against the bare program of tests/xdp_floor_kern.c that chooses the CPU the same way without
# counters, with a bare second stage of the same verdict in the same cpumap entries (qsize
# 2048 on both sides). The rate is the frames veth1's program redirected into the cpumap (its
# xdp_redirect counter): the receive side, which shares the two CPUs with the source and the
# target CPUs' kthreads. Then the per-packet cost of every strategy under BPF_PROG_TEST_RUN
# against the bare programs (progcost --suite redirect_cpu).

bench_xdp_redirect_cpu() {
	lab_bench_up || return 1
	tmpdir >/dev/null	# made in this shell, so that lab_down removes it
	local n cpus=() lb bare act
	n=$(getconf _NPROCESSORS_ONLN)
	cpus=(0)
	[ "$n" -ge 2 ] && cpus=(0 1)
	for lb in round-robin hash; do
		case $lb in
		round-robin) bare=xdp_floor_redirect_cpu_rr ;;
		hash) bare=xdp_floor_redirect_cpu_hash ;;
		esac
		for act in pass drop; do
			XDP_COUNTER=xdp_redirect rb_set_run xdp_redirect_cpu \
				"cpumap $lb, $act, ${#cpus[@]} CPUs (veth)" "$NS_B" "$VETH_B" \
				"base|bare cpumap+$act|bare:$bare ${cpus[*]/#/cpu:} stage:xdp_floor_cpumap_$act" \
				"ours|xdp_redirect_cpu|ours:xdp_redirect_cpu --cpu $(IFS=,; echo "${cpus[*]}") --lb $lb --remote-action $act"
		done
	done
	rb_cost redirect_cpu
}
