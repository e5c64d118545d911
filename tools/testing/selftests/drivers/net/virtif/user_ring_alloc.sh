#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: the ring of a user interface is allocated with kvmalloc,
# so a long ring (txqueuelen 32000, near the core's limit of 32767: 250 KB
# of slots, an order-6 allocation
# for kmalloc) does not need
# physically contiguous memory: attach succeeds while every page allocation
# of order 1 and more fails for the attaching task (fault injection). It used
# to be one kmalloc of that order, which failed then (ENOMEM).
. "${0%/*}/lib.sh"

virtif_load
FAULT_MIN_ORDER=1 fault_setup
ip link add u0 txqueuelen 32000 type virtif || fail "add u0"
set_linkstr u0 user
expect_eq "attach with order >= 1 allocations failing" \
	"$("$TESTDIR/virtif_user.py" attach u0 --make-it-fail </dev/null)" attached
ip link del u0 || fail "del"
exit 0
