#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/smoke.sh: the quick layer that `make check` runs inside Debian's 6.1 and 6.12 kernels
# (tests/vm.sh --smoke; here it runs on whatever kernel it is started on). Every BPF program
# against the kernel's verifier and BPF_PROG_TEST_RUN (the prog suite), then for every tool the
# end-to-end tests that show it starts, loads, attaches and counts N exactly, and those of the
# features that differ between kernels (multi-buffer frames, map redirect tracepoints). They
# are the e2e suites' own tests, picked by name: nothing here is a second copy of a test.
here=$(cd "$(dirname "$0")" && pwd)
: "${O:=$here/../build}"

SMOKE=(
	"e2e_xdp_rxq_info drop_native_counts_exactly jumbo_multi_buffer"
	"e2e_xdp_monitor map_redirects_counted_once exceptions_counted_exactly"
	"e2e_xdp_fwd ipv4_forwarded_exactly_once jumbo_frames_forwarded_whole tx_failures_reported_per_egress_device"
	"e2e_xdpsock rxdrop_native_counts_exactly frags_multi_buffer_rxdrop"
	"e2e_xdp_sample_pkts json_n_samples_match"
	"e2e_cpustat json_one_row_per_cpu"
	"e2e_xdp_redirect redirect_counts_exactly multi_three_ports_counts_exactly port_without_peer_program_named_and_dropped monitor_beside_counts_the_same"
	"e2e_xdp_redirect_cpu strategies_spread_exactly pass_builds_skbs_on_the_target_cpu stress_keeps default_run_counts_without_queue_tracepoints"
)

# Under SMOKE_LAYER the prog layer fuzzes 10,000 frames per program (100,000 on the host's run)
# and tests that loop over many cases run a few of them (each case is a lab and a tool start,
# 15 s under TCG); the host's run has them all.
export SMOKE_LAYER=1
"$O/tests/prog_run"
for s in "${SMOKE[@]}"; do
	# shellcheck disable=SC2086 # the suite, then the test names
	set -- $s
	bash "$here/$1.sh" "${@:2}"
done
