#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every linkstr rule returns its errno and an extack message over netlink:
# EINVAL empty/unknown/bad argument, E2BIG above 4096 bytes, EBUSY while up,
# ENODEV for a missing peer; changing it while down replaces the backend.
. "${0%/*}/lib.sh"

virtif_load
ip link add v1 type virtif && ip link add v2 type virtif && ip link add v3 type virtif || fail "ip link add"
ip link add d0 type dummy || fail "dummy"

# expect_err ERRNO_NAME ARGS...: virtif_nl.py must fail with that errno and a message.
expect_err() {
	local want=$1; shift
	local out
	out=$("$NL" "$@") && fail "'virtif_nl.py $*' succeeded, want $want"
	echo "# $* -> $out"
	case "$out" in "error: $want ("*"): virtif: "*) ;; *) fail "'$*': got '$out', want $want with a message" ;; esac
}

expect_err EINVAL set v1 --linkstr ""
expect_err EINVAL set v1 --linkstr "bogus"
expect_err EINVAL set v1 --linkstr "pair:"
expect_err EINVAL set v1 --linkstr "pair:v1"
expect_err EINVAL set v1 --linkstr "pair:d0"
expect_err ENODEV set v1 --linkstr "pair:nosuchif"
expect_err E2BIG set v1 --linkstr-len 4097
expect_err EINVAL set v1 --linkstr-len 4096
expect_eq "linkstr after errors" "$("$NL" get v1)" ""

check "set loop" "$NL" set v1 --linkstr loop
expect_eq "get" "$("$NL" get v1)" loop
ip link set v1 up
expect_eq "carrier with loop" "$(cat /sys/class/net/v1/carrier)" 1
expect_err EBUSY set v1 --linkstr loop
ip link set v1 down

# Replacing the backend while down: loop -> pair, both ends see it.
check "loop -> pair" "$NL" set v1 --linkstr pair:v2
expect_eq "v1" "$("$NL" get v1)" pair:v2
expect_eq "v2 (joined by v1)" "$("$NL" get v2)" pair:v1
expect_err EBUSY set v3 --linkstr pair:v1
# Re-pair v1 with v3: v2 is left without a peer.
check "pair -> pair" "$NL" set v1 --linkstr pair:v3
expect_eq "v3" "$("$NL" get v3)" pair:v1
expect_eq "v2 after v1 left" "$("$NL" get v2)" ""

# At creation.
check "add with linkstr" "$NL" add v4 --linkstr loop
expect_eq "v4" "$("$NL" get v4)" loop
expect_err EINVAL add v5 --linkstr nonsense
ip link show v5 >/dev/null 2>&1 && fail "v5 exists after a refused creation"
expect_err ENODEV add v6 --linkstr pair:nosuchif
ip link show v6 >/dev/null 2>&1 && fail "v6 exists after a refused creation"
for d in v1 v2 v3 v4 d0; do ip link del $d; done
exit 0
