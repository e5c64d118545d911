#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Shared-memory rings (VIRTIF_ATTACH_RING, VIRTIF_KICK): attach and mmap
# validation; frames both ways through the rings; a full TX ring stops the
# queue without loss; tx_wait and poll; NEED_KICK; bad slots, lengths and
# indices dropped and counted; closing, unmapping and deleting the interface
# in every order, with frames in flight; then the module unloads. See
# user_ring.py.
. "$(dirname "$0")/lib.sh"

virtif_load
netns_add_quiet ur
ip -n ur link add u0 type virtif || fail "add u0"
set_linkstr ur u0 user
ip -n ur addr add 10.62.0.1/24 dev u0
ip -n ur neigh replace 10.62.0.2 lladdr 02:00:00:00:62:02 dev u0 nud permanent ||
	fail "static neighbour"
ip -n ur link set u0 up || fail "u0 up"
ip netns exec ur "$TESTDIR/user_ring.py" || fail "user_ring.py"
# Every file is closed and every mapping gone: nothing may hold the module.
ip -n ur link del u0 || fail "del u0"
virtif_unload
exit 0
