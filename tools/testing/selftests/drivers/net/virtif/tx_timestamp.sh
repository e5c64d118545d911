#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regression test: software transmit timestamps. ethtool -T advertises
# software-transmit, and a socket that asks for them (SO_TIMESTAMPING,
# SOF_TIMESTAMPING_TX_SOFTWARE) gets one per datagram, on every backend
# (pair, loop, user). They used to be advertised but never produced.
. "$(dirname "$0")/lib.sh"

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
exit 0
