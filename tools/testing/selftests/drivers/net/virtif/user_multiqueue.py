#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""The multi-queue half of user_multiqueue.sh: four files attached with
VIRTIF_F_MULTI_QUEUE (so four transmit queues in use, one per file), rings
of txqueuelen 8, readers that stall. Flows spread over the queues; every
queue's ring fills and each queue must be stopped in front of its own full
ring (a stop or wake aimed at another queue, e.g. always queue 0, leaves a
queue running that hands every packet back: NET_TX requeues by the
thousand per second). Then every accepted frame is read.

Runs in the namespace of u0 (4 tx queues, txqueuelen 8, 10.61.0.1/24, a
permanent neighbour 10.61.0.2), made by user_iface in lib.sh."""
import json
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtest import U, vu, fail, info, ok, sysfs, wait_for, ethstat  # noqa: E402

IF, PORT, FLOWS = "u0", 9999, 512


def requeues():
    out = subprocess.run(["tc", "-s", "-j", "qdisc", "show", "dev", IF], check=True,
                         capture_output=True, text=True).stdout
    return sum(q["requeues"] for q in json.loads(out))


def ours(fr):
    """A UDP datagram of ours (IPv4, to PORT)."""
    return (len(fr) > 42 and fr[12:14] == b"\x08\x00" and fr[23] == 17
            and struct.unpack("!H", fr[36:38])[0] == PORT)


fds = [vu.attach(IF, U.VIRTIF_F_MULTI_QUEUE, nonblock=True) for _ in range(4)]
wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
ntx = len([q for q in os.listdir("/sys/class/net/%s/queues" % IF) if q.startswith("tx-")])
if ntx != 4:
    fail("4 files attached: %d transmit queues in use, want 4" % ntx)
# One datagram per flow (a new source port each): the stack spreads them
# over the queues by their hash. What a full qdisc refuses is not counted.
for _ in range(FLOWS):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"m" * 64, ("10.61.0.2", PORT))
    except OSError:
        pass
    s.close()
# Let what the queues can move reach the rings, then watch them stand still.
time.sleep(1)
r0 = requeues()
time.sleep(3)
r1 = requeues()
info("stalled readers: requeues %d -> %d in 3 s" % (r0, r1))
got = []
for fd in fds:
    n = 0
    while True:
        try:
            fr = os.read(fd, 70000)
        except BlockingIOError:
            # Woken queues send what their qdiscs held: wait for it once.
            time.sleep(0.3)
            try:
                fr = os.read(fd, 70000)
            except BlockingIOError:
                break
        n += ours(fr)
    got.append(n)
info("frames read per file: %s; tx_drop_queue_full %d" % (got, ethstat(IF, "tx_drop_queue_full")))
if r1 - r0 > 10:
    fail("NET_TX kept requeueing in front of a full ring: %d requeues in 3 s" % (r1 - r0))
# With every queue stopped in front of its own ring, every ring filled: a
# file that read less than a ring's worth means its queue never filled, and
# the check above proved nothing for it.
if min(got) < 8:
    fail("not every queue's ring filled: frames read per file %s, want at least 8 each" % got)
ok("4 queues: each stopped in front of its own full ring, then woken and read")
