#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""Shared-memory rings (VIRTIF_ATTACH_RING, VIRTIF_KICK), run by user_ring.sh
in namespace ur (u0: 10.62.0.1/24, neighbour 10.62.0.2 at PEER, IPv6 off).

The rings are mapped with libc's mmap() through ctypes, not Python's mmap
module, which keeps a duplicate of the file descriptor: the lifetime checks
need close() to really drop the process's descriptor.

- Attach: every bad geometry, reserved != 0, batch mode and GSO offloads
  without the checksum offload are EINVAL; mmap() of the wrong size or offset, or private, is EINVAL;
  read()/write() of a ring-mode file are EINVAL; the control block starts
  with every index 0 and NEED_KICK set.
- TX: datagrams u0 sends appear in the TX slots, whole, in order, tx_prod
  advancing and the ring wrapping as the consumer advances tx_cons.
- TX full: a 4-slot ring that nobody consumes stops the queue (STOPPED set,
  the rest waits in the qdisc, nothing dropped); consuming and kicking
  brings every accepted frame, in order, each timestamped once.
- tx_wait: poll() sleeps until a frame comes while tx_wait is set, and is
  not woken per frame while it is not.
- TX from two CPUs at once (noqueue: the LLTX transmit path runs on both,
  each filling the slot it reserved outside the lock): every frame of both
  senders arrives whole (checksums right), each sender's in its order,
  none lost, while a consumer takes them as they are published.
- RX: frames written into RX slots reach a socket, with a kick when
  NEED_KICK says so; a kick returns with the frames taken (up to 64); 200
  frames behind one kick all arrive (the kernel keeps polling); a writer
  that kicks only on NEED_KICK loses nothing.
- Bad input: bad slot flags, lengths beyond the slot, runts, nonsensical
  rx_prod and tx_cons, scribbled kernel indices; a frame larger than a TX
  slot is dropped as tx_drop_slot_too_small. Each is counted as defined.
- The offload header: in TX slots (checksum left to fill in) and RX slots
  (a bad header and a runt counted); ring and read/write files do not mix.
- GSO: a UDP GSO packet that fits a slot is one TX slot, its offload header
  giving its type and size; one that does not is segmented first (every
  segment in a slot, nothing dropped); a GSO frame in an RX slot reaches its
  socket as its segments.
- Lifetime: munmap then close; close while mapped (the file stays attached
  until munmap); close with frames in flight both ways; the interface
  deleted while the file is attached and mapped, and while the RX work runs.
"""
import ctypes
import errno
import fcntl
import mmap
import os
import select
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtest import *  # noqa: E402,F403
from vtest import ipv4_udp as vtest_ipv4_udp  # noqa: E402

IF = "u0"
PEER_STR = "02:00:00:00:62:02"
PEER = bytes.fromhex(PEER_STR.replace(":", ""))
LOCAL, REMOTE = "10.62.0.1", "10.62.0.2"
TX_PORT, RX_PORT = 9400, 9500
STOPPED, NEED_KICK = U.VIRTIF_RING_STOPPED, U.VIRTIF_RING_NEED_KICK
SLOT_HDR = U.sizeof_virtif_ring_slot
M32 = 0xFFFFFFFF
assert vu.ring_map_size(4, 8, 2048) == U.sample_VIRTIF_RING_MAP_SIZE_4_8_2048
assert U.VIRTIF_RING_CTL_SIZE + 4 * 2048 == U.sample_VIRTIF_RING_RX_OFFSET_4_2048

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
MAP_FAILED = ctypes.c_void_p(-1).value
RW = mmap.PROT_READ | mmap.PROT_WRITE

_fence = threading.Lock()


def mb():
    """A full memory barrier, as the protocol asks between a store and the load
    after it: on x86 the atomic read-modify-write of taking a lock is one."""
    with _fence:
        pass


def sys_mmap(fd, size, flags=mmap.MAP_SHARED, offset=0, prot=RW):
    addr = libc.mmap(None, size, prot, flags, fd, offset)
    if addr == MAP_FAILED or addr is None:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return addr


def kick(fd):
    fcntl.ioctl(fd, U.VIRTIF_KICK, 0)


class Rings:
    """The mapping of a file attached with VIRTIF_ATTACH_RING."""

    def __init__(self, fd, tx, rx, slot):
        self.fd, self.tx, self.rx, self.slot = fd, tx, rx, slot
        self.size = vu.ring_map_size(tx, rx, slot)
        self.addr = sys_mmap(fd, self.size)

    def word(self, off):
        return ctypes.c_uint32.from_address(self.addr + off)

    def get(self, field):
        return self.word(getattr(U, "offsetof_virtif_ring_ctl_" + field)).value

    def set(self, field, v):
        self.word(getattr(U, "offsetof_virtif_ring_ctl_" + field)).value = v & M32

    def tx_off(self, i):
        return U.VIRTIF_RING_TX_OFFSET + (i % self.tx) * self.slot

    def rx_off(self, i):
        return U.VIRTIF_RING_CTL_SIZE + (self.tx + i % self.rx) * self.slot

    def tx_frame(self, i):
        """(len, flags, bytes) of TX index i."""
        off = self.tx_off(i)
        n, fl = self.word(off).value, self.word(off + 4).value
        return n, fl, ctypes.string_at(self.addr + off + SLOT_HDR, min(n, self.slot - SLOT_HDR))

    def put_rx(self, i, data, length=None, flags=0):
        off = self.rx_off(i)
        ctypes.memmove(self.addr + off + SLOT_HDR, data, len(data))
        self.word(off + 4).value = flags
        self.word(off).value = len(data) if length is None else length

    def unmap(self):
        if libc.munmap(self.addr, self.size) != 0:
            fail("munmap: errno %d" % ctypes.get_errno())
        self.addr = None


def ring(tx=8, rx=8, slot=2048, flags=0, offloads=0, ifname=IF, up=True):
    fd = vu.attach_ring(ifname, tx, rx, slot, flags, offloads)
    r = Rings(fd, tx, rx, slot)
    if up:
        wait_for("%s operational" % ifname, lambda: sysfs(ifname, "operstate") == "up")
    return fd, r


def close(fd, r):
    r.unmap()
    os.close(fd)


# --- frames -------------------------------------------------------------------------------


def sender():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOCAL, 0))
    return s


def send(s, payload):
    s.sendto(payload, (REMOTE, TX_PORT))


def ours(fr):
    """One of our datagrams out of u0 (not other traffic)."""
    return len(fr) >= 42 and fr[:6] == PEER and fr[12:14] == b"\x08\x00" and fr[23] == 17 \
        and struct.unpack("!H", fr[36:38])[0] == TX_PORT


def tx_take(fd, r):
    """Consumes what the TX ring holds, as the protocol says: advance tx_cons,
    then (after a full barrier) kick if STOPPED. Returns our frames' payloads."""
    prod, cons = r.get("tx_prod"), r.get("tx_cons")
    out = []
    while cons != prod:
        n, fl, fr = r.tx_frame(cons)
        if fl != 0 or n != len(fr):
            fail("TX slot %d: len %d flags %d" % (cons, n, fl))
        if ours(fr):
            out.append(check_ipv4_udp(fr))
        cons = (cons + 1) & M32
    r.set("tx_cons", cons)
    mb()
    if r.get("tx_flags") & STOPPED:
        kick(fd)
    return out


