#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of cpustat: real power:cpu_idle events, one row per possible CPU, time totals
# that add up to the measured interval, a busy CPU seen as running, JSON, signals, bad input,
# and no cpufreq write unless asked. No network namespace needed (tracepoints only).
. "$(dirname "$0")/lib.sh"

CS="$BINDIR/cpustat"

possible_cpus() {
	python3 - <<'PY'
n = 0
for part in open("/sys/devices/system/cpu/possible").read().strip().split(","):
    a, _, b = part.partition("-")
    n += int(b or a) - int(a) + 1
print(n)
PY
}

# cs_run OUT ARGS...: run cpustat to completion (it must exit 0).
cs_run() {
	local out=$1
	shift
	"$CS" "$@" >"$out" 2>"$out.err" || fail "cpustat $* exited $?: $(cat "$out.err")"
}

test_json_one_row_per_cpu_and_totals_match_the_interval() {
	local out n t0 t1
	out="$(tmpdir)/cs.json"
	n=$(possible_cpus)
	t0=$(date +%s%N)
	cs_run "$out" --json -i 0.5 --duration 2.2
	t1=$(date +%s%N)
	expect_eq "start ncpus" "$(jget "$out" start "j['ncpus']")" "$n"
	local intervals
	intervals=$(grep -c '"type":"interval"' "$out")
	[ "$intervals" -ge 4 ] && [ "$intervals" -le 6 ] || fail "$intervals intervals in 2.2 s at 0.5 s"
	# every interval: one entry per CPU, and each CPU's states add up to the period (+-1 ms)
	python3 - "$out" "$n" <<'PY' || fail "interval totals do not match the periods"
import json, sys
n = int(sys.argv[2])
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["type"] not in ("interval", "summary"):
        continue
    period = j.get("period_ns", j.get("duration_ns"))
    assert len(j["cpus"]) == n, ("rows", len(j["cpus"]), n)
    assert [c["cpu"] for c in j["cpus"]] == list(range(n))
    for c in j["cpus"]:
        parts = sum(c["cstate_ns"]) + sum(c["pstate_ns"]) + c["running_nofreq_ns"] + c["idle_unknown_ns"] + c["untracked_ns"]
        assert parts == c["total_ns"], (parts, c)
        assert abs(c["total_ns"] - period) <= 1000000, (j["type"], c["cpu"], c["total_ns"], period)
PY
	local dur
	dur=$(jget "$out" summary "j['duration_ns']")
	# the summary spans the run from the first reading: at least its four whole intervals
	# (the timer starts before attach, which can take a tenth of a second under emulation)
	[ "$dur" -ge 2000000000 ] && [ "$dur" -le $((t1 - t0)) ] ||
		fail "summary duration $dur ns, wall clock $((t1 - t0)) ns"
	[ "$(jget "$out" summary "j['idle_enter']")" -gt 0 ] || fail "no power:cpu_idle event counted"
	[ "$(jget "$out" summary "j['bad_cpu']")" = 0 ] || fail "events about unknown CPUs"
}

test_table_rows_and_percentages() {
	local out n
	out="$(tmpdir)/cs.txt"
	n=$(possible_cpus)
	cs_run "$out" -i 0.4 --duration 1
	grep -q "^state(ms) .*cstate-" "$out" || fail "no state(ms) header with cstate columns"
	# the final table: CPU-0..CPU-(n-1) and a total, in ms then in per cent
	awk '/whole run/{f=1} f' "$out" >"$out.final"
	expect_eq "CPU rows in the final ms+% tables" "$(grep -c '^CPU-' "$out.final")" $((2 * n))
	for ((c = 0; c < n; c++)); do
		grep -q "^CPU-$c " "$out.final" || fail "no row CPU-$c"
	done
	# every per-cent row adds up to 100 (+-0.5 for rounding)
	awk '/^state\(%\)/{p=1; next} /^state\(ms\)/{p=0} p && /^(CPU-|total)/ {
		s = 0; for (i = 2; i <= NF; i++) s += $i
		if (s < 99.4 || s > 100.6) { print "row sums to " s ": " $0; bad = 1 } }
		END { exit bad }' "$out" || fail "per-cent rows do not add up to 100"
	grep -q "^events: power:cpu_idle [1-9]" "$out" || fail "no events line: $(tail -1 "$out")"
}

