# SPDX-License-Identifier: GPL-2.0
"""Fault injection for the calling thread (failslab, fail_page_alloc; the
test arms them with lib.sh's fault_setup).

The /proc files are opened once, up front: opening a file allocates, so
opening one while a fault is armed would take the fault, or fail itself.
"""
import os


class Fault:
    def __init__(self):
        self.nth = os.open("/proc/thread-self/fail-nth", os.O_RDWR)
        self.mif = os.open("/proc/thread-self/make-it-fail", os.O_RDWR)

    def arm(self, n):
        """The Nth fault-injection point this thread passes from now on fails."""
        os.write(self.nth, str(n).encode())

    def disarm(self):
        """Disarms the fault armed with arm(); returns whether it was injected
        (the counter had reached 0)."""
        left = int(os.pread(self.nth, 32, 0))
        os.write(self.nth, b"0")
        return left == 0

    def make_it_fail(self, on):
        """Every allocation of this thread fails (within fault_setup's limits)."""
        os.write(self.mif, b"1" if on else b"0")
