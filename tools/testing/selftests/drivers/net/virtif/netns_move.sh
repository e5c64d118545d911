#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Interfaces work in any namespace: create in several, move one away and
# back, and it still carries traffic (loop) with its configuration intact.
. "${0%/*}/lib.sh"

virtif_load
for ns in n1 n2 n3; do
	netns_add_quiet $ns  # no IPv6: the loop counts every frame vm sends
	ip -n $ns link add v0 type virtif || fail "create in $ns"
done
expect_eq "one v0 per namespace" "$(for ns in n1 n2 n3; do ip -n $ns -o link show v0; done | wc -l)" 3
ip link add vm address 02:00:00:00:77:01 type virtif || fail "add vm"
"$NL" set vm --linkstr loop >/dev/null || fail "loop"
for hop in n1 n2; do
	ip link set vm netns $hop || fail "move to $hop"
	ip -n $hop link set vm up
	expect_eq "carrier in $hop" "$(ip netns exec $hop cat /sys/class/net/vm/carrier)" 1
	r0=$(counter $hop vm rx_packets)
	ip netns exec $hop "$SENDETH" vm 02:00:00:00:77:01 3 || fail "send in $hop"
	expect_eq "loop rx in $hop" "$(counter $hop vm rx_packets)" $((r0 + 3))
	ip -n $hop link set vm down
	ip -n $hop link set vm netns 1 || fail "move back from $hop"
done
expect_eq "address kept" "$(cat /sys/class/net/vm/address)" 02:00:00:00:77:01
expect_eq "linkstr kept" "$("$NL" get vm)" loop
ip link del vm
for ns in n1 n2 n3; do ip -n $ns link del v0 || fail "del in $ns"; done
exit 0
