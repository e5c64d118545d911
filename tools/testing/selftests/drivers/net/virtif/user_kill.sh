#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cpus: 2 (faults race traffic from other CPUs)
# kill -9 of virtif-tap (samples/) under a ping flood, 5 rounds (alternately
# single-frame and batch mode): the carrier goes down when the process dies,
# comes back when a new one attaches, and traffic flows again. The harness
# checks that nothing leaked or splatted.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
netns_add ua
netns_add ub
user_virtif ua vu 10.14.0.1/24
expect_eq "carrier before attach" "$(carrier ua vu)" 0

for round in 1 2 3 4 5; do
	opt=()
	[ $((round % 2)) = 0 ] && opt=(--batch)
	# The tap is new every round; it gets the same MAC each time.
	tap_start ua vu ub tu 10.14.0.2/24 02:00:00:14:00:02 "${opt[@]}"
	check "round $round: ping" ip netns exec ua ping -c 2 -i 0.2 -W 5 10.14.0.2
	# Flood both ways, then kill virtif-tap in the middle of it.
	ubg flood-a.log ua ping -f -q -w 20 10.14.0.2
	fa=$UPID
	ubg flood-b.log ub ping -f -q -w 20 10.14.0.1
	fb=$UPID
	# Under traffic: frames flow both ways through virtif-tap.
	expect_flowing ua vu tx_packets
	expect_flowing ua vu rx_packets
	dead "$TAP_PID" && fail "round $round: virtif-tap died on its own"
	ustop "$TAP_PID" KILL
	rc=$?
	expect_eq "round $round: virtif-tap killed" "$rc" 137
	expect_carrier ua vu 0
	ustop "$fa" INT
	ustop "$fb" INT
	# The tap went with the process.
	wait_for 10 sh -c "! ip -n ub link show tu >/dev/null 2>&1" || fail "round $round: tap outlived virtif-tap"
	# The flood's packets after the kill made a neighbour entry in ua whose
	# ARP probes went nowhere. The next ping would queue behind it and fail
	# with it ("Destination Host Unreachable") if its last probe left before
	# the new tap was ready: the neighbour layer's timing, not the driver's.
	# Every attach starts from an empty table and resolves afresh.
	check "round $round: neighbour flush" ip -n ua neigh flush dev vu
	info "round $round (${opt[*]:-single}): $(grep -h 'packets transmitted' "$UTMP"/flood-*.log | tr '\n' ' ')"
	subtest ok "user_kill: round $round"
done

# And once more: a new attach carries traffic.
tap_start ua vu ub tu 10.14.0.2/24 02:00:00:14:00:02
check "after the rounds: ping" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.14.0.2
ustop "$TAP_PID" TERM || fail "virtif-tap exit status $?"
expect_carrier ua vu 0
exit 0
