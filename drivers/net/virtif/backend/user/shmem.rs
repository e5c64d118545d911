// SPDX-License-Identifier: GPL-2.0

//! Shared-memory rings (`VIRTIF_ATTACH_RING`): a file's frames move through two rings of slots
//! in memory the process maps, with no system call per frame or per batch while both sides are
//! busy. The protocol is described in `uapi/linux/virtif.h` and `virtif.rst`.
//!
//! The process may write any byte of the mapping at any time, so nothing in it is trusted:
//! - the kernel keeps its own copies of the indices it produces (`tx_prod` in the channel's
//!   lock, `rx_cons` in the channel's `rx_cons` mutex) and only ever writes them out; the slot
//!   it writes or reads is always its own index modulo the ring size, never an index read from
//!   the mapping;
//! - the indices the process produces are read once per use and checked: a ring whose
//!   `prod - cons` exceeds its size is taken as full (TX) or empty (RX), which stalls the
//!   offending process's own traffic and nothing else;
//! - a slot's length is read once and bounded by the slot size; its frame is copied out once
//!   (into a new packet) before anything looks at it.

#![forbid(unsafe_code)]

use super::channel::{Channel, State, WriteError, MAX_FRAME};
use crate::stats::{self, DropReason};
use crate::vif::Virtif;
use core::mem::offset_of;
use kernel::alloc::KVVec;
use kernel::bindings::{
    virtif_ring_ctl, virtif_ring_slot, VIRTIF_RING_CTL_SIZE, VIRTIF_RING_MAX_MAP,
    VIRTIF_RING_MAX_SLOT, VIRTIF_RING_MAX_SLOTS, VIRTIF_RING_MIN_SLOT, VIRTIF_RING_NEED_KICK,
    VIRTIF_RING_STOPPED,
};
use kernel::mm::shared::SharedBuf;
use kernel::mm::virt::VmaNew;
use kernel::net::device::{TxResult, TypedDevice};
use kernel::net::skbuff::{SkBuff, VnetHdr};
use kernel::prelude::*;
use kernel::sync::barrier::{smp_mb, Full};
use kernel::sync::Arc;
use kernel::workqueue::{self, WorkItem};

/// Size of a slot's header (`struct virtif_ring_slot`).
const SLOT_HDR: usize = size_of::<virtif_ring_slot>();
/// Frames taken from the RX ring at once, by a kick or by a run of the work item (which then
/// queues itself again, to give others the CPU).
const RX_BUDGET: u32 = 64;

const TX_PROD: usize = offset_of!(virtif_ring_ctl, tx_prod);
const TX_FLAGS: usize = offset_of!(virtif_ring_ctl, tx_flags);
const TX_CONS: usize = offset_of!(virtif_ring_ctl, tx_cons);
const TX_WAIT: usize = offset_of!(virtif_ring_ctl, tx_wait);
const RX_PROD: usize = offset_of!(virtif_ring_ctl, rx_prod);
const RX_CONS: usize = offset_of!(virtif_ring_ctl, rx_cons);
const RX_FLAGS: usize = offset_of!(virtif_ring_ctl, rx_flags);

/// The shared-memory rings of one file.
pub(crate) struct Rings {
    buf: SharedBuf,
    tx_slots: u32,
    rx_slots: u32,
    slot_size: usize,
}

/// One bit per slot of a ring, by index modulo the ring size: the TX slots that are filled but
/// not yet published (`tx_filled` of the channel).
pub(crate) struct SlotBits {
    words: KVVec<u64>,
    /// The ring size minus 1 (a power of 2 minus 1).
    mask: u32,
}

impl SlotBits {
    /// For a channel without rings.
    pub(crate) const fn empty() -> Self {
        Self {
            words: KVVec::new(),
            mask: 0,
        }
    }

