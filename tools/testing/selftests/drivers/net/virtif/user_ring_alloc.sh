#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: the ring of a user interface is allocated with kvmalloc,
# so a long ring (txqueuelen 60000: 480 KB of slots, an order-7 allocation
# for kmalloc) does not need
# physically contiguous memory: attach succeeds while every page allocation
# of order 1 and more fails for the attaching task (fault injection). It used
# to be an order-7 kmalloc, which failed then (ENOMEM).
. "$(dirname "$0")/lib.sh"

virtif_load
FAULT_MIN_ORDER=1 fault_setup
ip link add u0 txqueuelen 60000 type virtif || fail "add u0"
set_linkstr u0 user
expect_eq "attach with order >= 1 allocations failing" \
	"$("$TESTDIR/virtif_user.py" attach u0 --make-it-fail </dev/null)" attached
ip link del u0 || fail "del"
exit 0
