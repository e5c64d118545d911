#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: a transmit queue stopped by a full user ring does not stay
# stopped when the backend goes: ring full, down, linkstr changed to loop,
# up -- frames flow again. (It used to stay stopped: the interface was dead
# until it was deleted.)
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet uq
ip -n uq link add u0 txqueuelen 8 type virtif || fail "add u0"
set_linkstr uq u0 user
ip -n uq link set u0 up || fail "up"
# A process attaches and never reads: the ring (8 frames) fills, the queue
# stops and the qdisc (8 more) refuses the rest.
attach_hold uq u0
expect_carrier uq u0 1
read -r sent refused < <(ip netns exec uq "$SENDETH" u0 ff:ff:ff:ff:ff:ff 50 --report)
info "while nobody reads: sent $sent, refused $refused"
expect_ge "refused once the ring and the qdisc are full" "$refused" 1
ip -n uq link set u0 down
set_linkstr uq u0 loop
ip -n uq link set u0 up
expect_carrier uq u0 1
rx0=$(counter uq u0 rx_packets)
ip netns exec uq "$SENDETH" u0 ff:ff:ff:ff:ff:ff 5 || fail "send over loop"
wait_for 10 __counter_above uq u0 rx_packets $((rx0 + 4)) ||
	fail "the queue stayed stopped: rx_packets $(counter uq u0 rx_packets), want $((rx0 + 5))"
bg_stop "$BG_PID" TERM || fail "the attached process"
exit 0
