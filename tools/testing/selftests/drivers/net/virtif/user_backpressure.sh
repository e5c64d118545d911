#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A slow reader loses no frame the driver accepted: when the ring of a user
# interface (tx_queue_len frames) is full the transmit queue stops, the
# qdisc holds the next frames and refuses the rest to the sender (ENOBUFS);
# every frame the sender got accepted is read, none is dropped. With
# VIRTIF_F_TX_DROP, a full ring drops and counts instead.
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet ub
ip -n ub link add u0 type virtif || fail "add u0"
set_linkstr ub u0 user
ip -n ub link set u0 txqueuelen 64 up || fail "u0 up"
tmp=$(mktemp -d)

# run_sink SINK_ARGS...: a reader that starts reading only once 1000 frames
# were sent; sets sent, refused and got.
run_sink() {
	rm -f "$tmp/go"
	ip netns exec ub "$TESTDIR/virtif_user.py" sink u0 --wait-file "$tmp/go" --idle 3 "$@" >"$tmp/read" &
	local pid=$!
	expect_carrier ub u0 1
	ip netns exec ub "$SENDETH" u0 ff:ff:ff:ff:ff:ff 1000 --report >"$tmp/sent" || fail "sendeth"
	touch "$tmp/go"
	wait "$pid" || fail "sink"
	read -r sent refused <"$tmp/sent"
	got=$(cat "$tmp/read")
	expect_carrier ub u0 0
}

run_sink
info "back-pressure: sent $sent, refused $refused, read $got"
expect_eq "frames read = frames accepted" "$got" "$sent"
[ "$sent" -ge 64 ] || fail "fewer frames accepted than the ring holds"
[ "$refused" -gt 0 ] || fail "the sender never felt back-pressure"
expect_eq "tx_drop_queue_full" "$(counter ub u0 tx_drop_queue_full)" 0
expect_eq "tx_drop_detached" "$(counter ub u0 tx_drop_detached)" 0
expect_eq "tx_dropped" "$(counter ub u0 tx_dropped)" 0
expect_eq "tx_packets" "$(counter ub u0 tx_packets)" "$sent"
subtest ok user_backpressure_lossless

run_sink --tx-drop
sent2=$sent refused2=$refused got2=$got
info "drop mode: sent $sent2, refused $refused2, read $got2"
dropped=$(counter ub u0 tx_drop_queue_full)
expect_eq "sent" "$sent2" 1000
expect_eq "read" "$got2" 64
expect_eq "read + dropped = sent" "$((got2 + dropped))" "$sent2"
expect_eq "tx_dropped" "$(counter ub u0 tx_dropped)" "$dropped"
rm -rf "$tmp"
exit 0
