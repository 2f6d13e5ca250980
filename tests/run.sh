#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/run.sh: the `make check` entry. Runs the three layers and ends with one line
# "N passed, N failed, N skipped":
#   unit   build/tests/unit_common   helper functions, no privileges
#   prog   build/tests/prog_run      BPF_PROG_TEST_RUN of every *_kern.c (private netns)
#   e2e_*  tests/e2e_<tool>.sh       real traffic on veth labs in network namespaces
#   vm_K   tests/vm.sh --smoke K     the smoke suite inside Debian's kernel K (6.1, 6.12) under
#                                    qemu; skipped, with the reason, where the VM cannot run
#   smoke  tests/smoke.sh            (not in the default list) the smoke suite on this kernel
# Arguments select suites (unit, prog, e2e_xdp_rxq_info, ...); TESTS='...' does the same via make.
# Per-suite logs (with assertion details) go to $O/tests/logs/.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export O=${O:-$here/../build}
export BINDIR=${BINDIR:-$here/..}
logs="${LOGS:-$O/tests/logs}"
mkdir -p "$logs"

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
	suites=(unit prog)
	for f in "$here"/e2e_*.sh; do
		[ -e "$f" ] && suites+=("$(basename "$f" .sh)")
	done
	# not inside the kernel lab's guest itself (tests/vm.sh)
	[ -n "${VMLAB_GUEST:-}" ] || suites+=(vm_6.1 vm_6.12)
fi

pass=0 failn=0 skipn=0
skips=() fails=()
start=$(date +%s)
# Without root the prog and e2e layers can only skip: say so loudly, and do not call that green
# unless asked to (ALLOW_UNPRIVILEGED=1, e.g. for the unit layer alone).
unpriv=0
if [ "$(id -u)" != 0 ]; then
	unpriv=1
	echo "run.sh: NOT ROOT: the prog and e2e layers need root (CAP_BPF, CAP_NET_ADMIN, namespaces) and will skip; this run tests almost nothing${ALLOW_UNPRIVILEGED:+ (allowed by ALLOW_UNPRIVILEGED)}" >&2
fi
suite_cmd() {
	case $1 in
	unit) cmd=("$O/tests/unit_common") ;;
	prog) cmd=("$O/tests/prog_run") ;;
	e2e_*) cmd=(bash "$here/$1.sh") ;;
	smoke) cmd=(bash "$here/smoke.sh") ;;
	vm_*) cmd=(bash "$here/vm.sh" --smoke "${1#vm_}") ;;
	*) echo "run.sh: unknown suite '$1'" >&2; exit 2 ;;
	esac
}
for s in "${suites[@]}"; do
	suite_cmd "$s"
done

# The vm_* suites each keep one CPU busy (qemu's TCG on one thread) for minutes: when the first
# comes up, all of them start at once (after the host's suites, which they would slow down),
# and each is reported in its turn when it ends. VM_SERIAL=1 runs them one after the other.
declare -A vm_pid=()
vm_start() {
	local v
	for v in "${suites[@]}"; do
		case $v in vm_*) ;; *) continue ;; esac
		[ -z "${vm_pid[$v]:-}" ] || continue
		suite_cmd "$v"
		"${cmd[@]}" >"$logs/$v.log" 2>&1 &
		vm_pid[$v]=$!
	done
}
t_vm=
for s in "${suites[@]}"; do
	suite_cmd "$s"
	t0=$(date +%s)
	if [[ $s == vm_* ]] && [ -z "${VM_SERIAL:-}" ]; then
		[ -n "$t_vm" ] || { t_vm=$t0; vm_start; }
		t0=$t_vm
		wait "${vm_pid[$s]}"
	else
		"${cmd[@]}" >"$logs/$s.log" 2>&1
	fi
	rc=$?
	seen=$(grep -cE '^(PASS|FAIL|SKIP) ' "$logs/$s.log" 2>/dev/null)
	seen=${seen:-0}
	# a suite that crashed, or ran nothing, is a failure of its own (its later tests never ran)
	if [ "$rc" -gt 1 ] || [ "$seen" -eq 0 ]; then
		echo "FAIL $s: the suite itself ended with status $rc after $seen test(s)" >>"$logs/$s.log"
	fi
	while IFS= read -r line; do
		case $line in
		"PASS "*) pass=$((pass + 1)); echo "$line" ;;
		"FAIL "*) failn=$((failn + 1)); fails+=("${line#FAIL }"); echo "$line" ;;
		"SKIP "*) skipn=$((skipn + 1)); skips+=("${line#SKIP }"); echo "$line" ;;
		"  "*) echo "$line" ;;	# assertion details
		esac
	done <"$logs/$s.log"
	echo "# $s: $(( $(date +%s) - t0 )) s, log $logs/$s.log"
done

echo
if [ ${#skips[@]} -gt 0 ]; then
	echo "Skipped:"
	printf '  %s\n' "${skips[@]}"
fi
if [ ${#fails[@]} -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${fails[@]}"
fi
echo "# total time $(( $(date +%s) - start )) s"
echo "$pass passed, $failn failed, $skipn skipped"
if [ "$unpriv" = 1 ] && [ -z "${ALLOW_UNPRIVILEGED:-}" ]; then
	echo "run.sh: not root, so not a passing run (ALLOW_UNPRIVILEGED=1 accepts it)" >&2
	exit 1
fi
[ "$failn" -eq 0 ] && [ "$pass" -gt 0 ]