test_busy_cpu_is_running_not_idle() {
	local out busy
	out="$(tmpdir)/cs.json"
	taskset -c 0 sh -c 'while :; do :; done' &
	busy=$!
	BG_PIDS+=("$busy")
	"$CS" --json -i 0.5 --duration 1.5 >"$out" 2>"$out.err"
	kill "$busy"
	wait "$busy" 2>/dev/null
	local run
	run=$(jget "$out" summary \
		"round(100 * (j['cpus'][0]['running_nofreq_ns'] + sum(j['cpus'][0]['pstate_ns'])) / j['duration_ns'])")
	[ "$run" -ge 90 ] || fail "CPU 0 ran a busy loop but shows $run % running"
}

test_sysfs_absent_said_in_one_line() {
	local out
	out="$(tmpdir)/cs.txt"
	cs_run "$out" -i 0.3 --duration 0.3
	if [ -e /sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq ]; then
		grep -q "^P-states (cpufreq sysfs): pstate-0=" "$out" || fail "no P-state list"
	else
		expect_eq "lines about missing sysfs" "$(grep -c '^no .* in sysfs: ' "$out")" 1
	fi
	if [ -e /sys/devices/system/cpu/cpu0/cpuidle/state0/name ]; then
		grep -q "^C-states (cpuidle sysfs): cstate-0=$(cat /sys/devices/system/cpu/cpu0/cpuidle/state0/name)" \
			"$out" || fail "C-state names not from sysfs: $(head -3 "$out")"
	fi
}

test_cpufreq_untouched_and_kick_restores() {
	local f=/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq before="" out
	out="$(tmpdir)/cs.txt"
	[ -e "$f" ] && before=$(cat "$f")
	cs_run "$out" -i 0.2 --duration 0.3
	[ -z "$before" ] || expect_eq "scaling_max_freq after a default run" "$(cat "$f")" "$before"
	cs_run "$out" --kick-cpufreq -i 0.2 --duration 0.3
	if [ -z "$before" ]; then
		grep -q "no cpufreq" "$out.err" || fail "--kick-cpufreq without cpufreq: $(cat "$out.err")"
		expect_eq "stderr lines" "$(wc -l <"$out.err")" 1
	else
		expect_eq "scaling_max_freq restored" "$(cat "$f")" "$before"
		grep -q "^kicked policy0" "$out" || fail "no kick reported"
	fi
}

# cs_start: cpustat --json in the background, until its first interval line.
cs_start() {
	OUT="$(tmpdir)/cs.json"
	bg "$OUT" "$CS" --json -i 0.2
	wait_until 5 has_line "$OUT" interval || fail "no interval line: $(cat "$OUT.err")"
}
cs_loaded() { bpftool prog show name cs_cpu_idle 2>/dev/null | grep -q raw_tracepoint; }
cs_unloaded() { ! bpftool prog show name cs_cpu_idle 2>/dev/null | grep -q .; }

test_signals_end_cleanly_and_leave_nothing() {
	expect_signals_end_runs "INT TERM HUP KILL" cs_start cs_loaded cs_unloaded
}

test_help_and_bad_input() {
	"$CS" --help | grep -q -- "--kick-cpufreq" || fail "--help"
	"$CS" --help >/dev/null || fail "--help exit code"
	expect_bad_input "$CS" --interval 0
	expect_bad_input "$CS" -i abc
	expect_bad_input "$CS" --interval
	expect_bad_input "$CS" --duration -1
	expect_bad_input "$CS" --bogus
	expect_bad_input "$CS" extra-argument
	expect_bad_input "$CS" -x
}

run_tests "$@"
