#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Deleting either end of a pair leaves the other without carrier and with
# no reference to it (so nothing waits for a device to become free); the
# survivor can be paired again and carries traffic with its new peer;
# deleting namespaces with ends inside works, repeatedly.
. "${0%/*}/lib.sh"

virtif_load
pair_across la va lb vb 10.8.0
check "ping before" ip netns exec la ping -c 1 -W 5 10.8.0.2
expect_eq "carrier vb" "$(carrier lb vb)" 1
ip -n la link del va || fail "del va"
expect_eq "carrier vb after peer deleted" "$(carrier lb vb)" 0
expect_eq "vb linkstr after peer deleted" "$(linkstr vb lb)" ""

# Pair the survivor again, from inside its namespace, with a new interface
# that then moves to a third namespace: traffic flows over the new pair.
ip -n lb link add vc type virtif || fail "add vc"
ip -n lb link set vb down
set_linkstr lb vb pair:vc
expect_eq "vb re-paired" "$(linkstr vb lb)" pair:vc
expect_eq "vc joined" "$(linkstr vc lb)" pair:vb
netns_add lc
ip -n lb link set vc netns lc || fail "move vc"
ip -n lc addr add 10.8.0.3/24 dev vc || fail "address on vc"
ip -n lb link set vb up && ip -n lc link set vc up || fail "up"
expect_carrier lb vb 1
expect_carrier lc vc 1
rx0=$(counter lc vc rx_packets)
check "ping over the new pair" ip netns exec lb ping -c 3 -i 0.2 -W 5 10.8.0.3
expect_ge "vc rx_packets" "$(counter lc vc rx_packets)" $((rx0 + 3))
expect_eq "linkstr follows into the namespace" "$(linkstr vc lc)" pair:vb

# Deleting the namespace removes the end inside it; repeat to catch leaks.
for i in 1 2 3; do
	pair_across lx$i x$i ly$i y$i 10.8.$i
	check "round $i: ping" ip netns exec lx$i ping -c 1 -W 5 10.8.$i.2
	netns_del lx$i
	wait_for 10 carrier_is ly$i y$i 0 || fail "carrier of y$i after its peer's namespace died: $(carrier ly$i y$i)"
	expect_eq "y$i linkstr after its peer's namespace died" "$(linkstr y$i ly$i)" ""
	netns_del ly$i
done
# The devices are freed: no "waiting for ... to become free" (the runner
# checks the kernel log) and rmmod works.
netns_del lb
netns_del lc
NETNS=(la)
check "rmmod after all that" rmmod virtif
exit 0
