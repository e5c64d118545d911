#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# /sys/class/net/<if>/virtif/linkstr: reads back what is set (over netlink
# or sysfs) and applies the same rules as netlink, with the same errnos:
# EINVAL empty/unknown/bad argument, ENODEV missing peer, E2BIG above 4096
# bytes, EBUSY while up. It follows the interface into another namespace.
. "${0%/*}/lib.sh"

# sysfs_write FILE DATA: prints "ok" or the errno name of the write.
sysfs_write() {
	python3 -S -c 'import errno, os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY)
    n = os.write(fd, sys.argv[2].encode())
    print("ok" if n == len(sys.argv[2]) else "short")
except OSError as e:
    print(errno.errorcode[e.errno])' "$@"
}
F=/sys/class/net/v1/virtif/linkstr
expect_write() { # expect_write RESULT DATA [FILE]
	expect_eq "write '${2:0:40}'" "$(sysfs_write "${3:-$F}" "$2")" "$1"
}

virtif_load
ip link add v1 type virtif && ip link add v2 type virtif || fail "ip link add"
ip link add d0 type dummy || fail "dummy"
on_exit "ip link del d0"
[ -f $F ] || fail "$F missing"
expect_eq "mode" "$(stat -c %a $F)" 644
expect_eq "no linkstr yet" "$(cat $F)" ""

expect_write EINVAL $'\n'
expect_write EINVAL bogus
expect_write EINVAL pair:
expect_write EINVAL pair:v1
expect_write EINVAL pair:d0
expect_write ENODEV pair:nosuchif
expect_write E2BIG "$(head -c 4097 /dev/zero | tr '\0' x)"
# sysfs passes at most one page (4096 bytes) and cuts longer writes short,
# so a write that fills the page is refused as too long, too.
expect_write E2BIG "$(head -c 4096 /dev/zero | tr '\0' x)"
expect_write EINVAL "$(head -c 4095 /dev/zero | tr '\0' x)"
expect_eq "linkstr after errors" "$(cat $F)" ""

expect_write ok $'loop\n'
expect_eq "read back" "$(cat $F)" loop
expect_eq "netlink agrees" "$("$NL" get v1)" loop
ip link set v1 up
expect_eq "carrier with loop" "$(cat /sys/class/net/v1/carrier)" 1
expect_write EBUSY pair:v2
ip link set v1 down

expect_write ok pair:v2
expect_eq "v1" "$(cat $F)" pair:v2
expect_eq "v2 joined by v1" "$(cat /sys/class/net/v2/virtif/linkstr)" pair:v1
check "netlink set" "$NL" set v2 --linkstr loop
expect_eq "v1 after v2 left" "$(cat $F)" ""
expect_eq "v2 over sysfs" "$(cat /sys/class/net/v2/virtif/linkstr)" loop
expect_write ok user
expect_eq "user" "$(cat $F)" user

netns_add sx
ip link set v1 netns sx || fail "move v1"
expect_eq "in another namespace" "$(ip netns exec sx cat $F)" user
expect_eq "write there" "$(ip netns exec sx bash -c "$(declare -f sysfs_write); sysfs_write $F loop")" ok
expect_eq "read there" "$(ip netns exec sx cat $F)" loop
ip -n sx link set v1 netns 1 || fail "move back"
expect_eq "back home" "$(cat $F)" loop
exit 0
