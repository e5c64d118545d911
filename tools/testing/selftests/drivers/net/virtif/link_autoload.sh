#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# 'ip link add type virtif' loads the module by its rtnl-link alias; numifs
# pre-creates interfaces; rmmod removes them.
. "${0%/*}/lib.sh"

virtif_unload
moddir=/lib/modules/$(uname -r)
# virtme-ng mounts its own read-only /lib/modules in the guest: put a
# scratch one over it (the guest is thrown away after the run).
mount -t tmpfs virtif-modules /lib/modules || skip "cannot mount a scratch /lib/modules"
on_exit 'umount /lib/modules 2>/dev/null'
mkdir -p "$moddir/extra" || fail "mkdir $moddir"
cp "$VIRTIF_KO" "$moddir/extra/" && depmod -a || fail "depmod"
modinfo -F alias virtif | grep -qx rtnl-link-virtif || fail "no rtnl-link-virtif alias"
check "ip link add (autoload)" ip link add va0 type virtif
module_loaded virtif || fail "virtif not loaded by ip link add"
check "ip link del" ip link del va0
check rmmod rmmod virtif

check "insmod numifs=3" insmod "$VIRTIF_KO" numifs=3
expect_eq "interfaces created by numifs" "$(ip -o link show type virtif | wc -l)" 3
for i in 0 1 2; do ip link show "virtif$i" >/dev/null || fail "virtif$i missing"; done
check "rmmod with interfaces" rmmod virtif
ip link show virtif0 >/dev/null 2>&1 && fail "virtif0 survived rmmod"
exit 0
