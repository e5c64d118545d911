# SPDX-License-Identifier: GPL-2.0
"""Helpers for the Python parts of the virtif selftests: reporting, sysfs and
ethtool counters, frames and checksums, waiting for a qdisc to drain."""
import errno
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import virtif_uapi as U  # noqa: E402,F401
import virtif_user as vu  # noqa: E402,F401


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def ok(msg):
    print("# ok: " + msg, flush=True)


def info(msg):
    print("# " + msg, flush=True)


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def expect_errno(what, want, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        if e.errno != want:
            fail("%s: got %s, want %s" % (what, ename(e), errno.errorcode[want]))
        ok("%s -> %s" % (what, errno.errorcode[want]))
        return
    fail("%s: succeeded, want %s" % (what, errno.errorcode[want]))


def sysfs(ifname, attr):
    with open("/sys/class/net/%s/%s" % (ifname, attr)) as f:
        return f.read().strip()


def stat(ifname, name):
    return int(sysfs(ifname, "statistics/" + name))


def ethstat(ifname, name):
    out = subprocess.run(["ethtool", "-S", ifname], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        k, _, v = line.strip().partition(":")
        if k == name:
            return int(v)
    fail("no ethtool counter " + name)


def mac(ifname):
    return bytes.fromhex(sysfs(ifname, "address").replace(":", ""))


def wait_for(what, cond, t=10.0):
    end = time.monotonic() + t
    while not cond():
        if time.monotonic() > end:
            fail("timed out after %ss waiting for %s" % (t, what))
        time.sleep(0.02)


def qdisc_backlog(ifname):
    """Packets held by the interface's qdiscs (0 for noqueue)."""
    out = subprocess.run(["tc", "-s", "-j", "qdisc", "show", "dev", ifname],
                         capture_output=True, text=True, check=True).stdout
    return sum(q.get("qlen", 0) for q in json.loads(out or "[]"))


def wait_drained(ifname):
    """Everything sent so far has reached the driver (the qdisc is empty)."""
    wait_for("the qdisc of %s to drain" % ifname, lambda: qdisc_backlog(ifname) == 0)


def wait_readable(fd, t=5.0):
    r, _, _ = select.select([fd], [], [], t)
    if not r:
        fail("nothing to read after %ss" % t)


BCAST = b"\xff" * 6
SRC = bytes.fromhex("020000aabbcc")


def frame(dst, size, fill=0x5A, src=SRC, ethertype=0x88B5):
    """An Ethernet frame of SIZE bytes (local experimental EtherType)."""
    return dst + src + struct.pack("!H", ethertype) + bytes([fill]) * (size - 14)


def packet_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    return s


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ipv4_udp(payload, sport, dport, src, dst, dst_mac, src_mac, partial=False):
    """An Ethernet frame src_mac -> dst_mac carrying UDP src:sport ->
    dst:dport (IPv4, don't fragment), checksummed; with partial, the UDP
    checksum holds only the pseudo-header sum (to fill in)."""
    ulen = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", (~csum(ip)) & 0xFFFF) + ip[12:]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    if partial:
        c = csum(pseudo)
    else:
        c = (~csum(pseudo + udp)) & 0xFFFF or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def check_ipv4_udp(fr):
    """Checks the IPv4 header and UDP checksums of an Ethernet frame; returns
    the UDP payload, or fails."""
    if fr[12:14] != b"\x08\x00":
        fail("not IPv4: ethertype %s" % fr[12:14].hex())
    ip = fr[14:]
    ihl = (ip[0] & 0xF) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    if csum(ip[:ihl]) != 0xFFFF:
        fail("bad IPv4 header checksum")
    if ip[9] != 17:
        fail("not UDP")
    udp = ip[ihl:tot]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, len(udp))
    if struct.unpack("!H", udp[6:8])[0] != 0 and csum(pseudo + udp) != 0xFFFF:
        fail("bad UDP checksum (frame of %d bytes)" % len(fr))
    return udp[8:]
