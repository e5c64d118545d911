#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: the queues of a user interface stop in front of a full
# ring and wake when the reader drains it, every queue that is in use.
#  1. One file (no VIRTIF_F_MULTI_QUEUE) on an interface made with
#     numtxqueues 4: the interface uses one queue, which stops when the
#     ring is full. (All four used to stay in use with only queue 0
#     stopped: the others kept handing packets to a full ring, which handed
#     them back, and NET_TX spun, requeueing them for as long as the reader
#     stalled.)
#  2. Four files with VIRTIF_F_MULTI_QUEUE, four queues in use, every ring
#     full: each queue must stop in front of its own ring (a stop or wake
#     aimed at another queue, e.g. queue 0, leaves a queue spinning the
#     same way), then every accepted frame is read (user_multiqueue.py).
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet um
ip -n um link add u0 numtxqueues 4 txqueuelen 16 type virtif || fail "add u0"
set_linkstr um u0 user
ip -n um link set u0 up || fail "up"
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
bg ip netns exec um "$TESTDIR/virtif_user.py" sink u0 --wait-file "$tmp/go" --idle 3 >"$tmp/got"
sink=$BG_PID
expect_carrier um u0 1
# Frames with many source addresses (the interface uses one queue
# whatever the hash: one file carries it).
sent=0
for i in $(seq 10 41); do
	out=$(ip netns exec um "$SENDETH" u0 ff:ff:ff:ff:ff:ff 8 --report --src 02:00:00:00:00:$i) ||
		fail "sendeth from 02:00:00:00:00:$i: $out"
	read -r s _ <<<"$out"
	sent=$((sent + s))
done
# 256 frames against a 16-frame ring and its qdiscs: the queues must have
# filled and stopped.
expect_ge "frames accepted" "$sent" 17
# The reader stalls: nothing may move. Requeues (a queue handing packets
# back to the qdisc) would go on by the thousand per second if a queue were
# left running in front of the full ring. (tc's counters; the sum over the
# root qdisc and its per-queue children.)
requeues() {
	local n
	n=$(tc -n um -s -j qdisc show dev u0 | python3 -S -c 'import json, sys
print(sum(q["requeues"] for q in json.load(sys.stdin)))') && [[ $n =~ ^[0-9]+$ ]] ||
		fail "requeue counters of u0: '$n'"
	echo "$n"
}
r0=$(requeues) || exit
s0=$(awk '/^cpu / {print $8}' /proc/stat)
sleep 3 # the measurement window
r1=$(requeues) || exit
s1=$(awk '/^cpu / {print $8}' /proc/stat)
info "stalled reader: requeues $r0 -> $r1, softirq time $((s1 - s0)) ticks in 3 s; accepted $sent"
[ $((r1 - r0)) -le 10 ] || fail "NET_TX kept requeueing in front of a full ring: $((r1 - r0)) requeues in 3 s"
touch "$tmp/go"
bg_wait "$sink" || fail "the reader"
expect_eq "frames read = frames accepted" "$(cat "$tmp/got")" "$sent"

# 2. Four files, four queues.
ip -n um link del u0 || fail "del u0"
user_iface um 10.61.0 numtxqueues 4 txqueuelen 8
ip netns exec um "$TESTDIR/user_multiqueue.py" || fail "user_multiqueue.py"
exit 0
