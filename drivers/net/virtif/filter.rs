// SPDX-License-Identifier: GPL-2.0

//! The receive MAC filter, done in the driver like a real NIC's.
//!
//! A frame is accepted when its destination is
//! - our own address, or one of the secondary unicast addresses the stack
//!   asked for (`IFF_UNICAST_FLT`: macvlan and friends need no promiscuous
//!   mode), or
//! - broadcast, or
//! - a multicast group the stack joined (the exact list, no hash), or any
//!   multicast under `IFF_ALLMULTI`, or
//! - anything at all under `IFF_PROMISC`.
//!
//! Everything else is dropped and counted by [`DropReason`]. This module is
//! pure logic: the driver feeds it the address lists from `set_rx_mode` and
//! asks for a [`Verdict`] per frame.

#![forbid(unsafe_code)]

use crate::stats::DropReason;
use kernel::net::device::{is_broadcast_ether_addr, is_multicast_ether_addr, MacAddr};
use kernel::prelude::*;

/// What to do with a received frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Pass it up the stack.
    Accept,
    /// Drop it and count it.
    Drop(DropReason),
}

/// The filter state, rebuilt by the driver from the device's flags and
/// address lists whenever the stack changes them.
///
/// # Invariants
///
/// `uc` and `mc` are sorted (for binary search).
pub(crate) struct RxFilter {
    promisc: bool,
    allmulti: bool,
    uc: KVec<MacAddr>,
    mc: KVec<MacAddr>,
}

impl RxFilter {
    /// An empty filter: own address and broadcast only.
    pub(crate) const fn new() -> Self {
        Self {
            promisc: false,
            allmulti: false,
            uc: KVec::new(),
            mc: KVec::new(),
        }
    }

    /// Builds a filter from flags and (unsorted) address lists.
    pub(crate) fn build(
        promisc: bool,
        allmulti: bool,
        mut uc: KVec<MacAddr>,
        mut mc: KVec<MacAddr>,
    ) -> Self {
        uc.sort_unstable();
        mc.sort_unstable();
        // INVARIANT: both lists were just sorted.
        Self {
            promisc,
            allmulti,
            uc,
            mc,
        }
    }

    /// Decides the fate of a frame addressed to `dst` on an interface whose
    /// own address is `own`.
    pub(crate) fn verdict(&self, own: &MacAddr, dst: &MacAddr) -> Verdict {
        if self.promisc || dst == own {
            return Verdict::Accept;
        }
        if is_multicast_ether_addr(dst) {
            if is_broadcast_ether_addr(dst) || self.allmulti || self.mc.binary_search(dst).is_ok() {
                return Verdict::Accept;
            }
            return Verdict::Drop(DropReason::UnjoinedMulticast);
        }
        if self.uc.binary_search(dst).is_ok() {
            return Verdict::Accept;
        }
        Verdict::Drop(DropReason::ForeignUnicast)
    }
}

#[kunit_tests(virtif_filter)]
mod tests {
    use super::*;

    const OWN: MacAddr = [0x02, 0, 0, 0, 0, 1];
    const OTHER: MacAddr = [0x02, 0, 0, 0, 0, 2];
    const SECONDARY: MacAddr = [0x02, 0, 0, 0, 0, 3];
    const BCAST: MacAddr = [0xff; 6];
    const MC_JOINED: MacAddr = [0x01, 0x00, 0x5e, 0x01, 0x02, 0x03];
    const MC_OTHER: MacAddr = [0x01, 0x00, 0x5e, 0x07, 0x08, 0x09];
    const MC6_JOINED: MacAddr = [0x33, 0x33, 0xff, 0x00, 0x00, 0x01];

    fn filter(promisc: bool, allmulti: bool) -> RxFilter {
        let mut uc = KVec::new();
        uc.push(SECONDARY, GFP_KERNEL).unwrap();
        let mut mc = KVec::new();
        mc.push(MC6_JOINED, GFP_KERNEL).unwrap();
        mc.push(MC_JOINED, GFP_KERNEL).unwrap();
        RxFilter::build(promisc, allmulti, uc, mc)
    }

    #[test]
    fn own_and_broadcast_always_pass() {
        let f = RxFilter::new();
        assert_eq!(f.verdict(&OWN, &OWN), Verdict::Accept);
        assert_eq!(f.verdict(&OWN, &BCAST), Verdict::Accept);
    }

    #[test]
    fn foreign_unicast_dropped_unless_promisc() {
        assert_eq!(
            filter(false, false).verdict(&OWN, &OTHER),
            Verdict::Drop(DropReason::ForeignUnicast)
        );
        assert_eq!(
            filter(false, true).verdict(&OWN, &OTHER),
            Verdict::Drop(DropReason::ForeignUnicast)
        );
        assert_eq!(filter(true, false).verdict(&OWN, &OTHER), Verdict::Accept);
    }

    #[test]
    fn secondary_unicast_passes() {
        assert_eq!(
            filter(false, false).verdict(&OWN, &SECONDARY),
            Verdict::Accept
        );
        assert_eq!(
            RxFilter::new().verdict(&OWN, &SECONDARY),
            Verdict::Drop(DropReason::ForeignUnicast)
        );
    }

    #[test]
    fn multicast_exact_list() {
        let f = filter(false, false);
        assert_eq!(f.verdict(&OWN, &MC_JOINED), Verdict::Accept);
        assert_eq!(f.verdict(&OWN, &MC6_JOINED), Verdict::Accept);
        assert_eq!(
            f.verdict(&OWN, &MC_OTHER),
            Verdict::Drop(DropReason::UnjoinedMulticast)
        );
    }

    #[test]
    fn allmulti_and_promisc_accept_any_multicast() {
        assert_eq!(
            filter(false, true).verdict(&OWN, &MC_OTHER),
            Verdict::Accept
        );
        assert_eq!(
            filter(true, false).verdict(&OWN, &MC_OTHER),
            Verdict::Accept
        );
    }
}
