#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""Send raw Ethernet frames: sendeth.py IFACE DST_MAC COUNT [--size N] [--src MAC].

Each frame has EtherType 0x88b5 (local experimental) and N bytes in all
(default 60). Used by the filter and counter tests to put frames with a
chosen destination on a virtif link.
"""
import argparse
import errno
import socket
import struct


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iface")
    p.add_argument("dst")
    p.add_argument("count", type=int)
    p.add_argument("--size", type=int, default=60)
    p.add_argument("--src")
    p.add_argument("--report", action="store_true",
                   help="count frames the stack refused (ENOBUFS) instead of failing; "
                        "print 'SENT REFUSED'")
    a = p.parse_args()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    src = mac(a.src) if a.src else s.getsockname()[4][:6]
    hdr = mac(a.dst) + src + struct.pack("!H", 0x88B5)
    sent = refused = 0
    for i in range(a.count):
        body = struct.pack("!I", i) + b"v" * max(0, a.size - len(hdr) - 4)
        try:
            s.send(hdr + body)
            sent += 1
        except OSError as e:
            if not a.report or e.errno != errno.ENOBUFS:
                raise
            refused += 1
    if a.report:
        print(sent, refused)


if __name__ == "__main__":
    main()
