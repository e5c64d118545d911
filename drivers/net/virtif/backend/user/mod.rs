// SPDX-License-Identifier: GPL-2.0

//! `user`: processes carry the frames, through `/dev/virtif`.
//!
//! This is rump's `virtif_user.c` turned inside out: the host side of the wire lives in Linux
//! processes. The protocol (ioctl, single-frame and batch read/write, the offload header,
//! queues, poll, back-pressure) is described in `Documentation/networking/virtif.rst` and
//! `uapi/linux/virtif.h`.
//!
//! - Each file attached to the interface is a [`Channel`] that carries one transmit queue. One
//!   file carries them all (the interface then uses one queue); with `VIRTIF_F_MULTI_QUEUE` up
//!   to `numtxqueues` files attach, and the interface uses as many queues as there are files,
//!   like tun's `IFF_MULTI_QUEUE`. The table of channels is changed with RTNL held and read
//!   under RCU by the transmit path; when a file leaves, the last one takes its queue.
//! - Transmit queues the packet itself (no copy), detached from its socket, in its queue's
//!   ring of `tx_queue_len` slots. When the ring is full the queue is stopped, so that the qdisc
//!   holds further packets and refuses the rest to their senders; it is woken once the reader
//!   has drained half of the ring. An interface without a qdisc (`noqueue`), or files attached
//!   with `VIRTIF_F_TX_DROP`, drop and count instead.
//! - `read` copies queued packets out; `write` copies frames into new packets and hands them to
//!   the receive path (filter, `netif_rx`). With `VIRTIF_F_VNET_HDR` both carry the offload
//!   header, and GSO packets and checksums the reader accepts stay whole.

#![forbid(unsafe_code)]

mod channel;
pub(crate) mod file;
mod ring;
mod shmem;

use super::{BackendKind, Setup};
use crate::linkstr::{err, LinkError};
use crate::stats::{self, DropReason};
use crate::vif::{Backend, LinkstrText, Virtif};
use channel::{Channel, Mode, State};
use core::any::Any;
use kernel::net::device::{Features, Flags, TxResult, TypedDevice};
use kernel::net::rtnl::Rtnl;
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;
use kernel::sync::atomic::{Acquire, Atomic, Relaxed, Release};
use kernel::sync::rcu_box::RcuBox;
use kernel::sync::{rcu, Arc};
use shmem::Rings;

/// The `user` backend.
pub(crate) struct User {
    queues: Arc<Queues>,
}

/// The channels of a `user` interface: slot `i` carries transmit queue `i`; the first
/// `active` slots are filled.
pub(crate) struct Queues {
    slots: KVec<RcuBox<Arc<Channel>>>,
    /// How many slots are filled. Written with RTNL held.
    active: Atomic<u32>,
}

impl Queues {
    /// The channel that carries packets of transmit queue `q`. A packet may still carry a
    /// queue the interface just gave up, or meet a slot that a leaving file emptied a moment
    /// ago: it goes to another channel (the first).
    fn channel<'a>(&'a self, q: usize, guard: &'a rcu::Guard) -> Option<&'a Arc<Channel>> {
        let slot = |i: usize| self.slots.get(i).and_then(|s| s.get(guard));
        match self.active.load(Acquire) as usize {
            0 => None,
            n => slot(if q < n { q } else { q % n }).or_else(|| slot(0)),
        }
    }
}

impl Backend for User {
    fn linkstr(&self, out: &mut LinkstrText) -> Result {
        out.push(b"user")
    }

    fn xmit(&self, dev: &TypedDevice<Virtif>, skb: SkBuff) -> TxResult {
        self.queues.xmit(dev, skb)
    }

    fn connected(&self) -> bool {
        self.queues.active.load(Relaxed) > 0
    }

