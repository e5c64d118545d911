#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression tests for the sysfs linkstr file:
# - writing it takes CAP_NET_ADMIN over the interface's namespace, like every
#   net-sysfs store (root without the capability used to be able to);
# - an unprivileged user may, in a network namespace its user namespace owns;
# - a writer waiting for RTNL sleeps (sysfs_rtnl_lock()) instead of spinning
#   in a trylock / restart_syscall loop.
. "${0%/*}/lib.sh"

virtif_load
ip link add v1 type virtif || fail "add v1"
F=/sys/class/net/v1/virtif/linkstr
noadmin=(setpriv --inh-caps=-net_admin --bounding-set=-net_admin)
expect_eq "root without CAP_NET_ADMIN" "$("${noadmin[@]}" python3 -S -c '
import errno, os
try:
    os.write(os.open("'$F'", os.O_WRONLY), b"loop"); print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])')" EPERM
expect_eq "unchanged" "$(linkstr v1)" ""
expect_eq "root" "$(sysfs_write $F loop)" ok

# An unprivileged user, in its own user and network namespace (with a sysfs
# of that namespace mounted).
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urnm bash -c '
	mount -t sysfs sysfs /sys || exit 1
	ip link add v9 type virtif || exit 2
	printf loop >/sys/class/net/v9/virtif/linkstr || exit 3
	cat /sys/class/net/v9/virtif/linkstr' 2>&1)
expect_eq "user in its own namespaces" "$out" loop

# A writer waiting for RTNL must sleep, not spin: hold RTNL for 4 s (test
# module), write meanwhile, and look at the writer's CPU time.
[ -f "$SPLAT_KO" ] || fail "$SPLAT_KO not built (make test-modules)"
ip link add v2 type virtif || fail "add v2"
bg insmod "$SPLAT_KO" mode=rtnl secs=4
holder=$BG_PID
wait_for 20 sh -c 'dmesg | grep -q "virtif_splat: holding RTNL"' || fail "RTNL holder did not start"
cpu=$(python3 -S -c '
import os
fd = os.open("/sys/class/net/v2/virtif/linkstr", os.O_WRONLY)
t0 = os.times()
os.write(fd, b"loop")
t1 = os.times()
print(int((t1.user + t1.system - t0.user - t0.system) * 1000))')
bg_wait "$holder" || fail "RTNL holder"
rmmod virtif_splat
expect_eq "written once RTNL was free" "$(linkstr v2)" loop
info "the writer used $cpu ms of CPU while it waited 4 s for RTNL"
[ "$cpu" -lt 1500 ] || fail "the writer spun while waiting for RTNL ($cpu ms of CPU)"
ip link del v1 && ip link del v2 || fail "del"
exit 0