def ipv4_udp(payload, dport=RX_PORT, sport=4000):
    """An Ethernet frame PEER -> u0 carrying UDP, checksummed."""
    return vtest_ipv4_udp(payload, sport, dport, REMOTE, LOCAL, mac(IF), PEER)


def receiver():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE: no overflow
    s.bind((LOCAL, RX_PORT))
    s.settimeout(5)
    return s


def rx_put(fd, r, frames):
    """Writes frames into the RX ring and publishes them, as the protocol says:
    advance rx_prod, then (after a full barrier) kick if NEED_KICK. The caller
    leaves room. Returns whether it kicked."""
    prod = r.get("rx_prod")
    for f in frames:
        r.put_rx(prod, f)
        prod = (prod + 1) & M32
    r.set("rx_prod", prod)
    mb()
    if r.get("rx_flags") & NEED_KICK:
        kick(fd)
        return True
    return False


def recv_n(s, n):
    out = []
    for _ in range(n):
        try:
            out.append(s.recv(70000))
        except socket.timeout:
            fail("received %d of %d datagrams" % (len(out), n))
    return out


def no_more(s, what):
    s.settimeout(0.3)
    try:
        b = s.recv(70000)
    except socket.timeout:
        return
    finally:
        s.settimeout(5)
    fail("%s: an unexpected datagram (%d bytes)" % (what, len(b)))


def counters():
    """The interface's counters and the drop reasons this test meets (one ethtool call)."""
    names = ("tx_packets", "tx_dropped", "rx_packets", "rx_dropped", "rx_length_errors")
    c = {k: stat(IF, k) for k in names}
    out = subprocess.run(["ethtool", "-S", IF], capture_output=True, text=True,
                         check=True).stdout
    eth = dict(line.strip().split(": ", 1) for line in out.splitlines() if ": " in line)
    for k in ("rx_drop_bad_slot", "rx_drop_oversize", "rx_drop_runt", "rx_drop_bad_vnet_hdr",
              "tx_drop_slot_too_small",
              "tx_drop_queue_full", "tx_drop_not_attached", "tx_drop_detached"):
        if k not in eth:
            fail("no ethtool counter " + k)
        c[k] = int(eth[k])
    return c


def expect_delta(c0, want, what):
    """The counters moved by exactly `want` (the others not at all)."""
    c1 = counters()
    for k in c0:
        d = c1[k] - c0[k]
        if d != want.get(k, 0):
            fail("%s: %s moved by %d, want %d" % (what, k, d, want.get(k, 0)))


def carrier(ifname=IF):
    try:
        return sysfs(ifname, "carrier")
    except OSError:
        return "?"


# --- the parts ----------------------------------------------------------------------------


