// SPDX-License-Identifier: GPL-2.0

//! A virtif interface's state (its private data) and the contract of the backends that carry
//! its frames (rump's `VIFHYPER_*`).
//!
//! # The backend contract
//!
//! | rump                 | virtif                                                      |
//! |----------------------|-------------------------------------------------------------|
//! | `VIFHYPER_CREATE`    | [`crate::backend::create`]: the kind named by the linkstr builds its backend from the linkstr's argument; RTNL held, nothing published yet |
//! | `VIFHYPER_SEND`      | [`Backend::xmit`]: one packet; the copying kinds hand the frame on as a slice of slices with [`crate::backend::copy::xmit`] |
//! | `VIFHYPER_DYING`     | [`Backend::dying`]: right after the backend was unpublished, RTNL held |
//! | `VIFHYPER_DESTROY`   | dropping the backend: after an RCU grace period, process context |
//! | `VIF_DELIVERPKT`     | [`crate::rx::deliver`]: one received frame as a slice of slices |
//!
//! - `xmit` runs in the transmit path: bottom halves disabled, inside an RCU read-side critical
//!   section, on several CPUs at once; it must not sleep. It owns the packet: it transmits it,
//!   queues it, or drops it (and counts why, [`crate::stats`]).
//! - The backend is read under RCU, so an `xmit` may still run on another CPU when `dying` is
//!   called; `dying` makes later calls drop their packet and stops all delivery the backend
//!   starts on its own (a process writing frames, for example). No `xmit` and no `deliver` of
//!   the backend runs once the grace period that precedes its destruction has elapsed.
//! - `deliver` may be called from any context that may run softirq-safe code (BH disabled or
//!   process context), on any CPU, concurrently. It copies the frame: the caller keeps its
//!   buffers.

#![forbid(unsafe_code)]

use crate::filter::{RxFilter, Verdict};
use crate::stats::{HasStats, Stats};
use core::any::Any;
use kernel::net::device::{Features, MacAddr, TxResult, TypedDevice};
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;
use kernel::sync::rcu_box::{RcuBox, Retired};
use kernel::sync::{rcu, SpinLock, SpinLockIrq};
use kernel::{new_spinlock, new_spinlock_irq};

/// The longest linkstr a backend reports ([`Backend::linkstr`]).
pub(crate) const LINKSTR_TEXT_MAX: usize = 64;

/// The linkstr a backend reports, built in place (no allocation: link dumps run under RCU).
pub(crate) struct LinkstrText {
    buf: [u8; LINKSTR_TEXT_MAX],
    len: usize,
}

impl LinkstrText {
    pub(crate) const fn new() -> Self {
        Self {
            buf: [0; LINKSTR_TEXT_MAX],
            len: 0,
        }
    }

