// SPDX-License-Identifier: GPL-2.0

//! The copying transmit path shared by the backends that hand frames on as bytes
//! (`VIFHYPER_SEND` with an iovec): segmentation and checksums are done before (GSO is not
//! among their [`Backend::offloads`](crate::vif::Backend::offloads), and a checksum left to the
//! device is filled in here), then the backend gets every segment of the frame at once.

#![forbid(unsafe_code)]

use crate::stats::{self, DropReason};
use crate::vif::Virtif;
use kernel::net::device::{TxResult, TypedDevice};
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;

/// Transmits `skb` of `dev` by calling `send` with its data segments (the linear part, every
/// page fragment, the fragment list, in order). `send` returns `Ok` if it carried the frame,
/// or why it did not; either way it must not keep the slices. Counts the frame or the drop.
pub(crate) fn xmit(
    dev: &TypedDevice<Virtif>,
    mut skb: SkBuff,
    send: impl FnOnce(&[&[u8]]) -> Result<(), DropReason>,
) -> TxResult {
    if skb.is_gso() {
        // `ndo_features_check` keeps GSO packets away from copying backends.
        stats::drop_skb(dev, skb, DropReason::Gso);
        return TxResult::Ok;
    }
    if skb.checksum_help().is_err() {
        stats::drop_skb(dev, skb, DropReason::Checksum);
        return TxResult::Ok;
    }
    skb.tx_timestamp();
    let len = skb.len();
    match skb.with_segments(|segs| Ok(send(segs))) {
        Ok(Ok(())) => {
            dev.dstats_add_tx(len);
            skb.consume();
        }
        Ok(Err(reason)) => stats::drop_skb(dev, skb, reason),
        // Gathering the segments needed memory (a linearisation, a long fragment list).
        Err(_) => stats::drop_skb(dev, skb, DropReason::TxNoMemory),
    }
    TxResult::Ok
}
