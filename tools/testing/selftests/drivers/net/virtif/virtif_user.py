#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""/dev/virtif from Python: the protocol of the user backend, for tests.

  virtif_user.py attach IF [--batch] [--tx-drop] [--hold] [--fail-nth N]
                           [--make-it-fail]
      attach and hold the file open until stdin closes (with --hold: until
      SIGTERM); prints "attached" (or "error: ENAME") and flushes. With
      --fail-nth N the Nth fault-injection point of the attach fails
      (/proc/self/fail-nth); with --make-it-fail the process is subject to
      the configured fault injection (/proc/self/make-it-fail); either way
      a second line tells whether the fault was hit: "fault: hit|missed".
  virtif_user.py sink IF [--delay S] [--wait-file F] [--idle S] [--batch]
                         [--tx-drop] [--rate N]
      attach, sleep S seconds (and until file F exists), then read frames (at
      most N per second if --rate) until none came for --idle seconds; prints
      the frame count.

As a module: attach(), frames() and records() for the API test;
attach_ring() and ring_map_size() for the shared-memory rings' test.
"""
import argparse
import errno
import fcntl
import os
import select
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import virtif_uapi as U  # noqa: E402
from fault import Fault  # noqa: E402

VIRTIF_ATTACH = U.VIRTIF_ATTACH
F_BATCH, F_TX_DROP = U.VIRTIF_F_BATCH, U.VIRTIF_F_TX_DROP
HDR = struct.Struct("=II")  # struct virtif_frame: len, flags
assert HDR.size == U.sizeof_virtif_frame
ALIGN = U.VIRTIF_FRAME_ALIGN
MAX_FRAME = U.VIRTIF_MAX_FRAME


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def attach_struct(ifname, flags=0, offloads=0):
    buf = bytearray(U.sizeof_virtif_attach)
    name = ifname.encode()
    buf[U.offsetof_virtif_attach_ifname:U.offsetof_virtif_attach_ifname + len(name)] = name
    struct.pack_into("=I", buf, U.offsetof_virtif_attach_flags, flags)
    struct.pack_into("=I", buf, U.offsetof_virtif_attach_offloads, offloads)
    return bytes(buf)


def ring_attach_struct(ifname, tx_slots, rx_slots, slot_size, flags=0, offloads=0, reserved=0):
    """A struct virtif_ring_attach (VIRTIF_ATTACH_RING)."""
    buf = bytearray(U.sizeof_virtif_ring_attach)
    at = U.offsetof_virtif_ring_attach_attach
    buf[at:at + U.sizeof_virtif_attach] = attach_struct(ifname, flags, offloads)
    for field, v in (("tx_slots", tx_slots), ("rx_slots", rx_slots),
                     ("slot_size", slot_size), ("reserved", reserved)):
        struct.pack_into("=I", buf, getattr(U, "offsetof_virtif_ring_attach_" + field), v)
    return bytes(buf)


def ring_map_size(tx_slots, rx_slots, slot_size):
    """VIRTIF_RING_MAP_SIZE()."""
    return U.VIRTIF_RING_CTL_SIZE + (tx_slots + rx_slots) * slot_size


def open_dev(nonblock=False):
    return os.open("/dev/virtif", os.O_RDWR | (os.O_NONBLOCK if nonblock else 0))


def attach(ifname, flags=0, nonblock=False, offloads=0):
    fd = open_dev(nonblock)
    try:
        fcntl.ioctl(fd, VIRTIF_ATTACH, attach_struct(ifname, flags, offloads))
    except OSError:
        os.close(fd)
        raise
    return fd


def attach_ring(ifname, tx_slots, rx_slots, slot_size, flags=0, offloads=0, reserved=0):
    """A file attached with shared-memory rings (not mapped yet)."""
    fd = open_dev()
    try:
        fcntl.ioctl(fd, U.VIRTIF_ATTACH_RING,
                    ring_attach_struct(ifname, tx_slots, rx_slots, slot_size, flags, offloads,
                                       reserved))
    except OSError:
        os.close(fd)
        raise
    return fd


def pad(n):
    return (n + ALIGN - 1) & ~(ALIGN - 1)


def records(frames):
    """Encodes frames as a batch buffer."""
    out = b""
    for f in frames:
        out += HDR.pack(len(f), 0) + f + b"\0" * (pad(len(f)) - len(f))
    return out


def parse_records(buf):
    """Decodes a batch buffer into frames."""
    out, off = [], 0
    while off < len(buf):
        n, flags = HDR.unpack_from(buf, off)
        assert flags == 0, "record flags not 0"
        out.append(buf[off + HDR.size: off + HDR.size + n])
        off += HDR.size + pad(n)
    assert off == len(buf), "batch buffer does not end on a record boundary"
    return out


def cmd_attach(a):
    import signal
    flags = (F_BATCH if a.batch else 0) | (F_TX_DROP if a.tx_drop else 0)
    fd = open_dev()
    buf = attach_struct(a.ifname, flags)
    err = None
    fault = Fault() if a.fail_nth or a.make_it_fail else None
    if a.make_it_fail:
        fault.make_it_fail(True)
    if a.fail_nth:
        fault.arm(a.fail_nth)
    try:
        fcntl.ioctl(fd, VIRTIF_ATTACH, buf)
    except OSError as e:
        err = e
    if a.fail_nth:
        hit = fault.disarm()
    if a.make_it_fail:
        fault.make_it_fail(False)
    print("error: " + ename(err) if err else "attached", flush=True)
    if a.fail_nth:
        print("fault: " + ("hit" if hit else "missed"), flush=True)
    if err:
        return 1
    if a.hold:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while True:
            signal.pause()
    sys.stdin.read()
    os.close(fd)
    return 0


def cmd_sink(a):
    flags = (F_BATCH if a.batch else 0) | (F_TX_DROP if a.tx_drop else 0)
    fd = attach(a.ifname, flags, nonblock=True)
    time.sleep(a.delay)
    while a.wait_file and not os.path.exists(a.wait_file):
        time.sleep(0.1)
    count, last = 0, time.monotonic()
    while True:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            if time.monotonic() - last > a.idle:
                break
            continue
        try:
            buf = os.read(fd, 1 << 20 if a.batch else MAX_FRAME)
        except BlockingIOError:
            continue
        if not buf:
            break
        count += len(parse_records(buf)) if a.batch else 1
        last = time.monotonic()
        if a.rate:
            time.sleep(1.0 / a.rate)
    print(count, flush=True)
    os.close(fd)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("attach", "sink"):
        s = sub.add_parser(name)
        s.add_argument("ifname")
        s.add_argument("--batch", action="store_true")
        s.add_argument("--tx-drop", action="store_true")
        if name == "attach":
            s.add_argument("--hold", action="store_true")
            s.add_argument("--fail-nth", type=int, default=0)
            s.add_argument("--make-it-fail", action="store_true")
        if name == "sink":
            s.add_argument("--delay", type=float, default=0)
            s.add_argument("--idle", type=float, default=2)
            s.add_argument("--rate", type=float, default=0)
            s.add_argument("--wait-file", help="start reading once this file exists")
    a = p.parse_args()
    return {"attach": cmd_attach, "sink": cmd_sink}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
