#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# rmmod with live interfaces (a pair across namespaces, a loop) carrying
# traffic removes everything cleanly, several times in a row.
. "$(dirname "$0")/lib.sh"

for round in 1 2 3; do
	virtif_load
	pair_across ra va rb vb 10.7.0
	ip link add vl type virtif && "$NL" set vl --linkstr loop >/dev/null && ip link set vl up
	ip netns exec ra ping -c 2 -W 5 10.7.0.2 >/dev/null || fail "round $round: ping before rmmod"
	ip netns exec ra ping -f -w 30 10.7.0.2 >/dev/null 2>&1 &
	flood=$!
	sleep 2
	check "round $round: rmmod under traffic" rmmod virtif
	wait $flood
	[ -z "$(ip -o link show type virtif)" ] || fail "interfaces left after rmmod"
	ip -n ra link show va >/dev/null 2>&1 && fail "va survived rmmod"
	ip netns del ra; ip netns del rb
	NETNS=()
done
exit 0