    /// All clear, for a ring of `slots` slots (a power of 2).
    pub(crate) fn new(slots: u32) -> Result<Self> {
        let n = slots.div_ceil(64) as usize;
        let mut words = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            words.push(0, GFP_KERNEL)?;
        }
        Ok(Self {
            words,
            mask: slots - 1,
        })
    }

    fn at(&self, index: u32) -> (usize, u64) {
        let i = index & self.mask;
        ((i / 64) as usize, 1u64 << (i % 64))
    }

    fn set(&mut self, index: u32) {
        let (w, b) = self.at(index);
        if let Some(word) = self.words.get_mut(w) {
            *word |= b;
        }
    }

    /// Clears the bit of `index` and returns whether it was set.
    fn take(&mut self, index: u32) -> bool {
        let (w, b) = self.at(index);
        match self.words.get_mut(w) {
            Some(word) if *word & b != 0 => {
                *word &= !b;
                true
            }
            _ => false,
        }
    }

    /// Marks slot `index` filled, then moves `prod` (the first unpublished slot) past every
    /// filled slot that follows it, up to `resv` (the first slot not reserved), clearing their
    /// bits; returns the new `prod`. A slot is thus published only with all those before it.
    fn fill(&mut self, index: u32, mut prod: u32, resv: u32) -> u32 {
        self.set(index);
        while prod != resv && self.take(prod) {
            prod = prod.wrapping_add(1);
        }
        prod
    }
}

fn pow2_in(v: u32, min: u32, max: u32) -> bool {
    v.is_power_of_two() && (min..=max).contains(&v)
}

impl Rings {
    /// Checks the geometry asked for by `VIRTIF_ATTACH_RING` and allocates the mapping (zeroed:
    /// every index 0, the kernel not looking at the RX ring).
    pub(crate) fn new(tx_slots: u32, rx_slots: u32, slot_size: u32, reserved: u32) -> Result<Self> {
        let ok = pow2_in(tx_slots, 1, VIRTIF_RING_MAX_SLOTS)
            && pow2_in(rx_slots, 1, VIRTIF_RING_MAX_SLOTS)
            && pow2_in(slot_size, VIRTIF_RING_MIN_SLOT, VIRTIF_RING_MAX_SLOT)
            && reserved == 0;
        let len = u64::from(VIRTIF_RING_CTL_SIZE)
            + (u64::from(tx_slots) + u64::from(rx_slots)) * u64::from(slot_size);
        if !ok || len > u64::from(VIRTIF_RING_MAX_MAP) {
            return Err(EINVAL);
        }
        let buf = SharedBuf::new(len as usize)?;
        buf.store(RX_FLAGS, VIRTIF_RING_NEED_KICK)?;
        Ok(Self {
            buf,
            tx_slots,
            rx_slots,
            slot_size: slot_size as usize,
        })
    }

    /// Maps the rings into a process (`mmap()`): the whole of them, shared, at offset 0.
    pub(crate) fn map(&self, vma: &VmaNew) -> Result {
        if vma.flags() & (kernel::bindings::VM_SHARED as kernel::mm::virt::vm_flags_t) == 0 {
            return Err(EINVAL);
        }
        self.buf.map(vma)
    }

    /// The number of slots of the TX ring.
    pub(crate) fn tx_slots(&self) -> u32 {
        self.tx_slots
    }

    /// The largest frame a slot takes (offload header included).
    fn frame_room(&self) -> usize {
        self.slot_size - SLOT_HDR
    }

    fn tx_slot(&self, index: u32) -> usize {
        VIRTIF_RING_CTL_SIZE as usize + (index & (self.tx_slots - 1)) as usize * self.slot_size
    }

    fn rx_slot(&self, index: u32) -> usize {
        VIRTIF_RING_CTL_SIZE as usize
            + (self.tx_slots as usize + (index & (self.rx_slots - 1)) as usize) * self.slot_size
    }

    /// Whether the TX ring has room after `prod` (the next slot to fill), given what the process
    /// has taken; a nonsensical `tx_cons` counts as no room.
    fn tx_room(&self, prod: u32, need_half: bool) -> bool {
        let Ok(cons) = self.buf.load_acquire(TX_CONS) else {
            return false;
        };
        let used = prod.wrapping_sub(cons);
        if need_half {
            used <= self.tx_slots / 2
        } else {
            used < self.tx_slots
        }
    }

    /// Whether the process has frames to take from the TX ring.
    pub(crate) fn tx_pending(&self, prod: u32) -> bool {
        self.buf.load(TX_CONS).is_ok_and(|cons| cons != prod)
    }