    fn offloads(&self, skb: &SkBuff) -> Features {
        // The GSO packets the channel of the packet's queue takes, if this one fits (the core
        // picked the queue before asking).
        let guard = rcu::read_lock();
        match self.queues.channel(skb.queue_mapping() as usize, &guard) {
            Some(chan) if skb.len() as usize <= chan.gso_room() => chan.mode.gso(),
            _ => Features::empty(),
        }
    }

    /// No more frames either way: every channel ends (readers see the end, what is queued is
    /// dropped, the references to the interface go) and the queues run again for the next
    /// backend. The table itself is freed with the backend, after the grace period.
    fn dying(&self) {
        let mut dev = None;
        for slot in self.queues.slots.iter() {
            // Ended outside the read-side section: ending frees the channel's queue, which may
            // have been vmalloc()ed.
            let chan = slot.get(&rcu::read_lock()).cloned();
            if let Some(chan) = chan {
                dev = dev.or_else(|| chan.attached_dev());
                chan.end(State::Dead);
            }
        }
        if let Some(dev) = dev {
            dev.wake_all_queues();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl BackendKind for User {
    const NAME: &'static [u8] = b"user";

    fn create(
        dev: &TypedDevice<Virtif>,
        rtnl: &Rtnl,
        arg: Option<&[u8]>,
    ) -> Result<Setup, LinkError> {
        if arg.is_some() {
            return Err(err(EINVAL, c"virtif: user takes no argument"));
        }
        let nomem = |_| err(ENOMEM, c"virtif: out of memory");
        let n = dev.num_tx_queues() as usize;
        let mut slots = KVec::with_capacity(n, GFP_KERNEL).map_err(nomem)?;
        for _ in 0..n {
            slots.push(RcuBox::new(), GFP_KERNEL).map_err(nomem)?;
        }
        let queues = Arc::new(
            Queues {
                slots,
                active: Atomic::new(0),
            },
            GFP_KERNEL,
        )
        .map_err(nomem)?;
        let setup = Setup::new(User { queues })?;
        // No file yet: one queue, whose packets are dropped until a file attaches. Last, so
        // that a failure before leaves the device as it was (the backend it has keeps its
        // queues).
        dev.set_real_num_tx_queues(rtnl, 1)
            .map_err(|_| err(EINVAL, c"virtif: cannot set the number of transmit queues"))?;
        Ok(setup)
    }
}

impl User {
    /// The channels, for a file attaching to the interface.
    pub(crate) fn queues(&self) -> Arc<Queues> {
        self.queues.clone()
    }
}

impl Queues {
    /// Transmit path: the packet goes to the channel of its queue.
    fn xmit(&self, dev: &TypedDevice<Virtif>, mut skb: SkBuff) -> TxResult {
        let guard = rcu::read_lock();
        let Some(chan) = self.channel(skb.queue_mapping() as usize, &guard) else {
            drop(guard);
            stats::drop_skb(dev, skb, DropReason::NotAttached);
            return TxResult::Ok;
        };
        // The reader gets what it accepts: GSO packets whole only if it takes them
        // (`features_check` segments the others), checksums filled in unless it takes them.
        if skb.is_gso() && !chan.mode.vnet() {
            stats::drop_skb(dev, skb, DropReason::Gso);
            return TxResult::Ok;
        }
        if !chan.mode.csum() && skb.checksum_help().is_err() {
            stats::drop_skb(dev, skb, DropReason::Checksum);
            return TxResult::Ok;
        }
        if chan.mode.ring {
            // Copied into the shared ring at once: the packet does not wait.
            let has_qdisc = dev.txq_has_qdisc(skb.queue_mapping());
            return chan.xmit_ring(dev, skb, has_qdisc);
        }
        // Back-pressure needs a qdisc to hold what the ring cannot take.
        let has_qdisc = dev.txq_has_qdisc(skb.queue_mapping());
        chan.xmit(dev, skb, has_qdisc)
    }

    /// Attaches a new channel for a file (`VIRTIF_ATTACH`), with RTNL held: it takes the next
    /// transmit queue; the carrier comes on with the first file if the interface is up.
    pub(crate) fn attach(
        &self,
        rtnl: &Rtnl,
        dev: &TypedDevice<Virtif>,
        mode: Mode,
        rings: Option<Rings>,
    ) -> Result<Arc<Channel>> {
        let n = self.active.load(Relaxed) as usize;
        if n > 0 {
            // RTNL keeps the table as it is.
            let guard = rcu::read_lock();
            let first = self.slots[0].get(&guard).ok_or(EBUSY)?.mode;
            if !mode.multi_queue() || !first.multi_queue() {
                return Err(EBUSY);
            }
            if mode != first {
                return Err(EINVAL);
            }
        }
        if n >= self.slots.len() {
            return Err(EBUSY);
        }
        let queue = u16::try_from(n).map_err(|_| EBUSY)?;
        let chan = Channel::new(dev, mode, queue, rings)?;
        let slot = KBox::new(chan.clone(), GFP_KERNEL)?;
        dev.set_real_num_tx_queues(rtnl, n as u32 + 1)?;
        // The slot was empty: no reader can hold an old value, nothing to wait for.
        drop(self.slots[n].swap(Some(slot)));
        self.active.store(n as u32 + 1, Release);
        chan.set_queue(dev, queue);
        if n == 0 && dev.flags().contains(Flags::UP) {
            dev.carrier_on();
        }
        Ok(chan)
    }

    /// The file of `chan` is closed, with RTNL held: its queue goes to the last channel, the
    /// interface uses one queue less, and what `chan` had queued is dropped and counted. The
    /// last file takes the carrier with it.
    pub(crate) fn detach(&self, rtnl: &Rtnl, chan: &Arc<Channel>) {
        if chan.state() != State::Attached {
            // The backend died first: the channel is no longer anyone's.
            return;
        }
        let Some(dev) = chan.attached_dev() else {
            return;
        };
        let n = self.active.load(Relaxed) as usize;
        let guard = rcu::read_lock();
        let found = self.slots[..n]
            .iter()
            .position(|s| s.get(&guard).is_some_and(|c| Arc::ptr_eq(c, chan)));
        let moved = n
            .checked_sub(1)
            .and_then(|last| self.slots[last].get(&guard))
            .cloned();
        drop(guard);
        let Some(i) = found else { return };
        let last = n - 1;
        // The last channel takes the slot (and queue) of the one leaving.
        let (old_i, old_last, later) = match moved.as_ref().filter(|_| i != last) {
            None => (self.slots[i].swap(None), None, None),
            Some(moved) => match KBox::new(moved.clone(), GFP_KERNEL) {
                Ok(b) => (
                    self.slots[i].swap(Some(b)),
                    self.slots[last].swap(None),
                    None,
                ),
                // No memory for the move: the slot is emptied first and refilled after the
                // grace period (its packets are dropped, and counted, in between).
                Err(_) => (self.slots[i].swap(None), None, self.slots[last].swap(None)),
            },
        };
        self.active.store(last as u32, Release);
        // Packets queued in the qdisc of the queue given up are dropped by the core. (Going down
        // to a number in range cannot fail.)
        let _ = dev.set_real_num_tx_queues(rtnl, (last as u32).max(1));
        // Wait until no transmit can see the old table (one grace period for all of it), then
        // end the channel: nothing can queue to it any more.
        drop(old_i);
        drop(old_last);
        if let Some(b) = later {
            drop(self.slots[i].swap(Some(b.into_inner())));
        }
        chan.end(State::Closed);
        match moved {
            Some(moved) if i != last => moved.set_queue(&dev, i as u16),
            _ => (),
        }
        if last == 0 {
            // No file: the queue runs, and its packets are dropped.
            dev.wake_all_queues();
            dev.carrier_off();
        }
    }
}
