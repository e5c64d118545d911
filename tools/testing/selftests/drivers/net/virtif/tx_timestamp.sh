#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: software transmit timestamps. ethtool -T advertises
# software-transmit, and a socket that asks for them (SO_TIMESTAMPING,
# SOF_TIMESTAMPING_TX_SOFTWARE) gets one per datagram, on every backend
# (pair, loop, user). They used to be advertised but never produced.
# Then exactly one per datagram when the user backend's ring is full as
# the interface comes up: the packet that meets the full ring goes back to
# the qdisc untouched -- still its socket's, in its send queue -- and is
# stamped once, when it is queued. (It used to be stamped and detached from
# its socket before it was handed back.)
. "${0%/*}/lib.sh"

virtif_load
pair_across ta va tb vb 10.22.0
netns_add_quiet tl
ip -n tl link add vl type virtif && set_linkstr tl vl loop
ip -n tl addr add 10.22.1.1/24 dev vl && ip -n tl link set vl up
netns_add_quiet tu
ip -n tu link add vu type virtif && set_linkstr tu vu user
ip -n tu addr add 10.22.2.1/24 dev vu && ip -n tu link set vu up
attach_hold tu vu
expect_carrier tu vu 1
ip netns exec ta ethtool -T va | grep -q software-transmit || fail "ethtool -T: $(ip netns exec ta ethtool -T va)"
ts() { # ts NS IF DST: one datagram, one TX timestamp
	ip netns exec "$1" python3 -S - "$2" "$3" <<'PY'
import select, socket, sys
SO_TIMESTAMPING, SCM_TIMESTAMPING = 37, 37
TX_SOFTWARE, SOFTWARE, OPT_TSONLY = 1 << 1, 1 << 4, 1 << 11
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, TX_SOFTWARE | SOFTWARE | OPT_TSONLY)
s.sendto(b"stamp me", (sys.argv[2], 9))
p = select.poll()
p.register(s, select.POLLERR)
if not p.poll(5000):
    sys.exit("no transmit timestamp within 5 s")
_, anc, _, _ = s.recvmsg(0, 1024, socket.MSG_ERRQUEUE)
if not any(l == socket.SOL_SOCKET and t == SCM_TIMESTAMPING for l, t, _ in anc):
    sys.exit("error queue without SCM_TIMESTAMPING: %r" % anc)
PY
}
ip -n tl neigh add 10.22.1.2 lladdr 02:00:00:22:01:02 dev vl
ip -n tu neigh add 10.22.2.2 lladdr 02:00:00:22:02:02 dev vu
check "pair: TX timestamp" ts ta va 10.22.0.2
check "loop: TX timestamp" ts tl vl 10.22.1.2
check "user: TX timestamp" ts tu vu 10.22.2.2

# A ring of 4 frames, a reader that starts only when told to.
netns_add_quiet tq
ip -n tq link add vq txqueuelen 4 type virtif && set_linkstr tq vq user
ip -n tq addr add 10.22.3.1/24 dev vq && ip -n tq link set vq up
ip -n tq neigh add 10.22.3.2 lladdr 02:00:00:22:03:02 dev vq
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
bg ip netns exec tq "$TESTDIR/virtif_user.py" sink vq --wait-file "$tmp/go" --idle 3 >"$tmp/got"
sink=$BG_PID
expect_carrier tq vq 1
ids=$(ip netns exec tq python3 -S - vq 10.22.3.2 "$tmp/go" <<'PY'
import fcntl, os, select, socket, struct, subprocess, sys, termios, time
SO_TIMESTAMPING, IP_RECVERR = 37, 11
TX_SOFTWARE, SOFTWARE, OPT_ID, OPT_TSONLY = 1 << 1, 1 << 4, 1 << 7, 1 << 11
ifname, dst, go = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, TX_SOFTWARE | SOFTWARE | OPT_ID | OPT_TSONLY)
for i in range(4):  # datagrams 0-3 fill the ring; its queue stops
    s.sendto(b"d%d" % i, (dst, 9))
def ip(*a):
    subprocess.run(["ip", "link", "set", ifname] + list(a), check=True)
ip("down")
ip("up")  # the queue runs again, in front of the full ring
end = time.monotonic() + 10
while open("/sys/class/net/%s/operstate" % ifname).read().strip() != "up":
    if time.monotonic() > end:
        sys.exit("%s not operational after up" % ifname)
    time.sleep(0.05)
# (Down flushed the neighbour entry: datagram 4 must not wait for ARP.)
subprocess.run(["ip", "neigh", "replace", dst, "lladdr", "02:00:00:22:03:02", "dev", ifname,
                "nud", "permanent"], check=True)
s.sendto(b"d4", (dst, 9))  # datagram 4 meets the full ring
# Handed back to the qdisc, it is still the socket's: it counts in the
# socket's send queue (SIOCOUTQ) until it is queued in the ring.
outq = struct.unpack("i", fcntl.ioctl(s, termios.TIOCOUTQ, b"\0" * 4))[0]
if outq <= 0:
    sys.exit("datagram 4 waits in the qdisc, but its socket does not own it (SIOCOUTQ %d)" % outq)
open(go, "w").close()  # the reader drains the ring; datagram 4 follows
ids, p = [], select.poll()
p.register(s, select.POLLERR)
while p.poll(3000):
    _, anc, _, _ = s.recvmsg(0, 1024, socket.MSG_ERRQUEUE)
    for level, typ, data in anc:
        if level == socket.SOL_IP and typ == IP_RECVERR:
            ids.append(struct.unpack_from("=I", data, 12)[0])  # ee_data: the datagram
print(" ".join(map(str, sorted(ids))))
PY
) || fail "user, full ring across down and up: the sender"
expect_eq "user, full ring across down and up: timestamps by datagram" "$ids" "0 1 2 3 4"
bg_wait "$sink" || fail "the reader"
expect_eq "user, full ring across down and up: frames read" "$(cat "$tmp/got")" 5
exit 0