    fn set_tx_flags(&self, flags: u32) {
        let _ = self.buf.store(TX_FLAGS, flags);
    }
}

impl Channel {
    fn rings(&self) -> Result<&Rings> {
        self.rings.as_ref().ok_or(EINVAL)
    }

    /// The largest GSO packet (in bytes, the offload header not counted) the channel takes
    /// whole, if it takes any: one a read buffer is sure to take, and with rings one that fits
    /// a slot. `ndo_features_check` has the others segmented.
    pub(crate) fn gso_room(&self) -> usize {
        match &self.rings {
            Some(r) => r
                .frame_room()
                .saturating_sub(self.mode.hdr_len())
                .min(MAX_FRAME),
            None => MAX_FRAME,
        }
    }

    /// Maps the rings of this file.
    pub(crate) fn map(&self, vma: &VmaNew) -> Result {
        self.rings()?.map(vma)
    }

    /// Transmit path, shared-memory rings: the frame is copied into the next TX slot and the
    /// packet freed at once. A full ring stops the queue (with a qdisc to hold packets and
    /// without `VIRTIF_F_TX_DROP`) and sets `VIRTIF_RING_STOPPED`, or drops.
    ///
    /// The slot is reserved under the channel's lock and filled outside it, with interrupts on
    /// (a frame may be 64 KiB): the interface is `LLTX`, so other CPUs may reserve and fill
    /// the next slots of the same ring meanwhile. A filled slot is published (`tx_prod`) once
    /// every slot before it is filled too, so the process only ever sees whole frames, in the
    /// order of their reservation.
    pub(crate) fn xmit_ring(
        &self,
        dev: &TypedDevice<Virtif>,
        mut skb: SkBuff,
        has_qdisc: bool,
    ) -> TxResult {
        let Some(r) = self.rings.as_ref() else {
            stats::drop_skb(dev, skb, DropReason::NotAttached);
            return TxResult::Ok;
        };
        let hdr = if self.mode.vnet() {
            match skb.vnet_hdr() {
                Ok(h) => Some(h),
                Err(_) => {
                    stats::drop_skb(dev, skb, DropReason::Gso);
                    return TxResult::Ok;
                }
            }
        } else {
            None
        };
        let hlen = self.mode.hdr_len();
        let len = hlen + skb.len() as usize;
        if len > r.frame_room() {
            stats::drop_skb(dev, skb, DropReason::SlotTooSmall);
            return TxResult::Ok;
        }
        let index = {
            let mut inner = self.inner.lock();
            if inner.state != State::Attached {
                drop(inner);
                stats::drop_skb(dev, skb, DropReason::NotAttached);
                return TxResult::Ok;
            }
            let next = inner.tx_resv;
            if !r.tx_room(next, false) {
                let hold = !self.mode.tx_drop() && has_qdisc && skb.queue_mapping() == inner.queue;
                if !hold {
                    drop(inner);
                    stats::drop_skb(dev, skb, DropReason::QueueFull);
                    return TxResult::Ok;
                }
                inner.stopped = true;
                r.set_tx_flags(VIRTIF_RING_STOPPED);
                dev.stop_queue(inner.queue);
                // Pairs with the process's barrier between advancing tx_cons and reading
                // tx_flags: either it sees STOPPED and kicks, or we see its room now.
                smp_mb(Full);
                if !r.tx_room(next, false) {
                    return TxResult::Busy(skb);
                }
                inner.stopped = false;
                r.set_tx_flags(0);
                dev.wake_queue(inner.queue);
            }
            inner.tx_resv = next.wrapping_add(1);
            next
        };
        // The slot is ours: the process reads only published slots, and nobody else fills this
        // one until the ring has come round, which needs it published and taken first.
        let off = r.tx_slot(index);
        let filled = r
            .buf
            .store(off + 4, 0)
            .and_then(|()| match &hdr {
                Some(h) => r.buf.write(off + SLOT_HDR, &h.to_bytes()),
                None => Ok(()),
            })
            .and_then(|()| skb.copy_to_shared(&r.buf, off + SLOT_HDR + hlen));
        // Cannot fail: the slot is in the mapping and the frame fits it. If it did, the slot
        // would still be published (later slots may be filled already, and the ring must go on),
        // with length 0: the process would get an empty frame, which it cannot use (a tap
        // refuses it), and the packet is counted as dropped.
        let _ = r
            .buf
            .store(off, if filled.is_ok() { len as u32 } else { 0 });
        let published = {
            let mut inner = self.inner.lock();
            let (from, resv) = (inner.tx_prod, inner.tx_resv);
            inner.tx_prod = inner.tx_filled.fill(index, from, resv);
            if inner.tx_prod != from {
                let _ = r.buf.store_release(TX_PROD, inner.tx_prod);
            }
            inner.tx_prod != from
        };
        if filled.is_err() {
            stats::drop_skb(dev, skb, DropReason::TxNoMemory);
        } else {
            // Stamped once it is in the ring, not before: a packet handed back to the qdisc
            // above comes here again and would be stamped twice.
            skb.tx_timestamp();
            dev.dstats_add_tx(skb.len());
            skb.consume();
        }
        // Pairs with the process's barrier between setting tx_wait and reading tx_prod. Whoever
        // published wakes the process; a slot published by another CPU is that CPU's to tell.
        if published {
            smp_mb(Full);
            if r.buf.load(TX_WAIT).is_ok_and(|w| w != 0) {
                self.wait.notify_all();
            }
        }
        TxResult::Ok
    }

