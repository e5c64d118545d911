#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-udp --encap vxlan against the kernel's own VXLAN: a virtif carried
# by virtif-udp in ua, a Linux vxlan device (same VNI, dstport 4789) in
# ub, joined by a veth underlay.
#  - IPv4 underlay, batch mode: --set-mtu sets the virtif's MTU to 1450
#    (1500 - 50, what Linux gives vx0); ARP and ping both ways; a 300 kB TCP
#    copy each way, checked by SHA-256; the outer source ports are in the
#    local port range, one per TCP flow, two for two flows; the learned table
#    (showmacs) has vx0's address behind ub, and the virtif's own as
#    local; nothing was dropped;
#  - IPv4, single-frame mode, the virtif's MTU at 1500: ping both ways;
#    frames one byte too big for the underlay are dropped and counted;
#  - IPv6 underlay, batch mode: MTU 1430 (1500 - 70), ping and a TCP copy.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
# 300 kB per TCP copy (tcp_copy_ns copies $UTMP/in): about 200 segments,
# real flows, and quick under TCG.
head -c 300000 /dev/urandom >"$UTMP/in"
UWANT=$(sha256sum <"$UTMP/in")
command -v tcpdump >/dev/null || fail "tcpdump missing (scripts/install-deps installs it)"
underlay 10.30.0
# A veth is not a wire: a checksum the stack leaves to it is never computed.
# Linux's tunnel leaves the inner one to the underlay device (offload), and
# virtif-udp reads the datagram as it is; without offload on the veth the
# stack computes it, as for a real NIC without tunnel offload.
ip netns exec ub ethtool -K ve1 tx off >/dev/null || fail "ve1: tx checksum offload off"
user_virtif ua va 10.31.0.1/24
mac_a=$(ip netns exec ua cat /sys/class/net/va/address)

# vx0: VNI 42, port 4789, every frame to 10.30.0.1 (learning on).
ip -n ub link add vx0 type vxlan id 42 dstport 4789 local 10.30.0.2 remote 10.30.0.1 dev ve1 ||
	fail "add vx0"
ip -n ub addr add 10.31.0.2/24 dev vx0
ip -n ub link set vx0 up
mac_b=$(ip netns exec ub cat /sys/class/net/vx0/address)
expect_eq "Linux's vx0 MTU" "$(ip netns exec ub cat /sys/class/net/vx0/mtu)" 1450

CTL=$UTMP/ctl
# start MODE LOG ARGS...: virtif-udp for va; sets pa.
start() {
	local opt=()
	[ "$1" = batch ] && opt=(--batch)
	ubg "$2" ua "$VUDP" --virtif va --encap vxlan --vni 42 --control "$CTL" "${opt[@]}" "${@:3}"
	pa=$UPID
	expect_carrier ua va 1
	wait_for 10 test -S "$CTL" || fail "no control socket"
}
ctl() { ip netns exec ua "$VUDP" "$1" --control "$CTL"; }

# --- IPv4, batch --------------------------------------------------------
start batch vx4.log --local 10.30.0.1 --remote 10.30.0.2 --set-mtu
grep -q "the MTU of va that fits is 1450" "$UTMP/vx4.log" || fail "no MTU report: $(cat "$UTMP/vx4.log")"
expect_eq "va MTU after --set-mtu" "$(ip netns exec ua cat /sys/class/net/va/mtu)" 1450
check "ping ua -> Linux vxlan" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.31.0.2
check "ping Linux vxlan -> ua" ip netns exec ub ping -c 3 -i 0.2 -W 5 10.31.0.1
# The outer source ports while the copies run.
bg ip netns exec ub tcpdump -n -U -s 128 -i ve1 -w "$UTMP/vx.pcap" 'udp dst port 4789 and src host 10.30.0.1' \
	>"$UTMP/tcpdump.log" 2>&1
td=$BG_PID
wait_log 10 "$UTMP/tcpdump.log" "listening on" || fail "tcpdump did not start"
s0=$SECONDS
tcp_copy_ns ub ua 10.31.0.2
tcp_copy_ns ua ub 10.31.0.1
info "IPv4 batch: two 300 kB TCP copies in $((SECONDS - s0)) s"
# tcpdump prints each VXLAN packet on two lines: the outer one, then the
# inner. Per inner TCP flow, the outer source ports it used.
outer_ports() {
	tcpdump -n -r "$UTMP/vx.pcap" 2>/dev/null | awk '
	/ > 10\.30\.0\.2\.4789: VXLAN/ {
		n = split($3, a, "."); sport = a[n]
		print "port", sport
		if ((getline) > 0 && $1 == "IP" && / Flags /) print "flow", $2, $4, sport
	}' >"$UTMP/flows"
}
# Under load tcpdump falls behind, and what it has not read when it is
# stopped is lost (it once wrote 220 of 349 packets, the second copy's
# missing): stop it once its file (written per packet, -U) holds two inner
# flows, or after 20 s.
# The number of inner flows in "$UTMP/flows".
nflows() { awk '$1 == "flow" { print $2, $3 }' "$UTMP/flows" | sort -u | wc -l; }
two_flows() { outer_ports; [ "$(nflows)" -ge 2 ]; }
wait_for 20 two_flows || info "tcpdump's file holds fewer than two flows after 20 s"
ustop "$td" INT
outer_ports
read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
for p in $(awk '$1 == "port" { print $2 }' "$UTMP/flows" | sort -un); do
	[ "$p" -ge "$lo" ] && [ "$p" -le "$hi" ] || fail "outer source port $p outside $lo-$hi"
