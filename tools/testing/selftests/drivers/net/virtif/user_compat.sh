#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: a 32-bit program can attach (compat_ioctl; struct
# virtif_attach has the same layout in both ABIs). It used to get ENOTTY.
. "${0%/*}/lib.sh"

[ -x "$TESTDIR/attach32" ] || fail "attach32 not built (make -C $TESTDIR)"
virtif_load
ip link add u1 type virtif || fail "add u1"
set_linkstr u1 user
expect_eq "32-bit attach" "$("$TESTDIR/attach32" u1)" attached
expect_eq "32-bit attach, not user" "$(ip link add l1 type virtif && "$TESTDIR/attach32" l1)" "error: EINVAL"
ip link del u1 && ip link del l1 || fail "del"
exit 0
