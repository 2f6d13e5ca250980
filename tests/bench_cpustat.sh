# SPDX-License-Identifier: GPL-2.0
# tests/bench_cpustat.sh: sourced by tests/bench.sh after tests/lib.sh. The cost of cpustat's
# programs per event (kernel.bpf_stats_enabled: run_time_ns / run_cnt, restored afterwards) and
# the power:cpu_idle event rate they saw. The machine's own idle activity drives the events.

# cs_prog_stats NAME: "run_time_ns run_cnt" of the loaded program NAME.
cs_prog_stats() {
	bpftool prog show name "$1" --json 2>/dev/null | python3 -c '
import json, sys
try:
    j = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
j = j[0] if isinstance(j, list) else j
print(j.get("run_time_ns", 0), j.get("run_cnt", 0))'
}

bench_cpustat() {
	local secs=${BENCH_SECS:-3} reps=${BENCH_REPS:-3} old i out pid ns=() rate=() s
	old=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null) || {
		echo "bench_cpustat: no kernel.bpf_stats_enabled" >&2
		return 0
	}
	sysctl -qw kernel.bpf_stats_enabled=1
	tmpdir_make	# in this shell, so lab_down (bench.sh's EXIT trap) removes it
	out=$TMP_DIR/bench_cpustat.json
	for ((i = 0; i < reps; i++)); do
		bg "$out" "$BINDIR/cpustat" --json -i "$secs"
		pid=$BG_PID
		if wait_until 10 has_line "$out" start; then
			sleep "$secs"
			s=$(cs_prog_stats cs_cpu_idle)
		fi
		stop "$pid" INT
		[ -n "$s" ] || continue
		set -- $s
		[ "$2" -gt 0 ] || continue
		ns+=("$(($1 / $2))")
		rate+=("$(($2 / secs))")
	done
	sysctl -qw kernel.bpf_stats_enabled="$old"
	[ ${#ns[@]} -gt 0 ] || return 0
	result cpustat "cpu_idle program" "$(median "${ns[@]}")" ns/event \
		"median of $reps x $secs s, bpf_stats run_time_ns/run_cnt"
	result cpustat "cpu_idle events" "$(median "${rate[@]}")" events/s \
		"median of $reps x $secs s, all CPUs, this machine's idle activity"
}
