#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""The offload header (VIRTIF_F_VNET_HDR), run by user_vnet.sh in namespace
uv (u0: 10.60.0.1, neighbour 10.60.0.2 at PEER); the last part creates a
tap t0 and moves it to namespace uw as 10.60.0.2.

- Read: without offloads, every frame comes with an empty header, segmented
  and checksummed; with CSUM, a checksum is left to fill in and the header
  says where; with USO/TSO4, GSO packets come whole, with their type and size.
- Write: a frame with a checksum to fill in and a UDP GSO packet reach their
  socket; malformed headers are EINVAL and counted (rx_drop_bad_vnet_hdr).
- Batch mode: a record is the header and the frame.
- End to end: a TCP stream through a forwarder between u0 and a tap opened
  with IFF_VNET_HDR carries TSO packets whole both ways, intact.
"""
import errno
import fcntl
import hashlib
import os
import select
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtest import *  # noqa: E402,F403

IF = "u0"
PEER_STR = "02:00:00:00:60:02"
PEER = bytes.fromhex(PEER_STR.replace(":", ""))
HDR = U.VIRTIF_VNET_HDR_LEN
F_NEEDS_CSUM = 1
GSO_NONE, GSO_TCPV4, GSO_UDP_L4 = 0, 1, 5
UDP_SEGMENT = 103


def parse_hdr(b):
    flags, gso_type, hdr_len, gso_size, start, off, _ = struct.unpack("<BBHHHHH", b[:HDR])
    return {"flags": flags, "gso_type": gso_type, "hdr_len": hdr_len, "gso_size": gso_size,
            "csum_start": start, "csum_offset": off}


def make_hdr(flags=0, gso_type=0, hdr_len=0, gso_size=0, start=0, off=0):
    return struct.pack("<BBHHHHH", flags, gso_type, hdr_len, gso_size, start, off, 0)


def fill_csum(fr, start, off):
    """Completes a checksum left to fill in (what the reader does)."""
    fr = bytearray(fr)
    c = (~csum(bytes(fr[start:]))) & 0xFFFF
    struct.pack_into("!H", fr, start + off, c)
    return bytes(fr)


def udp_sender():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.60.0.1", 0))
    return s


def read_frame(fd, size=70000):
    wait_readable(fd)
    return os.read(fd, size)


def drain(fd):
    while True:
        try:
            os.read(fd, 70000)
        except BlockingIOError:
            return


def part_no_offloads():
    fd = vu.attach(IF, U.VIRTIF_F_VNET_HDR, nonblock=True)
    wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
    drain(fd)
    s = udp_sender()
    s.sendto(b"a" * 100, ("10.60.0.2", 9000))
    b = read_frame(fd)
    h = parse_hdr(b)
    if h != parse_hdr(make_hdr()):
        fail("no offloads: header %s, want all zero" % h)
    if check_ipv4_udp(b[HDR:]) != b"a" * 100:
        fail("no offloads: payload")
    ok("no offloads: an empty header, then the frame, checksummed")
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 1000)
    s.sendto(b"b" * 4000, ("10.60.0.2", 9000))
    got = []
    for _ in range(4):
        b = read_frame(fd)
        if parse_hdr(b)["gso_type"] != GSO_NONE:
            fail("no offloads: a GSO packet came whole")
        got.append(check_ipv4_udp(b[HDR:]))
    if got != [b"b" * 1000] * 4:
        fail("no offloads: UDP GSO not segmented into 4 x 1000 bytes")
    ok("no offloads: a UDP GSO packet comes segmented and checksummed")
    os.close(fd)


def part_offloads():
    fd = vu.attach(IF, U.VIRTIF_F_VNET_HDR, nonblock=True,
                   offloads=U.VIRTIF_OFFLOAD_CSUM | U.VIRTIF_OFFLOAD_USO)
    wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
    drain(fd)
    s = udp_sender()
    s.sendto(b"c" * 100, ("10.60.0.2", 9000))
    b = read_frame(fd)
    h = parse_hdr(b)
    if h["flags"] != F_NEEDS_CSUM or h["csum_start"] != 34 or h["csum_offset"] != 6:
        fail("CSUM: header %s, want NEEDS_CSUM at 34+6" % h)
    if check_ipv4_udp(fill_csum(b[HDR:], 34, 6)) != b"c" * 100:
        fail("CSUM: the completed frame")
    ok("CSUM: the checksum is left to fill in, the header says where")
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 1000)
    s.sendto(b"d" * 4000, ("10.60.0.2", 9000))
    b = read_frame(fd)
    h = parse_hdr(b)
    if h["gso_type"] != GSO_UDP_L4 or h["gso_size"] != 1000 or len(b) != HDR + 14 + 20 + 8 + 4000:
        fail("USO: header %s, %d bytes; want one UDP_L4 packet of 4000 bytes in 1000" % (h, len(b)))
    ok("USO: a UDP GSO packet comes whole, with its type and size")
    # Batch mode: a record is the header and the frame.
    os.close(fd)
    fd = vu.attach(IF, U.VIRTIF_F_VNET_HDR | U.VIRTIF_F_BATCH, nonblock=True,
                   offloads=U.VIRTIF_OFFLOAD_CSUM)
    wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
    drain(fd)
    s2 = udp_sender()
    for i in range(3):
        s2.sendto(bytes([0x30 + i]) * 50, ("10.60.0.2", 9000))
    wait_drained(IF)
    recs = vu.parse_records(read_frame(fd))
    if len(recs) != 3 or any(parse_hdr(r)["flags"] != F_NEEDS_CSUM for r in recs):
        fail("batch: want 3 records, each with a header")
    for i, r in enumerate(recs):
        if check_ipv4_udp(fill_csum(r[HDR:], 34, 6)) != bytes([0x30 + i]) * 50:
            fail("batch: record %d" % i)
    ok("batch: each record is the header and its frame")
    os.close(fd)


def udp_in(payload, sport, dport, partial=False):
    """An Ethernet frame PEER -> u0 carrying UDP 10.60.0.2 -> 10.60.0.1."""
    return ipv4_udp(payload, sport, dport, "10.60.0.2", "10.60.0.1", mac(IF), PEER, partial)


def part_write():
    fd = vu.attach(IF, U.VIRTIF_F_VNET_HDR, nonblock=True)
    wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("10.60.0.1", 9100))
    r.settimeout(5)
    os.write(fd, make_hdr(F_NEEDS_CSUM, start=34, off=6) + udp_in(b"e" * 200, 4000, 9100, partial=True))
    if r.recv(2000) != b"e" * 200:
        fail("write with a checksum to fill in: payload")
    ok("write: a frame with a checksum to fill in reaches its socket")
    gso = udp_in(b"f" * 3000, 4000, 9100, partial=True)
    os.write(fd, make_hdr(F_NEEDS_CSUM, GSO_UDP_L4, 42, 1000, 34, 6) + gso)
    got = [r.recv(4000) for _ in range(3)]
    if got != [b"f" * 1000] * 3:
        fail("write of a UDP GSO packet: got %s" % [len(g) for g in got])
    ok("write: a UDP GSO packet reaches the socket as 3 datagrams")
    bad0, len0 = ethstat(IF, "rx_drop_bad_vnet_hdr"), stat(IF, "rx_length_errors")
    fr = udp_in(b"g" * 100, 4000, 9100)
    expect_errno("write: checksum start beyond the frame", errno.EINVAL, os.write, fd,
                 make_hdr(F_NEEDS_CSUM, start=2000, off=6) + fr)
    expect_errno("write: unknown GSO type", errno.EINVAL, os.write, fd,
                 make_hdr(F_NEEDS_CSUM, 0x33, 42, 100, 34, 6) + fr)
    if ethstat(IF, "rx_drop_bad_vnet_hdr") != bad0 + 2:
        fail("bad headers not counted in rx_drop_bad_vnet_hdr")
    expect_errno("write: shorter than the header", errno.EINVAL, os.write, fd, b"\0" * 8)
    if stat(IF, "rx_length_errors") != len0 + 1:
        fail("a write shorter than the header not counted as a length error")
    os.close(fd)


TUNSETIFF, TUNSETOFFLOAD, TUNSETVNETHDRSZ = 0x400454CA, 0x400454D0, 0x400454D8
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6 = 0x01, 0x02, 0x04


def make_tap():
    """Tap t0 with the offload header, TSO accepted, moved to uw as 10.60.0.2."""
    tapfd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(tapfd, TUNSETIFF, struct.pack("16sH22x", b"t0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
    fcntl.ioctl(tapfd, TUNSETVNETHDRSZ, struct.pack("i", HDR))
    fcntl.ioctl(tapfd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
    for cmd in (["ip", "link", "set", "t0", "netns", "uw"],
                ["ip", "-n", "uw", "link", "set", "t0", "address", PEER_STR, "up"],
                ["ip", "-n", "uw", "addr", "add", "10.60.0.2/24", "dev", "t0"],
                ["ip", "-n", "uw", "neigh", "replace", "10.60.0.1", "lladdr",
                 sysfs(IF, "address"), "dev", "t0", "nud", "permanent"]):
        subprocess.run(cmd, check=True)
    return tapfd


def part_tap_forwarder():
    """A TCP stream uv -> uw through a forwarder: u0 <-> tap t0, both with the
    offload header, TSO taken whole both ways."""
    tapfd = make_tap()
    fd = vu.attach(IF, U.VIRTIF_F_VNET_HDR, nonblock=True,
                   offloads=U.VIRTIF_OFFLOAD_CSUM | U.VIRTIF_OFFLOAD_TSO4 | U.VIRTIF_OFFLOAD_TSO6)
    wait_for("u0 operational", lambda: sysfs(IF, "operstate") == "up")
    stop = os.pipe()
    seen = {"v2t": 0, "t2v": 0}

    def forward():
        while True:
            rd, _, _ = select.select([fd, tapfd, stop[0]], [], [])
            if stop[0] in rd:
                return
            for src, dst, key in ((fd, tapfd, "v2t"), (tapfd, fd, "t2v")):
                if src in rd:
                    try:
                        b = os.read(src, 70000)
                    except BlockingIOError:
                        continue
                    if parse_hdr(b)["gso_type"] != GSO_NONE:
                        seen[key] += 1
                    os.write(dst, b)

    t = threading.Thread(target=forward)
    t.start()
    data = os.urandom(2 << 20)
    srv = subprocess.Popen(["ip", "netns", "exec", "uw", "python3", "-S", "-c", """
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.60.0.2", 9200)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b); n += len(b)
c.sendall(b"x" * 300000)
print(n, h.hexdigest(), flush=True)
"""], stdout=subprocess.PIPE, text=True)
    if srv.stdout.readline().strip() != "ready":
        fail("the TCP receiver did not start")
    c = socket.create_connection(("10.60.0.2", 9200), timeout=30)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    back = b""
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        back += b
    n, digest = srv.stdout.readline().split()
    srv.wait()
    os.write(stop[1], b"x")
    t.join()
    if int(n) != len(data) or digest != hashlib.sha256(data).hexdigest():
        fail("TCP stream through the forwarder: %s bytes, digest mismatch" % n)
    if back != b"x" * 300000:
        fail("TCP stream back: %d bytes" % len(back))
    info("GSO packets: %d out of u0, %d into u0" % (seen["v2t"], seen["t2v"]))
    if seen["v2t"] == 0 or seen["t2v"] == 0:
        fail("no GSO packet crossed whole (out %d, in %d)" % (seen["v2t"], seen["t2v"]))
    ok("TCP through a tap forwarder: intact, TSO packets whole both ways")
    os.close(fd)
    os.close(tapfd)


def main():
    part_no_offloads()
    part_offloads()
    part_write()
    part_tap_forwarder()
    print("# user_vnet: all checks passed")


main()
