# SPDX-License-Identifier: GPL-2.0
# tests/bench_xdp_redirect.sh: the "redirect" question, sourced by tests/bench.sh. What the
# redirect programs (xdp_redirect's modes, xdp_redirect_cpu's strategies) cost per packet next
# to bare programs doing the same redirect and frame work without counters or options:
# BPF_PROG_TEST_RUN on one cache-hot frame, thread CPU time, all cases alternating (progcost).
# Under BPF_PROG_TEST_RUN a redirect is the helper's work only: the frame goes nowhere.

bench_xdp_redirect() {
	local suite row tsv
	tsv=$(mktemp /tmp/.xdp-redirect-bench.XXXXXX)
	for suite in redirect redirect_cpu; do
		"$O/tests/progcost" --floor "$O/tests/xdp_floor_kern.o" --suite "$suite" \
			--reps "$((BENCH_REPS * 4 + 1))" | python3 -c '
import json, sys
cases = [json.loads(l) for l in sys.stdin]
bare_rows = set()
for c in cases:
    if "bare" not in c:
        continue
    s = c["case"] + " (TEST_RUN)"
    note = "BPF_PROG_TEST_RUN, thread CPU time, median of %d" % c["reps"]
    if c["bare"] in bare_rows:	# a bare program shared by several cases: one row
        print("\t".join(["compare", "redirect", s, "base", "bare", "%.3f" % c["bare_ns_per_pkt"], "ns/pkt"]))
    else:
        print("\t".join(["redirect", c["bare"], "%.3f" % c["bare_ns_per_pkt"], "ns/pkt", note,
                         "redirect", s, "base", "bare"]))
    bare_rows.add(c["bare"])
    print("\t".join(["redirect", c["case"], "%.3f" % c["ns_per_pkt"], "ns/pkt",
                     note + "; x%.3f of the bare program" % c["ratio_to_bare"],
                     "redirect", s, "ours", c["case"].split()[0]]))' >>"$tsv"
	done
	while IFS=$'\t' read -r -a row; do
		if [ "${row[0]}" = compare ]; then
			compare_row "${row[@]:1}"
		else
			result "${row[@]}"
		fi
	done <"$tsv"
	rm -f "$tsv"
}
