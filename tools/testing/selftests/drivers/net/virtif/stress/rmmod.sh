#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cpus: 2 (faults race traffic from other CPUs)
# Fault campaign, rmmod (VIRTIF_ITER rounds): a pair across namespaces, a
# loop interface and a user interface with a reader attached, all carrying
# traffic from every CPU (seen flowing in their counters); rmmod removes
# them all cleanly while the frames fly. The reader sees the end (EOF).
. "${0%/*}/../lib.sh"

for ((r = 1; r <= ITER; r++)); do
	virtif_load
	for ns in ra rb ru; do netns_add_quiet $ns; done
	make_pair ra va rb vb
	ip link add vl type virtif && set_linkstr vl loop && ip link set vl up || fail "round $r: loop"
	ip -n ru link add vu type virtif && set_linkstr ru vu user && ip -n ru link set vu up || fail "round $r: user"
	bg ip netns exec ru "$TESTDIR/virtif_user.py" sink vu --idle 600
	reader=$BG_PID
	expect_carrier ru vu 1
	flood ra va ff:ff:ff:ff:ff:ff
	flood - vl ff:ff:ff:ff:ff:ff
	flood ru vu ff:ff:ff:ff:ff:ff
	expect_flowing rb vb rx_packets
	expect_flowing - vl rx_packets
	expect_flowing ru vu tx_packets
	# The reader holds /dev/virtif open (it pins the module): it must see
	# the interfaces go, and exit, for rmmod to complete.
	ip -n ru link del vu || fail "round $r: del vu"
	bg_wait "$reader" >/dev/null || fail "round $r: the reader did not see the end"
	check "round $r: rmmod under traffic" rmmod virtif
	[ -z "$(ip -o link show type virtif)" ] || fail "round $r: interfaces left after rmmod"
	ip -n ra link show va >/dev/null 2>&1 && fail "round $r: va survived rmmod"
	round_end $r
done
exit 0
