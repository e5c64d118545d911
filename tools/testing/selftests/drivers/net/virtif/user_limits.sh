#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression tests for the limits of /dev/virtif (see user_limits.py): the
# largest frame (MTU 65535 + 18 bytes = 65553) is read and written whole with
# a buffer of VIRTIF_MAX_FRAME bytes (the header used to say 65536, so such a
# frame blocked the ring forever); a batch write takes at most
# VIRTIF_BATCH_MAX records (it used to take a 2 GiB buffer in one
# uninterruptible loop).
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet ul
ip -n ul link add u0 mtu 65535 type virtif || fail "add u0"
set_linkstr ul u0 user
ip -n ul link set u0 up || fail "up"
ip netns exec ul "$TESTDIR/user_limits.py" || fail "user_limits.py"
exit 0