done
awk '$1 == "flow" { print $2, $3, $4 }' "$UTMP/flows" | sort -u >"$UTMP/flowports"
sed 's/^/# flow and outer port: /' "$UTMP/flowports"
nports=$(cut -d' ' -f3 "$UTMP/flowports" | sort -u | wc -l)
# The two TCP flows (the data of one copy, the ACKs of the other): each
# keeps one port, and they have two.
expect_eq "TCP flows seen" "$(nflows)" 2
expect_eq "outer ports of the TCP flows" "$nports" 2
expect_eq "flow/port pairs" "$(wc -l <"$UTMP/flowports")" 2
ctl showmacs >"$UTMP/macs" || fail "showmacs"
sed 's/^/# /' "$UTMP/macs"
head -n1 "$UTMP/macs" | grep -q "^port/remote.mac addr.*is local?.ageing timer" || fail "showmacs header"
grep -q "^10.30.0.2:4789	$mac_b	no	" "$UTMP/macs" || fail "vx0's address not learned behind 10.30.0.2"
grep -q "^va	$mac_a	yes	" "$UTMP/macs" || fail "va's own address not listed as local"
ctl stats >"$UTMP/stats" || fail "stats"
sed 's/^/# /' "$UTMP/stats"
grep -q "^remote 10.30.0.2:4789 tx-frames [1-9]" "$UTMP/stats" || fail "no frames counted to 10.30.0.2"
ustop "$pa" TERM || fail "virtif-udp exit status $?"
sed 's/^/# /' "$UTMP/vx4.log"
# Nothing dropped on either side.
expect_no_drops "$UTMP/vx4.log"
expect_eq "vx0 rx_errors" "$(counter ub vx0 rx_errors)" 0
expect_eq "vx0 rx_dropped" "$(counter ub vx0 rx_dropped)" 0
subtest ok "udp_vxlan: IPv4, batch: ping, TCP both ways, ports, showmacs"

# --- IPv4, single-frame ---------------------------------------------------
# va's MTU back at 1500: virtif-udp says it does not fit, and drops (and
# counts) the frames that do not, whole.
ip -n ua link set va mtu 1500 || fail "va MTU 1500"
start single vx4s.log --local 10.30.0.1 --remote 10.30.0.2
grep -q "the MTU of va that fits is 1450 (it is 1500)" "$UTMP/vx4s.log" || fail "no MTU warning"
check "single: ping ua -> Linux vxlan" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.31.0.2
check "single: ping Linux vxlan -> ua" ip netns exec ub ping -c 3 -i 0.2 -W 5 10.31.0.1
# 1422 bytes of ICMP payload: a 1464-byte frame, a 1500-byte datagram.
check "single: largest ping that fits" ip netns exec ua ping -c 2 -i 0.2 -W 5 -s 1422 10.31.0.2
rxb0=$(counter ub vx0 rx_bytes)
ip netns exec ua ping -c 2 -i 0.2 -W 1 -s 1423 10.31.0.2 >/dev/null &&
	fail "single: a ping 1 byte too big came back"
toobig=$(ctl stats | awk '$1 == "drop" && $2 == "too-big" { print $3 }')
expect_eq "single: frames too big for the underlay" "$toobig" 2
# None of them reached vx0, whole or cut: each would have added at least
# 1400 bytes (an ARP or neighbour frame in the meantime adds less).
rxb=$(( $(counter ub vx0 rx_bytes) - rxb0 ))
[ "$rxb" -lt 1400 ] || fail "single: vx0 received $rxb bytes during the too-big pings"
ustop "$pa" TERM || fail "single: virtif-udp exit status $?"
subtest ok "udp_vxlan: IPv4, single-frame: ping both ways; too big is dropped and counted"

# --- IPv6 underlay ----------------------------------------------------------
ip netns exec ua sysctl -qw net.ipv6.conf.ve0.disable_ipv6=0
ip netns exec ub sysctl -qw net.ipv6.conf.ve1.disable_ipv6=0
ip -n ua addr add fd00:30::1/64 dev ve0 nodad || fail "IPv6 on ve0"
ip -n ub addr add fd00:30::2/64 dev ve1 nodad || fail "IPv6 on ve1"
ip -n ub link del vx0
ip -n ub link add vx0 type vxlan id 42 dstport 4789 local fd00:30::2 remote fd00:30::1 dev ve1 ||
	fail "add vx0 over IPv6"
ip -n ub addr add 10.31.0.2/24 dev vx0
ip -n ub link set vx0 up
expect_eq "Linux's vx0 MTU over IPv6" "$(ip netns exec ub cat /sys/class/net/vx0/mtu)" 1430
start batch vx6.log --local fd00:30::1 --remote fd00:30::2 --set-mtu
expect_eq "va MTU over IPv6" "$(ip netns exec ua cat /sys/class/net/va/mtu)" 1430
check "IPv6: ping ua -> Linux vxlan" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.31.0.2
s0=$SECONDS
tcp_copy_ns ua ub 10.31.0.1
info "IPv6 batch: 300 kB TCP copy in $((SECONDS - s0)) s"
ctl showmacs >"$UTMP/macs" || fail "showmacs"
grep -q "^\[fd00:30::2\]:4789	$(ip netns exec ub cat /sys/class/net/vx0/address)	no	" "$UTMP/macs" ||
	fail "vx0 not learned behind [fd00:30::2]: $(cat "$UTMP/macs")"
ustop "$pa" TERM || fail "IPv6: virtif-udp exit status $?"
sed 's/^/# /' "$UTMP/vx6.log"
expect_eq "IPv6: vx0 rx_errors" "$(counter ub vx0 rx_errors)" 0
subtest ok "udp_vxlan: IPv6 underlay: ping and TCP"
exit 0
