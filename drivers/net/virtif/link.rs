// SPDX-License-Identifier: GPL-2.0

//! rtnetlink glue: `ip link add/set/del ... type virtif`, and the linkstr
//! rules shared by netlink and sysfs.

#![forbid(unsafe_code)]

use crate::backend::{AnyBackend, LoopBackend, PairBackend, UserBackend};
use crate::device::Virtif;
use crate::user::Channel;
use crate::linkstr::{self, LinkSpec};
use kernel::net::device::{Device, Flags, PrivFlags, Registered, TrackedRef, TypedDevice, Unregistered};
use kernel::net::rtnl::{nla_total_size, Attrs, ExtAck, LinkInfoMsg, LinkOps, NewLinkParams, Policy, Rtnl};
use kernel::prelude::*;
use kernel::sync::rcu;

/// `IFLA_INFO_DATA` attribute: the linkstr (a string, at most 4096 bytes).
pub(crate) const IFLA_VIRTIF_LINKSTR: u16 = 1;

/// The `virtif` link kind.
pub(crate) struct VirtifLink;

fn is_up(dev: &Device) -> bool {
    dev.flags().contains(Flags::UP)
}

/// An error with its extack message.
fn fail(extack: Option<&ExtAck<'_>>, errno: Error, msg: &'static CStr) -> Error {
    if let Some(e) = extack {
        e.set_msg(msg);
    }
    errno
}

/// Unpublishes the backend of `dev` (waiting until no transmit path uses
/// it), clears its linkstr and its carrier.
fn take_backend(dev: &TypedDevice<Virtif>, rtnl: &Rtnl) -> Option<KBox<AnyBackend>> {
    let vif = dev.data();
    vif.linkstr.lock().clear();
    dev.carrier_off();
    vif.replace_backend(rtnl, None)
}

/// Detaches the backend of `dev` (`VIFHYPER_DYING`, then DESTROY when it is
/// dropped). For a pair, the peer loses its backend too: no carrier, no
/// reference back.
pub(crate) fn detach(dev: &TypedDevice<Virtif>, rtnl: &Rtnl) {
    let Some(old) = take_backend(dev, rtnl) else { return };
    old.as_dyn().dying();
    if let AnyBackend::Pair(p) = &*old {
        // The peer is left joined to nothing, like a new interface: its
        // backend (and with it its reference to `dev`) goes too.
        if let Some(back) = take_backend(&p.peer, rtnl) {
            back.as_dyn().dying();
        }
    }
    // `old` (with the reference to the peer) is dropped here.
}

/// Stores a linkstr (NUL-terminated, ready for netlink).
fn store_text(dev: &TypedDevice<Virtif>, parts: &[&[u8]]) -> Result {
    let mut text = KVec::new();
    for p in parts {
        text.extend_from_slice(p, GFP_KERNEL)?;
    }
    text.push(0, GFP_KERNEL)?;
    *dev.data().linkstr.lock() = text;
    Ok(())
}

/// Publishes `backend` on `dev`, which has none.
fn publish(dev: &TypedDevice<Virtif>, rtnl: &Rtnl, backend: KBox<AnyBackend>) {
    let old = dev.data().replace_backend(rtnl, Some(backend));
    // `dev` was detached by the caller, with RTNL held all along.
    debug_assert!(old.is_none());
    drop(old);
}

/// Returns whether `peer` is the current pair peer of `dev`.
fn is_peer(dev: &TypedDevice<Virtif>, peer: &TypedDevice<Virtif>) -> bool {
    let guard = rcu::read_lock();
    matches!(dev.data().backend(&guard), Some(AnyBackend::Pair(p)) if p.peer.ifindex() == peer.ifindex())
}