def part_attach():
    bad = [("tx_slots 3", 3, 8, 2048), ("tx_slots 0", 0, 8, 2048), ("rx_slots 0", 8, 0, 2048),
           ("rx_slots 6", 8, 6, 2048),
           ("tx_slots above VIRTIF_RING_MAX_SLOTS", 2 * U.VIRTIF_RING_MAX_SLOTS, 1, 2048),
           ("rx_slots above VIRTIF_RING_MAX_SLOTS", 1, 2 * U.VIRTIF_RING_MAX_SLOTS, 2048),
           ("slot_size below VIRTIF_RING_MIN_SLOT", 8, 8, U.VIRTIF_RING_MIN_SLOT // 2),
           ("slot_size 3000", 8, 8, 3000), ("slot_size 0", 8, 8, 0),
           ("slot_size above VIRTIF_RING_MAX_SLOT", 8, 8, 2 * U.VIRTIF_RING_MAX_SLOT),
           ("a mapping above VIRTIF_RING_MAX_MAP", U.VIRTIF_RING_MAX_SLOTS,
            U.VIRTIF_RING_MAX_SLOTS, 2048)]
    for what, tx, rx, sl in bad:
        expect_errno("attach ring: " + what, errno.EINVAL, vu.attach_ring, IF, tx, rx, sl)
    expect_errno("attach ring: reserved 1", errno.EINVAL, vu.attach_ring, IF, 8, 8, 2048, 0, 0, 1)
    expect_errno("attach ring: VIRTIF_F_BATCH", errno.EINVAL, vu.attach_ring, IF, 8, 8, 2048,
                 U.VIRTIF_F_BATCH)
    expect_errno("attach ring: TSO4 without the checksum offload", errno.EINVAL, vu.attach_ring,
                 IF, 8, 8, 2048, U.VIRTIF_F_VNET_HDR, U.VIRTIF_OFFLOAD_TSO4)
    expect_errno("attach ring: an offload without the offload header", errno.EINVAL,
                 vu.attach_ring, IF, 8, 8, 2048, 0, U.VIRTIF_OFFLOAD_CSUM)
    expect_errno("attach ring: unknown interface", errno.ENODEV, vu.attach_ring, "nosuch0", 8, 8, 2048)
    fd = vu.open_dev()
    expect_errno("mmap before attach", errno.EBADFD, sys_mmap, fd, vu.ring_map_size(4, 8, 2048))
    expect_errno("VIRTIF_KICK before attach", errno.EBADFD, kick, fd)
    os.close(fd)
    # A file attached for read()/write() has nothing to map, nothing to kick.
    fd = vu.attach(IF)
    expect_errno("mmap of a read/write file", errno.EINVAL, sys_mmap, fd, 4096)
    expect_errno("VIRTIF_KICK on a read/write file", errno.EINVAL, kick, fd)
    os.close(fd)

    fd = vu.attach_ring(IF, 4, 8, 2048)
    size = vu.ring_map_size(4, 8, 2048)
    expect_errno("mmap one page short", errno.EINVAL, sys_mmap, fd, size - 4096)
    expect_errno("mmap one page long", errno.EINVAL, sys_mmap, fd, size + 4096)
    expect_errno("mmap at offset 4096", errno.EINVAL, sys_mmap, fd, size, mmap.MAP_SHARED, 4096)
    expect_errno("mmap MAP_PRIVATE", errno.EINVAL, sys_mmap, fd, size, mmap.MAP_PRIVATE)
    expect_errno("read() of a ring file", errno.EINVAL, os.read, fd, 2048)
    expect_errno("write() of a ring file", errno.EINVAL, os.write, fd, b"\0" * 60)
    expect_errno("a second attach of the file", errno.EBUSY, vu.attach_ring, IF, 4, 8, 2048)
    expect_errno("another file beside it", errno.EBUSY, vu.attach_ring, IF, 4, 8, 2048)
    r = Rings(fd, 4, 8, 2048)
    ctl = {f: r.get(f) for f in ("tx_prod", "tx_flags", "tx_cons", "tx_wait", "rx_prod",
                                  "rx_cons", "rx_flags")}
    want = dict.fromkeys(ctl, 0)
    want["rx_flags"] = NEED_KICK
    if ctl != want:
        fail("control block at attach: %s, want %s" % (ctl, want))
    # A read-only shared mapping is still the whole of it: allowed.
    ro = sys_mmap(fd, size, prot=mmap.PROT_READ)
    libc.munmap(ro, size)
    ok("a new mapping: indices 0, NEED_KICK set")
    close(fd, r)
    ok("attach and mmap validation")


def part_tx():
    fd, r = ring(tx=8)
    c0 = counters()
    s = sender()
    payloads = [bytes([0x41 + i]) * (60 + 10 * i) for i in range(3)]
    for p in payloads:
        send(s, p)
    wait_for("tx_prod 3", lambda: r.get("tx_prod") == 3)
    for i, p in enumerate(payloads):
        n, fl, fr = r.tx_frame(i)
        if n != 14 + 20 + 8 + len(p) or fl != 0:
            fail("TX slot %d: len %d flags %d, want %d and 0" % (i, n, fl, 42 + len(p)))
        if fr[:6] != PEER or fr[6:12] != mac(IF):
            fail("TX slot %d: addresses %s" % (i, fr[:12].hex()))
        if check_ipv4_udp(fr) != p:
            fail("TX slot %d: payload" % i)
    ok("TX: three datagrams in slots 0-2, lengths and bytes right, tx_prod 3")
    p = select.poll()
    p.register(fd, select.POLLIN)
    if not p.poll(0):
        fail("TX: poll() without POLLIN while the ring holds frames")
    if tx_take(fd, r) != payloads:
        fail("TX: consumed frames")
    if p.poll(0) and p.poll(0)[0][1] & select.POLLIN:
        fail("TX: POLLIN after the consumer took everything")
    # Around the ring twice: 13 more through 8 slots, consumed as they come.
    got = []
    for i in range(13):
        send(s, b"w%02d" % i)
        wait_for("frame %d in the ring" % i, lambda: r.get("tx_prod") == 4 + i)
        got += tx_take(fd, r)
    if got != [b"w%02d" % i for i in range(13)]:
        fail("TX around the ring: %s" % got)
    if r.get("tx_prod") != 16 or r.get("tx_cons") != 16:
        fail("TX: tx_prod %d tx_cons %d, want 16" % (r.get("tx_prod"), r.get("tx_cons")))
    expect_delta(c0, {"tx_packets": 16}, "TX")
    ok("TX: 16 frames around an 8-slot ring, in order, counted")
    close(fd, r)


def part_tx_full():
    fd, r = ring(tx=4)
    c0 = counters()
    s = sender()
    # Software transmit timestamps: each frame is stamped once, however often
    # the driver hands it back to the qdisc.
    s.setsockopt(socket.SOL_SOCKET, 37, (1 << 1) | (1 << 4))  # SO_TIMESTAMPING: TX_SOFTWARE|SOFTWARE
    n = 10
    for i in range(n):
        send(s, b"full%02d" % i)
    wait_for("STOPPED", lambda: r.get("tx_flags") & STOPPED)
    wait_for("the rest in the qdisc", lambda: qdisc_backlog(IF) == n - 4)
    if r.get("tx_prod") != 4:
        fail("TX full: tx_prod %d, want 4 (the ring's size)" % r.get("tx_prod"))
    expect_delta(c0, {"tx_packets": 4}, "TX full, nothing consumed")
    info("TX full: 4 in the ring, %d in the qdisc, STOPPED" % qdisc_backlog(IF))
    # Taking one frame is not enough to wake the queue (half the ring must be free).
    r.set("tx_cons", 1)
    mb()
    kick(fd)
    time.sleep(0.2)
    if r.get("tx_prod") != 4 or not r.get("tx_flags") & STOPPED:
        fail("TX full: woken with 3 of 4 slots still full (tx_prod %d)" % r.get("tx_prod"))
    r.set("tx_cons", 0)
    got = []
    end = time.monotonic() + 10
    while len(got) < n:
        if time.monotonic() > end:
            fail("TX full: got %d of %d frames after the kicks" % (len(got), n))
        got += tx_take(fd, r)
        time.sleep(0.01)
    if got != [b"full%02d" % i for i in range(n)]:
        fail("TX full: frames %s" % got)
    wait_drained(IF)
    if r.get("tx_flags") & STOPPED:
        fail("TX full: STOPPED still set after everything was taken")
    expect_delta(c0, {"tx_packets": n}, "TX full, all consumed")
    stamps = 0
    while True:
        try:
            s.recvmsg(2048, 1024, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            break
        stamps += 1
    if stamps != n:
        fail("TX full: %d transmit timestamps for %d frames" % (stamps, n))
    ok("TX full: STOPPED, the rest waits in the qdisc, all %d arrive in order after kicks, "
       "each stamped once, none dropped" % n)
    close(fd, r)


def part_tx_wait():
    fd, r = ring(tx=8)
    s = sender()
    p = select.poll()
    p.register(fd, select.POLLIN)

    def later(delay, payload):
        t = threading.Timer(delay, send, (s, payload))
        t.start()
        return t

    r.set("tx_wait", 1)
    mb()
    if r.get("tx_prod") != r.get("tx_cons"):
        fail("tx_wait: the ring is not empty")
    t0 = time.monotonic()
    t = later(0.3, b"wake")
    ev = p.poll(5000)
    dt = time.monotonic() - t0
    t.join()
    if not ev or not ev[0][1] & select.POLLIN:
        fail("tx_wait: poll() not woken by a frame (%.2fs)" % dt)
    if dt < 0.25:
        fail("tx_wait: poll() returned at once (%.2fs), before the frame was sent" % dt)
    r.set("tx_wait", 0)
    if tx_take(fd, r) != [b"wake"]:
        fail("tx_wait: the frame")
    ok("tx_wait: poll() sleeps until a frame comes (%.2fs)" % dt)
    # Without tx_wait, the kernel does not wake pollers per frame.
    t0 = time.monotonic()
    t = later(0.2, b"nowake")
    ev = p.poll(1500)
    dt = time.monotonic() - t0
    t.join()
    if dt < 1.4:
        fail("tx_wait 0: poll() woken after %.2fs" % dt)
    if tx_take(fd, r) != [b"nowake"]:
        fail("tx_wait 0: the frame")
    ok("tx_wait 0: no wake-up per frame (%.2fs)" % dt)
    close(fd, r)


def part_tx_parallel():
    if len(os.sched_getaffinity(0)) < 2:
        fail("TX parallel: needs 2 CPUs (user_ring.sh says '# cpus: 2'), has %d"
             % len(os.sched_getaffinity(0)))
    # Jumbo frames, so that a slot takes a while to fill.
    n, size = 800, 8000
    subprocess.run(["tc", "qdisc", "replace", "dev", IF, "root", "noqueue"], check=True)
    subprocess.run(["ip", "link", "set", IF, "mtu", "9000"], check=True)
    # Room for every frame: without a qdisc a full ring would drop.
    fd, r = ring(tx=2048, slot=16384)
    c0 = counters()
    pids = []
    for cpu in (0, 1):
        pid = os.fork()
        if pid == 0:
            try:
                os.sched_setaffinity(0, {cpu})
                s = sender()
                pad = bytes((cpu * 61 + k) & 0xFF for k in range(size))
                for i in range(n):
                    send(s, b"%d:%05d:" % (cpu, i) + pad)
                os._exit(0)
            except BaseException:
                os._exit(1)
        pids.append(pid)
    pads = {who: bytes((who * 61 + k) & 0xFF for k in range(size)) for who in (0, 1)}
    got = {0: [], 1: []}
    deadline = time.monotonic() + 120
    live = set(pids)
    while len(got[0]) + len(got[1]) < 2 * n:
        for pid in list(live):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                live.discard(pid)
                if status != 0:
                    fail("TX parallel: a sender failed (status %d)" % status)
        if time.monotonic() > deadline:
            fail("TX parallel: %d and %d frames after 120 s" % (len(got[0]), len(got[1])))
        # Every published slot holds one of our frames: nothing else goes out
        # of u0 (IPv6 off, a permanent neighbour), and a slot published before
        # it was filled would hold the previous round's bytes or none.
        prod, cons = r.get("tx_prod"), r.get("tx_cons")
        out = []
        while cons != prod:
            ln, fl, fr = r.tx_frame(cons)
            if fl != 0 or ln != len(fr) or not ours(fr):
                fail("TX parallel: slot %d published but not filled (len %d flags %d)"
                     % (cons, ln, fl))
            out.append(check_ipv4_udp(fr))
            cons = (cons + 1) & M32
        r.set("tx_cons", cons)
        for p in out:
            who, seq = int(p[:1]), int(p[2:7])
            if p[8:] != pads[who]:
                fail("TX parallel: frame %d of sender %d is not whole" % (seq, who))
            got[who].append(seq)
    for pid in live:
        if os.waitpid(pid, 0)[1] != 0:
            fail("TX parallel: a sender failed")
    for who in (0, 1):
        if got[who] != list(range(n)):
            bad = next(i for i, (a, b) in enumerate(zip(got[who], range(n))) if a != b)
            fail("TX parallel: sender %d out of order at %d: %s" % (who, bad, got[who][bad:bad + 5]))
    if r.get("tx_prod") != 2 * n:
        fail("TX parallel: tx_prod %d, want %d" % (r.get("tx_prod"), 2 * n))
    expect_delta(c0, {"tx_packets": 2 * n}, "TX parallel")
    ok("TX parallel: %d frames of %d bytes from each CPU, whole and in order" % (n, size))
    close(fd, r)
    subprocess.run(["ip", "link", "set", IF, "mtu", "1500"], check=True)
    subprocess.run(["tc", "qdisc", "del", "dev", IF, "root"], check=True)


def part_rx():
    fd, r = ring(rx=8)
    rs = receiver()
    c0 = counters()
    if not rx_put(fd, r, [ipv4_udp(b"first")]):
        fail("RX: NEED_KICK not set on an idle ring")
    if rs.recv(2000) != b"first":
        fail("RX: first datagram")
    wait_for("rx_cons 1", lambda: r.get("rx_cons") == 1)
    wait_for("NEED_KICK again", lambda: r.get("rx_flags") & NEED_KICK)
    ok("RX: a frame, a kick, the socket has it; rx_cons 1, NEED_KICK again")
    # One at a time, around the ring three times.
    for i in range(24):
        wait_for("room", lambda: ((r.get("rx_prod") - r.get("rx_cons")) & M32) < r.rx)
        rx_put(fd, r, [ipv4_udp(b"one%02d" % i)])
    if recv_n(rs, 24) != [b"one%02d" % i for i in range(24)]:
        fail("RX around the ring")
    wait_for("rx_cons 25", lambda: r.get("rx_cons") == 25)
    # A full ring, published at once.
    rx_put(fd, r, [ipv4_udp(b"full%d" % i) for i in range(8)])
    if recv_n(rs, 8) != [b"full%d" % i for i in range(8)]:
        fail("RX: a full ring at once")
    wait_for("rx_cons 33", lambda: r.get("rx_cons") == 33)
    no_more(rs, "RX")
    expect_delta(c0, {"rx_packets": 33}, "RX")
    ok("RX: 33 frames through an 8-slot ring, in order, counted")
    # A kick takes the frames before it returns (how a writer makes room in
    # a full ring): rx_cons has moved when VIRTIF_KICK returns, every time.
    for k in range(10):
        wait_for("NEED_KICK", lambda: r.get("rx_flags") & NEED_KICK)
        if not rx_put(fd, r, [ipv4_udp(b"k%d.%d" % (k, i)) for i in range(8)]):
            fail("RX: NEED_KICK set but no kick")
        cons, prod = r.get("rx_cons"), r.get("rx_prod")
        if cons != prod:
            fail("RX: VIRTIF_KICK returned before the kernel took the frames "
                 "(rx_cons %d, rx_prod %d, round %d)" % (cons, prod, k))
        if recv_n(rs, 8) != [b"k%d.%d" % (k, i) for i in range(8)]:
            fail("RX: frames taken by the kick")
    no_more(rs, "RX kick")
    ok("RX: a kick returns with the ring's frames taken (10 full rings)")
    close(fd, r)

    # 200 frames behind one kick: the kernel takes them in several runs (it
    # yields after a budget) without being kicked again.
    fd, r = ring(rx=256)
    c0 = counters()
    for i in range(200):
        r.put_rx(i, ipv4_udp(b"burst%03d" % i))
    r.set("rx_prod", 200)
    mb()
    kick(fd)
    # The kick itself took a budget (64), the kernel the rest.
    if r.get("rx_cons") < 64:
        fail("RX burst: the kick returned with rx_cons %d (< 64)" % r.get("rx_cons"))
    if recv_n(rs, 200) != [b"burst%03d" % i for i in range(200)]:
        fail("RX burst: order")
    wait_for("rx_cons 200", lambda: r.get("rx_cons") == 200)
    expect_delta(c0, {"rx_packets": 200}, "RX burst")
    ok("RX: 200 frames behind one kick all arrive")
    # A writer that kicks only when NEED_KICK says so: nothing is left behind.
    prod, kicks, n = 200, 0, 500
    for i in range(n):
        end = time.monotonic() + 5
        while ((prod - r.get("rx_cons")) & M32) >= r.rx:
            if time.monotonic() > end:
                fail("RX stream: the kernel stopped taking frames at rx_cons %d (a lost kick?)"
                     % r.get("rx_cons"))
            time.sleep(0.001)
        r.put_rx(prod, ipv4_udp(b"s%04d" % i))
        prod = (prod + 1) & M32
        r.set("rx_prod", prod)
        mb()
        if r.get("rx_flags") & NEED_KICK:
            kick(fd)
            kicks += 1
        if i % 100 == 99:
            got = recv_n(rs, 100)
            if got != [b"s%04d" % j for j in range(i - 99, i + 1)]:
                fail("RX stream: order")
    wait_for("rx_cons %d" % prod, lambda: r.get("rx_cons") == prod)
    info("RX stream: %d frames, %d kicks" % (n, kicks))
    if kicks > n:
        fail("RX stream: more kicks than frames")
    ok("RX: a writer that kicks only on NEED_KICK loses nothing (%d kicks for %d frames)"
       % (kicks, n))
    rs.close()
    close(fd, r)


def part_bad():
    rs = receiver()
    fd, r = ring(tx=4, rx=8)
    good = ipv4_udp(b"good")
    room = r.slot - SLOT_HDR
    # Bad slots, each followed by a good frame; all in one batch.
    c0 = counters()
    prod = 0
    cases = [("flags 1", dict(flags=1), {"rx_drop_bad_slot": 1, "rx_dropped": 1}),
             ("flags 0x80000000", dict(flags=1 << 31), {"rx_drop_bad_slot": 1, "rx_dropped": 1}),
             ("len one beyond the slot", dict(length=room + 1),
              {"rx_drop_oversize": 1, "rx_dropped": 1, "rx_length_errors": 1}),
             ("len 0xffffffff", dict(length=M32),
              {"rx_drop_oversize": 1, "rx_dropped": 1, "rx_length_errors": 1}),
             ("len 10 (a runt)", dict(length=10),
              {"rx_drop_runt": 1, "rx_dropped": 1, "rx_length_errors": 1})]
    for what, kw, want in cases:
        c0 = counters()
        r.put_rx(prod, good, **kw)
        r.put_rx(prod + 1, good)
        prod += 2
        r.set("rx_prod", prod)
        mb()
        kick(fd)
        if rs.recv(2000) != b"good":
            fail("bad slot (%s): the good frame after it" % what)
        wait_for("rx_cons %d" % prod, lambda: r.get("rx_cons") == prod)
        want = dict(want, rx_packets=1)
        expect_delta(c0, want, "bad slot (%s)" % what)
        ok("RX slot with %s: dropped and counted, the next frame delivered" % what)
    no_more(rs, "bad slots")
    # A nonsensical rx_prod is an empty ring: nothing taken, nothing counted.
    for what, bogus in (("rx_cons + slots + 1", prod + r.rx + 1), ("rx_cons - 1", prod - 1),
                        ("rx_cons + 0x80000000", prod + 0x80000000)):
        c0 = counters()
        r.put_rx(prod, good)
        r.set("rx_prod", bogus)
        mb()
        kick(fd)
        wait_for("NEED_KICK", lambda: r.get("rx_flags") & NEED_KICK)
        time.sleep(0.1)
        if r.get("rx_cons") != prod & M32:
            fail("rx_prod %s: rx_cons moved to %d" % (what, r.get("rx_cons")))
        expect_delta(c0, {}, "rx_prod %s" % what)
        no_more(rs, "rx_prod " + what)
        ok("rx_prod %s: taken as an empty ring" % what)
    # The process scribbles over the kernel's indices: the kernel keeps its own.
    r.set("rx_cons", 12345)
    r.set("rx_prod", prod + 1)
    mb()
    kick(fd)
    if rs.recv(2000) != b"good":
        fail("after a sane rx_prod again: the frame")
    prod += 1
    wait_for("rx_cons %d" % prod, lambda: r.get("rx_cons") == prod)
    ok("a scribbled rx_cons is overwritten with the kernel's own")
    s = sender()
    r.set("tx_prod", 999)
    send(s, b"tx0")
    wait_for("tx_prod 1", lambda: r.get("tx_prod") == 1)
    if tx_take(fd, r) != [b"tx0"]:
        fail("scribbled tx_prod: the frame is not in slot 0")
    ok("a scribbled tx_prod is overwritten with the kernel's own (slot 0 written)")
    # A nonsensical tx_cons is a full ring: the queue stops, nothing is lost.
    c0 = counters()
    r.set("tx_cons", 1 + 100)
    send(s, b"tx1")
    wait_for("STOPPED", lambda: r.get("tx_flags") & STOPPED)
    wait_for("the frame in the qdisc", lambda: qdisc_backlog(IF) == 1)
    if r.get("tx_prod") != 1:
        fail("tx_cons beyond tx_prod: a frame was written")
    r.set("tx_cons", 1)
    mb()
    kick(fd)
    wait_for("tx_prod 2", lambda: r.get("tx_prod") == 2)
    if tx_take(fd, r) != [b"tx1"]:
        fail("tx_cons repaired: the frame")
    expect_delta(c0, {"tx_packets": 1}, "nonsensical tx_cons")
    ok("tx_cons beyond tx_prod: taken as a full ring, the frame waits, then goes")
    close(fd, r)
    # Frames larger than a slot, with the MTU raised.
    subprocess.run(["ip", "link", "set", IF, "mtu", "4000"], check=True)
    fd, r = ring(tx=4, rx=4, slot=2048)
    c0 = counters()
    send(s, b"L" * 3000)
    wait_drained(IF)
    send(s, b"small")
    wait_for("tx_prod 1", lambda: r.get("tx_prod") == 1)
    if tx_take(fd, r) != [b"small"]:
        fail("slot too small: the next frame")
    expect_delta(c0, {"tx_packets": 1, "tx_dropped": 1, "tx_drop_slot_too_small": 1},
                 "a 3042-byte frame, 2048-byte slots")
    ok("TX: a frame larger than a slot is dropped as tx_drop_slot_too_small")
    close(fd, r)
    fd, r = ring(tx=4, rx=4, slot=4096)
    c0 = counters()
    send(s, b"L" * 3000)
    wait_for("tx_prod 1", lambda: r.get("tx_prod") == 1)
    n, _, _ = r.tx_frame(0)
    if n != 3042 or tx_take(fd, r) != [b"L" * 3000]:
        fail("TX, 4096-byte slots: a 3042-byte frame (len %d)" % n)
    r.put_rx(0, ipv4_udp(b"R" * 3000))
    r.put_rx(1, ipv4_udp(b"R" * 3000), length=4096 - SLOT_HDR + 1)
    r.set("rx_prod", 2)
    mb()
    kick(fd)
    if rs.recv(4000) != b"R" * 3000:
        fail("RX, 4096-byte slots: a 3042-byte frame")
    wait_for("rx_cons 2", lambda: r.get("rx_cons") == 2)
    expect_delta(c0, {"tx_packets": 1, "rx_packets": 1, "rx_dropped": 1, "rx_length_errors": 1,
                      "rx_drop_oversize": 1}, "4096-byte slots")
    ok("4096-byte slots: 3042-byte frames both ways; a len beyond the slot is dropped")
    close(fd, r)
    subprocess.run(["ip", "link", "set", IF, "mtu", "1500"], check=True)
    rs.close()


def part_vnet_mq():
    """The offload header in the slots, both ways; a ring file and a read/write
    file do not mix (multiqueue)."""
    hl = U.VIRTIF_VNET_HDR_LEN
    fd, r = ring(tx=4, rx=4, flags=U.VIRTIF_F_VNET_HDR, offloads=U.VIRTIF_OFFLOAD_CSUM)
    rs = receiver()
    c0 = counters()
    send(sender(), b"v" * 100)
    wait_for("tx_prod 1", lambda: r.get("tx_prod") == 1)
    n, _, b = r.tx_frame(0)
    flags, gso_type, _, _, start, off = struct.unpack("<BBHHHH", b[:10])
    if n != hl + 42 + 100 or flags != 1 or gso_type != 0 or (start, off) != (34, 6):
        fail("vnet TX slot: len %d, header %s" % (n, b[:hl].hex()))
    r.set("tx_cons", 1)
    ok("vnet: a TX slot holds the header (checksum to fill in at 34+6), then the frame")
    r.put_rx(0, b"\0" * hl + ipv4_udp(b"vr"))
    r.put_rx(1, struct.pack("<BBHHHHH", 1, 0, 0, 0, 2000, 6, 0) + ipv4_udp(b"bad"))
    r.put_rx(2, b"\0" * 8)
    r.set("rx_prod", 3)
    mb()
    kick(fd)
    if rs.recv(2000) != b"vr":
        fail("vnet RX: the frame after an empty header")
    wait_for("rx_cons 3", lambda: r.get("rx_cons") == 3)
    no_more(rs, "vnet RX")
    expect_delta(c0, {"tx_packets": 1, "rx_packets": 1, "rx_dropped": 2, "rx_drop_bad_vnet_hdr": 1,
                      "rx_drop_runt": 1, "rx_length_errors": 1}, "vnet")
    ok("vnet: RX slots with a header: delivered; a bad header and a runt dropped and counted")
    close(fd, r)
    rs.close()
    mq = U.VIRTIF_F_MULTI_QUEUE
    fd = vu.attach_ring(IF, 4, 4, 2048, mq)
    expect_errno("a read/write file beside a ring file (multiqueue)", errno.EINVAL, vu.attach, IF, mq)
    os.close(fd)


GSO_NONE, GSO_UDP_L4, UDP_SEGMENT = 0, 5, 103


def vnet_hdr(b):
    """(flags, gso_type, hdr_len, gso_size) of the offload header at the start of b."""
    return struct.unpack("<BBHH", b[:6])


def part_gso():
    """GSO packets through the rings, both ways."""
    hl = U.VIRTIF_VNET_HDR_LEN
    uso = U.VIRTIF_OFFLOAD_CSUM | U.VIRTIF_OFFLOAD_USO
    s = sender()
    s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 1000)
    rs = receiver()
    # 16 KiB slots: a UDP GSO packet of 4000 bytes in 1000 fits one.
    fd, r = ring(tx=4, rx=4, slot=16384, flags=U.VIRTIF_F_VNET_HDR, offloads=uso)
    c0 = counters()
    send(s, b"g" * 4000)
    wait_for("tx_prod 1", lambda: r.get("tx_prod") == 1)
    n, fl, b = r.tx_frame(0)
    flags, gso_type, _, gso_size = vnet_hdr(b)
    if fl != 0 or n != hl + 42 + 4000 or gso_type != GSO_UDP_L4 or gso_size != 1000 \
            or b[hl + 42:] != b"g" * 4000:
        fail("GSO TX, 16 KiB slots: len %d, header %s" % (n, b[:hl].hex()))
    r.set("tx_cons", 1)
    ok("GSO TX: a UDP GSO packet that fits a slot is one slot, type UDP_L4, size 1000")
    # The RX ring: a GSO frame (the checksum to fill in) reaches the socket as its segments.
    gso = vtest_ipv4_udp(b"f" * 3000, 4000, RX_PORT, REMOTE, LOCAL, mac(IF), PEER, True)
    rx_put(fd, r, [struct.pack("<BBHHHHH", 1, GSO_UDP_L4, 42, 1000, 34, 6, 0) + gso])
    if recv_n(rs, 3) != [b"f" * 1000] * 3:
        fail("GSO RX: a 3000-byte UDP GSO frame in an RX slot")
    no_more(rs, "GSO RX")
    expect_delta(c0, {"tx_packets": 1, "rx_packets": 1}, "GSO, 16 KiB slots")
    ok("GSO RX: a UDP GSO frame in an RX slot reaches the socket as 3 datagrams")
    close(fd, r)
    # 2 KiB slots: the same packet does not fit; it is segmented before the ring.
    fd, r = ring(tx=8, rx=4, slot=2048, flags=U.VIRTIF_F_VNET_HDR, offloads=uso)
    c0 = counters()
    send(s, b"h" * 4000)
    wait_for("tx_prod 4", lambda: r.get("tx_prod") == 4)
    for i in range(4):
        n, fl, b = r.tx_frame(i)
        if fl != 0 or n != hl + 42 + 1000 or vnet_hdr(b)[1] != GSO_NONE or b[hl + 42:] != b"h" * 1000:
            fail("GSO TX, 2 KiB slots: slot %d: len %d, header %s" % (i, n, b[:hl].hex()))
    r.set("tx_cons", 4)
    expect_delta(c0, {"tx_packets": 4}, "GSO, 2 KiB slots")
    ok("GSO TX: a UDP GSO packet larger than a slot arrives as 4 segments, nothing dropped")
    close(fd, r)
    s.close()
    rs.close()


def new_user_if(name):
    subprocess.run(["ip", "link", "add", name, "type", "virtif"], check=True)
    with open("/sys/class/net/%s/virtif/linkstr" % name, "w") as f:
        f.write("user")
    subprocess.run(["ip", "link", "set", name, "up"], check=True)


def part_lifetime():
    s = sender()
    # munmap, then close.
    fd, r = ring()
    r.unmap()
    if carrier() != "1":
        fail("munmap detached the file")
    os.close(fd)
    wait_for("carrier off after close", lambda: carrier() == "0")
    ok("munmap then close: detached at close")
    # close while mapped: the mapping holds the file, which stays attached.
    fd, r = ring()
    os.close(fd)
    time.sleep(0.1)
    if carrier() != "1":
        fail("close while mapped: the file was detached (carrier %s)" % carrier())
    send(s, b"after close")
    wait_for("tx_prod 1 after close", lambda: r.get("tx_prod") == 1)
    n, fl, fr = r.tx_frame(0)
    if check_ipv4_udp(fr) != b"after close":
        fail("close while mapped: the frame")
    r.set("tx_cons", 1)
    r.put_rx(0, b"\xaa" * 100)  # writes to the mapping: still ordinary memory
    r.unmap()
    wait_for("carrier off after munmap", lambda: carrier() == "0")
    ok("close while mapped: still attached, frames still come; detached at munmap")
    # close with frames in flight: the TX ring full with more in the qdisc,
    # RX frames published but not kicked, and an RX burst being taken.
    fd, r = ring(tx=4, rx=256)
    c0 = counters()
    for i in range(8):
        send(s, b"inflight%d" % i)
    wait_for("STOPPED", lambda: r.get("tx_flags") & STOPPED)
    wait_for("4 frames in the qdisc", lambda: qdisc_backlog(IF) == 4)
    for i in range(256):  # a protocol nobody takes: no answer goes out
        r.put_rx(i, mac(IF) + PEER + b"\x88\xb5" + b"x" * 50)
    r.set("rx_prod", 256)
    mb()
    kick(fd)
    close(fd, r)
    wait_for("carrier off", lambda: carrier() == "0")
    wait_drained(IF)
    c1 = counters()
    dropped = c1["tx_dropped"] - c0["tx_dropped"]
    unattached = c1["tx_drop_not_attached"] - c0["tx_drop_not_attached"]
    # The ring's 4 frames were sent. The qdisc's 4 are dropped: by the
    # driver, counted, those the woken queue hands it before the carrier
    # goes down; by the core, which empties the qdisc of an interface that
    # lost its carrier, the rest (on one CPU the link-watch work can run
    # before NET_TX: then all 4).
    if c1["tx_packets"] - c0["tx_packets"] != 4 or dropped != unattached or unattached > 4:
        fail("close in flight: %d sent, %d dropped, %d not attached; want 4 sent, "
             "at most 4 dropped, every drop as not attached"
             % (c1["tx_packets"] - c0["tx_packets"], dropped, unattached))
    info("close in flight: %d of the qdisc's 4 frames dropped by the driver" % unattached)
    info("close during an RX burst: %d of 256 taken" % (c1["rx_packets"] - c0["rx_packets"]))
    ok("close with frames in flight both ways: the ring's frames sent, the qdisc's dropped")
    # The interface deleted while the file is attached and mapped.
    new_user_if("u1")
    fd, r = ring(ifname="u1")
    for i in range(100):
        r.put_rx(i, b"\x02" * 6 + PEER + b"\x88\xb5" + b"z" * 50)
    r.set("rx_prod", 100)
    mb()
    kick(fd)
    subprocess.run(["ip", "link", "del", "u1"], check=True)
    expect_errno("VIRTIF_KICK after the interface went", errno.ENXIO, kick, fd)
    p = select.poll()
    p.register(fd, select.POLLIN)
    ev = p.poll(1000)
    if not ev or not ev[0][1] & select.POLLHUP:
        fail("poll after the interface went: %s, want POLLHUP" % ev)
    expect_errno("read() after the interface went", errno.EINVAL, os.read, fd, 2048)
    r.set("rx_prod", 12345)
    r.set("tx_cons", 777)
    if r.get("tx_cons") != 777:
        fail("the mapping after the interface went")
    close(fd, r)
    ok("the interface deleted while attached and mapped: POLLHUP, ENXIO, the mapping stays")
    # The same, closed in the other order, with the mapping outliving the fd.
    new_user_if("u1")
    fd, r = ring(ifname="u1")
    os.close(fd)
    subprocess.run(["ip", "link", "del", "u1"], check=True)
    r.set("tx_cons", 1)
    if r.get("rx_flags") & ~NEED_KICK:
        fail("the mapping after close and delete: rx_flags %#x" % r.get("rx_flags"))
    r.unmap()
    ok("close, delete the interface, then touch and unmap the mapping")


def main():
    part_attach()
    part_tx()
    part_tx_full()
    part_tx_wait()
    part_tx_parallel()
    part_rx()
    part_bad()
    part_vnet_mq()
    part_gso()
    part_lifetime()
    print("# user_ring: all checks passed")


main()
