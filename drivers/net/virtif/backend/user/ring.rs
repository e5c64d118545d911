// SPDX-License-Identifier: GPL-2.0

//! A bounded FIFO of packets: the frames a `user` interface transmitted that its process has
//! not read yet.

#![forbid(unsafe_code)]

use kernel::alloc::KVVec;
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;

/// A ring of at most `cap` packets. The slots are allocated with `kvmalloc` (a ring of 65536
/// slots is 512 KiB, which need not be physically contiguous).
pub(crate) struct Ring {
    slots: KVVec<Option<SkBuff>>,
    head: usize,
    len: usize,
}

impl Ring {
    /// A ring with no room, for a channel no file is attached to.
    pub(crate) const fn empty() -> Self {
        Self {
            slots: KVVec::new(),
            head: 0,
            len: 0,
        }
    }

    /// A ring with room for `cap` packets.
    pub(crate) fn with_capacity(cap: usize) -> Result<Self> {
        let mut slots = KVVec::with_capacity(cap, GFP_KERNEL)?;
        for _ in 0..cap {
            slots.push(None, GFP_KERNEL)?;
        }
        Ok(Self {
            slots,
            head: 0,
            len: 0,
        })
    }

    pub(crate) fn cap(&self) -> usize {
        self.slots.len()
    }

    /// Index `i`, less than twice the capacity, wrapped into the ring: a subtraction, not a
    /// division (per packet; and a division by a capacity the compiler cannot prove non-zero
    /// would leave a panic path in the transmit path).
    fn wrap(&self, i: usize) -> usize {
        if i >= self.cap() {
            i - self.cap()
        } else {
            i
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len == self.cap()
    }

    /// Appends `skb`, or hands it back if the ring is full.
    pub(crate) fn push(&mut self, skb: SkBuff) -> core::result::Result<(), SkBuff> {
        if self.is_full() {
            return Err(skb);
        }
        let i = self.wrap(self.head + self.len);
        self.slots[i] = Some(skb);
        self.len += 1;
        Ok(())
    }

    /// The length of the oldest packet.
    pub(crate) fn front_len(&self) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        self.slots[self.head].as_ref().map(|s| s.len() as usize)
    }

    /// Takes the oldest packet.
    pub(crate) fn pop(&mut self) -> Option<SkBuff> {
        if self.is_empty() {
            return None;
        }
        let skb = self.slots[self.head].take();
        self.head = self.wrap(self.head + 1);
        self.len -= 1;
        skb
    }
}
