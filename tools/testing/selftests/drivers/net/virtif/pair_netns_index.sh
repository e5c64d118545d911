#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: pairing compares devices, not interface indices. The
# ends of a pair may live in different namespaces, where the same index
# names another device: pair va-vb, move vb to another namespace, create vp2
# with vb's old index and pair it with vq, then ask va for pair:vp2. vp2 is
# taken, so that is EBUSY (over sysfs and netlink), and nothing changes:
# va stays with vb, vp2 with vq, and every interface can then be deleted.
# (The driver used to skip the "already paired" check because vb's index
# matched vp2's: a debug kernel panicked under RTNL, a release kernel leaked
# a reference and "ip link del vp2" waited forever.)
. "${0%/*}/lib.sh"

virtif_load
netns_add px
ip link add va type virtif && ip link add vb type virtif || fail "add va, vb"
set_linkstr va pair:vb
idx=$(cat /sys/class/net/vb/ifindex)
ip link set vb netns px || fail "move vb"
ip link add vp2 index "$idx" type virtif || fail "add p2 with index $idx"
ip link add vq type virtif || fail "add q"
set_linkstr vp2 pair:vq
expect_eq "va's peer across namespaces" "$(linkstr va)" pair:vb
expect_eq "vb (in px)" "$(linkstr vb px)" pair:va

expect_eq "sysfs: va -> pair:vp2" "$(sysfs_write /sys/class/net/va/virtif/linkstr pair:vp2)" EBUSY
out=$("$NL" set va --linkstr pair:vp2)
case "$out" in "error: EBUSY ("*"): virtif: "*) ;; *) fail "netlink: va -> pair:vp2: '$out'" ;; esac
expect_eq "va unchanged" "$(linkstr va)" pair:vb
expect_eq "vb unchanged" "$(linkstr vb px)" pair:va
expect_eq "vp2 unchanged" "$(linkstr vp2)" pair:vq
expect_eq "vq unchanged" "$(linkstr vq)" pair:vp2

# Everything can go, without waiting for a reference.
for d in vp2 vq va; do check "del $d" timeout 30 ip link del "$d"; done
check "del vb" timeout 30 ip -n px link del vb
exit 0
