#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif.ko loads, registers as a module, logs, and unloads cleanly.
. "${0%/*}/lib.sh"

[ -f "$VIRTIF_KO" ] || fail "$VIRTIF_KO not built"
virtif_unload

check "insmod virtif.ko" insmod "$VIRTIF_KO"
module_loaded virtif || fail "/sys/module/virtif missing after insmod"
expect_eq "module state" "$(cat /sys/module/virtif/initstate)" live
test_dmesg | grep -q "virtif: loaded" || fail "no load message in dmesg"
check "rmmod virtif" rmmod virtif
module_loaded virtif && fail "virtif still loaded after rmmod"
test_dmesg | grep -q "virtif: unloaded" || fail "no unload message in dmesg"
exit 0
