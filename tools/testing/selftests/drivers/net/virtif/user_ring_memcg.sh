#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: the memory of shared-memory rings is charged to the memory
# cgroup of the process that attaches them (see user_ring_memcg.py). It used
# to be vmalloc_user() memory charged to nobody, so a process with
# CAP_NET_ADMIN in a user namespace of its own could pin 64 MiB of kernel
# memory per file, past any limit of its cgroup.
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet um
for i in 0 1; do
	ip -n um link add u$i type virtif || fail "add u$i"
	set_linkstr um u$i user
done
ip netns exec um "$TESTDIR/user_ring_memcg.py" || fail "user_ring_memcg.py"
ip -n um link del u0 || fail "del u0"
ip -n um link del u1 || fail "del u1"
virtif_unload
exit 0
