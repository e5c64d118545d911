#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Two namespaces joined by a virtif pair exchange ping (IPv4, IPv6) and TCP
# streams (IPv4, IPv6), checked end to end.
. "${0%/*}/lib.sh"

virtif_load
pair_across pa va pb vb 10.9.0
ip -n pa addr add fd00:9::1/64 dev va nodad
ip -n pb addr add fd00:9::2/64 dev vb nodad
expect_eq "carrier a" "$(ip netns exec pa cat /sys/class/net/va/carrier)" 1
expect_eq "carrier b" "$(ip netns exec pb cat /sys/class/net/vb/carrier)" 1

check "ping IPv4" ip netns exec pa ping -c 3 -i 0.2 -W 5 10.9.0.2
check "ping IPv6" ip netns exec pa ping -6 -c 3 -i 0.2 -W 5 fd00:9::2

tmp=$(mktemp -d)
head -c 3000000 /dev/urandom >"$tmp/in"
want=$(sha256sum <"$tmp/in")
tcp_copy() { # tcp_copy LISTEN_SPEC CONNECT_SPEC
	rm -f "$tmp/out"
	ip netns exec pb socat -u "$1" OPEN:"$tmp/out",creat,trunc &
	local srv=$!
	wait_for 10 sh -c "ip netns exec pb ss -ltn | grep -q :5001" || fail "socat did not listen"
	ip netns exec pa socat -u FILE:"$tmp/in" "$2" || fail "socat client $2"
	wait "$srv" || fail "socat server"
	expect_eq "TCP data over $2" "$(sha256sum <"$tmp/out")" "$want"
}
tcp_copy TCP4-LISTEN:5001,reuseaddr TCP4:10.9.0.2:5001
tcp_copy TCP6-LISTEN:5001,reuseaddr "TCP6:[fd00:9::2]:5001"
rm -rf "$tmp"
exit 0