    /// `VIRTIF_KICK`: the process made room in the TX ring (wake the queue if it was stopped and
    /// half the ring is free) or put frames in the RX ring: they are taken now, in the caller's
    /// context as a `write()` would (no wake-up of a worker per batch), at most `RX_BUDGET` of
    /// them; the work item takes the rest. When the kick returns, the ring has room again
    /// unless it holds more than a budget or the channel ended.
    pub(crate) fn kick(self: &Arc<Self>) -> Result {
        let r = self.rings()?;
        let dev = self.device()?;
        {
            let mut inner = self.inner.lock();
            if inner.stopped && r.tx_room(inner.tx_resv, true) {
                inner.stopped = false;
                r.set_tx_flags(0);
                dev.wake_queue(inner.queue);
            }
        }
        if self.take_rx(&dev) {
            self.queue_rx();
        }
        Ok(())
    }

    /// Waits until the RX work item has finished, before the file goes (and maybe the module).
    pub(crate) fn flush_rx(&self) {
        if self.rings.is_some() {
            self.work.flush();
        }
    }

    /// Queues the RX work item. Under the lock that `end()` takes to end the channel: once it
    /// has ended nothing queues the item again, so the flush of the release path waits for its
    /// last run (checked without the lock, the channel could end and be flushed in between, and
    /// the item run after the module is gone). Already queued is fine: it will see the frames.
    fn queue_rx(self: &Arc<Self>) {
        let inner = self.inner.lock();
        if inner.state == State::Attached {
            let _ = workqueue::system_unbound().enqueue(self.clone());
        }
    }

    /// Takes the frames of the RX ring for `dev` while there are any, at most `RX_BUDGET`, holding
    /// `rx_cons` (the work item and `VIRTIF_KICK` take turns). When the ring is empty it sets
    /// `VIRTIF_RING_NEED_KICK`, checks once more, and returns false; when the budget ran out it
    /// returns true (frames are left, `VIRTIF_RING_NEED_KICK` stays clear: the caller queues
    /// the work item).
    fn take_rx(&self, dev: &TypedDevice<Virtif>) -> bool {
        let Some(r) = self.rings.as_ref() else {
            return false;
        };
        let mut cons = self.rx_cons.lock();
        let _ = r.buf.store(RX_FLAGS, 0);
        let mut done = 0;
        loop {
            let avail = r
                .buf
                .load_acquire(RX_PROD)
                .map_or(0, |prod| prod.wrapping_sub(*cons));
            // A nonsensical rx_prod counts as an empty ring.
            if avail == 0 || avail > r.rx_slots {
                let _ = r.buf.store(RX_FLAGS, VIRTIF_RING_NEED_KICK);
                // Pairs with the process's barrier between advancing rx_prod and reading
                // rx_flags: either it sees NEED_KICK and kicks, or we see its frames now.
                smp_mb(Full);
                let again = r
                    .buf
                    .load_acquire(RX_PROD)
                    .map_or(0, |prod| prod.wrapping_sub(*cons));
                if again == 0 || again > r.rx_slots || self.state() != State::Attached {
                    return false;
                }
                let _ = r.buf.store(RX_FLAGS, 0);
                continue;
            }
            for _ in 0..avail.min(RX_BUDGET - done) {
                self.rx_frame(dev, r, *cons);
                *cons = cons.wrapping_add(1);
                done += 1;
            }
            let _ = r.buf.store_release(RX_CONS, *cons);
            if done >= RX_BUDGET {
                return true;
            }
        }
    }

