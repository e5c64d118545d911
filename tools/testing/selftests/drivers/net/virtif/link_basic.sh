#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Create and delete virtif interfaces with iproute2: default names, random
# locally administered addresses, address at creation and live change, MTU
# limits, no carrier without a backend.
. "${0%/*}/lib.sh"

virtif_load
check "ip link add type virtif" ip link add type virtif
ip link show virtif0 >/dev/null 2>&1 || fail "no virtif0 after 'ip link add type virtif'"
check "ip link add vt1" ip link add vt1 type virtif
ip -d link show vt1 | grep -q "virtif" || fail "ip -d link does not show kind virtif"

mac=$(cat /sys/class/net/vt1/address)
first=$((16#${mac%%:*}))
[ $((first & 2)) = 2 ] && [ $((first & 1)) = 0 ] || fail "random address $mac is not locally administered unicast"
expect_eq addr_assign_type "$(cat /sys/class/net/vt1/addr_assign_type)" 1
[ "$(cat /sys/class/net/virtif0/address)" != "$mac" ] || fail "two interfaces share $mac"

check "address at creation" ip link add vt2 address 02:11:22:33:44:55 type virtif
expect_eq "address at creation" "$(cat /sys/class/net/vt2/address)" 02:11:22:33:44:55
ip link add vt3 address 01:00:5e:00:00:01 type virtif 2>/dev/null && fail "multicast address accepted"
ip link show vt3 >/dev/null 2>&1 && fail "vt3 exists after a refused creation"

check "up without backend" ip link set vt2 up
expect_eq "carrier without backend" "$(cat /sys/class/net/vt2/carrier)" 0
ip link show vt2 | grep -q NO-CARRIER || fail "vt2 up without backend should show NO-CARRIER"
check "live address change" ip link set vt2 address 02:11:22:33:44:66
expect_eq "live address" "$(cat /sys/class/net/vt2/address)" 02:11:22:33:44:66

ip link set vt1 mtu 67 2>/dev/null && fail "MTU 67 accepted"
check "MTU 68" ip link set vt1 mtu 68
check "MTU 65535" ip link set vt1 mtu 65535
ip link set vt1 mtu 65536 2>/dev/null && fail "MTU 65536 accepted"
expect_eq mtu "$(cat /sys/class/net/vt1/mtu)" 65535

ethtool -i vt1 | grep -q "driver: virtif" || fail "ethtool -i does not name the driver"
ethtool -S vt1 | grep -q rx_drop_foreign_unicast || fail "ethtool -S lacks drop counters"

for d in virtif0 vt1 vt2; do check "ip link del $d" ip link del "$d"; done
[ -z "$(ip -o link show type virtif)" ] || fail "interfaces left: $(ip -o link show type virtif)"
check "rmmod" rmmod virtif
exit 0
