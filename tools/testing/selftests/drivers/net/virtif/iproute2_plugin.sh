#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The iproute2 plugin (samples/iproute2/link_virtif.so): "ip link add/set
# ... type virtif linkstr X" sets the linkstr, "ip -d link show" (text and
# JSON) prints it, and the driver's extack message reaches the user.
. "${0%/*}/lib.sh"

export IP_LIB_DIR=$TOP/samples/target/iproute2
[ -f "$IP_LIB_DIR/link_virtif.so" ] || skip "plugin not built: run scripts/build-samples"
virtif_load
check "add with linkstr" ip link add p0 type virtif linkstr loop
ip -d link show p0 | grep -q "virtif linkstr loop" || fail "ip -d link show: $(ip -d link show p0)"
check "add p1" ip link add p1 type virtif
check "set linkstr" ip link set p0 type virtif linkstr pair:p1
expect_eq "json" "$(ip -j -d link show p1 | python3 -S -c 'import json, sys
print(json.load(sys.stdin)[0]["linkinfo"]["info_data"]["linkstr"])')" pair:p0
expect_eq "sysfs agrees" "$(cat /sys/class/net/p0/virtif/linkstr)" pair:p1
out=$(ip link add p2 type virtif linkstr bogus 2>&1) && fail "bogus linkstr accepted"
case "$out" in *"virtif: unknown backend"*) ;; *) fail "no extack message: $out" ;; esac
ip link show p2 >/dev/null 2>&1 && fail "p2 exists after a refused linkstr"
ip link set p0 up
out=$(ip link set p0 type virtif linkstr loop 2>&1) && fail "linkstr changed while up"
case "$out" in *"while the interface is up"*) ;; *) fail "EBUSY message: $out" ;; esac
ip link help virtif 2>&1 | grep -q "LINKSTR := loop | pair:IFNAME | user" || fail "help"
exit 0
