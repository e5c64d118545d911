#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: frames waiting in a user ring no longer belong to their
# socket (like tun, the driver orphans them and drops their conntrack entry
# and route): a UDP socket whose datagrams sit in the ring of a reader that
# stalls has nothing charged to its send buffer (SIOCOUTQ is 0). Before, the
# datagrams kept their socket's memory for as long as the reader stalled.
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet uo
ip -n uo link add u0 txqueuelen 100 type virtif || fail "add u0"
set_linkstr uo u0 user
ip -n uo addr add 10.21.0.1/24 dev u0
ip -n uo link set u0 up || fail "up"
ip -n uo neigh add 10.21.0.2 lladdr 02:00:00:21:00:02 dev u0 || fail "neighbour"
attach_hold uo u0
expect_carrier uo u0 1
ip netns exec uo python3 -S - <<'PY' || fail "orphan check"
import fcntl, os, socket, struct, sys, termios
sys.path.insert(0, os.environ["TESTDIR"])
from vtest import *
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(10):
    s.sendto(b"x" * 1000, ("10.21.0.2", 9))
wait_drained("u0")
outq = struct.unpack("i", fcntl.ioctl(s, termios.TIOCOUTQ, b"\0" * 4))[0]
info("10 datagrams in the ring; the socket's send queue holds %d bytes" % outq)
if outq != 0:
    fail("frames in the ring still charge their socket (%d bytes)" % outq)
PY
exit 0
