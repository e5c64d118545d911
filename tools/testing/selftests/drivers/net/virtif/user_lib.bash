# SPDX-License-Identifier: GPL-2.0
# Helpers for the tests of the user backend (/dev/virtif) and its samples
# (samples/ in the repository), sourced after lib.sh. Not a test itself:
# run_tests and guest_runner.sh only pick up *.sh files.

SAMPLES=${VIRTIF_SAMPLES:-$TOP/samples/target/release}
VTAP=$SAMPLES/virtif-tap
VUDP=$SAMPLES/virtif-udp

# user_setup: skip unless the samples are built and the module has the user
# backend; load the module.
user_setup() {
	[ -x "$VTAP" ] && [ -x "$VUDP" ] ||
		skip "samples not built: run scripts/build-samples (looked in $SAMPLES)"
	virtif_load
	if [ ! -c /dev/virtif ]; then
		[ -e /sys/class/misc/virtif/dev ] || skip "virtif has no user backend (/dev/virtif)"
		# No devtmpfs node (odd): make one.
		mknod /dev/virtif c "$(cut -d: -f1 /sys/class/misc/virtif/dev)" \
			"$(cut -d: -f2 /sys/class/misc/virtif/dev)" || fail "mknod /dev/virtif"
	fi
	UTMP=$(mktemp -d)
	head -c 3000000 /dev/urandom >"$UTMP/in"
	UWANT=$(sha256sum <"$UTMP/in")
}

# Background processes (killed at exit, before lib.sh's cleanup removes the
# namespaces and unloads the module).
UPIDS=()
UPID=
# ubg LOG NS CMD...: run CMD in namespace NS in the background (ip netns
# exec execs it: $UPID is CMD's own pid), output to $UTMP/LOG.
ubg() {
	local log=$1 ns=$2; shift 2
	ip netns exec "$ns" "$@" >"$UTMP/$log" 2>&1 &
	UPID=$!
	UPIDS+=("$UPID")
}
# ustop PID [SIGNAL]: signal (default TERM) PID, wait, return its status.
ustop() {
	local rc p keep=()
	kill -"${2:-TERM}" "$1" 2>/dev/null
	{ wait "$1"; } 2>/dev/null # no "Killed" job notice
	rc=$?
	for p in "${UPIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	UPIDS=("${keep[@]}")
	return $rc
}
user_cleanup() {
	local rc=$? p f
	for p in "${UPIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${UPIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$rc" != 0 ] && [ "$rc" != "$KSFT_SKIP" ] && [ -n "${UTMP:-}" ]; then
		for f in "$UTMP"/*.log; do
			[ -e "$f" ] || continue
			echo "# --- $(basename "$f")"
			sed 's/^/#   /' "$f"
		done
	fi
	[ -z "${UTMP:-}" ] || rm -rf "$UTMP"
	cleanup
}
trap user_cleanup EXIT

# carrier NS IF: 1, 0, or ? (interface down or missing).
carrier() {
	ip netns exec "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null || echo "?"
}
carrier_is() { [ "$(carrier "$1" "$2")" = "$3" ]; }
operstate_is() { [ "$(ip netns exec "$1" cat "/sys/class/net/$2/operstate" 2>/dev/null)" = "$3" ]; }
# expect_carrier NS IF 0|1: wait up to 10 s for it. For 1, also wait until
# the interface is operational: the core activates the qdisc after the
# carrier comes up, from the link-watch work that sets operstate, and
# frames sent before that meet the noop qdisc.
expect_carrier() {
	wait_for 10 carrier_is "$1" "$2" "$3" ||
		fail "carrier of $2 in $1: got '$(carrier "$1" "$2")', want '$3'"
	[ "$3" = 1 ] || return 0
	wait_for 10 operstate_is "$1" "$2" up ||
		fail "$2 in $1 has carrier but is not operational"
}

# user_virtif NS IF ADDR/LEN: a virtif with linkstr user, created in NS, up.
user_virtif() {
	ip netns exec "$1" "$NL" add "$2" --linkstr user >/dev/null || fail "add $2 (linkstr user) in $1"
	ip -n "$1" addr add "$3" dev "$2" || fail "address on $2"
	ip -n "$1" link set "$2" up || fail "set $2 up"
}

# tap_start NS IF TAPNS TAP ADDR/LEN MAC [virtif-tap options]: run virtif-tap
# in NS between IF and a new tap TAP, move the tap to TAPNS and configure
# it there. Sets TAP_PID.
tap_start() {
	local ns=$1 vif=$2 tns=$3 tap=$4 addr=$5 mac=$6; shift 6
	ubg "tap-$vif.log" "$ns" "$VTAP" --virtif "$vif" --tap "$tap" --create-tap "$@"
	TAP_PID=$UPID
	wait_for 10 ip -n "$ns" link show "$tap" >/dev/null 2>&1 ||
		fail "virtif-tap did not create $tap"
	expect_carrier "$ns" "$vif" 1
	ip -n "$ns" link set "$tap" netns "$tns" || fail "move $tap to $tns"
	ip -n "$tns" link set "$tap" address "$mac" || fail "MAC of $tap"
	ip -n "$tns" addr add "$addr" dev "$tap" || fail "address on $tap"
	ip -n "$tns" link set "$tap" up || fail "set $tap up"
}

# tcp_copy_ns SRVNS CLINS ADDR: copy 3 MB over TCP from CLINS to ADDR:5001
# in SRVNS with socat and compare the SHA-256.
tcp_copy_ns() {
	local srv
	rm -f "$UTMP/out"
	ip netns exec "$1" socat -u TCP4-LISTEN:5001,reuseaddr OPEN:"$UTMP/out",creat,trunc &
	srv=$!
	UPIDS+=("$srv")
	wait_for 10 sh -c "ip netns exec $1 ss -ltn | grep -q :5001" || fail "socat did not listen"
	timeout 120 ip netns exec "$2" socat -u FILE:"$UTMP/in" TCP4:"$3":5001 ||
		fail "socat client to $3"
	wait "$srv" || fail "socat server"
	expect_eq "TCP data to $3" "$(sha256sum <"$UTMP/out")" "$UWANT"
}

# log_counter LOG WORD: the number before " frames" after WORD in a
# sample's exit line (e.g. "virtif->tap 12 frames").
log_counter() {
	sed -n "s/.*$2 \([0-9]*\) frames.*/\1/p" "$UTMP/$1" | tail -n1
}
