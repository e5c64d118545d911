#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-udp --encap geneve against the kernel's own GENEVE: a virtif
# carried by virtif-udp in ua, a Linux geneve device (same VNI, port 6081)
# in ub, joined by a veth underlay. IPv4 in batch mode: the MTU that fits
# (1450, what Linux gives gn0), ARP and ping both ways, a 300 kB TCP copy
# each way checked by SHA-256, gn0's address learned, nothing dropped;
# then single-frame mode, and an IPv6 underlay (MTU 1430): ping both ways.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
# 300 kB per TCP copy (tcp_copy_ns copies $UTMP/in): about 200 segments,
# real flows, and quick under TCG.
head -c 300000 /dev/urandom >"$UTMP/in"
UWANT=$(sha256sum <"$UTMP/in")
underlay 10.32.0
# A veth is not a wire: a checksum the stack leaves to it is never computed.
# Linux's tunnel leaves the inner one to the underlay device (offload), and
# virtif-udp reads the datagram as it is; without offload on the veth the
# stack computes it, as for a real NIC without tunnel offload.
ip netns exec ub ethtool -K ve1 tx off >/dev/null || fail "ve1: tx checksum offload off"
user_virtif ua va 10.33.0.1/24

ip -n ub link add gn0 type geneve id 4242 remote 10.32.0.1 || fail "add gn0"
ip -n ub addr add 10.33.0.2/24 dev gn0
ip -n ub link set gn0 up
mac_b=$(ip netns exec ub cat /sys/class/net/gn0/address)
expect_eq "Linux's gn0 MTU" "$(ip netns exec ub cat /sys/class/net/gn0/mtu)" 1450

CTL=$UTMP/ctl
start() {
	local opt=()
	[ "$1" = batch ] && opt=(--batch)
	ubg "$2" ua "$VUDP" --virtif va --encap geneve --vni 4242 --control "$CTL" "${opt[@]}" "${@:3}"
	pa=$UPID
	expect_carrier ua va 1
	wait_for 10 test -S "$CTL" || fail "no control socket"
}

start batch gn4.log --local 10.32.0.1 --remote 10.32.0.2 --set-mtu
grep -q "geneve over IPv4 costs 50 bytes: the MTU of va that fits is 1450" "$UTMP/gn4.log" ||
	fail "no MTU report: $(cat "$UTMP/gn4.log")"
expect_eq "va MTU after --set-mtu" "$(ip netns exec ua cat /sys/class/net/va/mtu)" 1450
check "ping ua -> Linux geneve" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.33.0.2
check "ping Linux geneve -> ua" ip netns exec ub ping -c 3 -i 0.2 -W 5 10.33.0.1
s0=$SECONDS
tcp_copy_ns ub ua 10.33.0.2
tcp_copy_ns ua ub 10.33.0.1
info "IPv4 batch: two 300 kB TCP copies in $((SECONDS - s0)) s"
ip netns exec ua "$VUDP" showmacs --control "$CTL" >"$UTMP/macs" || fail "showmacs"
sed 's/^/# /' "$UTMP/macs"
grep -q "^10.32.0.2:6081	$mac_b	no	" "$UTMP/macs" || fail "gn0's address not learned behind 10.32.0.2"
ustop "$pa" TERM || fail "virtif-udp exit status $?"
sed 's/^/# /' "$UTMP/gn4.log"
expect_no_drops "$UTMP/gn4.log"
expect_eq "gn0 rx_errors" "$(counter ub gn0 rx_errors)" 0
expect_eq "gn0 rx_dropped" "$(counter ub gn0 rx_dropped)" 0
subtest ok "udp_geneve: IPv4, batch: ping, TCP both ways, showmacs"

start single gn4s.log --local 10.32.0.1 --remote 10.32.0.2
check "single: ping ua -> Linux geneve" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.33.0.2
check "single: ping Linux geneve -> ua" ip netns exec ub ping -c 3 -i 0.2 -W 5 10.33.0.1
ustop "$pa" TERM || fail "single: virtif-udp exit status $?"
subtest ok "udp_geneve: IPv4, single-frame: ping both ways"

ip netns exec ua sysctl -qw net.ipv6.conf.ve0.disable_ipv6=0
ip netns exec ub sysctl -qw net.ipv6.conf.ve1.disable_ipv6=0
ip -n ua addr add fd00:32::1/64 dev ve0 nodad || fail "IPv6 on ve0"
ip -n ub addr add fd00:32::2/64 dev ve1 nodad || fail "IPv6 on ve1"
ip -n ub link del gn0
ip -n ub link add gn0 type geneve id 4242 remote fd00:32::1 || fail "add gn0 over IPv6"
ip -n ub addr add 10.33.0.2/24 dev gn0
ip -n ub link set gn0 up
start batch gn6.log --local fd00:32::1 --remote fd00:32::2 --set-mtu
expect_eq "va MTU over IPv6" "$(ip netns exec ua cat /sys/class/net/va/mtu)" 1430
check "IPv6: ping ua -> Linux geneve" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.33.0.2
check "IPv6: ping Linux geneve -> ua" ip netns exec ub ping -c 3 -i 0.2 -W 5 10.33.0.1
ustop "$pa" TERM || fail "IPv6: virtif-udp exit status $?"
expect_eq "IPv6: gn0 rx_errors" "$(counter ub gn0 rx_errors)" 0
subtest ok "udp_geneve: IPv6 underlay: ping both ways"
exit 0
