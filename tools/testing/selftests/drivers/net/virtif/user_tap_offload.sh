#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-tap's data-path options, end to end (the rest of virtif-tap is
# user_tap.sh's; a file of its own to stay within a test's time in TCG).
# --vnet-hdr: in single-frame mode a 300 kB TCP copy towards the tap, in
# batch mode one from it; the copy's TSO packets cross whole (virtif-tap's
# GSO counter of the data's direction), intact (SHA-256), and the virtif
# refuses none of the tap's headers. --queues 2: a virtif with numtxqueues
# 2 and a multiqueue tap; both are using two transmit queues, and each
# queue pair carries frames both ways (virtif-tap's per-queue counters)
# under a TCP copy and 16 UDP flows each way.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
netns_add ua
netns_add ub
# The offload header: GSO packets whole, in the data's direction. 300 kB
# copies: enough for that, and the test stays within its time in
# TCG.
head -c 300000 /dev/urandom >"$UTMP/in"
UWANT=$(sha256sum <"$UTMP/in")
for mode in single batch; do
	opt=(--vnet-hdr)
	[ $mode = batch ] && opt+=(--batch)
	user_virtif ua vu 10.11.0.1/24
	tap_start ua vu ub tu 10.11.0.2/24 02:00:00:11:00:02 "${opt[@]}"
	check "vnet $mode: ping" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.11.0.2
	s0=$SECONDS
	if [ $mode = single ]; then
		tcp_copy_ns ub ua 10.11.0.2
		dir="virtif->tap"
	else
		tcp_copy_ns ua ub 10.11.0.1
		dir="tap->virtif"
	fi
	info "vnet $mode: 300 kB TCP copy in $((SECONDS - s0)) s"
	ustop "$TAP_PID" TERM || fail "vnet $mode: virtif-tap exit status $? on SIGTERM"
	sed 's/^/# /' "$UTMP/tap-vu.log"
	gso=$(log_gso tap-vu.log "$dir")
	info "vnet $mode: ${gso:-no} GSO packets $dir"
	[ "${gso:-0}" -gt 0 ] || fail "vnet $mode: no GSO packet crossed whole ($dir: '$gso')"
	# The virtif took every header the tap produced.
	n=$(sed -n "s/.*virtif-refused \([0-9]\+\).*/\1/p" "$UTMP/tap-vu.log")
	expect_eq "vnet $mode: virtif-refused" "${n:-?}" 0
	ip -n ua link del vu || fail "del vu"
	subtest ok "user_tap_offload: --vnet-hdr, $mode mode: TSO packets whole"
done


# Two queues: a virtif with two transmit queues, a multiqueue tap.
ip -n ua link add vu numtxqueues 2 type virtif || fail "add vu (numtxqueues 2)"
set_linkstr ua vu user
ip -n ua addr add 10.11.0.1/24 dev vu || fail "address on vu"
ip -n ua link set vu up || fail "vu up"
tap_start ua vu ub tu 10.11.0.2/24 02:00:00:11:00:02 --batch --queues 2
expect_eq "queues: transmit queues of vu in use" \
	"$(in_ns ua ls /sys/class/net/vu/queues | grep -c '^tx-')" 2
expect_eq "queues: transmit queues of tu in use" \
	"$(in_ns ub ls /sys/class/net/tu/queues | grep -c '^tx-')" 2
check "queues: ping" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.11.0.2
tcp_copy_ns ub ua 10.11.0.2
udp_flows ua 10.11.0.2
udp_flows ub 10.11.0.1
sleep 1
ustop "$TAP_PID" TERM || fail "queues: virtif-tap exit status $? on SIGTERM"
sed 's/^/# /' "$UTMP/tap-vu.log"
for q in 0 1; do
	for dir in "virtif->tap" "tap->virtif"; do
		n=$(log_queue tap-vu.log $q "$dir")
		[ "${n:-0}" -gt 0 ] || fail "queues: queue $q carried no frame $dir ('$n')"
	done
done
to_tap=$(log_counter tap-vu.log "virtif->tap")
[ "${to_tap:-0}" -gt 200 ] || fail "queues: total virtif->tap '$to_tap'"
ip -n ua link del vu || fail "del vu"
subtest ok "user_tap_offload: --queues 2: both queue pairs carried frames"
exit 0
