// SPDX-License-Identifier: GPL-2.0

//! A virtif interface as a network device: `net_device_ops`, ethtool and sysfs.
//! Transmit reads the backend under RCU and dispatches to it.

#![forbid(unsafe_code)]

use crate::config;
use crate::filter::RxFilter;
use crate::stats::{self, DropReason, NAMES};
use crate::vif::{LinkstrText, Virtif};
use kernel::net::device::{
    AddrList, DeviceOps, Features, Flags, PcpuStats, PrivFlags, TxResult, TypedDevice,
    Unregistered, ETH_MAX_MTU, ETH_MIN_MTU,
};
use kernel::net::ethtool::DrvInfo;
use kernel::net::rtnl::{ExtAck, Rtnl};
use kernel::net::skbuff::SkBuff;
use kernel::net::sysfs::{Attribute, ShowBuffer};
use kernel::prelude::*;
use kernel::sync::rcu;

/// The offloads virtif advertises. A `pair` takes GSO packets whole, like veth; for the
/// backends that copy frames out, `features_check` leaves segmentation to the stack and
/// [`crate::backend::copy`] fills in checksums.
const FEATURES: Features = Features::SG
    .union(Features::FRAGLIST)
    .union(Features::HW_CSUM)
    .union(Features::HIGHDMA)
    .union(Features::GSO_SOFTWARE);

/// The linkstr of `dev`, as its backend reports it (empty without one).
pub(crate) fn linkstr(dev: &TypedDevice<Virtif>) -> Result<LinkstrText> {
    let mut text = LinkstrText::new();
    let guard = rcu::read_lock();
    if let Some(b) = dev.data().backend(&guard) {
        b.linkstr(&mut text)?;
    }
    Ok(text)
}

#[vtable]
impl DeviceOps for Virtif {
    const PCPU_STATS: PcpuStats = PcpuStats::Dstats;
    const ETHTOOL_STATS: &'static [&'static CStr] = NAMES;
    const SYSFS_GROUP: &'static CStr = c"virtif";
    const SYSFS_ATTRIBUTES: &'static [Attribute] = &[Attribute {
        name: c"linkstr",
        mode: 0o644,
    }];

    fn setup(dev: &mut Unregistered<'_, Self>) {
        dev.random_mac_addr();
        dev.set_min_mtu(ETH_MIN_MTU);
        dev.set_max_mtu(ETH_MAX_MTU);
        // A qdisc, like a NIC or tun: the user backend pushes back through it. (Pairs created
        // with their peer have none, like veth; see `link.rs`.) No transmit lock: the transmit
        // path only touches per-CPU counters and the backend.
        dev.set_priv_flags(PrivFlags::LIVE_ADDR_CHANGE | PrivFlags::UNICAST_FLT, true);
        dev.set_lltx(true);
        dev.set_hw_features(FEATURES);
        dev.set_features(FEATURES);
        // No backend yet: no carrier.
        dev.carrier_off();
    }

    fn open(dev: &TypedDevice<Self>, _rtnl: &Rtnl) -> Result {
        // A backend that was replaced while the queues were stopped left them so.
        dev.start_all_queues();
        config::refresh_carriers(dev, true);
        Ok(())
    }

    fn stop(dev: &TypedDevice<Self>, _rtnl: &Rtnl) -> Result {
        config::refresh_carriers(dev, false);
        Ok(())
    }

    fn uninit(dev: &TypedDevice<Self>, rtnl: &Rtnl) {
        config::uninit(dev, rtnl);
    }

    fn start_xmit(dev: &TypedDevice<Self>, skb: SkBuff) -> TxResult {
        // No lock: the backend is read under RCU (the core holds rcu_read_lock_bh here too),
        // the counters are per CPU.
        let guard = rcu::read_lock();
        match dev.data().backend(&guard) {
            Some(b) => b.xmit(dev, skb),
            None => {
                stats::drop_skb(dev, skb, DropReason::NoBackend);
                TxResult::Ok
            }
        }
    }

    fn features_check(dev: &TypedDevice<Self>, skb: &SkBuff, features: Features) -> Features {
        // Only a GSO packet asks the backend: the GSO bits are all it may take away, and they
        // mean nothing for the others. (This runs for every packet.)
        if !skb.is_gso() {
            return features;
        }
        let guard = rcu::read_lock();
        let taken = dev
            .data()
            .backend(&guard)
            .map_or(Features::empty(), |b| b.offloads(skb));
        features - (Features::GSO_SOFTWARE - taken)
    }

    fn set_rx_mode(dev: &TypedDevice<Self>, _rtnl: &Rtnl, uc: &AddrList, mc: &AddrList) -> Result {
        let flags = dev.flags();
        let mut ucv = KVec::with_capacity(uc.len(), GFP_KERNEL)?;
        let mut mcv = KVec::with_capacity(mc.len(), GFP_KERNEL)?;
        // The lists are snapshots: the capacities fit.
        uc.for_each(|a| ucv.push_within_capacity(*a).unwrap_or(()));
        mc.for_each(|a| mcv.push_within_capacity(*a).unwrap_or(()));
        dev.data().set_filter(RxFilter::build(
            flags.contains(Flags::PROMISC),
            flags.contains(Flags::ALLMULTI),
            ucv,
            mcv,
        ));
        Ok(())
    }

    fn get_drvinfo(dev: &TypedDevice<Self>, info: &mut DrvInfo) {
        info.set_driver(c"virtif");
        info.set_version(c"1.0");
        // The bus of a virtif is its backend: its linkstr, e.g. "pair:vb" or "user".
        let mut buf = [0u8; 32];
        if let Ok(text) = linkstr(dev) {
            let t = text.as_bytes();
            let n = t.len().min(buf.len() - 1);
            buf[..n].copy_from_slice(&t[..n]);
        }
        info.set_bus_info(CStr::from_bytes_until_nul(&buf).unwrap_or(c""));
    }

    fn get_ethtool_stats(dev: &TypedDevice<Self>, data: &mut [u64]) {
        use crate::stats::HasStats;
        dev.data().stats().fill(data);
    }

    /// `linkstr`: the linkstr and a newline, or nothing when there is no backend.
    fn sysfs_show(dev: &TypedDevice<Self>, _index: usize, buf: &mut ShowBuffer<'_>) -> Result {
        let text = linkstr(dev)?;
        if !text.as_bytes().is_empty() {
            buf.write_bytes(text.as_bytes())?;
            buf.write_bytes(b"\n")?;
        }
        Ok(())
    }

    /// `linkstr`: same rules as over netlink (one trailing newline ignored). sysfs hands over at
    /// most one page and cuts longer writes short, so a write that fills the page may have been
    /// cut: it is refused as too long.
    fn sysfs_store(dev: &TypedDevice<Self>, rtnl: &Rtnl, _index: usize, data: &[u8]) -> Result {
        if data.len() >= kernel::page::PAGE_SIZE {
            return Err(E2BIG);
        }
        config::set_linkstr(dev, rtnl, data, &ExtAck::none())
    }
}

kernel::net_device_type!(Virtif);
