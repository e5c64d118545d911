// SPDX-License-Identifier: GPL-2.0

//! rtnetlink glue: `ip link add/set/del ... type virtif`, and the linkstr
//! rules shared by netlink and sysfs.

#![forbid(unsafe_code)]

use crate::backend::{AnyBackend, LoopBackend, PairBackend};
use crate::device::{Link, Virtif};
use crate::linkstr::{self, LinkSpec};
use kernel::net::device::{Device, Flags, Registered, TypedDevice, Unregistered};
use kernel::net::rtnl::{nla_total_size, Attrs, ExtAck, LinkInfoMsg, LinkOps, NewLinkParams, Policy, Rtnl};
use kernel::prelude::*;
use kernel::sync::aref::ARef;

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

/// Detaches the backend of `dev` (`VIFHYPER_DYING` then destroy). For a
/// pair, the peer loses its backend too: no carrier, no reference back.
pub(crate) fn detach(dev: &TypedDevice<Virtif>, _rtnl: &Rtnl) {
    let old = {
        let vif = dev.data();
        let mut link = vif.link.lock();
        link.linkstr.clear();
        link.backend.take()
    };
    dev.carrier_off();
    let Some(old) = old else { return };
    old.as_dyn().dying();
    if let AnyBackend::Pair(PairBackend { peer: Some(peer) }) = old {
        // The peer is left joined to nothing, like a new interface: its
        // backend (and with it its reference to `dev`) goes too.
        let back = {
            let pvif = peer.data();
            let mut plink = pvif.link.lock();
            plink.linkstr.clear();
            plink.backend.take()
        };
        peer.carrier_off();
        if let Some(back) = back {
            back.as_dyn().dying();
        }
        // `back` (the peer's reference to `dev`) and `peer` are released here.
    }
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
    // Stored NUL-terminated, ready for netlink.
    let mut text = KVec::new();
    text.extend_from_slice(linkstr::trim(s), GFP_KERNEL)?;
    text.push(0, GFP_KERNEL)?;

    match spec {
        LinkSpec::Loop => {
            detach(dev, rtnl);
            let vif = dev.data();
            let mut link = vif.link.lock();
            *link = Link { linkstr: text, backend: Some(AnyBackend::Loop(LoopBackend)) };
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
            let peer_is_ours = dev
                .data()
                .peer()
                .is_some_and(|p| p.ifindex() == peer.ifindex());
            if !peer_is_ours && peer.data().link.lock().backend.is_some() {
                return Err(fail(
                    extack,
                    EBUSY,
                    c"virtif: pair: the peer already has a backend (clear it or delete it first)",
                ));
            }
            // The peer's linkstr names us.
            let mut back_text = KVec::new();
            back_text.extend_from_slice(b"pair:", GFP_KERNEL)?;
            back_text.extend_from_slice(dev.name().as_bytes(), GFP_KERNEL)?;
            back_text.push(0, GFP_KERNEL)?;

            detach(dev, rtnl);
            let peer_ref: ARef<TypedDevice<Virtif>> = peer.into();
            let dev_ref: ARef<TypedDevice<Virtif>> = dev.into();
            *peer.data().link.lock() = Link {
                linkstr: back_text,
                backend: Some(AnyBackend::Pair(PairBackend { peer: Some(dev_ref) })),
            };
            *dev.data().link.lock() = Link {
                linkstr: text,
                backend: Some(AnyBackend::Pair(PairBackend { peer: Some(peer_ref) })),
            };
        }
    }
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
        nla_total_size(dev.data().link.lock().linkstr.len())
    }

    fn fill_info(dev: &TypedDevice<Virtif>, msg: &mut LinkInfoMsg<'_>) -> Result {
        let vif = dev.data();
        let link = vif.link.lock();
        if link.linkstr.is_empty() {
            return Ok(());
        }
        // Stored NUL-terminated, as iproute2 expects strings.
        msg.put_bytes(IFLA_VIRTIF_LINKSTR, &link.linkstr)
    }
}
