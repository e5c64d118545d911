#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: back-pressure holds whatever the order of configuration.
# An interface that was up once before it got the user backend still has a
# queue: when the ring is full the transmit queue stops, the qdisc holds
# frames and refuses the rest to the sender, and every accepted frame is
# read. (The core attaches a qdisc only at the first up; the driver used to
# decide "no queue" by the backend, so such an interface had none: a full
# ring dropped every frame with "Virtual device ... asks to queue packet!".)
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet uo
ip -n uo link add u0 txqueuelen 64 type virtif || fail "add u0"
ip -n uo link set u0 up && ip -n uo link set u0 down || fail "up and down once"
set_linkstr uo u0 user
ip -n uo link set u0 up || fail "up"
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
# A reader that starts reading only once the sender is done.
bg ip netns exec uo "$TESTDIR/virtif_user.py" sink u0 --wait-file "$tmp/go" --idle 3 >"$tmp/got"
sink=$BG_PID
expect_carrier uo u0 1
out=$(ip netns exec uo "$SENDETH" u0 ff:ff:ff:ff:ff:ff 1000 --report 2>&1)
rc=$?
# Without a queue the core refuses the first packet a full ring hands back
# (ENETDOWN for the sender) and says why in the log.
test_dmesg | grep -q "asks to queue packet" && fail "the core had no queue for u0 (sendeth: $out)"
[ $rc = 0 ] || fail "sendeth: exit status $rc: $out"
read -r sent refused <<<"$out"
touch "$tmp/go"
bg_wait "$sink" || fail "the reader"
got=$(cat "$tmp/got")
info "sent $sent, refused $refused, read $got"
expect_eq "frames read = frames accepted" "$got" "$sent"
expect_ge "the sender felt back-pressure" "$refused" 1
expect_eq "tx_drop_queue_full" "$(counter uo u0 tx_drop_queue_full)" 0
exit 0
