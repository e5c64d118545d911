#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-tap's tap-tap mode (--peer-tap), the benchmark's reference: the
# same forwarding loop carries frames between two taps instead of a virtif
# and a tap. virtif-tap creates both taps in ua, they move to ub and uc,
# and a ping and a 300 kB TCP copy (checked by SHA-256) cross, in
# single-frame and batch mode; SIGTERM ends it with status 0, its counters
# ("peer->tap N frames", "tap->peer N frames") show the traffic, and the
# taps go with it. Then the same with --batch --vnet-hdr (both taps with
# IFF_VNET_HDR: the copy's TSO packets cross whole, virtif-tap's GSO
# counter) and with --batch --queues 2 (two multiqueue taps: each queue
# pair carries frames both ways, under the copy and 16 UDP flows each way).
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
netns_add ua
netns_add ub
netns_add uc
# 300 kB per TCP copy: about 200 segments, enough for the counters, and
# quick under TCG.
head -c 300000 /dev/urandom >"$UTMP/in"
UWANT=$(sha256sum <"$UTMP/in")
for mode in single batch vnet queues; do
	case $mode in
	single) opt=() ;;
	batch) opt=(--batch) ;;
	vnet) opt=(--batch --vnet-hdr) ;;
	queues) opt=(--batch --queues 2) ;;
	esac
	ubg taptap.log ua "$VTAP" --tap tb --create-tap --peer-tap ta --create-peer-tap "${opt[@]}"
	tt=$UPID
	wait_for 10 ip -n ua link show tb >/dev/null 2>&1 || fail "$mode: virtif-tap did not create tb"
	ip -n ua link set ta netns ub || fail "move ta"
	ip -n ua link set tb netns uc || fail "move tb"
	ip -n ub addr add 10.15.0.1/24 dev ta || fail "address on ta"
	ip -n uc addr add 10.15.0.2/24 dev tb || fail "address on tb"
	ip -n ub link set ta up || fail "ta up"
	ip -n uc link set tb up || fail "tb up"
	check "$mode: tap-tap ping" ip netns exec ub ping -c 3 -i 0.2 -W 5 10.15.0.2
	s0=$SECONDS
	tcp_copy_ns uc ub 10.15.0.2
	info "$mode: tap-tap: TCP copy ($(stat -c %s "$UTMP/in") bytes) in $((SECONDS - s0)) s"
	if [ $mode = queues ]; then
		for t in "ub ta" "uc tb"; do
			read -r ns dev <<<"$t"
			expect_eq "$mode: transmit queues of $dev in use" \
				"$(in_ns "$ns" ls "/sys/class/net/$dev/queues" | grep -c '^tx-')" 2
		done
		udp_flows ub 10.15.0.2
		udp_flows uc 10.15.0.1
		sleep 1
	fi
	ustop "$tt" TERM || fail "$mode: virtif-tap (two taps) exit status $?"
	sed 's/^/# /' "$UTMP/taptap.log"
	data=$(log_counter taptap.log "peer->tap")
	acks=$(log_counter taptap.log "tap->peer")
	# 300 kB; with the offload header the data crosses in GSO packets of up
	# to 64 KiB: far fewer frames.
	case $mode in
	single|batch) min=200 minacks=10 ;;
	vnet) min=4 minacks=2 ;;
	queues) min=200 minacks=10 ;;
	esac
	[ "${data:-0}" -gt $min ] && [ "${acks:-0}" -gt $minacks ] ||
		fail "$mode: tap-tap counters too low: peer->tap '$data', tap->peer '$acks'"
	if [ $mode = vnet ]; then
		gso=$(log_gso taptap.log "peer->tap")
		info "$mode: ${gso:-no} GSO packets peer->tap"
		[ "${gso:-0}" -gt 0 ] || fail "$mode: no GSO packet crossed whole (peer->tap: '$gso')"
	fi
	if [ $mode = queues ]; then
		for q in 0 1; do
			for dir in "peer->tap" "tap->peer"; do
				n=$(log_queue taptap.log $q "$dir")
				[ "${n:-0}" -gt 0 ] || fail "$mode: queue $q carried no frame $dir ('$n')"
			done
		done
	fi
	wait_for 10 sh -c "! ip -n ub link show ta >/dev/null 2>&1" || fail "$mode: ta outlived virtif-tap"
	wait_for 10 sh -c "! ip -n uc link show tb >/dev/null 2>&1" || fail "$mode: tb outlived virtif-tap"
	subtest ok "user_taptap: $mode mode"
done
exit 0
