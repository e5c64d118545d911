#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: a pair's linkstr names the peer as it is called now. After
# "ip link set vb name vc", va's linkstr reads pair:vc over sysfs and netlink
# (it used to keep showing the stale pair:vb).
. "${0%/*}/lib.sh"

virtif_load
ip link add va type virtif && ip link add vb type virtif || fail "add"
set_linkstr va pair:vb
ip link set vb name vc || fail "rename vb"
expect_eq "sysfs" "$(linkstr va)" pair:vc
expect_eq "netlink" "$("$NL" get va)" pair:vc
expect_eq "the renamed end" "$(linkstr vc)" pair:va
ip link set va name vd || fail "rename va"
expect_eq "the other way" "$(linkstr vc)" pair:vd
ip link del vc && ip link del vd || fail "del"
exit 0
