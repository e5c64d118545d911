#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-tap (samples/) carries a virtif with linkstr user in one namespace
# to a tap in another: ping and a 300 kB TCP copy (towards the tap in
# single-frame mode, from it in batch mode). The single-frame round ends
# with SIGTERM, the batch round with the interface's deletion (end of file):
# virtif-tap exits 0 both times. Then the tap's deletion is a clean exit
# too, and (in both modes) ENOMEM writing /dev/virtif (injected with the
# samples' fault_inject.so) is a lost frame, counted, not the end.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
netns_add ua
netns_add ub
# 300 kB per TCP copy (tcp_copy_ns copies $UTMP/in): about 200 segments,
# plenty for the counters, and quick under TCG.
head -c 300000 /dev/urandom >"$UTMP/in"
UWANT=$(sha256sum <"$UTMP/in")
UWANT=$(sha256sum <"$UTMP/in")

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
	info "$mode: 300 kB TCP copy in $((SECONDS - s0)) s"
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
		wait_for 10 dead "$TAP_PID" || fail "$mode: virtif-tap still runs after del"
		bg_wait "$TAP_PID" || fail "$mode: virtif-tap exit status $? at end of file"
		grep -q "end of file" "$UTMP/tap-vu.log" || fail "$mode: no end of file"
	fi
	sed 's/^/# /' "$UTMP/tap-vu.log"
	to_tap=$(log_counter tap-vu.log "virtif->tap")
	to_vif=$(log_counter tap-vu.log "tap->virtif")
	# The data went one way (all its bytes, headers on top), the ACKs the
	# other (fewer frames: GRO and delayed ACKs).
	dir=virtif-\>tap acks=$to_vif
	[ $mode = batch ] && dir=tap-\>virtif acks=$to_tap
	bytes=$(sed -n "s/.*$dir [0-9]* frames (\([0-9]*\) bytes.*/\1/p" "$UTMP/tap-vu.log" | tail -n1)
	size=$(stat -c %s "$UTMP/in")
	[ "${bytes:-0}" -gt "$size" ] && [ "${acks:-0}" -gt 10 ] ||
		fail "$mode: counters too low: $dir ${bytes:-?} bytes for $size of data; virtif->tap '$to_tap', tap->virtif '$to_vif' frames"
	wait_for 10 sh -c "! ip -n ub link show tu >/dev/null 2>&1" || fail "$mode: tap outlived virtif-tap"
	subtest ok "user_tap: $mode mode"
done

FAULT_SO=$TOP/samples/target/testing/fault_inject.so
[ -e "$FAULT_SO" ] || fail "$FAULT_SO missing: run scripts/build-samples"
for mode in single batch; do
	opt=()
	[ $mode = batch ] && opt=(--batch)
	user_virtif ua vu 10.11.0.1/24

	# The tap deleted under virtif-tap: exit 0 with a message (the same
	# path in both modes: once is enough).
	if [ $mode = batch ]; then
		tap_start ua vu ub tu 10.11.0.2/24 02:00:00:11:00:02 "${opt[@]}"
		check "$mode: ping before the tap goes" ip netns exec ua ping -c 2 -i 0.2 -W 5 10.11.0.2
		ip -n ub link del tu || fail "$mode: del tu"
		wait_for 10 dead "$TAP_PID" || fail "$mode: virtif-tap runs on without its tap"
		ustop "$TAP_PID"
		rc=$?
		sed 's/^/# /' "$UTMP/tap-vu.log"
		expect_eq "$mode: exit status when the tap is deleted" "$rc" 0
		grep -q "tu is gone" "$UTMP/tap-vu.log" || fail "$mode: no message that tu is gone"
		expect_carrier ua vu 0
		subtest ok "user_tap: $mode: the tap's deletion is a clean exit"
	fi

	# ENOMEM on /dev/virtif for 1000-byte frames: single mode, a write of
	# 1000 bytes; batch mode, any write of 1008 bytes (one record) or more,
	# as the frame may share its write with others.
	r= match=len=1000
	[ $mode = batch ] && match=minlen=1008
	for c in write writev; do
		r+="${r:+;}call=$c,path=/dev/virtif,$match,errno=ENOMEM"
	done
	printf '#!/bin/sh\nexec env LD_PRELOAD="%s" VIRTIF_FAULT="%s" "%s" "$@"\n' \
		"$FAULT_SO" "$r" "$VTAP" >"$UTMP/vtap-fault"
	chmod +x "$UTMP/vtap-fault"
	VTAP=$UTMP/vtap-fault tap_start ua vu ub tu 10.11.0.2/24 02:00:00:11:00:02 "${opt[@]}"
	ip netns exec ub ping -c 3 -i 0.2 -W 1 -s 958 10.11.0.1 >/dev/null &&
		fail "$mode: 1000-byte pings came back through a failing write"
	check "$mode: ping after ENOMEM" ip netns exec ub ping -c 3 -i 0.2 -W 5 10.11.0.1
	dead "$TAP_PID" && fail "$mode: virtif-tap died of ENOMEM on /dev/virtif"
	ustop "$TAP_PID" TERM || fail "$mode: virtif-tap exit status $? after ENOMEM"
	sed 's/^/# /' "$UTMP/tap-vu.log"
	n=$(grep -c "fault_inject: .* -> ENOMEM" "$UTMP/tap-vu.log")
	[ "$n" -ge 3 ] || fail "$mode: only $n ENOMEM injected"
	lost=$(sed -n 's/.*virtif-nomem \([0-9]\+\).*/\1/p' "$UTMP/tap-vu.log")
	if [ $mode = single ]; then
		expect_eq "$mode: frames lost to ENOMEM" "${lost:-0}" "$n"
	else
		# Every record of a failed write is lost and counted: one or more.
		[ "${lost:-0}" -ge "$n" ] || fail "$mode: $n writes failed, ${lost:-0} frames counted lost"
	fi
	ip -n ua link del vu || fail "del vu"
	subtest ok "user_tap: $mode: ENOMEM writing /dev/virtif is counted"
done
exit 0
