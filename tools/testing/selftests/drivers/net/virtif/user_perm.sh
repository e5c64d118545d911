#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Attaching to an interface takes CAP_NET_ADMIN over its network namespace:
# refused with EPERM for root without the capability and for other users,
# allowed to an unprivileged user in a namespace it owns (user namespace).
. "${0%/*}/lib.sh"

virtif_load
ip link add u1 type virtif || fail "add u1"
"$NL" set u1 --linkstr user >/dev/null || fail "linkstr user"
UA="$TESTDIR/virtif_user.py"

expect_eq "root without CAP_NET_ADMIN" \
	"$(setpriv --inh-caps=-net_admin --bounding-set=-net_admin "$UA" attach u1 </dev/null)" "error: EPERM"
expect_eq "user nobody" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups "$UA" attach u1 </dev/null)" "error: EPERM"
expect_eq "user nobody, no such interface (no existence leak)" \
	"$(setpriv --reuid=65534 --regid=65534 --clear-groups "$UA" attach nosuch0 </dev/null)" "error: EPERM"
expect_eq "root" "$("$UA" attach u1 </dev/null)" attached

# An unprivileged user in its own user and network namespace.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urn bash -c "
	ip link add u9 type virtif || exit 1
	'$NL' set u9 --linkstr user >/dev/null || exit 2
	ip link set u9 up || exit 3
	'$UA' attach u9 </dev/null" 2>&1)
expect_eq "user in its own namespaces" "$out" attached
exit 0
