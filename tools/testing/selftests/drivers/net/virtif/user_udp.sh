#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Two namespaces, each with a virtif (linkstr user) carried by virtif-udp
# (samples/); the two processes exchange the frames as UDP datagrams over a
# veth pair. Ping and a 1 MB TCP copy, in single-frame and batch mode
# (recvmmsg/sendmmsg), then a mixed pair (one side batch); the copy goes
# a -> b, b -> a, a -> b.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
underlay 10.12.0 mtu 9000
user_virtif ua va 10.13.0.1/24
user_virtif ub vb 10.13.0.2/24

for mode in single batch mixed; do
	oa=() ob=()
	case $mode in
	batch) oa=(--batch) ob=(--batch) ;;
	mixed) oa=(--batch) ;;
	esac
	expect_carrier ua va 0
	ubg udp-a.log ua "$VUDP" --virtif va --local 10.12.0.1:7000 --remote 10.12.0.2:7000 "${oa[@]}"
	pa=$UPID
	ubg udp-b.log ub "$VUDP" --virtif vb --local 10.12.0.2:7000 --remote 10.12.0.1:7000 "${ob[@]}"
	pb=$UPID
	expect_carrier ua va 1
	expect_carrier ub vb 1
	check "$mode: ping" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.13.0.2
	s0=$SECONDS
	if [ $mode = batch ]; then
		tcp_copy_ns ua ub 10.13.0.1
	else
		tcp_copy_ns ub ua 10.13.0.2
	fi
	info "$mode: 1 MB TCP copy in $((SECONDS - s0)) s"
	ustop "$pa" TERM || fail "$mode: virtif-udp a exit status $?"
	ustop "$pb" TERM || fail "$mode: virtif-udp b exit status $?"
	sed 's/^/# a: /' "$UTMP/udp-a.log"
	sed 's/^/# b: /' "$UTMP/udp-b.log"
	# The data went one way as about 700 frames, the ACKs the other way.
	for side in a b; do
		tx=$(log_counter udp-$side.log "virtif->udp")
		rx=$(log_counter udp-$side.log "udp->virtif")
		[ "${tx:-0}" -gt 100 ] && [ "${rx:-0}" -gt 100 ] && [ $((tx + rx)) -gt 700 ] ||
			fail "$mode: $side moved too few frames: virtif->udp '$tx', udp->virtif '$rx'"
	done
	expect_carrier ua va 0
	subtest ok "user_udp: $mode mode"
done

# End of file: deleting the interface ends its virtif-udp with status 0.
ubg udp-a.log ua "$VUDP" --virtif va --local 10.12.0.1:7000 --remote 10.12.0.2:7000 --batch
pa=$UPID
expect_carrier ua va 1
ip -n ua link del va || fail "del va"
wait_for 10 dead "$pa" || fail "virtif-udp still runs after del"
bg_wait "$pa" || fail "virtif-udp exit status $? at end of file"
exit 0
