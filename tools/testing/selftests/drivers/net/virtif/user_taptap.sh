#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-tap's tap-tap mode (--peer-tap), the benchmark's reference: the
# same forwarding loop carries frames between two taps instead of a virtif
# and a tap. virtif-tap creates both taps in ua, they move to ub and uc,
# and a ping and a 1 MB TCP copy (checked by SHA-256) cross, in
# single-frame and batch mode; SIGTERM ends it with status 0, its counters
# ("peer->tap N frames", "tap->peer N frames") show the traffic, and the
# taps go with it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/user_lib.bash"

user_setup
netns_add ua
netns_add ub
netns_add uc
# 1 MB per TCP copy: enough for the counters, short enough in TCG.
head -c 1000000 /dev/urandom >"$UTMP/in"
UWANT=$(sha256sum <"$UTMP/in")
for mode in single batch; do
	opt=()
	[ $mode = batch ] && opt=(--batch)
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
	info "$mode: tap-tap: 1 MB TCP copy in $((SECONDS - s0)) s"
	ustop "$tt" TERM || fail "$mode: virtif-tap (two taps) exit status $?"
	sed 's/^/# /' "$UTMP/taptap.log"
	data=$(log_counter taptap.log "peer->tap")
	acks=$(log_counter taptap.log "tap->peer")
	[ "${data:-0}" -gt 700 ] && [ "${acks:-0}" -gt 30 ] ||
		fail "$mode: tap-tap counters too low: peer->tap '$data', tap->peer '$acks'"
	wait_for 10 sh -c "! ip -n ub link show ta >/dev/null 2>&1" || fail "$mode: ta outlived virtif-tap"
	wait_for 10 sh -c "! ip -n uc link show tb >/dev/null 2>&1" || fail "$mode: tb outlived virtif-tap"
	subtest ok "user_taptap: $mode mode"
done
exit 0
