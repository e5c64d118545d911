#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Drop accounting: every dropped frame is counted in its reason's ethtool -S
# counter and in rx_dropped/tx_dropped, and a dropped packet is freed with a
# real SKB_DROP_REASON_*, so that the skb:kfree_skb tracepoint (perf,
# dropwatch) names why:
# - a pair's receiver drops a foreign unicast frame (OTHERHOST) and one
#   larger than its MTU (PKT_TOO_BIG);
# - a user ring full in drop mode (FULL_RING), frames left queued when the
#   reader detaches (QUEUE_PURGE), a reader whose buffer cannot be written
#   (SKB_UCOPY_FAULT, tx_drop_user_fault);
# - no memory for a frame the process writes (fault injection:
#   rx_drop_no_memory).
. "${0%/*}/lib.sh"

virtif_load
fault_setup
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs tracefs $T || fail "no tracefs"
[ -d $T/events/skb/kfree_skb ] || fail "no skb:kfree_skb tracepoint (CONFIG_FTRACE)"
echo > $T/trace
echo 1 > $T/events/skb/kfree_skb/enable
on_exit "echo 0 > $T/events/skb/kfree_skb/enable"
traced() { grep -c "reason: $1\$" $T/trace; }

for ns in da db; do netns_add_quiet $ns; done
make_pair da va db vb
dst=$(ip netns exec db cat /sys/class/net/vb/address)
d0=$(counter db vb rx_dropped) f0=$(counter db vb rx_drop_foreign_unicast)
ip netns exec da "$SENDETH" va 02:00:00:00:99:99 5 || fail sendeth
expect_eq "foreign unicast counted" "$(counter db vb rx_drop_foreign_unicast)" $((f0 + 5))
expect_eq "in rx_dropped" "$(counter db vb rx_dropped)" $((d0 + 5))
expect_ge "traced as OTHERHOST" "$(traced OTHERHOST)" 5
ip -n da link set va mtu 9000
o0=$(counter db vb rx_drop_oversize)
ip netns exec da "$SENDETH" va "$dst" 3 --size 5000 || fail sendeth
expect_eq "oversize counted" "$(counter db vb rx_drop_oversize)" $((o0 + 3))
expect_ge "traced as PKT_TOO_BIG" "$(traced PKT_TOO_BIG)" 3

netns_add_quiet du
ip -n du link add u0 txqueuelen 4 type virtif && set_linkstr du u0 user
ip -n du link set u0 up
ip netns exec du python3 -S - <<'PY' || fail "user backend drops"
import ctypes, os, sys
sys.path.insert(0, os.environ["TESTDIR"])
from vtest import *
IF = "u0"
tx = packet_socket(IF)
# Drop mode: a ring of 4, 10 frames, nobody reading.
fd = vu.attach(IF, vu.F_TX_DROP)
wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
full0 = ethstat(IF, "tx_drop_queue_full")
for i in range(10):
    tx.send(frame(BCAST, 60, i))
wait_drained(IF)
if ethstat(IF, "tx_drop_queue_full") != full0 + 6:
    fail("tx_drop_queue_full %d, want %d" % (ethstat(IF, "tx_drop_queue_full"), full0 + 6))
# A reader whose buffer is unmapped: EFAULT, the frame counted as lost.
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
uf0 = ethstat(IF, "tx_drop_user_fault")
iov = iovec(0x1000, 2048)
if libc.readv(fd, ctypes.byref(iov), 1) != -1 or ctypes.get_errno() != errno.EFAULT:
    fail("readv into an unmapped buffer: want EFAULT")
if ethstat(IF, "tx_drop_user_fault") != uf0 + 1:
    fail("tx_drop_user_fault not counted")
# Closing with 3 frames queued: they are purged.
det0 = ethstat(IF, "tx_drop_detached")
os.close(fd)
if ethstat(IF, "tx_drop_detached") != det0 + 3:
    fail("tx_drop_detached %d, want %d" % (ethstat(IF, "tx_drop_detached"), det0 + 3))
# No memory for a written frame: fail the write's 1st, 2nd, ... allocation
# until one fails the write (an allocator may absorb a fault with a
# fallback); every write either delivered its frame or failed with ENOMEM,
# counted.
fd = vu.attach(IF)
nm0, rx0, pk0 = ethstat(IF, "rx_drop_no_memory"), stat(IF, "rx_dropped"), stat(IF, "rx_packets")
f = frame(mac(IF), 60)
fault = vu.Fault()
delivered = 0
for n in range(1, 20):
    fault.arm(n)
    try:
        os.write(fd, f)
        err = None
    except OSError as e:
        err = e
    hit = fault.disarm()
    if err is None:
        delivered += 1
    elif err.errno != errno.ENOMEM or not hit:
        fail("write with fault %d: %s, want ENOMEM" % (n, ename(err)))
    else:
        break
else:
    fail("no injected fault failed a write")
if ethstat(IF, "rx_drop_no_memory") != nm0 + 1 or stat(IF, "rx_dropped") != rx0 + 1:
    fail("rx_drop_no_memory / rx_dropped not counted")
if stat(IF, "rx_packets") != pk0 + delivered:
    fail("rx_packets %d, want %d" % (stat(IF, "rx_packets"), pk0 + delivered))
info("write failed with ENOMEM at fault %d" % n)
print("# ok: queue full, user fault, detached, no memory")
PY
expect_ge "traced as FULL_RING" "$(traced FULL_RING)" 6
expect_ge "traced as SKB_UCOPY_FAULT" "$(traced SKB_UCOPY_FAULT)" 1
expect_ge "traced as QUEUE_PURGE" "$(traced QUEUE_PURGE)" 3
exit 0
