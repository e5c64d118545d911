// SPDX-License-Identifier: GPL-2.0

//! Why frames are dropped: one table of reasons, each with its `ethtool -S` name, its direction
//! and the `SKB_DROP_REASON_*` the packet is freed with (what `perf` and dropwatch show).
//!
//! Every drop is counted three times over, by [`count`]: in the core's per-CPU drop counters
//! (`rx_dropped`/`tx_dropped` in `ip -s link`), in the per-reason counter, and, when there is a
//! packet, as the reason it is freed with. Packets and bytes that go through are counted by the
//! core's per-CPU counters (`PcpuStats::Dstats`).

#![forbid(unsafe_code)]

use kernel::net::device::{DeviceOps, TypedDevice};
use kernel::net::skbuff::{DropReason as SkbReason, SkBuff};
use kernel::prelude::*;
use kernel::sync::atomic::{Atomic, Relaxed};

/// The direction a drop is counted in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dir {
    /// Received (`rx_dropped`).
    Rx,
    /// Transmitted (`tx_dropped`).
    Tx,
}

macro_rules! drop_reasons {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $dir:ident, $skb:ident;)*) => {
        /// Why a frame was not delivered or not transmitted.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub(crate) enum DropReason {
            $($(#[$doc])* $variant,)*
        }

        /// The reasons' names in `ethtool -S`, in [`DropReason`] order.
        pub(crate) const NAMES: &[&CStr] = &[$($name,)*];

        impl DropReason {
            /// The direction the drop is counted in.
            pub(crate) const fn dir(self) -> Dir {
                match self { $(Self::$variant => Dir::$dir,)* }
            }

            /// The reason the packet is freed with.
            pub(crate) const fn skb(self) -> SkbReason {
                match self { $(Self::$variant => SkbReason::$skb,)* }
            }
        }
    };
}

drop_reasons! {
    /// Received while the interface was down.
    NotRunning = c"rx_drop_not_running", Rx, DevReady;
    /// Unicast to an address that is neither ours nor a secondary one.
    ForeignUnicast = c"rx_drop_foreign_unicast", Rx, OtherHost;
    /// Multicast to a group the stack did not join.
    UnjoinedMulticast = c"rx_drop_unjoined_multicast", Rx, OtherHost;
    /// Shorter than an Ethernet header.
    Runt = c"rx_drop_runt", Rx, PktTooSmall;
    /// Longer than the MTU (plus header and VLAN tag) allows.
    Oversize = c"rx_drop_oversize", Rx, PktTooBig;
    /// No memory for the frame.
    RxNoMemory = c"rx_drop_no_memory", Rx, NoMem;
    /// `user` backend: the offload header written with the frame does not fit it.
    BadVnetHdr = c"rx_drop_bad_vnet_hdr", Rx, DevHdr;
    /// `user` backend, rings: a slot of the RX ring with a bad header (flags not 0).
    BadSlot = c"rx_drop_bad_slot", Rx, DevHdr;
    /// Transmitted while the interface had no backend to carry it.
    NoBackend = c"tx_drop_no_backend", Tx, NoTxTarget;
    /// The checksum left to the device could not be computed.
    Checksum = c"tx_drop_checksum", Tx, SkbCsum;
    /// A GSO packet reached a backend that cannot take it.
    Gso = c"tx_drop_gso", Tx, SkbGsoSeg;
    /// No memory to hand the frame to the backend.
    TxNoMemory = c"tx_drop_no_memory", Tx, NoMem;
    /// `user` backend: its ring was full (with `VIRTIF_F_TX_DROP`, or without a qdisc).
    QueueFull = c"tx_drop_queue_full", Tx, FullRing;
    /// `user` backend: no process attached.
    NotAttached = c"tx_drop_not_attached", Tx, NoTxTarget;
    /// `user` backend: still queued when the process detached or the backend went.
    Detached = c"tx_drop_detached", Tx, QueuePurge;
    /// `user` backend: the reader's buffer could not be written.
    UserFault = c"tx_drop_user_fault", Tx, SkbUcopyFault;
    /// `user` backend, rings: the frame is larger than a slot of the TX ring.
    SlotTooSmall = c"tx_drop_slot_too_small", Tx, PktTooBig;
}

/// The number of [`DropReason`]s.
pub(crate) const NR_REASONS: usize = NAMES.len();

/// Per-interface drop counters, by reason.
pub(crate) struct Stats {
    drops: [Atomic<u64>; NR_REASONS],
}

impl Stats {
    pub(crate) const fn new() -> Self {
        Self {
            drops: [const { Atomic::new(0) }; NR_REASONS],
        }
    }

    /// Fills `out` (in [`NAMES`] order), for `ethtool -S`.
    pub(crate) fn fill(&self, out: &mut [u64]) {
        for (o, c) in out.iter_mut().zip(self.drops.iter()) {
            *o = c.load(Relaxed);
        }
    }
}

/// Something that has [`Stats`]: the private data of a device.
pub(crate) trait HasStats {
    fn stats(&self) -> &Stats;
}

/// Counts a frame dropped on `dev` for `reason`: in the core's per-CPU drop counter of its
/// direction and in the reason's own counter.
pub(crate) fn count<T: DeviceOps + HasStats>(dev: &TypedDevice<T>, reason: DropReason) {
    dev.data().stats().drops[reason as usize].add(1u64, Relaxed);
    match reason.dir() {
        Dir::Rx => dev.dstats_rx_dropped(),
        Dir::Tx => dev.dstats_tx_dropped(),
    }
}

/// Counts a dropped packet like [`count`] and frees it with the reason's drop reason.
pub(crate) fn drop_skb<T: DeviceOps + HasStats>(
    dev: &TypedDevice<T>,
    skb: SkBuff,
    reason: DropReason,
) {
    count(dev, reason);
    skb.drop_reason(reason.skb());
}

#[kunit_tests(virtif_stats)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        assert_eq!(NAMES.len(), DropReason::SlotTooSmall as usize + 1);
        assert_eq!(NAMES[DropReason::Oversize as usize], c"rx_drop_oversize");
        assert_eq!(DropReason::QueueFull.dir(), Dir::Tx);
        assert_eq!(DropReason::Runt.dir(), Dir::Rx);
        // rx names start with rx_, tx names with tx_.
        for (i, n) in NAMES.iter().enumerate() {
            let rx = n.to_bytes().starts_with(b"rx_");
            let tx = n.to_bytes().starts_with(b"tx_");
            assert!(rx || tx);
            let dir = if i < DropReason::NoBackend as usize {
                Dir::Rx
            } else {
                Dir::Tx
            };
            assert_eq!(rx, dir == Dir::Rx);
        }
    }
}
