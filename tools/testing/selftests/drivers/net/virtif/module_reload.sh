#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Load and unload virtif many times in a row: no leak, no splat, no stuck
# reference (the runner checks the kernel log after each test).
. "${0%/*}/lib.sh"

virtif_unload
for i in $(seq 1 10); do
	insmod "$VIRTIF_KO" || fail "insmod #$i"
	rmmod virtif || fail "rmmod #$i"
done
module_loaded virtif && fail "virtif still loaded"
exit 0
