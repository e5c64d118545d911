#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The /dev/virtif protocol call by call: attach rules, carrier, single-frame
# and batch read/write, EMSGSIZE/EAGAIN/EBADFD/ENXIO, refused frames counted,
# drops while down counted, poll, close and interface deletion.
. "${0%/*}/lib.sh"

virtif_load
[ -c /dev/virtif ] || fail "/dev/virtif missing"
expect_eq "/dev/virtif mode" "$(stat -c %a /dev/virtif)" 666
netns_add_quiet ua
ip -n ua link add u0 type virtif || fail "add u0"
ip -n ua link add l0 type virtif || fail "add l0"
ip netns exec ua "$NL" set u0 --linkstr user >/dev/null || fail "linkstr user"
ip netns exec ua "$NL" set l0 --linkstr loop >/dev/null || fail "linkstr loop"
ip -n ua link set u0 up || fail "u0 up"
ip -n ua -d link show u0 | grep -q "qdisc noqueue" && fail "a user interface must have a qdisc"
ip netns exec ua "$TESTDIR/user_api.py" || fail "user_api.py"
exit 0