    /// Appends `s`; fails with `E2BIG` if it does not fit.
    pub(crate) fn push(&mut self, s: &[u8]) -> Result {
        let end = self
            .len
            .checked_add(s.len())
            .filter(|&e| e <= LINKSTR_TEXT_MAX)
            .ok_or(E2BIG)?;
        self.buf[self.len..end].copy_from_slice(s);
        self.len = end;
        Ok(())
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A backend: what carries the frames of an interface.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Writes the linkstr that names this backend now (a pair names its peer by its current
    /// name, so the text follows renames). Runs under RCU, must not sleep.
    fn linkstr(&self, out: &mut LinkstrText) -> Result;

    /// Transmits one packet of `dev` (`VIFHYPER_SEND`, see the module documentation).
    fn xmit(&self, dev: &TypedDevice<Virtif>, skb: SkBuff) -> TxResult;

    /// Whether the wire is there: with the interface up, its carrier is on exactly then.
    fn connected(&self) -> bool;

    /// The other end, if it is a virtif interface whose carrier follows ours (a pair).
    fn peer(&self) -> Option<&TypedDevice<Virtif>> {
        None
    }

    /// Whether deleting this interface deletes [`Backend::peer`] too, in the same
    /// unregistration (a pair made with `peer name B`, like a veth pair).
    fn takes_peer(&self) -> bool {
        false
    }

    /// The offloads this backend takes whole for `skb` (the rest is done in software before
    /// [`Backend::xmit`], see `ndo_features_check`). None by default: the frames are copied out
    /// segmented and checksummed.
    fn offloads(&self, _skb: &SkBuff) -> Features {
        Features::empty()
    }

    /// `VIFHYPER_DYING`: the backend was unpublished (see the module documentation).
    fn dying(&self) {}

    /// The backend itself, for the code of its own kind (see [`Virtif::backend_as`]).
    fn as_any(&self) -> &dyn Any;
}

/// A published backend.
pub(crate) struct Slot(pub(crate) KBox<dyn Backend>);

/// The private data of a virtif interface.
#[pin_data]
pub(crate) struct Virtif {
    /// The backend. Replaced with RTNL held; read locklessly (RCU) by the transmit path.
    backend: RcuBox<Slot>,
    /// The receive filter, rebuilt by `set_rx_mode`.
    #[pin]
    filter: SpinLockIrq<RxFilter>,
    /// Frames dropped, by reason.
    stats: Stats,
    /// Backends unpublished by `dellink` (this interface's and its peer's), freed by
    /// `ndo_uninit` after the grace period the unregistration waits for anyway.
    #[pin]
    retired: SpinLock<[Option<Retired<Slot>>; 2]>,
}

impl HasStats for Virtif {
    fn stats(&self) -> &Stats {
        &self.stats
    }
}

impl Virtif {
    /// Initialiser for the private data of a new interface (no backend).
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            backend: RcuBox::new(),
            filter <- new_spinlock_irq!(RxFilter::new(), "virtif_filter"),
            stats: Stats::new(),
            retired <- new_spinlock!([None, None], "virtif_retired"),
        })
    }

    /// The backend, for the RCU read-side critical section `guard`.
    pub(crate) fn backend<'a>(&'a self, guard: &'a rcu::Guard) -> Option<&'a dyn Backend> {
        self.backend.get(guard).map(|s| &*s.0)
    }

    /// The backend as the concrete type `B`, if it is one.
    pub(crate) fn backend_as<'a, B: Backend>(&'a self, guard: &'a rcu::Guard) -> Option<&'a B> {
        self.backend(guard)?.as_any().downcast_ref::<B>()
    }

    /// Returns whether a backend is attached. RTNL must be held for the answer to stay true.
    pub(crate) fn has_backend(&self) -> bool {
        self.backend.is_some()
    }

    /// Publishes `new` and returns the previous backend, which RCU readers may still use.
    /// RTNL must be held (all writers hold it).
    pub(crate) fn swap_backend(&self, new: Option<KBox<Slot>>) -> Option<Retired<Slot>> {
        self.backend.swap(new)
    }

    /// Keeps `old` until [`Virtif::free_retired`], i.e. until the interface's unregistration has
    /// waited for a grace period; waits for one now if there is no room left (never with the
    /// two slots `dellink` needs).
    pub(crate) fn keep_retired(&self, old: Retired<Slot>) {
        let mut slots = self.retired.lock();
        if let Some(slot) = slots.iter_mut().find(|s| s.is_none()) {
            *slot = Some(old);
            return;
        }
        drop(slots);
        drop(old);
    }

    /// Frees what [`Virtif::keep_retired`] kept. Process context.
    pub(crate) fn free_retired(&self) {
        let old = core::mem::take(&mut *self.retired.lock());
        drop(old);
    }

    /// The frame filter's decision for a frame to `dst` arriving on an interface whose address is
    /// `own`.
    pub(crate) fn verdict(&self, own: &MacAddr, dst: &MacAddr) -> Verdict {
        // Fast path, no lock: our own address and broadcast.
        if dst == own || kernel::net::device::is_broadcast_ether_addr(dst) {
            return Verdict::Accept;
        }
        self.filter.lock().verdict(own, dst)
    }

    /// Installs a new receive filter.
    pub(crate) fn set_filter(&self, new: RxFilter) {
        let old = core::mem::replace(&mut *self.filter.lock(), new);
        drop(old);
    }
}
