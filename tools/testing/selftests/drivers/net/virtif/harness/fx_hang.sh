#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a task blocked in D state (insmod sleeping in init) must
# be named by the hung-task detector (timeout lowered to 3 s here).
. "${0%/*}/../lib.sh"
sysctl -qw kernel.hung_task_timeout_secs=3 || fail "hung_task_timeout_secs (no DETECT_HUNG_TASK?)"
check insmod insmod "$SPLAT_KO" mode=hang secs=10
check rmmod rmmod virtif_splat
exit 0
