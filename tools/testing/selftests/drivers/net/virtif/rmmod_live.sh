#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cpus: 2 (faults race traffic from other CPUs)
# rmmod with live interfaces (a pair across namespaces, a loop) carrying
# traffic (seen flowing in their counters) removes everything cleanly,
# several times in a row.
. "${0%/*}/lib.sh"

for round in 1 2 3; do
	virtif_load
	pair_across ra va rb vb 10.7.0
	ip link add vl type virtif || fail "add vl"
	set_linkstr vl loop
	ip link set vl up
	ip netns exec ra ping -c 2 -W 5 10.7.0.2 >/dev/null || fail "round $round: ping before rmmod"
	bg ip netns exec ra ping -f -w 30 10.7.0.2 >/dev/null 2>&1
	flood=$BG_PID
	bg "$SENDETH" vl ff:ff:ff:ff:ff:ff 1000000 --report >/dev/null 2>&1
	lflood=$BG_PID
	# Under traffic: the counters show it flowing on both links.
	expect_flowing rb vb rx_packets
	expect_flowing - vl rx_packets
	check "round $round: rmmod under traffic" rmmod virtif
	bg_stop $flood INT
	bg_stop $lflood KILL
	[ -z "$(ip -o link show type virtif)" ] || fail "interfaces left after rmmod"
	ip -n ra link show va >/dev/null 2>&1 && fail "va survived rmmod"
	netns_del ra; netns_del rb
	NETNS=()
done
exit 0
