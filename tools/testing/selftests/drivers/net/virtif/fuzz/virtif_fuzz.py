#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""virtif_fuzz.py [--seed N] [--duration S] [--threads T] [--log FILE]

A seeded fuzzer of every input surface of virtif, run as root in a test
guest (make fuzz): T threads at once, each with its own random generator
seeded from (N, thread), call random operations for S seconds:

- /dev/virtif: open, VIRTIF_ATTACH with random and valid structs, random
  ioctl commands, read/readv/write/writev of 0 to 70000 bytes in single and
  batch mode with random record headers, poll, close at random moments;
- the shared-memory rings: VIRTIF_ATTACH_RING with random and valid
  geometries, mmap of right and wrong sizes and offsets, the mapping
  scribbled on (indices, flags, slot headers, frames: random, plausible and
  valid), VIRTIF_KICK, munmap and close in any order;
- rtnetlink: RTM_NEWLINK (create, change) with random IFLA_INFO_DATA
  attributes and lengths, random linkstr bytes, peers in random
  namespaces; up, down, MTU, address, rename, move to another namespace,
  delete -- in three namespaces, while up and down;
- sysfs: the linkstr file, random bytes in and out;
- traffic: raw frames sent on the interfaces, so that the transmit and
  receive paths race with all of the above.

Every call must succeed or fail with an errno documented for it; anything
else is printed as a VIOLATION (with the thread, the operation number and
the operation) and makes the exit status 1. At the end everything is
deleted. The kernel log is the harness's to judge (splats, leaks).

The sequence of operations of each thread is a function of the seed; with
one thread (--threads 1) a run replays exactly. Failing runs print the seed.
"""
import argparse
import ctypes
import errno
import fcntl
import mmap
import os
import random
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import virtif_uapi as U  # noqa: E402

E = errno
NAMES = ["fz%d" % i for i in range(6)] + ["fzp%d" % i for i in range(3)]
NETNS = ["fuzz0", "fuzz1"]
RTM_NEWLINK, RTM_DELLINK = 16, 17
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x200, 0x400
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINKINFO, IFLA_NET_NS_FD = 1, 3, 4, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFLA_TXQLEN, IFLA_NUM_TX_QUEUES = 13, 31
IFF_UP = 1
NLA_F_NESTED = 0x8000

# The errnos each kind of call may fail with (documented in virtif.rst, or
# the core's own for the same call on any interface).
OK_NETLINK = {E.EINVAL, E.E2BIG, E.EBUSY, E.ENODEV, E.EEXIST, E.EOPNOTSUPP, E.ERANGE,
              E.ENOMEM, E.ENOBUFS, E.EADDRNOTAVAIL, E.EMSGSIZE, E.ENFILE, E.ENOSPC}
OK_SYSFS = {E.EINVAL, E.E2BIG, E.EBUSY, E.ENODEV, E.ENOENT, E.ENOMEM}
OK_ATTACH = {E.EINVAL, E.ENODEV, E.EBUSY, E.ENXIO, E.ENOMEM, E.EFAULT}
OK_IOCTL = {E.ENOTTY, E.EINVAL, E.EFAULT, E.ENODEV, E.EBUSY, E.ENXIO, E.ENOMEM}
OK_READ = {E.EAGAIN, E.EMSGSIZE, E.EBADFD, E.EFAULT, E.EINTR}
OK_WRITE = {E.EINVAL, E.EBADFD, E.ENXIO, E.EFAULT, E.ENOMEM}
OK_RING = {E.EINVAL, E.ENODEV, E.EBUSY, E.ENXIO, E.ENOMEM, E.EFAULT}
OK_MMAP = {E.EINVAL, E.EBADFD, E.ENXIO, E.ENODEV, E.ENOMEM, E.EBUSY}
OK_KICK = {E.EINVAL, E.EBADFD, E.ENXIO, E.ENODEV}
OK_SEND = {E.ENOBUFS, E.ENXIO, E.ENETDOWN, E.ENODEV, E.EMSGSIZE, E.EINVAL, E.EAGAIN, E.ENOMEM}

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    """setns(fd, CLONE_NEWNET) for the calling thread (os.setns is Python 3.12+)."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


