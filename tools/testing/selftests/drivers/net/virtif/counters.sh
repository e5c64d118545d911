#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cpus: 2 (per-CPU counters under senders on every CPU)
# ip -s link counters match exactly what was sent, on both ends of a pair,
# for packets and bytes: from one sender, then from senders on every CPU at
# once (per-CPU counters must add up exactly).
. "${0%/*}/lib.sh"

virtif_load
for ns in ca cb; do netns_add_quiet $ns; done
make_pair ca va cb vb
N=100 SIZE=300
dst=$(ip netns exec cb cat /sys/class/net/vb/address)
snap() { tp=$(counter ca va tx_packets) tb=$(counter ca va tx_bytes)
	rp=$(counter cb vb rx_packets) rb=$(counter cb vb rx_bytes); }
expect_sums() { # expect_sums WHAT FRAMES
	expect_eq "$1: tx_packets" "$(counter ca va tx_packets)" $((tp + $2))
	expect_eq "$1: tx_bytes" "$(counter ca va tx_bytes)" $((tb + $2 * SIZE))
	expect_eq "$1: rx_packets" "$(counter cb vb rx_packets)" $((rp + $2))
	expect_eq "$1: rx_bytes" "$(counter cb vb rx_bytes)" $((rb + $2 * SIZE))
}
snap
ip netns exec ca "$SENDETH" va "$dst" $N --size $SIZE || fail sendeth
expect_sums "one sender" $N

# One sender pinned to each CPU, all at once.
cpus=$(nproc)
M=2000
snap
pids=()
for ((c = 0; c < cpus; c++)); do
	bg ip netns exec ca taskset -c $c "$SENDETH" va "$dst" $M --size $SIZE
	pids+=("$BG_PID")
done
for p in "${pids[@]}"; do bg_wait "$p" || fail "sender $p"; done
expect_sums "$cpus senders at once" $((cpus * M))
ip -s -n cb link show vb | sed 's/^/# /'
exit 0
