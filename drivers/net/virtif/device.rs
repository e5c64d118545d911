// SPDX-License-Identifier: GPL-2.0

//! A virtif interface: private data, `net_device_ops` and ethtool.

#![forbid(unsafe_code)]

use crate::backend::AnyBackend;
use crate::filter::{DropReason, RxFilter, Verdict, DROP_REASON_NAMES, NR_DROP_REASONS};
use kernel::net::device::{
    AddrList, DeviceOps, Features, Flags, MacAddr, PcpuStats, PrivFlags, TxResult, TypedDevice,
    Unregistered,
};
use kernel::net::ethtool::{DrvInfo, EthtoolOps};
use kernel::net::rtnl::Rtnl;
use kernel::net::skbuff::{ChecksumState, SkBuff};
use kernel::net::sysfs::{Attribute, AttributeGroup, ShowBuffer};
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::rcu_box::RcuBox;
use kernel::sync::{rcu, SpinLock, SpinLockIrq};
use kernel::{new_spinlock, new_spinlock_irq};

/// Smallest MTU (IPv4's minimum datagram size).
pub(crate) const MIN_MTU: u32 = 68;
/// Largest MTU.
pub(crate) const MAX_MTU: u32 = 65535;

/// The private data of a virtif interface.
#[pin_data]
pub(crate) struct Virtif {
    /// The linkstr as set by the user, NUL-terminated; empty when none is set.
    /// Written with RTNL held, together with `backend`; read by link dumps,
    /// which may run under RCU only, hence a spinlock.
    #[pin]
    pub(crate) linkstr: SpinLock<KVec<u8>>,
    /// The attached backend. Replaced with RTNL held; read locklessly (RCU) by
    /// the transmit path.
    backend: RcuBox<AnyBackend>,
    /// The receive filter, rebuilt by `set_rx_mode`.
    #[pin]
    filter: SpinLockIrq<RxFilter>,
    /// Frames dropped, by reason (see `ethtool -S`).
    drops: [Atomic<u64>; NR_DROP_REASONS],
    /// Multicast (and broadcast) frames received, for `ip -s link`.
    rx_multicast: Atomic<u64>,
}

impl Virtif {
    /// Initialiser for the private data of a new interface.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            linkstr <- new_spinlock!(KVec::new(), "virtif_linkstr"),
            backend: RcuBox::new(),
            filter <- new_spinlock_irq!(RxFilter::new(), "virtif_filter"),
            drops: [const { Atomic::new(0) }; NR_DROP_REASONS],
            rx_multicast: Atomic::new(0),
        })
    }

    /// The attached backend, for the RCU read-side critical section `guard`.
    pub(crate) fn backend<'a>(&'a self, guard: &'a rcu::Guard) -> Option<&'a AnyBackend> {
        self.backend.get(guard)
    }

    /// Returns whether a backend is attached. RTNL must be held for the answer
    /// to stay true.
    pub(crate) fn has_backend(&self) -> bool {
        self.backend.is_some()
    }

    /// Publishes `new` as the backend and returns the previous one, once no
    /// transmit path can see it any more. Sleeps; RTNL must be held.
    pub(crate) fn replace_backend(
        &self,
        _rtnl: &Rtnl,
        new: Option<KBox<AnyBackend>>,
    ) -> Option<KBox<AnyBackend>> {
        self.backend.replace(new)
    }

    /// Counts a dropped frame, in the per-reason counters and in the
    /// interface's rx/tx drop counters.
    pub(crate) fn count_drop(&self, reason: DropReason) {
        self.drops[reason as usize].add(1u64, Relaxed);
    }

    /// Counts a frame of `len` bytes to `dst` that `dev` passed to the stack.
    pub(crate) fn count_rx(&self, dev: &TypedDevice<Virtif>, len: u32, dst: &MacAddr) {
        dev.tstats_add_rx(len);
        if dst[0] & 1 != 0 {
            self.rx_multicast.add(1u64, Relaxed);
        }
    }

    /// Returns the number of frames dropped for `reason`.
    pub(crate) fn drops(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize].load(Relaxed)
    }

    /// Runs the receive filter for a frame to `dst` arriving on `dev`.
    pub(crate) fn verdict(&self, dev: &TypedDevice<Virtif>, dst: &MacAddr) -> Verdict {
        let own = dev.mac_addr();
        // Fast path, no lock: our own address and broadcast.
        if *dst == own || dst.iter().all(|&b| b == 0xff) {
            return Verdict::Accept;
        }
        self.filter.lock().verdict(&own, dst)
    }

    /// Sets the carrier of `dev` (and of its `pair` peer) from the backend
    /// state, given whether `dev` is up. `ndo_open` runs before the core sets
    /// `IFF_UP`, hence the explicit `up`. RTNL must be held.
    pub(crate) fn set_carriers(dev: &TypedDevice<Virtif>, up: bool) {
        let (on, peer) = {
            let guard = rcu::read_lock();
            match dev.data().backend(&guard) {
                None => (false, None),
                Some(AnyBackend::Loop(_)) => (up, None),
                Some(AnyBackend::Pair(p)) => {
                    (up && p.peer.flags().contains(Flags::UP), Some(ARef::from(&*p.peer)))
                }
                Some(AnyBackend::User(u)) => (up && u.chan.is_attached(), None),
            }
        };
        for d in Iterator::chain(core::iter::once(dev), peer.as_deref()) {
            if on {
                d.carrier_on();
            } else {
                d.carrier_off();
            }
        }
    }

    /// Drops a packet the transmit path could not carry.
    fn tx_drop(&self, skb: SkBuff, reason: DropReason) {
        self.count_drop(reason);
        skb.drop_reason(kernel::net::skbuff::DropReason::NotSpecified);
    }
}

