#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""The campaigns of fault_config.sh, in one process (one Python process per
attempt took minutes in the debug guest): for each configuration operation,
make its 1st, 2nd, 3rd, ... fault-injection point fail (the calling
thread's /proc/thread-self/fail-nth; fault_config.sh armed failslab and
fail_page_alloc with lib.sh's fault_setup) until it runs with no fault
left to inject. Every attempt must succeed or fail with ENOMEM/ENOBUFS,
and a failed one must leave everything as it was.

  set_linkstr loop, loop -> pair:vb, pair -> user (sysfs writes on va; the
      state compared: the linkstrs of va and vb, va's carrier)
  ip link add n0 type virtif linkstr loop (netlink newlink; a failed
      attempt leaves no n0)
  VIRTIF_ATTACH to va (linkstr user)

Prints one line per campaign; exits 1 with "FAIL: ..." at the first
violation."""
import errno
import fcntl
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import virtif_nl as nl  # noqa: E402
import virtif_user as vu  # noqa: E402
from fault import Fault  # noqa: E402
from vtest import fail, info  # noqa: E402

MAX = 400
FAULT = Fault()


def name(n):
    return nl.attr(nl.IFLA_IFNAME, n.encode() + b"\0")


def dellink(n):
    nl.request(nl.RTM_DELLINK, nl.NLM_F_ACK, nl.ifinfo() + name(n))


def newlink(n, linkstr=None):
    ls = linkstr.encode() + b"\0" if linkstr is not None else None
    err, msg, _ = nl.request(nl.RTM_NEWLINK, nl.NLM_F_ACK | nl.NLM_F_CREATE | nl.NLM_F_EXCL,
                             nl.ifinfo() + name(n) + nl.linkinfo(ls))
    if err:
        fail("add %s: %s: %s" % (n, errno.errorcode.get(err, err), msg))


def exists(n):
    return nl.request(nl.RTM_GETLINK, 0, nl.ifinfo() + name(n))[0] == 0


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "?"


def linkstr_file(dev):
    return "/sys/class/net/%s/virtif/linkstr" % dev


def set_linkstr(dev, s):
    fd = os.open(linkstr_file(dev), os.O_WRONLY)
    try:
        os.write(fd, s.encode())
    finally:
        os.close(fd)


def state():
    """What must hold when an attempt failed: the linkstrs of va and vb, and
    va's carrier ("?" while it is down, as here)."""
    return "%s|%s|%s" % (read(linkstr_file("va")), read(linkstr_file("vb")),
                         read("/sys/class/net/va/carrier"))


def reset_ab(linkstr=None):
    for d in ("va", "vb"):
        dellink(d)
    newlink("va")
    newlink("vb")
    if linkstr:
        set_linkstr("va", linkstr)


def faulty(fn):
    """Runs fn with the next fault armed (see campaign); returns (result,
    hit): result "ok" or the errno's name."""
    # The file is opened before the fault is armed: opening allocates.
    try:
        fn(arm=True)
        res = "ok"
    except OSError as e:
        res = errno.errorcode.get(e.errno, str(e.errno))
    return res, FAULT.disarm()


def campaign(what, setup, op):
    """For n = 1, 2, ...: setup() without a fault, then op() with its nth
    fault-injection point failing; until an attempt passes every point."""
    fails = 0
    for n in range(1, MAX + 1):
        setup()
        before = state()
        global NTH
        NTH = n
        res, hit = faulty(op)
        if res in ("ENOMEM", "ENOBUFS"):
            fails += 1
            after = state()
            if after != before:
                fail("%s: fault %d: state after a failed attempt: got '%s', want '%s'" %
                     (what, n, after, before))
        elif res != "ok":
            fail("%s: fault %d: unexpected result %s" % (what, n, res))
        if not hit:
            info("%s: %d fault points, %d failed cleanly" % (what, n - 1, fails))
            # A campaign that injected nothing checked nothing.
            if n == 1 or fails == 0:
                fail("%s: no fault point failed the operation (%d points): the injection "
                     "is not reaching it" % (what, n - 1))
            return
    fail("%s: still hitting faults after %d" % (what, MAX))


NTH = 0


def write_op(value):
    def op(arm):
        fd = os.open(linkstr_file("va"), os.O_WRONLY)
        try:
            if arm:
                FAULT.arm(NTH)
            os.write(fd, value.encode())
        finally:
            os.close(fd)
    return op


def attach_op(arm):
    fd = vu.open_dev()
    buf = vu.attach_struct("va", 0)
    try:
        if arm:
            FAULT.arm(NTH)
        fcntl.ioctl(fd, vu.VIRTIF_ATTACH, buf)
    finally:
        os.close(fd)


campaign("linkstr loop", reset_ab, write_op("loop"))
campaign("loop -> pair:vb", lambda: reset_ab("loop"), write_op("pair:vb"))
campaign("pair -> user", lambda: reset_ab("pair:vb"), write_op("user"))
for d in ("va", "vb"):
    dellink(d)

# newlink with a linkstr: a failed attempt leaves no n0. EINVAL was seen at
# a late fault point (the points move from run to run): the core answered
# an allocation failure so; its message says which layer. LOST: the fault
# took the reply, not the request: either state.
fails = 0
for n in range(1, MAX + 1):
    dellink("n0")
    nl.FAIL_NTH = n
    try:
        err, msg, _ = nl.request(nl.RTM_NEWLINK, nl.NLM_F_ACK | nl.NLM_F_CREATE | nl.NLM_F_EXCL,
                                 nl.ifinfo() + name("n0") + nl.linkinfo(b"loop\0"))
        res = errno.errorcode.get(err, str(err)) if err else "ok"
    except OSError as e:
        res, msg = "LOST", "the reply was lost: " + os.strerror(e.errno)
    hit = nl.FAULT_HIT
    nl.FAIL_NTH = 0
    there = exists("n0")
    if res == "ok":
        if not there:
            fail("newlink with linkstr: fault %d: ok, but no n0" % n)
    elif res in ("ENOMEM", "ENOBUFS", "EINVAL"):
        if res == "EINVAL":
            info("newlink with linkstr: fault %d: EINVAL: %s" % (n, msg))
        fails += 1
        if there:
            fail("newlink with linkstr: fault %d: %s, but n0 exists" % (n, res))
    elif res != "LOST":
        fail("newlink with linkstr: fault %d: unexpected result %s %s" % (n, res, msg))
    if not hit:
        info("newlink with linkstr: %d fault points, %d failed cleanly" % (n - 1, fails))
        if fails == 0:
            fail("newlink with linkstr: no fault point failed the request: the injection "
                 "is not reaching it")
        break
else:
    fail("newlink with linkstr: still hitting faults after %d" % MAX)
dellink("n0")

newlink("va", "user")
campaign("VIRTIF_ATTACH", lambda: None, attach_op)
dellink("va")
