#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Offloads:
# - ethtool -k shows what virtif advertises (scatter-gather, checksum,
#   segmentation offloads, highdma);
# - a pair hands GSO packets over whole, like veth: the receiving end sees
#   TCP packets far larger than the MTU;
# - the copying backends get segmented frames with valid checksums: a
#   64000-byte UDP GSO send (UDP_SEGMENT) leaves a user interface as
#   MTU-sized frames whose IPv4 and UDP checksums a reader verifies, and
#   comes back through a loop interface as datagrams a socket receives
#   (the stack drops bad checksums).
. "${0%/*}/lib.sh"

virtif_load
pair_across oa va ob vb 10.23.0
feat() { ip netns exec oa ethtool -k va | awk -v k="$1:" '$1 == k { print $2 }'; }
for f in scatter-gather tx-checksum-ip-generic tcp-segmentation-offload \
	generic-segmentation-offload tx-scatter-gather-fraglist highdma; do
	expect_eq "ethtool -k va: $f" "$(feat $f)" on
done

# GSO across the pair: capture on the receiver, TCP segments > MTU.
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
bg ip netns exec ob tcpdump -i vb -n -c 5 -l 'tcp and greater 3000' >"$tmp/big" 2>"$tmp/tlog"
tpid=$BG_PID
wait_log 20 "$tmp/tlog" "listening on" || fail "tcpdump did not start"
bg ip netns exec ob socat -u TCP4-LISTEN:5002,reuseaddr OPEN:/dev/null
wait_for 10 listening ob 5002 || fail "socat did not listen"
head -c 2000000 /dev/zero | ip netns exec oa socat -u - TCP4:10.23.0.2:5002 || fail "TCP copy"
wait_for 20 dead "$tpid" || fail "tcpdump saw no TCP packet above 3000 bytes on vb: $(cat "$tmp/tlog")"
bg_wait "$tpid" || fail "tcpdump exit status $?: $(cat "$tmp/tlog")"
expect_eq "packets above 3000 bytes tcpdump printed" "$(grep -c . "$tmp/big")" 5
info "on vb: $(head -n1 "$tmp/big")"

# Copying backends: UDP GSO of 64000 bytes in 1400-byte segments.
netns_add_quiet ou
ip -n ou link add u0 type virtif && set_linkstr ou u0 user
ip -n ou addr add 10.23.1.1/24 dev u0 && ip -n ou link set u0 up
ip -n ou neigh add 10.23.1.2 lladdr 02:00:00:23:01:02 dev u0
ip netns exec ou python3 -S - <<'PY' || fail "user: segmented frames"
import os, socket, sys
sys.path.insert(0, os.environ["TESTDIR"])
from vtest import *
UDP_SEGMENT = 103
fd = vu.attach("u0")
wait_for("u0 operational", lambda: sysfs("u0", "operstate") == "up")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 1400)
data = bytes(range(256)) * 250
s.sendto(data, ("10.23.1.2", 9000))
got, mtu = b"", int(sysfs("u0", "mtu"))
while len(got) < len(data):
    wait_readable(fd)
    fr = os.read(fd, U.VIRTIF_MAX_FRAME)
    if len(fr) > mtu + 14:
        fail("a frame of %d bytes left u0 (MTU %d)" % (len(fr), mtu))
    got += check_ipv4_udp(fr)
if got != data:
    fail("the segments do not add up to the datagram")
ok("64000 bytes of UDP GSO left u0 as %d checksummed frames" % ((len(data) + 1399) // 1400))
PY
netns_add_quiet ol
ip -n ol link add vl type virtif && set_linkstr ol vl loop
ip -n ol addr add 10.23.2.1/24 dev vl && ip -n ol link set vl up
own=$(ip netns exec ol cat /sys/class/net/vl/address)
ip -n ol neigh add 10.23.2.2 lladdr "$own" dev vl
ip -n ol addr add 10.23.2.2/32 dev vl
ip netns exec ol python3 -S - <<'PY' || fail "loop: segmented frames"
import socket, sys
UDP_SEGMENT = 103
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("10.23.2.2", 9001))
r.settimeout(10)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 1000)
s.bind(("10.23.2.1", 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"vl")
s.sendto(b"y" * 10000, ("10.23.2.2", 9001))
n = sum(len(r.recv(2000)) for _ in range(10))
if n != 10000:
    sys.exit("received %d bytes over loop, want 10000" % n)
print("# ok: 10000 bytes of UDP GSO came back over loop as 10 valid datagrams")
PY
exit 0
