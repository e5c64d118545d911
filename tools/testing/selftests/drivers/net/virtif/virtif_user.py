#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""/dev/virtif from Python: the protocol of the user backend, for tests.

  virtif_user.py attach IF [--batch] [--tx-drop]
      attach and hold the file open until stdin closes or SIGTERM; prints
      "attached" (or "error: ENAME") and flushes.
  virtif_user.py sink IF [--delay S] [--wait-file F] [--idle S] [--batch]
                         [--tx-drop] [--rate N]
      attach, sleep S seconds (and until file F exists), then read frames (at
      most N per second if --rate) until none came for --idle seconds; prints
      the frame count.

As a module: attach(), frames() and records() for the API test.
"""
import argparse
import errno
import fcntl
import os
import select
import struct
import sys
import time

VIRTIF_ATTACH = 0x401876B0  # _IOW('v', 0xb0, struct virtif_attach)
F_BATCH, F_TX_DROP = 1, 2
HDR = struct.Struct("=II")  # struct virtif_frame


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def attach_struct(ifname, flags=0, reserved=0):
    return struct.pack("=16sII", ifname.encode(), flags, reserved)


def open_dev(nonblock=False):
    return os.open("/dev/virtif", os.O_RDWR | (os.O_NONBLOCK if nonblock else 0))


def attach(ifname, flags=0, nonblock=False):
    fd = open_dev(nonblock)
    try:
        fcntl.ioctl(fd, VIRTIF_ATTACH, attach_struct(ifname, flags))
    except OSError:
        os.close(fd)
        raise
    return fd


def pad(n):
    return (n + 7) & ~7


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
    flags = (F_BATCH if a.batch else 0) | (F_TX_DROP if a.tx_drop else 0)
    try:
        fd = attach(a.ifname, flags)
    except OSError as e:
        print("error: " + ename(e), flush=True)
        return 1
    print("attached", flush=True)
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
            buf = os.read(fd, 1 << 20 if a.batch else 65536)
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
        if name == "sink":
            s.add_argument("--delay", type=float, default=0)
            s.add_argument("--idle", type=float, default=2)
            s.add_argument("--rate", type=float, default=0)
            s.add_argument("--wait-file", help="start reading once this file exists")
    a = p.parse_args()
    return {"attach": cmd_attach, "sink": cmd_sink}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