lock = threading.Lock()
violations = []


def attr(kind, payload):
    return struct.pack("HH", 4 + len(payload), kind) + payload + b"\0" * ((4 - len(payload) % 4) % 4)


def ifinfo(index=0, flags=0, change=0):
    return struct.pack("BxHiII", socket.AF_UNSPEC, 0, index, flags, change)


class Fuzzer:
    def __init__(self, seed, tid, deadline, log):
        self.r = random.Random((seed << 8) + tid)
        self.tid, self.deadline, self.log = tid, deadline, log
        self.n = 0
        self.files = []  # (fd, batch)
        self.maps = []  # (mmap, ring geometry)
        self.ns_fds = {ns: os.open("/run/netns/" + ns, os.O_RDONLY) for ns in NETNS}
        self.nl = {}
        self.stats = {}

    # --- plumbing ---------------------------------------------------------------
    def check(self, what, err, allowed):
        self.stats[what] = self.stats.get(what, 0) + 1
        if not err or err in allowed:  # None or 0: it succeeded
            return
        msg = "VIOLATION thread %d op %d: %s -> %s" % (self.tid, self.n, what,
                                                        errno.errorcode.get(err, err))
        with lock:
            violations.append(msg)
        print(msg, flush=True)

    def ns(self):
        return self.r.choice([None] + NETNS)

    def in_ns(self, ns, fn):
        """Runs fn in network namespace ns (this thread only: setns is per thread)."""
        if ns is None:
            return fn()
        me = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            setns(self.ns_fds[ns])
            return fn()
        finally:
            setns(me)
            os.close(me)

    def netlink(self, ns, msg_type, flags, payload):
        """Sends one request in ns; returns 0 or the errno."""
        def go():
            s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            try:
                s.bind((0, 0))
                hdr = struct.pack("IHHII", 16 + len(payload), msg_type, flags | NLM_F_REQUEST | NLM_F_ACK, 1, 0)
                s.send(hdr + payload)
                data = s.recv(65536)
                if len(data) >= 20 and struct.unpack_from("H", data, 4)[0] == 2:
                    return -struct.unpack_from("i", data, 16)[0]
                return 0
            finally:
                s.close()
        return self.in_ns(ns, go)

    def rand_bytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def linkstr(self):
        c = self.r.random()
        if c < 0.25:
            return self.r.choice([b"loop", b"user", b"loop\n", b"user\0"])
        if c < 0.6:
            return b"pair:" + self.r.choice(NAMES).encode() + self.r.choice([b"", b"\n", b"\0"])
        if c < 0.75:
            return self.r.choice([b"", b"\n", b"pair:", b"pair:" + b"x" * 16, b"loop:1", b"user:x",
                                  b"x" * self.r.choice([4095, 4096, 4097, 5000]), b"pair:lo"])
        return self.rand_bytes(self.r.randrange(0, 64))

    def data_attrs(self):
        """Random IFLA_INFO_DATA: well-formed attributes, garbage, peers."""
        out = b""
        for _ in range(self.r.randrange(0, 4)):
            c = self.r.random()
            if c < 0.5:
                out += attr(U.IFLA_VIRTIF_LINKSTR, self.linkstr())
            elif c < 0.7:
                peer = ifinfo(self.r.choice([0, 0, 0, self.r.randrange(1, 50)]))
                if self.r.random() < 0.8:
                    peer += attr(IFLA_IFNAME, self.r.choice(NAMES).encode() + b"\0")
                if self.r.random() < 0.3:
                    peer += attr(IFLA_NET_NS_FD, struct.pack("I", self.ns_fds[self.r.choice(NETNS)]))
                if self.r.random() < 0.2:
                    peer += attr(IFLA_ADDRESS, self.rand_bytes(self.r.choice([6, 6, 5, 7])))
                if self.r.random() < 0.1:
                    peer = peer[:self.r.randrange(0, len(peer) + 1)]
                out += attr(U.IFLA_VIRTIF_PEER, peer)
            else:
                out += attr(self.r.randrange(0, U.IFLA_VIRTIF_MAX + 3), self.rand_bytes(self.r.randrange(0, 40)))
        return attr(NLA_F_NESTED | IFLA_INFO_DATA, out) if out or self.r.random() < 0.5 else b""

    def linkinfo(self):
        return attr(NLA_F_NESTED | IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"virtif\0") + self.data_attrs())

    # --- rtnetlink ---------------------------------------------------------------
    def op_newlink(self):
        name = self.r.choice(NAMES).encode() + b"\0"
        body = ifinfo() + attr(IFLA_IFNAME, name) + self.linkinfo()
        if self.r.random() < 0.2:
            body += attr(IFLA_ADDRESS, self.rand_bytes(self.r.choice([6, 6, 6, 4])))
        if self.r.random() < 0.3:
            # Several transmit queues: files attach with VIRTIF_F_MULTI_QUEUE.
            body += attr(IFLA_NUM_TX_QUEUES, struct.pack("I", self.r.randrange(1, 9)))
        if self.r.random() < 0.2:
            body += attr(IFLA_TXQLEN, struct.pack("I", self.r.choice([1, 2, 16, 1000])))
        err = self.netlink(self.ns(), RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body)
        self.check("newlink", err, OK_NETLINK)

    def op_changelink(self):
        body = ifinfo() + attr(IFLA_IFNAME, self.r.choice(NAMES).encode() + b"\0") + self.linkinfo()
        self.check("changelink", self.netlink(self.ns(), RTM_NEWLINK, 0, body), OK_NETLINK)

    def op_setlink(self):
        name = attr(IFLA_IFNAME, self.r.choice(NAMES).encode() + b"\0")
        c = self.r.random()
        if c < 0.4:
            up = self.r.random() < 0.6
            body = ifinfo(0, IFF_UP if up else 0, IFF_UP) + name
        elif c < 0.55:
            body = ifinfo() + name + attr(IFLA_MTU, struct.pack("I", self.r.choice(
                [0, 67, 68, 1500, 9000, 65535, 65536, self.r.getrandbits(32)])))
        elif c < 0.7:
            body = ifinfo() + name + attr(IFLA_ADDRESS, self.rand_bytes(6))
        elif c < 0.85:
            body = ifinfo() + name + attr(IFLA_NET_NS_FD, struct.pack("I", self.ns_fds[self.r.choice(NETNS)]))
        else:
            # Rename: the index names the device, IFLA_IFNAME the new name.
            ns, old, new = self.ns(), self.r.choice(NAMES), self.r.choice(NAMES)

            def index():
                try:
                    return socket.if_nametoindex(old)
                except OSError:
                    return 0
            idx = self.in_ns(ns, index)
            if not idx:
                return
            body = ifinfo(idx) + attr(IFLA_IFNAME, new.encode() + b"\0")
            self.check("rename", self.netlink(ns, RTM_NEWLINK, 0, body), OK_NETLINK)
            return
        self.check("setlink", self.netlink(self.ns(), RTM_NEWLINK, 0, body), OK_NETLINK)

    def op_dellink(self):
        body = ifinfo() + attr(IFLA_IFNAME, self.r.choice(NAMES).encode() + b"\0")
        err = self.netlink(self.ns(), RTM_DELLINK, 0, body)
        self.check("dellink", err, OK_NETLINK)

    # --- sysfs -------------------------------------------------------------------
    def op_sysfs(self):
        path = "/sys/class/net/%s/virtif/linkstr" % self.r.choice(NAMES)
        err = None
        try:
            if self.r.random() < 0.7:
                fd = os.open(path, os.O_WRONLY)
                try:
                    os.write(fd, self.linkstr())
                finally:
                    os.close(fd)
            else:
                with open(path, "rb") as f:
                    f.read()
        except OSError as e:
            err = e.errno
        self.check("sysfs", err, OK_SYSFS)

    # --- /dev/virtif ----------------------------------------------------------------
    def op_open(self):
        if len(self.files) < 4:
            flags = os.O_RDWR | (os.O_NONBLOCK if self.r.random() < 0.9 else 0)
            # [fd, batch mode, offload header, ring geometry or None]
            self.files.append([os.open("/dev/virtif", flags), False, False, None])

    def some_file(self):
        if not self.files:
            self.op_open()
        return self.r.choice(self.files)

    def op_attach(self):
        f = self.some_file()
        buf = bytearray(U.sizeof_virtif_attach)
        name = self.r.choice(NAMES + ["lo", "", "x" * 15]).encode()
        if self.r.random() < 0.1:
            name = self.rand_bytes(16)
        buf[:len(name)] = name
        known = (U.VIRTIF_F_BATCH, U.VIRTIF_F_TX_DROP, U.VIRTIF_F_VNET_HDR, U.VIRTIF_F_MULTI_QUEUE)
        flags = sum(f for f in known if self.r.random() < 0.4)
        if self.r.random() < 0.05:
            flags = self.r.getrandbits(32)
        offloads = 0
        if flags & U.VIRTIF_F_VNET_HDR or self.r.random() < 0.05:
            offloads = self.r.choice([0, U.VIRTIF_OFFLOAD_CSUM,
                                      U.VIRTIF_OFFLOAD_CSUM | U.VIRTIF_OFFLOAD_TSO4 | U.VIRTIF_OFFLOAD_TSO6,
                                      U.VIRTIF_OFFLOAD_CSUM | U.VIRTIF_OFFLOAD_USO | U.VIRTIF_OFFLOAD_TSO_ECN,
                                      U.VIRTIF_OFFLOAD_TSO4, self.r.getrandbits(6), self.r.getrandbits(32)])
        struct.pack_into("=I", buf, U.offsetof_virtif_attach_flags, flags)
        struct.pack_into("=I", buf, U.offsetof_virtif_attach_offloads, offloads)
        err = None
        try:
            self.in_ns(self.ns(), lambda: fcntl.ioctl(f[0], U.VIRTIF_ATTACH, bytes(buf)))
            f[1] = bool(flags & U.VIRTIF_F_BATCH)
            f[2] = bool(flags & U.VIRTIF_F_VNET_HDR)
        except OSError as e:
            err = e.errno
        self.check("attach", err, OK_ATTACH)

    def op_ioctl(self):
        f = self.some_file()
        cmd = self.r.choice([U.VIRTIF_ATTACH ^ (1 << self.r.randrange(32)), 0x7600 + self.r.randrange(256),
                             self.r.getrandbits(32)])
        # Keep to 'v'-type commands and unknown types: the VFS handles the
        # generic ones itself (FIONBIO, FIOCLEX, ...).
        if cmd & 0xFF00 in (0x5400, 0x6600):
            return
        err = None
        try:
            fcntl.ioctl(f[0], cmd, self.rand_bytes(self.r.randrange(0, 64)))
        except OSError as e:
            err = e.errno
        # A random command may be one of ours: then its own rules hold
        # (VIRTIF_KICK on a file that is not attached is EBADFD).
        ok = {U.VIRTIF_ATTACH: OK_ATTACH, U.VIRTIF_ATTACH_RING: OK_RING,
              U.VIRTIF_KICK: OK_KICK}.get(cmd, OK_IOCTL)
        self.check("ioctl", err, ok)

    def op_read(self):
        f = self.some_file()
        n = self.r.choice([0, 1, 13, 60, 1514, 65535, U.VIRTIF_MAX_FRAME, 70000, self.r.randrange(0, 70001)])
        err = None
        try:
            if self.r.random() < 0.5:
                os.read(f[0], n)
            else:
                bufs = [bytearray(self.r.randrange(0, n + 1)) for _ in range(self.r.randrange(1, 4))]
                os.readv(f[0], bufs)
        except OSError as e:
            err = e.errno
        # A ring file refuses read() (virtif.rst, "Shared-memory rings").
        self.check("read", err, OK_READ | ({E.EINVAL} if f[3] else set()))

    def vnet_hdr(self):
        """A random virtio_net_hdr_v1: mostly plausible, sometimes garbage."""
        if self.r.random() < 0.2:
            return self.rand_bytes(U.VIRTIF_VNET_HDR_LEN)
        flags = self.r.choice([0, 1, 2, 3])
        gso = self.r.choice([0, 1, 3, 4, 5, 0x81, self.r.getrandbits(8)])
        return struct.pack("<BBHHHHH", flags, gso, self.r.choice([0, 14, 34, 54, self.r.getrandbits(16)]),
                           self.r.choice([0, 1, 536, 1448, 9000, self.r.getrandbits(16)]),
                           self.r.choice([0, 14, 34, 54, self.r.getrandbits(16)]),
                           self.r.choice([6, 16, self.r.getrandbits(16)]), 0)

    def frame(self, vnet=False):
        n = self.r.choice([0, 1, 13, 14, 60, 1514, 1518, 9000, 65535, U.VIRTIF_MAX_FRAME,
                           U.VIRTIF_MAX_FRAME + 1, self.r.randrange(0, 70001)])
        dst = self.r.choice([b"\xff" * 6, b"\x01\x00\x5e\x00\x00\x01", self.rand_bytes(6)])
        # Sometimes IPv4/TCP-looking, for the offload header to apply to.
        body = self.rand_bytes(8) if self.r.random() < 0.7 else \
            b"\x02\x00\x00\x00\x00\x01\x08\x00\x45\x00" + struct.pack("!H", min(max(0, n - 14), 0xffff)) + \
            b"\x00\x00\x40\x00\x40\x06" + self.rand_bytes(10)
        fr = (dst + body + b"\0" * max(0, n - 14))[:n]
        if vnet and self.r.random() < 0.95:
            fr = self.vnet_hdr() + fr
        return fr

    def op_write(self):
        f = self.some_file()
        if f[1] and self.r.random() < 0.8:
            buf = b""
            for _ in range(self.r.randrange(0, 80)):
                fr = self.frame(f[2])
                length = len(fr) if self.r.random() < 0.9 else self.r.getrandbits(32)
                flags = 0 if self.r.random() < 0.9 else self.r.getrandbits(32)
                pad = (U.VIRTIF_FRAME_ALIGN - len(fr) % U.VIRTIF_FRAME_ALIGN) % U.VIRTIF_FRAME_ALIGN
                buf += struct.pack("=II", length, flags) + fr + b"\0" * pad
            if self.r.random() < 0.2:
                buf = buf[:self.r.randrange(0, len(buf) + 1)]
        else:
            buf = self.frame(f[2])
        err = None
        try:
            if self.r.random() < 0.5:
                os.write(f[0], buf)
            else:
                cut = self.r.randrange(0, len(buf) + 1)
                os.writev(f[0], [buf[:cut], buf[cut:]])
        except OSError as e:
            err = e.errno
        self.check("write", err, OK_WRITE)

    def op_poll(self):
        f = self.some_file()
        p = select.poll()
        p.register(f[0], select.POLLIN | select.POLLOUT)
        p.poll(0)

    # --- shared-memory rings ------------------------------------------------------
    def op_attach_ring(self):
        f = self.some_file()
        tx = self.r.choice([1, 2, 4, 8, 64, 0, 3, U.VIRTIF_RING_MAX_SLOTS, U.VIRTIF_RING_MAX_SLOTS * 2,
                            self.r.getrandbits(32)])
        rx = self.r.choice([1, 2, 4, 8, 64, 0, 5, self.r.getrandbits(32)])
        slot = self.r.choice([U.VIRTIF_RING_MIN_SLOT, 4096, U.VIRTIF_RING_MAX_SLOT, 0, 1000,
                              U.VIRTIF_RING_MAX_SLOT * 2, self.r.getrandbits(32)])
        buf = bytearray(U.sizeof_virtif_ring_attach)
        at = U.offsetof_virtif_ring_attach_attach
        name = self.r.choice(NAMES + ["lo", ""]).encode()
        buf[at:at + len(name)] = name
        flags = self.r.choice([0, 0, U.VIRTIF_F_VNET_HDR, U.VIRTIF_F_TX_DROP, U.VIRTIF_F_BATCH,
                               U.VIRTIF_F_MULTI_QUEUE, self.r.getrandbits(32)])
        # GSO offloads too: GSO packets then cross the rings whole when they fit a slot.
        offloads = self.r.choice([0, 0, U.VIRTIF_OFFLOAD_CSUM, U.VIRTIF_OFFLOAD_TSO4,
                                  U.VIRTIF_OFFLOAD_CSUM | U.VIRTIF_OFFLOAD_TSO4 | U.VIRTIF_OFFLOAD_TSO6
                                  | U.VIRTIF_OFFLOAD_USO | U.VIRTIF_OFFLOAD_TSO_ECN,
                                  self.r.getrandbits(32)])
        struct.pack_into("=I", buf, at + U.offsetof_virtif_attach_flags, flags)
        struct.pack_into("=I", buf, at + U.offsetof_virtif_attach_offloads, offloads)
        for field, v in (("tx_slots", tx), ("rx_slots", rx), ("slot_size", slot),
                         ("reserved", 0 if self.r.random() < 0.95 else self.r.getrandbits(32))):
            struct.pack_into("=I", buf, getattr(U, "offsetof_virtif_ring_attach_" + field), v)
        err = None
        try:
            self.in_ns(self.ns(), lambda: fcntl.ioctl(f[0], U.VIRTIF_ATTACH_RING, bytes(buf)))
            f[2] = bool(flags & U.VIRTIF_F_VNET_HDR)
            f[3] = (tx, rx, slot)
        except OSError as e:
            err = e.errno
        self.check("attach_ring", err, OK_RING)

    def op_mmap(self):
        if len(self.maps) >= 4:
            return
        f = self.some_file()
        geo = f[3] or (self.r.choice([1, 4, 8]), self.r.choice([1, 4, 8]), 2048)
        size = U.VIRTIF_RING_CTL_SIZE + (geo[0] + geo[1]) * geo[2]
        if self.r.random() < 0.2:
            size = self.r.choice([4096, size - 4096, size + 4096, self.r.randrange(1, 1 << 20)])
        off = 0 if self.r.random() < 0.9 else self.r.choice([4096, 1 << 20])
        flags = mmap.MAP_SHARED if self.r.random() < 0.95 else mmap.MAP_PRIVATE
        err = None
        try:
            m = mmap.mmap(f[0], max(size, 1), flags=flags, prot=mmap.PROT_READ | mmap.PROT_WRITE,
                          offset=off)
            self.maps.append((m, geo))
        except OSError as e:
            err = e.errno
        except (ValueError, OverflowError):
            return
        self.check("mmap", err, OK_MMAP)

    def op_scribble(self):
        """Writes into a mapping what a buggy or hostile process might: the
        kernel must never be confused by any of it."""
        if not self.maps:
            return
        m, (tx, rx, slot) = self.r.choice(self.maps)
        if m.closed:
            return
        u32 = lambda v: struct.pack("=I", v & 0xffffffff)
        try:
            for _ in range(self.r.randrange(1, 8)):
                what = self.r.random()
                if what < 0.3:
                    # An index or flag of the control block.
                    field = self.r.choice(["tx_cons", "tx_wait", "rx_prod", "tx_prod", "rx_cons",
                                           "tx_flags", "rx_flags"])
                    at = getattr(U, "offsetof_virtif_ring_ctl_" + field)
                    cur = struct.unpack_from("=I", m, at)[0]
                    m[at:at + 4] = u32(self.r.choice([cur + 1, cur + self.r.randrange(1, 2 * (tx + rx) + 2),
                                                      cur - 1, 0, self.r.getrandbits(32)]))
                elif what < 0.8:
                    # A frame in the next RX slot, then rx_prod advanced.
                    at = U.offsetof_virtif_ring_ctl_rx_prod
                    prod = struct.unpack_from("=I", m, at)[0]
                    base = U.VIRTIF_RING_CTL_SIZE + tx * slot + (prod % rx) * slot
                    fr = self.frame()[:slot - U.sizeof_virtif_ring_slot]
                    length = len(fr) if self.r.random() < 0.9 else self.r.getrandbits(32)
                    flags = 0 if self.r.random() < 0.9 else self.r.getrandbits(32)
                    m[base:base + 8] = u32(length) + u32(flags)
                    m[base + 8:base + 8 + len(fr)] = fr
                    m[at:at + 4] = u32(prod + 1)
                else:
                    # Random bytes anywhere.
                    at = self.r.randrange(0, len(m))
                    n = min(self.r.randrange(1, 64), len(m) - at)
                    m[at:at + n] = self.rand_bytes(n)
        except (ValueError, IndexError, struct.error):
            pass  # a mapping of the wrong size: nothing to test there

    def op_kick(self):
        f = self.some_file()
        err = None
        try:
            fcntl.ioctl(f[0], U.VIRTIF_KICK)
        except OSError as e:
            err = e.errno
        self.check("kick", err, OK_KICK)

    def op_munmap(self):
        if self.maps:
            m, _ = self.maps.pop(self.r.randrange(len(self.maps)))
            m.close()

    def op_close(self):
        if self.files:
            f = self.files.pop(self.r.randrange(len(self.files)))
            os.close(f[0])

    # --- traffic -------------------------------------------------------------------
    def op_send(self):
        name, ns = self.r.choice(NAMES), self.ns()

        def go():
            err = None
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            try:
                s.bind((name, 0))
                s.setblocking(False)
                for _ in range(self.r.randrange(1, 30)):
                    s.send(self.frame()[:1514] or b"\xff" * 60)
            except OSError as e:
                err = e.errno
            finally:
                s.close()
            return err
        err = self.in_ns(ns, go)
        # ENODEV/ENXIO: no such interface (here) or it went; ENETDOWN: down.
        self.check("send", err, OK_SEND)

    OPS = [(op_newlink, 8), (op_changelink, 6), (op_setlink, 8), (op_dellink, 4), (op_sysfs, 5),
           (op_open, 2), (op_attach, 6), (op_ioctl, 2), (op_read, 6), (op_write, 6), (op_poll, 2),
           (op_close, 2), (op_send, 6), (op_attach_ring, 4), (op_mmap, 3), (op_scribble, 6),
           (op_kick, 4), (op_munmap, 2)]

    def run(self):
        """The thread's body: an exception (a bug of the fuzzer, or a call
        that did something no errno explains) is a violation, never a quiet
        end of the thread."""
        try:
            self.loop()
        except Exception:
            import traceback
            with lock:
                violations.append("thread %d, op %d: %s" % (self.tid, self.n, traceback.format_exc()))
            print("VIOLATION: thread %d, op %d: the fuzzer crashed:\n%s"
                  % (self.tid, self.n, traceback.format_exc()), flush=True)

    def loop(self):
        ops = [o for o, w in self.OPS for _ in range(w)]
        while time.monotonic() < self.deadline:
            self.n += 1
            op = self.r.choice(ops)
            if self.log:
                self.log.write("%d %d %s\n" % (self.tid, self.n, op.__name__))
            op(self)
        for m, _ in self.maps:
            m.close()
        for f in self.files:
            os.close(f[0])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--log")
    a = p.parse_args()
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 32)
    print("# virtif_fuzz: seed %d, %d thread(s), %.0f s" % (seed, a.threads, a.duration), flush=True)
    log = open(a.log, "w", buffering=1) if a.log else None
    deadline = time.monotonic() + a.duration
    fz = [Fuzzer(seed, t, deadline, log) for t in range(a.threads)]
    th = [threading.Thread(target=f.run) for f in fz]
    for t in th:
        t.start()
    for t in th:
        t.join()
    total = {}
    for f in fz:
        for k, v in f.stats.items():
            total[k] = total.get(k, 0) + v
    print("# calls: " + ", ".join("%s %d" % kv for kv in sorted(total.items())), flush=True)
    # A run that made (almost) no calls tested nothing: that is a failure too.
    if sum(total.values()) < 10 * a.threads:
        violations.append("only %d calls in %.0f s" % (sum(total.values()), a.duration))
        print("VIOLATION: only %d calls" % sum(total.values()), flush=True)
    if violations:
        print("# %d violation(s); replay with --seed %d --threads 1" % (len(violations), seed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
