#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tests/demo.sh: `make demo`. Builds the veth lab (two namespaces, a 2-queue veth pair), drives
# traffic into it and shows xdp_rxq_info's live tables for a few seconds per action, then
# removes the lab. Needs root; no NIC.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "demo: needs root (namespaces, XDP); try: sudo make demo" >&2; exit 6; }
trap lab_down EXIT
trap 'exit 130' INT TERM
lab_up 2 || { echo "demo: could not build the veth lab" >&2; exit 1; }
in_b ethtool -K "$VETH_B" gro on >/dev/null

show() {
	local secs=$1
	shift
	echo
	echo "=== ./xdp_rxq_info --dev $VETH_B $*   (in namespace $NS_B, ${secs} s; source: live frames from $NS_A)"
	bg "$(tmpdir)/src.json" send_a 0 --live --duration $((secs + 1)) --flows 64
	local src=$BG_PID
	in_b "$BINDIR/xdp_rxq_info" --dev "$VETH_B" --interval 1 --duration "$secs" "$@"
	stop "$src" TERM
}

echo "Lab: $NS_A/$VETH_A ($IP_A) <-> $NS_B/$VETH_B ($IP_B), veth, 2 queues"
show 3 --action XDP_DROP
show 3 --action XDP_DROP --read
lab_pass_on_a
show 3 --action XDP_TX
echo
echo "Demo done; the lab is removed. On a real NIC: sudo ./xdp_rxq_info --dev eth0 --action XDP_DROP"
