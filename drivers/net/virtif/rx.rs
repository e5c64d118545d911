// SPDX-License-Identifier: GPL-2.0

//! The receive path: `VIF_DELIVERPKT`.

#![forbid(unsafe_code)]

use crate::device::Virtif;
use crate::filter::{DropReason, Verdict};
use kernel::net::device::{MacAddr, TypedDevice, ETH_ALEN};
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;

/// Ethernet header length.
pub(crate) const ETH_HLEN: usize = 14;
/// Room for one VLAN tag beyond the MTU, as `is_skb_forwardable()` allows.
const VLAN_HLEN: usize = 4;

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

/// Hands a frame received by `dev`'s backend to the stack (`VIF_DELIVERPKT`).
///
/// The frame is given as segments (an iovec) and copied into a new packet.
/// It is dropped and counted if the interface is not running, if it is
/// shorter than an Ethernet header or longer than the MTU allows (`EINVAL`),
/// or if the MAC filter refuses it (not an error for the backend: the wire
/// carried it, the NIC dropped it).
pub(crate) fn deliver(dev: &TypedDevice<Virtif>, frame: &[&[u8]]) -> Result {
    let vif = dev.data();
    if !dev.is_running() {
        vif.count_drop(DropReason::NotRunning);
        return Ok(());
    }
    let len: usize = frame.iter().map(|s| s.len()).sum();
    if len < ETH_HLEN || len > dev.mtu() as usize + ETH_HLEN + VLAN_HLEN {
        vif.count_drop(DropReason::BadLength);
        return Err(EINVAL);
    }
    let mut dst: MacAddr = [0; ETH_ALEN];
    copy_prefix(frame, &mut dst);
    if let Verdict::Drop(reason) = vif.verdict(dev, &dst) {
        vif.count_drop(reason);
        return Ok(());
    }
    let Ok(mut skb) = SkBuff::from_slices(dev, frame) else {
        vif.count_drop(DropReason::NoMemory);
        return Err(ENOMEM);
    };
    let _ = skb.eth_type_trans(dev);
    match skb.netif_rx(dev) {
        Ok(()) => vif.count_rx(dev, len as u32, &dst),
        Err(_) => vif.count_drop(DropReason::Backlog),
    }
    Ok(())
}

/// Hands a packet built from a frame the backend received to the stack:
/// the same checks as [`deliver`] except the length, which the caller
/// checked. Drops are counted, not returned: the wire carried the frame.
pub(crate) fn deliver_skb(dev: &TypedDevice<Virtif>, mut skb: SkBuff) {
    let vif = dev.data();
    if !dev.is_running() {
        vif.count_drop(DropReason::NotRunning);
        return;
    }
    // A new packet: its data starts with the Ethernet header.
    let mut dst: MacAddr = [0; ETH_ALEN];
    if skb.copy_bits(0, &mut dst).is_err() {
        vif.count_drop(DropReason::BadLength);
        return;
    }
    if let Verdict::Drop(reason) = vif.verdict(dev, &dst) {
        vif.count_drop(reason);
        return;
    }
    let len = skb.len();
    let _ = skb.eth_type_trans(dev);
    match skb.netif_rx(dev) {
        Ok(()) => vif.count_rx(dev, len, &dst),
        Err(_) => vif.count_drop(DropReason::Backlog),
    }
}

/// Hands a packet transmitted by a `pair` end straight to the peer, without
/// copying (like veth).
pub(crate) fn forward(from: &TypedDevice<Virtif>, to: &TypedDevice<Virtif>, skb: SkBuff) {
    let peer = to.data();
    if !to.is_running() {
        peer.count_drop(DropReason::NotRunning);
        return;
    }
    let Some(dst) = skb.eth_dest() else {
        peer.count_drop(DropReason::BadLength);
        return;
    };
    if let Verdict::Drop(reason) = peer.verdict(to, &dst) {
        peer.count_drop(reason);
        return;
    }
    let len = skb.len();
    // `dev_forward_skb()`: scrubs the packet when it crosses namespaces,
    // checks its size against the peer's MTU, and queues it with netif_rx.
    match skb.dev_forward(from, to) {
        Ok(()) => peer.count_rx(to, len, &dst),
        Err(_) => peer.count_drop(DropReason::Backlog),
    }
}