    /// The RX work item: what a kick left (a budget at a time, queued again between them).
    fn rx_work(self: Arc<Self>) {
        let Some(dev) = self.attached_dev() else {
            return;
        };
        if self.take_rx(&dev) {
            self.queue_rx();
        }
    }

    /// Receives the frame in RX slot `index`. A bad one is dropped and counted.
    fn rx_frame(&self, dev: &TypedDevice<Virtif>, r: &Rings, index: u32) {
        let off = r.rx_slot(index);
        let res = (|| -> Result<(), WriteError> {
            let len = r.buf.load(off).map_err(WriteError::Other)? as usize;
            let flags = r.buf.load(off + 4).map_err(WriteError::Other)?;
            if flags != 0 {
                return Err(WriteError::Other(EINVAL));
            }
            if len > r.frame_room() {
                return Err(WriteError::Length(DropReason::Oversize));
            }
            let hlen = self.mode.hdr_len();
            let hdr = if self.mode.vnet() {
                if len < hlen {
                    return Err(WriteError::Length(DropReason::Runt));
                }
                let mut raw = [0u8; VnetHdr::LEN];
                r.buf
                    .read(off + SLOT_HDR, &mut raw)
                    .map_err(WriteError::Other)?;
                Some(VnetHdr::from_bytes(&raw))
            } else {
                None
            };
            let flen = len - hlen;
            Channel::check_frame(dev, hdr.as_ref(), flen)?;
            let skb = SkBuff::from_shared(dev, &r.buf, off + SLOT_HDR + hlen, flen, GFP_KERNEL)
                .map_err(|_| WriteError::NoMemory)?;
            self.receive(dev, hdr.as_ref(), skb)
        })();
        if let Err(e) = res {
            if matches!(e, WriteError::Other(_)) {
                // A bad slot header: counted like a bad record.
                stats::count(dev, DropReason::BadSlot);
            } else {
                e.count(dev);
            }
        }
    }
}

impl WorkItem for Channel {
    type Pointer = Arc<Channel>;

    fn run(this: Arc<Channel>) {
        this.rx_work();
    }
}

#[kunit_tests(virtif_ring_publish)]
mod tests {
    use super::SlotBits;
    use kernel::prelude::*;

    /// Slots filled out of order are published in order, each with all those before it;
    /// across the wrap of the ring and of the indices.
    #[test]
    fn in_order() -> Result {
        let mut bits = SlotBits::new(4)?;
        // Slots 0, 1, 2 reserved; 1 is filled first: nothing is published.
        assert_eq!(bits.fill(1, 0, 3), 0);
        assert_eq!(bits.fill(2, 0, 3), 0);
        // 0 is filled: 0, 1 and 2 go together.
        assert_eq!(bits.fill(0, 0, 3), 3);
        // Slots 3, 4 (slot 0 again), 5 reserved; 5 then 3 filled: 3 is published, not 5.
        assert_eq!(bits.fill(5, 3, 6), 3);
        assert_eq!(bits.fill(3, 3, 6), 4);
        assert_eq!(bits.fill(4, 4, 6), 6);
        // Around the end of the indices.
        let top = u32::MAX - 1;
        assert_eq!(
            bits.fill(top.wrapping_add(2), top, top.wrapping_add(3)),
            top
        );
        assert_eq!(
            bits.fill(top, top, top.wrapping_add(3)),
            top.wrapping_add(1)
        );
        assert_eq!(
            bits.fill(
                top.wrapping_add(1),
                top.wrapping_add(1),
                top.wrapping_add(3)
            ),
            1
        );
        Ok(())
    }
}
