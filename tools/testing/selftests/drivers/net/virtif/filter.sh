#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The RX MAC filter: foreign unicast dropped unless promiscuous; multicast
# to an unjoined group dropped unless joined, ALLMULTI or PROMISC; macvlan
# on top receives without putting the lower device in promiscuous mode.
# Every drop is counted by reason; rx multicast counts accepted multicast
# and broadcast frames.
. "${0%/*}/lib.sh"

virtif_load
for ns in fa fb; do netns_add_quiet $ns; done
make_pair fa va fb vb
N=7
FOREIGN=02:00:00:aa:bb:cc
GROUP=01:00:5e:7f:00:01
GROUP2=01:00:5e:7f:00:02

send() { ip netns exec fa "$SENDETH" va "$1" $N || fail "send to $1"; }
rx() { counter fb vb rx_packets; }
drops() { counter fb vb "rx_drop_$1"; }

# Foreign unicast.
r0=$(rx) d0=$(drops foreign_unicast)
send $FOREIGN
expect_eq "foreign unicast accepted" "$(rx)" "$r0"
expect_eq "foreign unicast drops" "$(drops foreign_unicast)" $((d0 + N))
ip -n fb link set vb promisc on
send $FOREIGN
expect_eq "foreign unicast under promisc" "$(rx)" $((r0 + N))
ip -n fb link set vb promisc off
send $FOREIGN
expect_eq "foreign unicast after promisc off" "$(rx)" $((r0 + N))

# Own address and broadcast.
r0=$(rx) mc0=$(counter fb vb multicast)
send "$(ip netns exec fb cat /sys/class/net/vb/address)"
send ff:ff:ff:ff:ff:ff
expect_eq "own + broadcast" "$(rx)" $((r0 + 2 * N))
expect_eq "rx multicast counts broadcast" "$(counter fb vb multicast)" $((mc0 + N))

# Multicast: unjoined, joined, allmulti, promisc.
r0=$(rx) d0=$(drops unjoined_multicast)
send $GROUP
expect_eq "unjoined multicast accepted" "$(rx)" "$r0"
expect_eq "unjoined multicast drops" "$(drops unjoined_multicast)" $((d0 + N))
ip -n fb maddr add $GROUP dev vb || fail "ip maddr add"
send $GROUP
expect_eq "joined multicast" "$(rx)" $((r0 + N))
send $GROUP2
expect_eq "other group while one is joined" "$(rx)" $((r0 + N))
ip -n fb link set vb allmulticast on
send $GROUP2
expect_eq "multicast under allmulti" "$(rx)" $((r0 + 2 * N))
ip -n fb link set vb allmulticast off
ip -n fb maddr del $GROUP dev vb
send $GROUP
expect_eq "left group" "$(rx)" $((r0 + 2 * N))
ip -n fb link set vb promisc on
send $GROUP2
expect_eq "multicast under promisc" "$(rx)" $((r0 + 3 * N))
expect_eq "rx multicast counts accepted multicast" "$(counter fb vb multicast)" $((mc0 + 4 * N))
ip -n fb link set vb promisc off

# macvlan: its address becomes a secondary unicast address of vb.
ip -n fb link add mv0 link vb address 02:00:00:00:0e:01 type macvlan mode bridge || fail "macvlan"
ip -n fb link set mv0 up
expect_eq "vb promiscuity with macvlan" \
	"$(ip -n fb -d link show vb | grep -o 'promiscuity [0-9]*')" "promiscuity 0"
m0=$(counter fb mv0 rx_packets)
send 02:00:00:00:0e:01
expect_eq "macvlan rx" "$(counter fb mv0 rx_packets)" $((m0 + N))
exit 0
