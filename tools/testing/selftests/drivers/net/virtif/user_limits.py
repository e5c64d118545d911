#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""The limits of /dev/virtif (run by user_limits.sh in the test's namespace,
on interface u0 with linkstr user, up, MTU 65535):

- the largest frame (MTU 65535 + Ethernet header + a VLAN tag) is read
  whole with a buffer of VIRTIF_MAX_FRAME bytes, and written whole;
- a batch write is bounded: one write() takes at most VIRTIF_BATCH_MAX
  records and returns a short count, so a huge buffer is neither one
  unkillable loop nor one that holds the CPU."""
import errno
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtest import *  # noqa: E402,F403

IF = "u0"
own = mac(IF)

# --- the largest frame ----------------------------------------------------------
mtu = int(sysfs(IF, "mtu"))
if mtu != 65535:
    fail("u0 MTU %d, want 65535" % mtu)
big = 65535 + 14 + 4
info("VIRTIF_MAX_FRAME %d, largest frame %d" % (U.VIRTIF_MAX_FRAME, big))
fd = vu.attach(IF)
wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
tx = packet_socket(IF)
# A VLAN-tagged frame may be MTU + 18 bytes long.
vlan = BCAST + SRC + struct.pack("!HH", 0x8100, 7) + struct.pack("!H", 0x88B5)
fr = vlan + b"\x42" * (big - len(vlan))
tx.send(fr)
wait_readable(fd)
try:
    got = os.read(fd, U.VIRTIF_MAX_FRAME)
except OSError as e:
    fail("read of a %d-byte frame into VIRTIF_MAX_FRAME bytes: %s" % (big, ename(e)))
if got != fr:
    fail("read %d bytes, want the %d-byte frame" % (len(got), big))
ok("a frame of MTU + 18 bytes is read whole into VIRTIF_MAX_FRAME bytes")
rx = stat(IF, "rx_packets")
wfr = own + SRC + struct.pack("!HH", 0x8100, 7) + struct.pack("!H", 0x88B5)
wfr += b"\x43" * (big - len(wfr))
if os.write(fd, wfr) != big:
    fail("write of a %d-byte frame" % big)
if stat(IF, "rx_packets") != rx + 1:
    fail("the largest frame was not delivered")
ok("a frame of MTU + 18 bytes is written whole")
os.close(fd)

# --- a bounded batch write -------------------------------------------------------
fd = vu.attach(IF, vu.F_BATCH)
rec = vu.records([frame(bytes.fromhex("020000000001"), 60)])  # foreign: dropped by the filter
n = 200000
buf = rec * n
t0 = time.monotonic()
w = os.write(fd, buf)
dt = time.monotonic() - t0
info("write of %d records (%d bytes): %d bytes taken in %.2f s" % (n, len(buf), w, dt))
if w % len(rec):
    fail("a batch write must end on a record boundary: %d" % w)
# Every record is valid (the filter drops the frames, not the write): the
# write takes exactly VIRTIF_BATCH_MAX of them, not fewer, not more.
if w // len(rec) != U.VIRTIF_BATCH_MAX:
    fail("one write took %d records, want VIRTIF_BATCH_MAX (%d)"
         % (w // len(rec), U.VIRTIF_BATCH_MAX))
ok("a batch write takes VIRTIF_BATCH_MAX records")
os.close(fd)
print("# user_limits: all checks passed")