/// Sets the linkstr of `dev`: parses it, creates the new backend
/// (`VIFHYPER_CREATE`) and replaces the old one. Refused with `EBUSY` while
/// the interface is up.
pub(crate) fn set_linkstr(
    dev: &TypedDevice<Virtif>,
    rtnl: &Rtnl,
    s: &[u8],
    extack: Option<&ExtAck<'_>>,
) -> Result {
    let spec = linkstr::parse(s).map_err(|e| fail(extack, e.errno, e.msg))?;
    if is_up(dev) {
        return Err(fail(
            extack,
            EBUSY,
            c"virtif: cannot change the linkstr while the interface is up",
        ));
    }
    let text = linkstr::trim(s);

    match spec {
        LinkSpec::Loop => {
            let backend = KBox::new(AnyBackend::Loop(LoopBackend), GFP_KERNEL)?;
            detach(dev, rtnl);
            store_text(dev, &[text])?;
            publish(dev, rtnl, backend);
        }
        LinkSpec::User => {
            let chan = Channel::new(dev)?;
            let backend = KBox::new(AnyBackend::User(UserBackend { chan }), GFP_KERNEL)?;
            detach(dev, rtnl);
            store_text(dev, &[text])?;
            publish(dev, rtnl, backend);
        }
        LinkSpec::Pair(name) => {
            let mut cname = [0u8; 16];
            cname[..name.len()].copy_from_slice(name);
            let cname = CStr::from_bytes_until_nul(&cname).map_err(|_| EINVAL)?;
            let Some(other) = Device::get_by_name_locked(rtnl, dev.net(rtnl), cname) else {
                return Err(fail(extack, ENODEV, c"virtif: pair: no such interface in this namespace"));
            };
            let Some(peer) = other.downcast::<Virtif>() else {
                return Err(fail(extack, EINVAL, c"virtif: pair: the peer is not a virtif interface"));
            };
            if peer.ifindex() == dev.ifindex() {
                return Err(fail(extack, EINVAL, c"virtif: pair: cannot pair an interface with itself"));
            }
            if !is_peer(dev, peer) && peer.data().has_backend() {
                return Err(fail(
                    extack,
                    EBUSY,
                    c"virtif: pair: the peer already has a backend (clear it or delete it first)",
                ));
            }
            let ours = KBox::new(AnyBackend::Pair(PairBackend { peer: TrackedRef::new(peer, GFP_KERNEL) }), GFP_KERNEL)?;
            let theirs = KBox::new(AnyBackend::Pair(PairBackend { peer: TrackedRef::new(dev, GFP_KERNEL) }), GFP_KERNEL)?;
            detach(dev, rtnl);
            // The peer's linkstr names us.
            store_text(peer, &[b"pair:", dev.name().as_bytes()])?;
            store_text(dev, &[text])?;
            publish(peer, rtnl, theirs);
            publish(dev, rtnl, ours);
            peer.update_priv_flags(rtnl, PrivFlags::NO_QUEUE, true);
        }
    }
    // A `user` interface gets a real qdisc (of tx_queue_len packets), so that
    // stopping its queue when the reader falls behind pushes back instead of
    // dropping; the others have none, like veth. Takes effect at the next up.
    let user = matches!(spec, LinkSpec::User);
    dev.update_priv_flags(rtnl, PrivFlags::NO_QUEUE, !user);
    Virtif::set_carriers(dev, is_up(dev));
    Ok(())
}

fn linkstr_attr<'a>(data: Option<&Attrs<'a>>) -> Option<&'a [u8]> {
    data.and_then(|d| d.get(IFLA_VIRTIF_LINKSTR)).map(|a| a.data())
}

#[vtable]
impl LinkOps for VirtifLink {
    type Device = Virtif;
    const KIND: &'static CStr = c"virtif";
    // No length limit in the policy: set_linkstr() answers E2BIG itself.
    const POLICY: &'static [Policy] = &[Policy::unspec(), Policy::binary(0)];

    fn validate<'a>(tb: &Attrs<'a>, data: Option<&Attrs<'a>>, extack: &ExtAck<'a>) -> Result {
        if let Some(addr) = tb.get(kernel::net::rtnl::ifla::ADDRESS) {
            let a = addr.data();
            if a.len() != 6 {
                return Err(fail(Some(extack), EINVAL, c"virtif: the address must have 6 bytes"));
            }
            if a[0] & 1 != 0 || a.iter().all(|&b| b == 0) {
                return Err(fail(
                    Some(extack),
                    EADDRNOTAVAIL,
                    c"virtif: the address must be a non-zero unicast address",
                ));
            }
        }
        if let Some(s) = linkstr_attr(data) {
            linkstr::parse(s).map_err(|e| fail(Some(extack), e.errno, e.msg))?;
        }
        Ok(())
    }

    fn newlink<'a>(
        dev: Unregistered<'a, Virtif>,
        params: &NewLinkParams<'a>,
        extack: &ExtAck<'a>,
    ) -> Result<Registered<'a, Virtif>> {
        let reg = dev.register(Virtif::new())?;
        if let Some(s) = linkstr_attr(params.data().as_ref()) {
            // On error `reg` is dropped and the device unregistered again.
            set_linkstr(&reg, params.rtnl(), s, Some(extack))?;
        }
        Ok(reg)
    }

    fn changelink<'a>(
        dev: &'a TypedDevice<Virtif>,
        rtnl: &'a Rtnl,
        _tb: &Attrs<'a>,
        data: Option<&Attrs<'a>>,
        extack: &ExtAck<'a>,
    ) -> Result {
        match linkstr_attr(data) {
            Some(s) => set_linkstr(dev, rtnl, s, Some(extack)),
            None => Ok(()),
        }
    }

    fn dellink(dev: &TypedDevice<Virtif>, rtnl: &Rtnl) {
        detach(dev, rtnl);
    }

    fn get_size(dev: &TypedDevice<Virtif>) -> usize {
        nla_total_size(dev.data().linkstr.lock().len())
    }

    fn fill_info(dev: &TypedDevice<Virtif>, msg: &mut LinkInfoMsg<'_>) -> Result {
        let vif = dev.data();
        let text = vif.linkstr.lock();
        if text.is_empty() {
            return Ok(());
        }
        // Stored NUL-terminated, as iproute2 expects strings.
        msg.put_bytes(IFLA_VIRTIF_LINKSTR, &text)
    }
}
