#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fault campaign over the configuration paths: for each operation, make the
# 1st, 2nd, 3rd, ... allocation it performs fail (/proc/self/fail-nth), until
# it runs with no fault left to inject. Every attempt must either succeed or
# fail with ENOMEM/ENOBUFS, and a failed one must leave everything as it was
# (the old backend, both ends of a pair, the carrier). The runner checks the
# log for splats and the final kmemleak scan for leaks.
#   set_linkstr loop, loop -> pair:b, pair -> user (sysfs)
#   ip link add ... linkstr loop (netlink newlink)
#   VIRTIF_ATTACH
# The campaigns run in one process: fault_config.py.
# Regression: set_linkstr used to detach the old backend before the
# allocations that could still fail, losing it on ENOMEM.
. "${0%/*}/lib.sh"

virtif_load
fault_setup
"$TESTDIR/fault_config.py" || fail "fault_config.py"
expect_eq "virtif interfaces left by the campaigns" "$(ip -o link show type virtif | wc -l)" 0
exit 0
