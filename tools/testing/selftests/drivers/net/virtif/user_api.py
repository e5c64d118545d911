#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""The /dev/virtif protocol, call by call (run by user_api.sh, inside the
test's network namespace, on interface u0 whose linkstr is "user", up, with
IPv6 off so that the stack sends nothing on its own)."""
import errno
import os
import select
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import virtif_uapi as U  # noqa: E402
import virtif_user as vu  # noqa: E402
import vtest  # noqa: E402
from vtest import BCAST, SRC, expect_errno, fail, frame, ok, wait_readable  # noqa: E402,F401

IF = "u0"


# vtest's helpers, for u0 unless told otherwise.
def stat(name, ifname=IF):
    return vtest.stat(ifname, name)


def ethstat(name, ifname=IF):
    return vtest.ethstat(ifname, name)


def carrier(ifname=IF):
    return vtest.sysfs(ifname, "carrier")


def mac(ifname=IF):
    return vtest.mac(ifname)


def wait_drained(ifname=IF):
    vtest.wait_drained(ifname)


def wait_operational(ifname=IF, t=10):
    """After the carrier comes up, the core activates the qdisc later, from
    the link-watch work (which also sets operstate): frames sent before that
    are dropped by the noop qdisc. Wait for it before sending."""
    vtest.wait_for("%s operational after the carrier came up" % ifname,
                   lambda: vtest.sysfs(ifname, "operstate") == "up", t)


def tx_socket():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((IF, 0))
    return s


def poll_mask(fd):
    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLOUT)
    ev = p.poll(0)
    return ev[0][1] if ev else 0


# --- not attached -----------------------------------------------------------
fd = vu.open_dev()
expect_errno("read before attach", errno.EBADFD, os.read, fd, 2048)
expect_errno("write before attach", errno.EBADFD, os.write, fd, frame(BCAST, 60))
if not poll_mask(fd) & select.POLLERR:
    fail("poll before attach: want POLLERR")

# --- attach errors ----------------------------------------------------------
import fcntl  # noqa: E402

def ioctl_attach(buf):
    fcntl.ioctl(fd, vu.VIRTIF_ATTACH, buf)

# The lowest flag bit the header does not define.
KNOWN_FLAGS = 0
for k in dir(U):
    if k.startswith("VIRTIF_F_"):
        KNOWN_FLAGS |= getattr(U, k)
UNKNOWN_FLAG = (KNOWN_FLAGS + 1) & ~KNOWN_FLAGS
expect_errno("attach: unknown flags", errno.EINVAL, ioctl_attach, vu.attach_struct(IF, UNKNOWN_FLAG))
expect_errno("attach: offloads without VIRTIF_F_VNET_HDR", errno.EINVAL, ioctl_attach,
             vu.attach_struct(IF, 0, U.VIRTIF_OFFLOAD_CSUM))
expect_errno("attach: unknown offloads", errno.EINVAL, ioctl_attach,
             vu.attach_struct(IF, U.VIRTIF_F_VNET_HDR, 1 << 31))
expect_errno("attach: TSO without checksum offload", errno.EINVAL, ioctl_attach,
             vu.attach_struct(IF, U.VIRTIF_F_VNET_HDR, U.VIRTIF_OFFLOAD_TSO4))
expect_errno("attach: no such interface", errno.ENODEV, ioctl_attach, vu.attach_struct("nosuch0"))
expect_errno("attach: not virtif", errno.EINVAL, ioctl_attach, vu.attach_struct("lo"))
expect_errno("attach: linkstr not user", errno.EINVAL, ioctl_attach, vu.attach_struct("l0"))
expect_errno("attach: name not terminated", errno.EINVAL, ioctl_attach, b"x" * 16 + b"\0" * 8)
expect_errno("unknown ioctl", errno.ENOTTY, fcntl.ioctl, fd, 0x7600, b"")

# --- attach, carrier, one file per interface --------------------------------
if carrier() != "0":
    fail("carrier before attach: want 0")
ioctl_attach(vu.attach_struct(IF))
ok("attach")
if carrier() != "1":
    fail("carrier after attach: want 1")
wait_operational()
expect_errno("attach the same file again", errno.EBUSY, ioctl_attach, vu.attach_struct(IF))
expect_errno("attach a second file", errno.EBUSY, vu.attach, IF)

# --- read -------------------------------------------------------------------
os.set_blocking(fd, False)
expect_errno("read, nothing queued, O_NONBLOCK", errno.EAGAIN, os.read, fd, 2048)
if poll_mask(fd) != select.POLLOUT:
    fail("poll, nothing queued: want POLLOUT only, got %#x" % poll_mask(fd))
tx = tx_socket()
tx_before = stat("tx_packets")
f1 = frame(BCAST, 60, 1)
tx.send(f1)
wait_readable(fd)
if not poll_mask(fd) & select.POLLIN:
    fail("poll with a frame queued: want POLLIN")
got = os.read(fd, 2048)
if got != f1:
    fail("read: got %r, want the frame sent" % got[:20])
ok("read returns the transmitted frame")
if stat("tx_packets") != tx_before + 1:
    fail("tx_packets counts frames read")
f2 = frame(BCAST, 100, 2)
tx.send(f2)
wait_readable(fd)
expect_errno("read into a short buffer", errno.EMSGSIZE, os.read, fd, 50)
if os.read(fd, 100) != f2:
    fail("the frame refused with EMSGSIZE stays queued")
ok("frame kept after EMSGSIZE")
# readv gathers across buffers.
f3 = frame(BCAST, 300, 3)
tx.send(f3)
wait_readable(fd)
a, b = bytearray(100), bytearray(1000)
n = os.readv(fd, [a, b])
if n != 300 or bytes(a) + bytes(b[:200]) != f3:
    fail("readv: got %d bytes" % n)
ok("readv")
# Blocking read wakes up when a frame comes: the child sends once the parent
# sleeps in read() (its state tells).
os.set_blocking(fd, True)
parent = os.getpid()
pid = os.fork()
if pid == 0:
    import time
    for _ in range(500):
        with open("/proc/%d/stat" % parent) as f:
            if f.read().split(") ", 1)[1].startswith("S"):
                break
        time.sleep(0.01)
    tx.send(frame(BCAST, 64, 4))
    os._exit(0)
if os.read(fd, 2048) != frame(BCAST, 64, 4):
    fail("blocking read")
os.waitpid(pid, 0)
ok("blocking read woken by a frame")

# --- write ------------------------------------------------------------------
own = mac()
def badlen():
    """Frames refused for their length: too short or too long."""
    return ethstat("rx_drop_runt") + ethstat("rx_drop_oversize")


rx, bad = stat("rx_packets"), badlen()
if os.write(fd, frame(own, 60)) != 60:
    fail("write")
if stat("rx_packets") != rx + 1:
    fail("rx_packets after a write to our address")
ok("write delivers to the stack")
if os.writev(fd, [frame(own, 60)[:20], frame(own, 60)[20:]]) != 60 or stat("rx_packets") != rx + 2:
    fail("writev")
ok("writev")
mtu = int(open("/sys/class/net/%s/mtu" % IF).read())
if os.write(fd, frame(own, mtu + 18)) != mtu + 18:
    fail("write of MTU + 18 bytes")
expect_errno("write: shorter than a header", errno.EINVAL, os.write, fd, b"\x01" * 13)
expect_errno("write: longer than MTU + header", errno.EINVAL, os.write, fd, frame(own, mtu + 19))
expect_errno("write: longer than 64 KiB", errno.EINVAL, os.write, fd, frame(own, 65537))
if stat("rx_packets") != rx + 3:
    fail("a refused frame reached the stack")
if badlen() != bad + 3:
    fail("refused frames are counted: rx_drop_runt + rx_drop_oversize %d, want %d" % (badlen(), bad + 3))
if stat("rx_length_errors") < 3:
    fail("rx_length_errors counts refused frames")
ok("bad frames refused and counted")
fu = ethstat("rx_drop_foreign_unicast")
if os.write(fd, frame(bytes.fromhex("020000000001"), 60)) != 60:
    fail("write to a foreign address")
if ethstat("rx_drop_foreign_unicast") != fu + 1 or stat("rx_packets") != rx + 3:
    fail("the filter applies to written frames")
ok("written frames go through the MAC filter")
subprocess.run(["ip", "link", "set", IF, "down"], check=True)
nr = ethstat("rx_drop_not_running")
if os.write(fd, frame(own, 60)) != 60:
    fail("write while down")
if ethstat("rx_drop_not_running") != nr + 1:
    fail("rx_drop_not_running: got %d, want %d" % (ethstat("rx_drop_not_running"), nr + 1))
ok("frames received while down are dropped and counted")
subprocess.run(["ip", "link", "set", IF, "up"], check=True)
if carrier() != "1":
    fail("carrier after up again")

# --- close: carrier down, queued frames dropped and counted -----------------
det = ethstat("tx_drop_detached")
tx.send(frame(BCAST, 60, 5))
tx.send(frame(BCAST, 60, 6))
wait_readable(fd)
wait_drained()
os.close(fd)
if carrier() != "0":
    fail("carrier after close: want 0")
if ethstat("tx_drop_detached") != det + 2:
    fail("tx_drop_detached: got %d, want %d" % (ethstat("tx_drop_detached"), det + 2))
ok("close drops and counts queued frames, carrier goes down")

# --- batch mode -------------------------------------------------------------
fd = vu.attach(IF, vu.F_BATCH)
wait_operational()
frames = [frame(BCAST, n, i) for i, n in enumerate((60, 61, 1514), 10)]
for f in frames:
    tx.send(f)
wait_drained()
got = vu.parse_records(os.read(fd, 1 << 16))
if got != frames:
    fail("batch read: got %d frames" % len(got))
ok("batch read returns all queued frames as records")
for f in frames:
    tx.send(f)
wait_drained()
one = os.read(fd, vu.HDR.size + vu.pad(61))  # room for the first record only
if vu.parse_records(one) != frames[:1]:
    fail("batch read into a buffer for one record")
expect_errno("batch read, first record does not fit", errno.EMSGSIZE, os.read, fd, 50)
if vu.parse_records(os.read(fd, 1 << 16)) != frames[1:]:
    fail("batch read of the rest")
ok("batch read: whole records only")
rx = stat("rx_packets")
buf = vu.records([frame(own, 60), frame(own, 99), frame(own, 1000)])
if os.write(fd, buf) != len(buf) or stat("rx_packets") != rx + 3:
    fail("batch write of 3 records")
ok("batch write delivers every record")
bad = badlen()
good, badrec = vu.records([frame(own, 60)]), vu.records([b"\x01" * 10])
buf = good + badrec + vu.records([frame(own, 60)])
n = os.write(fd, buf)
if n != len(good) or stat("rx_packets") != rx + 4:
    fail("batch write with a bad second record: wrote %d, want %d" % (n, len(good)))
expect_errno("batch write starting at the bad record", errno.EINVAL, os.write, fd, buf[n:])
if badlen() != bad + 1 or stat("rx_packets") != rx + 4:
    fail("bad record counted once, nothing of it delivered")
expect_errno("batch write: truncated header", errno.EINVAL, os.write, fd, b"\0" * 4)
expect_errno("batch write: length beyond the buffer", errno.EINVAL, os.write, fd, vu.HDR.pack(100, 0) + b"\0" * 50)
expect_errno("batch write: flags not 0", errno.EINVAL, os.write, fd, vu.HDR.pack(60, 1) + frame(own, 60) + b"\0" * 4)
ok("batch write stops at the first bad record")

# --- the interface goes away under an attached file -------------------------
tx.close()
subprocess.run(["ip", "link", "del", IF], check=True)
m = poll_mask(fd)
if not m & select.POLLHUP:
    fail("poll after the interface was deleted: want POLLHUP, got %#x" % m)
if os.read(fd, 65536) != b"":
    fail("read after the interface was deleted: want EOF")
expect_errno("write after the interface was deleted", errno.ENXIO, os.write, fd, frame(own, 60))
os.close(fd)
ok("deleting the interface: POLLHUP, EOF, ENXIO")
print("# user_api: all checks passed")
