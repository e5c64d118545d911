#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""Several files per interface (VIRTIF_F_MULTI_QUEUE), run by user_mq.sh in
namespace um (u0: numtxqueues 4, 10.61.0.1, neighbour 10.61.0.2)."""
import errno
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtest import *  # noqa: E402,F403

IF = "u0"
MQ = U.VIRTIF_F_MULTI_QUEUE
PORT = 9999


def txqueues():
    return len([q for q in os.listdir("/sys/class/net/%s/queues" % IF) if q.startswith("tx-")])


def ours(fr):
    """Whether a frame is one of our UDP datagrams (not IPv6 chatter)."""
    return len(fr) > 42 and fr[12:14] == b"\x08\x00" and fr[23] == 17 and \
        struct.unpack("!H", fr[36:38])[0] == PORT


def send_flows(n):
    """One datagram from each of n sockets (n flows, hashed over the queues)."""
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"m" * 64, ("10.61.0.2", PORT))
        s.close()
    wait_drained(IF)


def read_all(fds):
    got = {}
    for fd in fds:
        got[fd] = 0
        while True:
            try:
                fr = os.read(fd, 70000)
            except BlockingIOError:
                break
            if ours(fr):
                got[fd] += 1
    return got


def main():
    fds = [vu.attach(IF, MQ, nonblock=True)]
    wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
    if txqueues() != 1:
        fail("one file: %d transmit queues, want 1" % txqueues())
    expect_errno("attach without VIRTIF_F_MULTI_QUEUE beside one with it", errno.EBUSY,
                 vu.attach, IF, 0)
    expect_errno("attach with other flags", errno.EINVAL, vu.attach, IF, MQ | U.VIRTIF_F_BATCH)
    for _ in range(3):
        fds.append(vu.attach(IF, MQ, nonblock=True))
    if txqueues() != 4:
        fail("four files: %d transmit queues, want 4" % txqueues())
    ok("each file adds a transmit queue")
    expect_errno("a fifth file (numtxqueues 4)", errno.EBUSY, vu.attach, IF, MQ)

    send_flows(64)
    got = read_all(fds)
    info("64 flows over 4 files: %s" % sorted(got.values()))
    if sum(got.values()) != 64:
        fail("read %d frames, sent 64" % sum(got.values()))
    if min(got.values()) == 0:
        fail("a file carried nothing: %s" % sorted(got.values()))
    ok("flows spread over every file, none lost")

    # A file in the middle leaves: the last one takes its queue.
    os.close(fds.pop(1))
    if txqueues() != 3:
        fail("three files: %d transmit queues, want 3" % txqueues())
    send_flows(64)
    got = read_all(fds)
    info("64 flows over 3 files: %s" % sorted(got.values()))
    if sum(got.values()) != 64 or min(got.values()) == 0:
        fail("after a file left: %s, want 64 over all three" % sorted(got.values()))
    for name in ("tx_drop_not_attached", "tx_drop_queue_full", "tx_drop_detached"):
        if ethstat(IF, name) != 0:
            fail("%s: %d" % (name, ethstat(IF, name)))
    ok("a file leaves: its queue moves to the last file, nothing lost")

    for fd in fds[:-1]:
        os.close(fd)
    if txqueues() != 1 or sysfs(IF, "carrier") != "1":
        fail("one file left: %d queues, carrier %s" % (txqueues(), sysfs(IF, "carrier")))
    os.close(fds[-1])
    wait_for("no carrier", lambda: sysfs(IF, "carrier") == "0")
    ok("the carrier goes with the last file")
    print("# user_mq: all checks passed")


main()
