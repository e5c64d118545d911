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

/// The NIC's part of receiving a frame to `dst`: the interface must be
/// running and the MAC filter must accept the address. Counts the drop and
/// returns `false` otherwise.
fn admit(dev: &TypedDevice<Virtif>, dst: &MacAddr) -> bool {
    let vif = dev.data();
    let verdict = if dev.is_running() {
        vif.verdict(dev, dst)
    } else {
        Verdict::Drop(DropReason::NotRunning)
    };
    match verdict {
        Verdict::Accept => true,
        Verdict::Drop(reason) => {
            vif.count_drop(reason);
            false
        }
    }
}

/// Passes an admitted packet, freshly built from a frame to `dst`, to the
/// stack and counts it.
fn pass_up(dev: &TypedDevice<Virtif>, mut skb: SkBuff, dst: &MacAddr) {
    let vif = dev.data();
    let len = skb.len();
    let _ = skb.eth_type_trans(dev);
    match skb.netif_rx(dev) {
        Ok(()) => vif.count_rx(dev, len, dst),
        Err(_) => vif.count_drop(DropReason::Backlog),
    }
}

/// Whether a frame of `len` bytes may be received: an Ethernet header at
/// least, the MTU plus header and one VLAN tag at most.
pub(crate) fn len_ok(dev: &TypedDevice<Virtif>, len: usize) -> bool {
    (ETH_HLEN..=dev.mtu() as usize + ETH_HLEN + VLAN_HLEN).contains(&len)
}

/// Hands a frame received by `dev`'s backend to the stack (`VIF_DELIVERPKT`).
///
/// The frame is given as segments (an iovec) and copied into a new packet.
/// It is refused with `EINVAL` (and counted) if it is shorter than an
/// Ethernet header or longer than the MTU allows. It is dropped and counted,
/// but `Ok` is returned, if the interface is not running or the MAC filter
/// refuses it (the wire carried it, the NIC dropped it); the copy is only
/// made for frames that pass.
pub(crate) fn deliver(dev: &TypedDevice<Virtif>, frame: &[&[u8]]) -> Result {
    let len: usize = frame.iter().map(|s| s.len()).sum();
    if !len_ok(dev, len) {
        dev.data().count_drop(DropReason::BadLength);
        return Err(EINVAL);
    }
    let mut dst: MacAddr = [0; ETH_ALEN];
    copy_prefix(frame, &mut dst);
    if !admit(dev, &dst) {
        return Ok(());
    }
    let Ok(skb) = SkBuff::from_slices(dev, frame) else {
        dev.data().count_drop(DropReason::NoMemory);
        return Err(ENOMEM);
    };
    pass_up(dev, skb, &dst);
    Ok(())
}

/// Like [`deliver`], for a frame the backend already copied into a packet
/// of its own, whose length the caller checked with [`len_ok`].
pub(crate) fn deliver_skb(dev: &TypedDevice<Virtif>, skb: SkBuff) {
    // A new packet: its data starts with the Ethernet header.
    let mut dst: MacAddr = [0; ETH_ALEN];
    if skb.copy_bits(0, &mut dst).is_err() {
        dev.data().count_drop(DropReason::BadLength);
        return;
    }
    if admit(dev, &dst) {
        pass_up(dev, skb, &dst);
    }
}

/// Hands a packet transmitted by a `pair` end straight to the peer, without
/// copying (like veth).
pub(crate) fn forward(from: &TypedDevice<Virtif>, to: &TypedDevice<Virtif>, skb: SkBuff) {
    let peer = to.data();
    let Some(dst) = skb.eth_dest() else {
        peer.count_drop(DropReason::BadLength);
        return;
    };
    if !admit(to, &dst) {
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
