#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: the OOM killer kills a process of the test.
. "${0%/*}/../lib.sh"
bg python3 -S -c "import sys, time; b = bytearray(64 << 20); print(\"ready\", flush=True); time.sleep(60)" >/tmp/fx_oom.out
hog=$BG_PID
echo 1000 >/proc/$hog/oom_score_adj
wait_log 30 /tmp/fx_oom.out ready || fail "memory hog did not start"
echo f >/proc/sysrq-trigger
wait_for 10 dead "$hog" || fail "the OOM killer did not kill the hog"
exit 0
