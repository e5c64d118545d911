#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The loop backend delivers every transmitted frame back to the interface
# (through the copying iovec path): tcpdump sees each frame twice.
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet lp
ip link add vl type virtif || fail "ip link add"
set_linkstr vl loop
ip link set vl netns lp
ip -n lp link set vl up
expect_eq carrier "$(ip netns exec lp cat /sys/class/net/vl/carrier)" 1
own=$(ip netns exec lp cat /sys/class/net/vl/address)
pcap=$(mktemp) tlog=$(mktemp)
on_exit "rm -f $pcap $tlog"
bg ip netns exec lp tcpdump -i vl -U -n -w "$pcap" ether proto 0x88b5 2>"$tlog"
tpid=$BG_PID
wait_log 20 "$tlog" "listening on" || fail "tcpdump did not start: $(cat "$tlog")"
r0=$(counter lp vl rx_packets)
ip netns exec lp "$SENDETH" vl "$own" 3 --size 200 || fail sendeth
ip netns exec lp "$SENDETH" vl ff:ff:ff:ff:ff:ff 2 || fail sendeth
wait_for 10 test "$(counter lp vl rx_packets)" = $((r0 + 5)) || fail "rx_packets: $(counter lp vl rx_packets), want $((r0 + 5))"
captured() { [ "$(tcpdump -n -r "$pcap" 2>/dev/null | grep -c '^[0-9]')" -ge "$1" ]; }
wait_for 10 captured 10
bg_stop "$tpid" INT
# One line per packet starts with its timestamp (unknown EtherTypes are
# followed by hex dump lines).
n=$(tcpdump -n -r "$pcap" 2>/dev/null | grep -c '^[0-9]')
[ "$n" = 10 ] || tcpdump -n -e -r "$pcap" 2>/dev/null | grep '^[0-9]' | head -n 30 | sed 's/^/# /'
expect_eq "frames seen by tcpdump (5 out, 5 back)" "$n" 10
# A frame to a foreign address comes back and is dropped by the filter.
d0=$(counter lp vl rx_drop_foreign_unicast)
ip netns exec lp "$SENDETH" vl 02:00:00:00:99:99 4 || fail sendeth
expect_eq "looped foreign unicast dropped" "$(counter lp vl rx_drop_foreign_unicast)" $((d0 + 4))
exit 0