#[vtable]
impl DeviceOps for Virtif {
    const PCPU_STATS: PcpuStats = PcpuStats::Tstats;

    fn setup(dev: &mut Unregistered<'_, Self>) {
        dev.random_mac_addr();
        dev.set_min_mtu(MIN_MTU);
        dev.set_max_mtu(MAX_MTU);
        // No qdisc and no transmit lock: like veth, the transmit path only
        // touches per-CPU counters and the backend.
        dev.set_priv_flags(PrivFlags::NO_QUEUE | PrivFlags::LIVE_ADDR_CHANGE | PrivFlags::UNICAST_FLT);
        dev.set_lltx(true);
        // Segmentation offloads too: a `pair` hands whole GSO packets to the
        // peer, like veth; `features_check` takes them back for the backends
        // that copy frames out, so the stack segments for those.
        let features = Features::SG
            | Features::FRAGLIST
            | Features::HW_CSUM
            | Features::HIGHDMA
            | Features::GSO_SOFTWARE;
        dev.set_hw_features(features);
        dev.set_features(features);
        dev.set_ethtool_ops();
        dev.set_sysfs_group();
        // No backend yet: no carrier.
        dev.carrier_off();
    }

    fn open(dev: &TypedDevice<Self>, _rtnl: &Rtnl) -> Result {
        Self::set_carriers(dev, true);
        Ok(())
    }

    fn stop(dev: &TypedDevice<Self>, _rtnl: &Rtnl) -> Result {
        Self::set_carriers(dev, false);
        Ok(())
    }

    fn start_xmit(dev: &TypedDevice<Self>, mut skb: SkBuff) -> TxResult {
        let vif = dev.data();
        let len = skb.len();
        // No lock: the backend is read under RCU (the core already holds
        // rcu_read_lock_bh here), the counters are per CPU.
        let guard = rcu::read_lock();
        let backend = match vif.backend(&guard) {
            None => {
                vif.tx_drop(skb, DropReason::TxNoCarrier);
                return TxResult::Ok;
            }
            // The pair fast path: hand the packet itself to the peer.
            Some(AnyBackend::Pair(p)) => {
                dev.tstats_add_tx(1, len);
                crate::rx::forward(dev, &p.peer, skb);
                return TxResult::Ok;
            }
            // The user backend queues the packet itself; it counts the frame
            // when the process reads it.
            Some(AnyBackend::User(u)) => return u.chan.xmit(dev, skb),
            Some(b) => b,
        };
        // The iovec path: the backend sees the bytes of the frame, so any
        // checksum the stack left to us must be filled in first.
        // (`features_check` keeps GSO packets away from it.)
        if skb.is_gso() {
            vif.tx_drop(skb, DropReason::TxBackend);
            return TxResult::Ok;
        }
        if skb.ip_summed() == ChecksumState::Partial && skb.checksum_help().is_err() {
            vif.tx_drop(skb, DropReason::TxBackend);
            return TxResult::Ok;
        }
        match skb.with_segments(|segs| backend.as_dyn().send(dev, segs)) {
            Ok(()) => {
                dev.tstats_add_tx(1, len);
                skb.consume();
            }
            Err(_) => vif.tx_drop(skb, DropReason::TxBackend),
        }
        TxResult::Ok
    }

