#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-tap (samples/) carries a virtif with linkstr user in one namespace
# to a tap in another: ping and a 3 MB TCP copy (towards the tap in
# single-frame mode, from it in batch mode). The single-frame round ends with SIGTERM, the batch round with the
# interface's deletion (end of file): virtif-tap exits 0 both times.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/user_lib.bash"

user_setup
netns_add ua
netns_add ub

for mode in single batch; do
	opt=()
	[ $mode = batch ] && opt=(--batch)
	user_virtif ua vu 10.11.0.1/24
	expect_eq "$mode: carrier before attach" "$(carrier ua vu)" 0
	tap_start ua vu ub tu 10.11.0.2/24 02:00:00:11:00:02 "${opt[@]}"
	check "$mode: ping" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.11.0.2
	s0=$SECONDS
	if [ $mode = single ]; then
		tcp_copy_ns ub ua 10.11.0.2
	else
		tcp_copy_ns ua ub 10.11.0.1
	fi
	info "$mode: 3 MB TCP copy in $((SECONDS - s0)) s"
	# A second attach while attached is refused: the sample must fail.
	ip netns exec ua "$VTAP" --virtif vu --tap tu2 --create-tap "${opt[@]}" 2>"$UTMP/busy.log" &&
		fail "$mode: second attach to vu succeeded"
	grep -q "busy" "$UTMP/busy.log" || fail "$mode: second attach: $(cat "$UTMP/busy.log")"
	if [ $mode = single ]; then
		ustop "$TAP_PID" TERM || fail "$mode: virtif-tap exit status $? on SIGTERM"
		expect_carrier ua vu 0
		ip -n ua link del vu || fail "del vu"
	else
		ip -n ua link del vu || fail "del vu"
		wait_for 10 sh -c "! kill -0 $TAP_PID 2>/dev/null" || fail "$mode: virtif-tap still runs after del"
		wait "$TAP_PID" || fail "$mode: virtif-tap exit status $? at end of file"
		grep -q "end of file" "$UTMP/tap-vu.log" || fail "$mode: no end of file"
	fi
	sed 's/^/# /' "$UTMP/tap-vu.log"
	to_tap=$(log_counter tap-vu.log "virtif->tap")
	to_vif=$(log_counter tap-vu.log "tap->virtif")
	# The data went one way (>2000 frames), the ACKs the other (fewer: GRO
	# and delayed ACKs).
	data=$to_tap acks=$to_vif
	[ $mode = batch ] && data=$to_vif acks=$to_tap
	[ "${data:-0}" -gt 2000 ] && [ "${acks:-0}" -gt 100 ] ||
		fail "$mode: counters too low: virtif->tap '$to_tap', tap->virtif '$to_vif'"
	wait_for 10 sh -c "! ip -n ub link show tu >/dev/null 2>&1" || fail "$mode: tap outlived virtif-tap"
	subtest ok "user_tap: $mode mode"
done
exit 0
