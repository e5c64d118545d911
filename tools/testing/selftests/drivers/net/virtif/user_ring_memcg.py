#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""Ring memory and the memory cgroup (run by user_ring_memcg.sh in the test's
namespace, on interfaces u0 and u1 with linkstr user), in a cgroup of its own
with the memory controller:

- attaching a file with 16 MiB of rings raises the cgroup's memory.current
  by at least as much;
- with memory.max leaving room for 8 MiB only, attaching another 16 MiB
  fails with ENOMEM (no OOM kill), and the cgroup keeps nothing of it
  (but for KASAN's shadow, freed lazily in the debug kernel);
- closing the first file gives its memory back;
- with the limit lifted, the second attach succeeds."""
import errno
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtest import *  # noqa: E402,F403

ROOT = "/sys/fs/cgroup"
CG = os.path.join(ROOT, "virtif-ring-memcg")
RING = (128, 128, 65536)            # 16 MiB of slots and the control page
SIZE = vu.ring_map_size(*RING)
MiB = 1 << 20


def put(path, value):
    with open(path, "w") as f:
        f.write(value)


def current():
    with open(os.path.join(CG, "memory.current")) as f:
        return int(f.read())


# `ip netns exec` mounted a new /sys, without the cgroup file system: mount
# it again (the one cgroup2 hierarchy), in this mount namespace only.
if not os.path.exists(os.path.join(ROOT, "cgroup.controllers")):
    subprocess.run(["mount", "-t", "cgroup2", "cgroup2", ROOT], check=True)
with open(os.path.join(ROOT, "cgroup.controllers")) as f:
    if "memory" not in f.read().split():
        fail("no memory controller in %s (CONFIG_MEMCG)" % ROOT)
put(os.path.join(ROOT, "cgroup.subtree_control"), "+memory")
os.makedirs(CG, exist_ok=True)
put(os.path.join(CG, "cgroup.procs"), str(os.getpid()))
try:
    base = current()
    fd = vu.attach_ring("u0", *RING)
    charged = current() - base
    info("attach of %d bytes of rings: memory.current +%d" % (SIZE, charged))
    # memory.current moves by per-CPU batches of pages (64): allow for one.
    if charged < SIZE - MiB:
        fail("the rings (%d bytes) are not charged to the cgroup: memory.current +%d"
             % (SIZE, charged))
    ok("the rings are charged to the attaching process's cgroup")

    held = current()
    put(os.path.join(CG, "memory.max"), str(held + 8 * MiB))
    expect_errno("attach of %d more bytes with 8 MiB left" % SIZE, errno.ENOMEM,
                 vu.attach_ring, "u1", *RING)
    # What the failed attach allocated is given back at once, but KASAN's
    # shadow of a vmalloc area (an eighth of it, charged too) only when
    # vmalloc purges its lazily freed areas: allow for that.
    slack = SIZE // 8 + 2 * MiB
    wait_for("the failed attach's memory given back",
             lambda: current() <= held + slack)
    ok("the failed attach left nothing charged (%d bytes over, %d allowed)"
       % (max(current() - held, 0), slack))

    os.close(fd)
    wait_for("the closed file's rings uncharged", lambda: current() < held - SIZE // 2)
    ok("closing the file gave its rings back")

    put(os.path.join(CG, "memory.max"), "max")
    fd = vu.attach_ring("u1", *RING)
    os.close(fd)
    ok("with the limit lifted the attach succeeds")
finally:
    put(os.path.join(ROOT, "cgroup.procs"), str(os.getpid()))
    os.rmdir(CG)
