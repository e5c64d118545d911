# SPDX-License-Identifier: GPL-2.0
# Helpers for the tests of the user backend (/dev/virtif) and its samples
# (samples/ in the repository), sourced after lib.sh. Not a test itself:
# run_tests and guest_runner.sh only pick up *.sh files.

VTAP=$SAMPLES/virtif-tap
VUDP=$SAMPLES/virtif-udp

# user_setup: load the module, check /dev/virtif and the samples (make check
# builds them: their absence is a failure, not a skip), make $UTMP with a
# 1 MB file of random data ($UTMP/in, its SHA-256 in $UWANT).
user_setup() {
	[ -x "$VTAP" ] && [ -x "$VUDP" ] ||
		fail "samples not built: run scripts/build-samples (looked in $SAMPLES)"
	virtif_load
	[ -c /dev/virtif ] || fail "/dev/virtif missing after loading virtif"
	UTMP=$(mktemp -d)
	on_exit user_cleanup
	head -c 1000000 /dev/urandom >"$UTMP/in"
	UWANT=$(sha256sum <"$UTMP/in")
}
# At exit (hook): show the programs' logs if the test failed.
user_cleanup() {
	local f
	if [ "$rc" != 0 ] && [ "$rc" != "$KSFT_SKIP" ]; then
		for f in "$UTMP"/*.log; do
			[ -e "$f" ] || continue
			echo "# --- $(basename "$f")"
			sed 's/^/#   /' "$f"
		done
	fi
	rm -rf "$UTMP"
}

UPID=
# ubg LOG NS CMD...: run CMD in namespace NS in the background (killed at
# exit), output to $UTMP/LOG; CMD's pid in $UPID.
ubg() {
	local log=$1 ns=$2; shift 2
	if [ "$ns" = - ]; then
		bg "$@" >"$UTMP/$log" 2>&1
	else
		bg ip netns exec "$ns" "$@" >"$UTMP/$log" 2>&1
	fi
	UPID=$BG_PID
}
ustop() { bg_stop "$@"; }

# user_virtif NS IF ADDR/LEN: a virtif with linkstr user, created in NS, up.
user_virtif() {
	ip netns exec "$1" "$NL" add "$2" --linkstr user >/dev/null || fail "add $2 (linkstr user) in $1"
	ip -n "$1" addr add "$3" dev "$2" || fail "address on $2"
	ip -n "$1" link set "$2" up || fail "set $2 up"
}

# underlay NET [ip link options...]: the namespaces ua and ub (no IPv6
# chatter) joined by a veth, ve0 in ua with NET.1/24 and ve1 in ub with
# NET.2/24, both up: the network the UDP samples' datagrams cross. The
# options (e.g. mtu 9000) apply to both ends.
underlay() {
	local net=$1; shift
	netns_add_quiet ua
	netns_add_quiet ub
	ip link add ve0 netns ua "$@" type veth peer name ve1 netns ub "$@" || fail "veth"
	ip -n ua addr add "$net.1/24" dev ve0 || fail "address on ve0"
	ip -n ub addr add "$net.2/24" dev ve1 || fail "address on ve1"
	ip -n ua link set ve0 up || fail "ve0 up"
	ip -n ub link set ve1 up || fail "ve1 up"
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

# tcp_copy_ns SRVNS CLINS ADDR: copy $UTMP/in over TCP from CLINS to ADDR:5001
# in SRVNS with socat and compare the SHA-256.
tcp_copy_ns() {
	local srv
	rm -f "$UTMP/out"
	bg ip netns exec "$1" socat -u TCP4-LISTEN:5001,reuseaddr OPEN:"$UTMP/out",creat,trunc
	srv=$BG_PID
	wait_for 30 listening "$1" 5001 || fail "socat did not listen"
	timeout 120 ip netns exec "$2" socat -u FILE:"$UTMP/in" TCP4:"$3":5001 ||
		fail "socat client to $3"
	bg_wait "$srv" || fail "socat server"
	expect_eq "TCP data to $3" "$(sha256sum <"$UTMP/out")" "$UWANT"
}

# log_counter LOG WORD: the number before " frames" after WORD in a
# sample's exit line (e.g. "virtif->tap 12 frames").
log_counter() {
	sed -n "s/.*$2 \([0-9]*\) frames.*/\1/p" "$UTMP/$1" | tail -n1
}

# log_gso LOG WORD: the GSO packets of direction WORD in a sample's exit
# line with the offload header (e.g. "virtif->tap 12 frames (90480 bytes,
# 4 GSO)").
# expect_no_drops LOG: the exit summary in LOG (see samples/virtif's
# Counters::summary) lists its drop reasons, every one at 0.
expect_no_drops() {
	local drops r n=0
	drops=$(sed -n 's/.*frames ([^)]*), \(.*\), wake-ups.*/\1/p' "$1" | tail -n1)
	[ -n "$drops" ] || fail "no drop counters in the summary of $1: $(tail -n2 "$1")"
	for r in $(tr ',' '\n' <<<"$drops" | awk '{ print $NF }'); do
		expect_eq "drops in $1 ($drops)" "$r" 0
		n=$((n + 1))
	done
	[ "$n" -ge 1 ] || fail "no drop reason in the summary of $1"
}
log_gso() {
	sed -n "s/.*$2 [0-9]* frames ([0-9]* bytes, \([0-9]*\) GSO).*/\1/p" "$UTMP/$1" | tail -n1
}

# log_queue LOG Q WORD: the frames of direction WORD on queue Q in a
# sample's per-queue exit lines ("queue 1: virtif->tap 12 frames ...").
log_queue() {
	sed -n "s/.*queue $2: .*$3 \([0-9]*\) frames.*/\1/p" "$UTMP/$1" | tail -n1
}

# udp_flows NS ADDR: 16 UDP datagrams from NS to ADDR, each from a socket
# of its own to a port of its own (16 flows, to spread over queues); no
# one listens, the ICMP errors come back.
udp_flows() {
	ip netns exec "$1" bash -c 'for p in $(seq 9000 9015); do echo flow >/dev/udp/$0/$p; done' "$2" ||
		fail "UDP flows from $1 to $2"
}
