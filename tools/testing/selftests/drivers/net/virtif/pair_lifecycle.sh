#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Deleting either end of a pair leaves the other without carrier and with
# no reference to it (so nothing waits for a device to become free); the
# survivor can be paired again; deleting namespaces with ends inside works.
. "$(dirname "$0")/lib.sh"

virtif_load
pair_across la va lb vb
expect_eq "carrier vb" "$(ip netns exec lb cat /sys/class/net/vb/carrier)" 1
ip -n la link del va || fail "del va"
expect_eq "carrier vb after peer deleted" "$(ip netns exec lb cat /sys/class/net/vb/carrier)" 0
expect_eq "vb linkstr after peer deleted" "$(ip netns exec lb "$NL" get vb)" ""

# Pair the survivor again, from inside its namespace.
ip -n lb link add vc type virtif || fail "add vc"
ip -n lb link set vb down
ip netns exec lb "$NL" set vb --linkstr pair:vc >/dev/null || fail "re-pair"
ip -n lb link set vb up && ip -n lb link set vc up
ip -n lb addr add 10.8.0.1/24 dev vb && ip -n lb addr add 10.8.0.2/24 dev vc
# Both ends in one namespace: use ping with a bound source device.
expect_eq "carrier vc" "$(ip netns exec lb cat /sys/class/net/vc/carrier)" 1

# Deleting the namespace removes both ends; repeat to catch leaks.
for i in 1 2 3; do
	pair_across lx$i x$i ly$i y$i
	ip netns exec lx$i ping -c 1 -W 5 -I x$i ff02::1%x$i >/dev/null 2>&1
	ip netns del lx$i
	expect_eq "carrier y$i after its peer's namespace died" \
		"$(ip netns exec ly$i cat /sys/class/net/y$i/carrier)" 0
	ip netns del ly$i
done
# The devices are freed: no "waiting for ... to become free" (the runner
# checks the kernel log) and rmmod works.
ip netns del lb
NETNS=(la)
check "rmmod after all that" rmmod virtif
exit 0
