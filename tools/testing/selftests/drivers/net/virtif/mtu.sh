#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# MTU extremes with traffic: a pair at MTU 68 (the IPv4 minimum) carries a
# 68-byte ping and refuses a 69-byte one; at MTU 65535 it carries 65535-byte
# pings and a TCP copy; with mismatched ends (9000 / 1500) a frame larger
# than the receiver's MTU is dropped and counted there, and the other way
# works; a loop interface echoes frames of MTU + 14 bytes at both extremes.
. "${0%/*}/lib.sh"

virtif_load
pair_across ma va mb vb 10.24.0
mtu() { ip -n ma link set va mtu "$1" && ip -n mb link set vb mtu "$2" || fail "mtu $1/$2"; }

mtu 68 68
check "MTU 68: 68-byte ping" ip netns exec ma ping -c 2 -i 0.2 -W 5 -M do -s 40 10.24.0.2
expect_fail "MTU 68: 69-byte ping" ip netns exec ma ping -c 1 -W 2 -M do -s 41 10.24.0.2

mtu 65535 65535
check "MTU 65535: 65535-byte ping" ip netns exec ma ping -c 2 -i 0.2 -W 5 -M do -s 65507 10.24.0.2
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
head -c 2000000 /dev/urandom >"$tmp/in"
bg ip netns exec mb socat -u TCP4-LISTEN:5003,reuseaddr OPEN:"$tmp/out",creat,trunc
srv=$BG_PID
wait_for 10 listening mb 5003 || fail "socat did not listen"
ip netns exec ma socat -u FILE:"$tmp/in" TCP4:10.24.0.2:5003 || fail "TCP at MTU 65535"
bg_wait "$srv" || fail "socat server"
expect_eq "TCP data at MTU 65535" "$(sha256sum <"$tmp/out")" "$(sha256sum <"$tmp/in")"

mtu 9000 1500
# (rx_dropped also counts IPv6 multicast to groups vb did not join, sent at
# any time: only the reason's own counter is exact.)
o0=$(counter mb vb rx_drop_oversize) d0=$(counter mb vb rx_dropped)
expect_fail "9000 -> 1500: an 8000-byte ping" ip netns exec ma ping -c 1 -W 2 -M do -s 8000 10.24.0.2
expect_eq "dropped by the receiver, counted" "$(counter mb vb rx_drop_oversize)" $((o0 + 1))
expect_ge "and in rx_dropped" "$(counter mb vb rx_dropped)" $((d0 + 1))
check "9000 -> 1500: a 1500-byte ping" ip netns exec ma ping -c 1 -W 5 -M do -s 1472 10.24.0.2
check "1500 -> 9000" ip netns exec mb ping -c 1 -W 5 -M do -s 1472 10.24.0.1

netns_add_quiet ml
ip -n ml link add vl type virtif && set_linkstr ml vl loop && ip -n ml link set vl up
own=$(ip netns exec ml cat /sys/class/net/vl/address)
for m in 68 65535; do
	ip -n ml link set vl mtu $m || fail "loop mtu $m"
	r0=$(counter ml vl rx_packets)
	ip netns exec ml "$SENDETH" vl "$own" 1 --size $((m + 14)) || fail "loop: send $((m + 14)) bytes"
	expect_eq "loop at MTU $m: a frame of $((m + 14)) bytes back" "$(counter ml vl rx_packets)" $((r0 + 1))
done
exit 0
