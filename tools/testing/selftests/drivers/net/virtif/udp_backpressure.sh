#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-udp loses nothing when its socket is full: on EAGAIN it keeps the
# frames, waits for POLLOUT and stops reading /dev/virtif meanwhile, so the
# back-pressure reaches the sender on the virtif.
#
# 1. EAGAIN injected (samples' fault_inject.so) into the first 20 sends:
#    every one of 300 frames still reaches the peer (raw format in both
#    modes, and VXLAN, whose datagrams leave through a raw socket).
# 2. A real full socket: the underlay is a virtif (linkstr user) whose
#    reader starts late; the UDP socket fills, virtif-udp stops reading the
#    overlay virtif, whose queue stops and refuses frames to the sender.
#    Once the reader starts, it gets exactly the frames the sender had
#    accepted.
# Both in single-frame and batch mode.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
FAULT_SO=$TOP/samples/target/testing/fault_inject.so
[ -e "$FAULT_SO" ] || fail "$FAULT_SO missing: run scripts/build-samples"

# --- 1. injected EAGAIN --------------------------------------------------
underlay 10.12.0
user_virtif ua va 10.13.0.1/24
user_virtif ub vb 10.13.0.2/24
mac_b=$(ip netns exec ub cat /sys/class/net/vb/address)
rx_ge() { [ "$(counter "$1" "$2" rx_packets)" -ge "$3" ]; }
# Every way virtif-udp may send a datagram fails with EAGAIN 20 times.
eagain="call=send,errno=EAGAIN,times=20;call=sendto,errno=EAGAIN,times=20"
eagain+=";call=sendmmsg,errno=EAGAIN,times=20;call=sendmsg,errno=EAGAIN,times=20"

# single, batch: the raw format (the bound UDP socket sends); vxlan: batch,
# VXLAN (the raw socket sends).
for mode in single batch vxlan; do
	opt=()
	[ $mode != single ] && opt=(--batch)
	[ $mode = vxlan ] && opt+=(--encap vxlan --vni 1)
	ubg eagain-a.log ua env LD_PRELOAD="$FAULT_SO" VIRTIF_FAULT="$eagain" \
		"$VUDP" --virtif va --local 10.12.0.1:7000 --remote 10.12.0.2:7000 "${opt[@]}"
	pa=$UPID
	ubg eagain-b.log ub "$VUDP" --virtif vb --local 10.12.0.2:7000 --remote 10.12.0.1:7000 "${opt[@]}"
	pb=$UPID
	expect_carrier ua va 1
	expect_carrier ub vb 1
	rx0=$(counter ub vb rx_packets)
	ip netns exec ua "$SENDETH" va "$mac_b" 300 >/dev/null || fail "$mode: sendeth"
	# All 300 arrive (wait for them; fail if some never do).
	wait_for 30 rx_ge ub vb $((rx0 + 300))
	rx=$(($(counter ub vb rx_packets) - rx0))
	ustop "$pa" TERM || fail "$mode: virtif-udp a exit status $?"
	ustop "$pb" TERM || fail "$mode: virtif-udp b exit status $?"
	sed 's/^/# a: /' "$UTMP/eagain-a.log"
	injected=$(grep -c "fault_inject: .* -> EAGAIN" "$UTMP/eagain-a.log")
	expect_eq "$mode: EAGAIN injected" "$injected" 20
	expect_eq "$mode: frames received by vb after 20 EAGAIN" "$rx" 300
	expect_eq "$mode: virtif->udp frames" "$(log_counter eagain-a.log "virtif->udp")" 300
	subtest ok "udp_backpressure: $mode: EAGAIN loses nothing"
done
netns_del ua
netns_del ub

# --- 2. a real full socket ------------------------------------------------
# ua: the overlay virtif va (carried by virtif-udp) and the underlay u0
# (linkstr user, read by virtif_user.py sink once $UTMP/go exists). The
# peer 10.20.0.2 does not exist: a static neighbour entry sends its
# datagrams out of u0 without ARP. No IPv6: u0 carries nothing else.
netns_add_quiet ua
ip -n ua link add u0 type virtif || fail "add u0"
ip netns exec ua "$NL" set u0 --linkstr user >/dev/null || fail "u0 linkstr user"
# The qdisc of u0 holds more than the socket's send buffer, so that the
# socket fills (EAGAIN) before the qdisc drops anything.
ip -n ua link set u0 txqueuelen 2000 up || fail "u0 up"
ip -n ua addr add 10.20.0.1/24 dev u0 || fail "address on u0"
ip -n ua neigh add 10.20.0.2 lladdr 02:00:00:20:00:02 dev u0 nud permanent || fail "neigh"
user_virtif ua va 10.21.0.1/24
# A short queue on va: the sender feels the back-pressure soon.
ip -n ua link set va txqueuelen 32 || fail "va txqueuelen"

for mode in single batch; do
	opt=()
	[ $mode = batch ] && opt=(--batch)
	rm -f "$UTMP/go"
	bg ip netns exec ua "$TESTDIR/virtif_user.py" sink u0 --wait-file "$UTMP/go" --idle 3 \
		>"$UTMP/sink.out" 2>"$UTMP/sink.log"
	sink=$BG_PID
	# (Python starts slowly under TCG.)
	wait_for 60 carrier_is ua u0 1 || fail "$mode: the underlay's reader did not attach"
	expect_carrier ua u0 1
	ubg full-a.log ua "$VUDP" --virtif va --local 10.20.0.1:7000 --remote 10.20.0.2:7000 "${opt[@]}"
	pa=$UPID
	expect_carrier ua va 1
	tx0=$(counter ua va tx_packets)
	ip netns exec ua "$SENDETH" va ff:ff:ff:ff:ff:ff 3000 --report >"$UTMP/sent" ||
		fail "$mode: sendeth"
	read -r sent refused <"$UTMP/sent"
	touch "$UTMP/go"
	bg_wait "$sink" || fail "$mode: sink"
	got=$(cat "$UTMP/sink.out")
	ustop "$pa" TERM || fail "$mode: virtif-udp exit status $?"
	sed 's/^/# /' "$UTMP/full-a.log"
	info "$mode: sender: $sent accepted, $refused refused; underlay reader got $got"
	[ "$refused" -gt 0 ] || fail "$mode: the sender never felt back-pressure"
	expect_eq "$mode: datagrams on the underlay = frames accepted" "$got" "$sent"
	expect_eq "$mode: virtif->udp frames" "$(log_counter full-a.log "virtif->udp")" "$sent"
	expect_eq "$mode: frames virtif-udp read from va" "$(($(counter ua va tx_packets) - tx0))" "$sent"
	expect_carrier ua u0 0
	subtest ok "udp_backpressure: $mode: a full socket stops the virtif, loses nothing"
done
exit 0
