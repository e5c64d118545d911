#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cpus: 2 (faults race traffic from other CPUs)
# Fault campaign, the user backend (VIRTIF_ITER rounds). Each round: a user
# interface with a reader; a counted burst from every CPU at once in drop
# mode, whose sums must hold exactly (sent = read + tx_drop_queue_full); then
# under traffic: the reader closes, a new one is killed with SIGKILL, the
# backend is swapped while down (user -> loop -> pair -> user) and traffic
# flows again each time; at last the module unloads.
. "${0%/*}/../lib.sh"

TMP=$(mktemp -d)
on_exit "rm -rf $TMP"
reader() { # reader [OPTIONS]: a reader of vu in uu; pid in READER
	rm -f "$TMP/go"
	bg ip netns exec uu "$TESTDIR/virtif_user.py" sink vu --idle 2 "$@" >"$TMP/got"
	READER=$BG_PID
	expect_carrier uu vu 1
}
for ((r = 1; r <= ITER; r++)); do
	virtif_load
	netns_add_quiet uu
	netns_add_quiet up
	ip -n uu link add vu txqueuelen 256 type virtif && set_linkstr uu vu user || fail "round $r: add"
	ip -n uu link set vu up
	# Counted: nobody reads until the senders are done; the ring (256)
	# takes what it can, the rest is dropped and counted.
	reader --tx-drop --wait-file "$TMP/go"
	q0=$(counter uu vu tx_drop_queue_full)
	sent=$(burst uu vu ff:ff:ff:ff:ff:ff 300)
	touch "$TMP/go"
	bg_wait "$READER" || fail "round $r: reader"
	got=$(cat "$TMP/got") dropped=$(( $(counter uu vu tx_drop_queue_full) - q0 ))
	expect_eq "round $r: read + dropped = sent ($got + $dropped)" $((got + dropped)) "$sent"
	expect_carrier uu vu 0

	# Under traffic: the reader closes, then another is killed.
	reader --idle 600
	flood uu vu ff:ff:ff:ff:ff:ff
	expect_flowing uu vu tx_packets
	bg_stop "$READER" TERM
	expect_carrier uu vu 0
	reader --idle 600
	expect_flowing uu vu tx_packets
	bg_stop "$READER" KILL
	expect_carrier uu vu 0
	flood_stop

	# Backend swaps while down, traffic after each.
	ip -n uu link set vu down && set_linkstr uu vu loop && ip -n uu link set vu up
	flood uu vu ff:ff:ff:ff:ff:ff
	expect_flowing uu vu rx_packets
	flood_stop
	ip -n up link add vp type virtif || fail "round $r: add vp"
	ip -n up link set vp netns uu && ip -n uu link set vu down || fail "round $r: move vp"
	set_linkstr uu vu pair:vp
	ip -n uu link set vp netns up && ip -n up link set vp up && ip -n uu link set vu up
	flood uu vu ff:ff:ff:ff:ff:ff
	expect_flowing up vp rx_packets
	flood_stop
	ip -n uu link set vu down && set_linkstr uu vu user && ip -n uu link set vu up
	expect_eq "round $r: vp left alone" "$(linkstr vp up)" ""
	reader --idle 600
	flood uu vu ff:ff:ff:ff:ff:ff
	expect_flowing uu vu tx_packets
	bg_stop "$READER" KILL
	round_end $r
done
exit 0
