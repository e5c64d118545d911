#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a CPU that does not schedule for 10 s must be named by
# the soft-lockup detector (threshold lowered to 2 x 2 s here).
. "${0%/*}/../lib.sh"
sysctl -qw kernel.watchdog_thresh=2 || fail "watchdog_thresh (no SOFTLOCKUP_DETECTOR?)"
check insmod insmod "$SPLAT_KO" mode=spin secs=10
check rmmod rmmod virtif_splat
sysctl -qw kernel.watchdog_thresh=10
exit 0