    fn features_check(dev: &TypedDevice<Self>, _skb: &SkBuff, features: Features) -> Features {
        let guard = rcu::read_lock();
        match dev.data().backend(&guard) {
            Some(AnyBackend::Pair(_)) => features,
            _ => features - Features::GSO_SOFTWARE,
        }
    }

    fn set_rx_mode(dev: &TypedDevice<Self>, _rtnl: &Rtnl, uc: &AddrList, mc: &AddrList) -> Result {
        let flags = dev.flags();
        let mut ucv = KVec::with_capacity(uc.len(), GFP_KERNEL)?;
        let mut mcv = KVec::with_capacity(mc.len(), GFP_KERNEL)?;
        let mut err = Ok(());
        uc.for_each(|a| {
            if err.is_ok() {
                err = ucv.push(*a, GFP_KERNEL).map_err(Error::from);
            }
        });
        mc.for_each(|a| {
            if err.is_ok() {
                err = mcv.push(*a, GFP_KERNEL).map_err(Error::from);
            }
        });
        err?;
        let new = RxFilter::build(
            flags.contains(Flags::PROMISC),
            flags.contains(Flags::ALLMULTI),
            ucv,
            mcv,
        );
        let old = core::mem::replace(&mut *dev.data().filter.lock(), new);
        drop(old);
        Ok(())
    }

    fn get_stats64(dev: &TypedDevice<Self>, stats: &mut kernel::net::device::LinkStats64) {
        dev.tstats64(stats);
        let vif = dev.data();
        let rx_drops = vif.drops(DropReason::NotRunning)
            + vif.drops(DropReason::ForeignUnicast)
            + vif.drops(DropReason::UnjoinedMulticast)
            + vif.drops(DropReason::BadLength)
            + vif.drops(DropReason::NoMemory)
            + vif.drops(DropReason::Backlog);
        let tx_drops = vif.drops(DropReason::TxNoCarrier)
            + vif.drops(DropReason::TxBackend)
            + vif.drops(DropReason::TxQueueFull)
            + vif.drops(DropReason::TxDetached);
        stats.set_rx_dropped(stats.rx_dropped() + rx_drops);
        stats.set_tx_dropped(stats.tx_dropped() + tx_drops);
        stats.set_rx_length_errors(vif.drops(DropReason::BadLength));
        stats.set_multicast(vif.rx_multicast.load(Relaxed));
    }
}

#[vtable]
impl EthtoolOps for Virtif {
    const STATS: &'static [&'static CStr] = &DROP_REASON_NAMES;

    fn get_drvinfo(dev: &TypedDevice<Self>, info: &mut DrvInfo) {
        info.set_driver(c"virtif");
        info.set_version(c"1.0");
        let guard = rcu::read_lock();
        info.set_bus_info(match dev.data().backend(&guard) {
            None => c"virtif (no backend)",
            Some(AnyBackend::Loop(_)) => c"virtif:loop",
            Some(AnyBackend::Pair(_)) => c"virtif:pair",
            Some(AnyBackend::User(_)) => c"virtif:user",
        });
    }

    fn get_ethtool_stats(dev: &TypedDevice<Self>, data: &mut [u64]) {
        let vif = dev.data();
        for (i, v) in data.iter_mut().enumerate().take(NR_DROP_REASONS) {
            *v = vif.drops[i].load(Relaxed);
        }
    }
}

/// `/sys/class/net/<if>/virtif/`.
impl AttributeGroup for Virtif {
    const NAME: &'static CStr = c"virtif";
    const ATTRIBUTES: &'static [Attribute] = &[Attribute { name: c"linkstr", mode: 0o644 }];

    /// `linkstr`: the linkstr and a newline, or nothing when none is set.
    fn show(dev: &TypedDevice<Self>, _index: usize, buf: &mut ShowBuffer<'_>) -> Result {
        let vif = dev.data();
        let text = vif.linkstr.lock();
        if let [s @ .., 0] = &text[..] {
            buf.write_bytes(s)?;
            buf.write_bytes(b"\n")?;
        }
        Ok(())
    }

    /// `linkstr`: same rules as over netlink (one trailing newline ignored).
    /// sysfs hands over at most one page and cuts longer writes short, so a
    /// write that fills the page may have been cut: it is refused as too long.
    fn store(dev: &TypedDevice<Self>, rtnl: &Rtnl, _index: usize, data: &[u8]) -> Result {
        if data.len() >= kernel::page::PAGE_SIZE {
            return Err(E2BIG);
        }
        crate::link::set_linkstr(dev, rtnl, data, None)
    }
}
