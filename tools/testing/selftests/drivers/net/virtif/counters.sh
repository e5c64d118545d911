#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ip -s link counters match exactly what was sent, on both ends of a pair,
# for packets and bytes.
. "$(dirname "$0")/lib.sh"

virtif_load
for ns in ca cb; do netns_add_quiet $ns; done
make_pair ca va cb vb
N=100 SIZE=300
dst=$(ip netns exec cb cat /sys/class/net/vb/address)
tp=$(counter ca va tx_packets) tb=$(counter ca va tx_bytes)
rp=$(counter cb vb rx_packets) rb=$(counter cb vb rx_bytes)
ip netns exec ca "$SENDETH" va "$dst" $N --size $SIZE || fail sendeth
expect_eq tx_packets "$(counter ca va tx_packets)" $((tp + N))
expect_eq tx_bytes "$(counter ca va tx_bytes)" $((tb + N * SIZE))
expect_eq rx_packets "$(counter cb vb rx_packets)" $((rp + N))
expect_eq rx_bytes "$(counter cb vb rx_bytes)" $((rb + N * SIZE))
ip -s -n cb link show vb | sed 's/^/# /'

exit 0
