#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cpus: 2 (TX parallel: a sender on each CPU)
# Shared-memory rings (VIRTIF_ATTACH_RING, VIRTIF_KICK): attach and mmap
# validation; frames both ways through the rings; a full TX ring stops the
# queue without loss; tx_wait and poll; NEED_KICK; bad slots, lengths and
# indices dropped and counted; closing, unmapping and deleting the interface
# in every order, with frames in flight; then the module unloads. See
# user_ring.py.
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet ur
user_iface ur 10.62.0
ip netns exec ur "$TESTDIR/user_ring.py" || fail "user_ring.py"
# Every file is closed and every mapping gone: nothing may hold the module.
ip -n ur link del u0 || fail "del u0"
virtif_unload
exit 0
