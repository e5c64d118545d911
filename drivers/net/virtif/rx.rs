// SPDX-License-Identifier: GPL-2.0

//! The receive path (`VIF_DELIVERPKT`): the NIC's part of receiving a frame, then `netif_rx`.

#![forbid(unsafe_code)]

use crate::filter::Verdict;
use crate::stats::{self, DropReason};
use crate::vif::Virtif;
use kernel::net::device::{
    is_multicast_ether_addr, DevStat, MacAddr, TypedDevice, ETH_ALEN, ETH_HLEN, VLAN_HLEN,
};
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;

/// Copies the first bytes of a frame given as segments into `out`.
fn copy_prefix(frame: &[&[u8]], out: &mut [u8]) {
    let mut done = 0;
    for seg in frame {
        if done == out.len() {
            break;
        }
        let n = seg.len().min(out.len() - done);
        out[done..done + n].copy_from_slice(&seg[..n]);
        done += n;
    }
}

/// Checks the length of a frame of `len` bytes that `dev` receives: an Ethernet header at
/// least, the MTU plus the header and one VLAN tag at most (what `is_skb_forwardable()`
/// allows). Returns the drop reason otherwise.
pub(crate) fn check_len(dev: &TypedDevice<Virtif>, len: usize) -> Result<(), DropReason> {
    if len < ETH_HLEN {
        return Err(DropReason::Runt);
    }
    if len > dev.mtu() as usize + ETH_HLEN + VLAN_HLEN {
        return Err(DropReason::Oversize);
    }
    Ok(())
}

/// Counts a frame with a bad length (`rx_length_errors` too) and returns `EINVAL`.
fn bad_len(dev: &TypedDevice<Virtif>, reason: DropReason) -> Error {
    dev.stats_inc(DevStat::RxLengthErrors);
    stats::count(dev, reason);
    EINVAL
}

/// The NIC's part of receiving a frame to `dst`: the interface must be running and the MAC
/// filter must accept the address.
fn admit(dev: &TypedDevice<Virtif>, dst: &MacAddr) -> Result<(), DropReason> {
    if !dev.is_running() {
        return Err(DropReason::NotRunning);
    }
    match dev.data().verdict(&dev.mac_addr(), dst) {
        Verdict::Accept => Ok(()),
        Verdict::Drop(reason) => Err(reason),
    }
}

/// Counts a frame of `len` bytes to `dst` that `dev` passed to the stack.
fn count_rx(dev: &TypedDevice<Virtif>, len: u32, dst: &MacAddr) {
    dev.dstats_add_rx(len);
    if is_multicast_ether_addr(dst) {
        dev.stats_inc(DevStat::Multicast);
    }
}

/// Passes an admitted packet, freshly built from a frame to `dst`, to the stack.
fn pass_up(dev: &TypedDevice<Virtif>, mut skb: SkBuff, dst: &MacAddr) {
    let len = skb.len();
    if skb.eth_type_trans(dev).is_err() {
        // Cannot happen: the length was checked.
        stats::drop_skb(dev, skb, DropReason::Runt);
        return;
    }
    // `netif_rx()` counts and frees what its backlog cannot take (`rx_dropped`, with the
    // reason CPU_BACKLOG): only what it took is ours to count.
    if skb.netif_rx(dev).is_ok() {
        count_rx(dev, len, dst);
    }
}

/// Hands a frame received by `dev`'s backend to the stack (`VIF_DELIVERPKT`).
///
/// The frame is given as segments (an iovec) and copied into a new packet. It is refused with
/// `EINVAL` (and counted) if it is shorter than an Ethernet header or longer than the MTU allows.
/// It is dropped and counted, but `Ok` is returned, if the interface is not running or the MAC
/// filter refuses it (the wire carried it, the NIC dropped it); the copy is only made for frames
/// that pass. `ENOMEM` if no packet could be allocated (counted).
pub(crate) fn deliver(dev: &TypedDevice<Virtif>, frame: &[&[u8]]) -> Result {
    let len: usize = frame.iter().map(|s| s.len()).sum();
    check_len(dev, len).map_err(|r| bad_len(dev, r))?;
    let mut dst: MacAddr = [0; ETH_ALEN];
    copy_prefix(frame, &mut dst);
    if let Err(reason) = admit(dev, &dst) {
        stats::count(dev, reason);
        return Ok(());
    }
    let Ok(skb) = SkBuff::from_slices(dev, frame) else {
        stats::count(dev, DropReason::RxNoMemory);
        return Err(ENOMEM);
    };
    pass_up(dev, skb, &dst);
    Ok(())
}

/// Like [`deliver`], for a frame the backend already copied into a packet of its own, whose
/// length the caller checked with [`check_len`].
pub(crate) fn deliver_skb(dev: &TypedDevice<Virtif>, skb: SkBuff) {
    let mut dst: MacAddr = [0; ETH_ALEN];
    if skb.copy_bits(0, &mut dst).is_err() {
        stats::drop_skb(dev, skb, DropReason::Runt);
        return;
    }
    match admit(dev, &dst) {
        Ok(()) => pass_up(dev, skb, &dst),
        Err(reason) => stats::drop_skb(dev, skb, reason),
    }
}

/// Hands a packet transmitted by `from` to `to` without copying it (the pair backend, like
/// veth): the receiver's filter and length rules apply, then `dev_forward_skb()`.
pub(crate) fn forward(from: &TypedDevice<Virtif>, to: &TypedDevice<Virtif>, skb: SkBuff) {
    let Some(dst) = skb.eth_dest() else {
        stats::drop_skb(to, skb, DropReason::Runt);
        return;
    };
    if let Err(reason) = admit(to, &dst) {
        stats::drop_skb(to, skb, reason);
        return;
    }
    let len = skb.len();
    // GSO packets are handed over whole (they are segmented later if needed); whether the
    // packet is one is only asked of those too long otherwise.
    if let Err(reason) = check_len(to, len as usize) {
        if reason != DropReason::Oversize || !skb.is_gso() {
            to.stats_inc(DevStat::RxLengthErrors);
            stats::drop_skb(to, skb, reason);
            return;
        }
    }
    // `dev_forward_skb()` scrubs the packet when it crosses namespaces and queues it with
    // `netif_rx()`; what it refuses (a race with the receiver going down, a full backlog) it
    // counts and frees itself.
    if skb.dev_forward(from, to).is_ok() {
        count_rx(to, len, &dst);
    }
}
