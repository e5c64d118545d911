// SPDX-License-Identifier: GPL-2.0

//! rtnetlink glue: `ip link add/set/del ... type virtif [linkstr STR | peer name NAME ...]`.

#![forbid(unsafe_code)]

use crate::backend::Pair;
use crate::config::{self, fail};
use crate::device::linkstr;
use crate::linkstr::{err, parse};
use crate::vif::{Virtif, LINKSTR_TEXT_MAX};
use kernel::bindings::{ifinfomsg, IFLA_VIRTIF_LINKSTR, IFLA_VIRTIF_PEER};
use kernel::net::device::{
    is_valid_ether_addr, MacAddr, PrivFlags, Registered, TypedDevice, Unregistered, ETH_ALEN,
};
use kernel::net::rtnl::{
    ifla, nla_total_size, Attrs, ExtAck, LinkInfoMsg, LinkOps, NewLinkParams, Policy, Rtnl,
    UnregisterList,
};
use kernel::prelude::*;

const LINKSTR: u16 = IFLA_VIRTIF_LINKSTR as u16;
const PEER: u16 = IFLA_VIRTIF_PEER as u16;

/// The `virtif` link kind.
pub(crate) struct VirtifLink;

fn linkstr_attr<'a>(data: Option<&Attrs<'a>>) -> Option<&'a [u8]> {
    data.and_then(|d| d.get(LINKSTR)).map(|a| a.data())
}

#[vtable]
impl LinkOps for VirtifLink {
    type Device = Virtif;
    const KIND: &'static CStr = c"virtif";
    // No length limit for the linkstr in the policy: `set_linkstr` answers E2BIG itself.
    const POLICY: &'static [Policy] = &[
        Policy::unspec(),
        Policy::binary(0),
        Policy::min_len(size_of::<ifinfomsg>() as u16),
    ];
    const PEER_TYPE: u16 = PEER;

    fn validate<'a>(tb: &Attrs<'a>, data: Option<&Attrs<'a>>, extack: &ExtAck<'a>) -> Result {
        if let Some(addr) = tb.get(ifla::ADDRESS) {
            let a: MacAddr = addr.data().try_into().map_err(|_| {
                fail(
                    extack,
                    err(EINVAL, c"virtif: the address must have 6 bytes"),
                )
            })?;
            if !is_valid_ether_addr(&a) {
                return Err(fail(
                    extack,
                    err(
                        EADDRNOTAVAIL,
                        c"virtif: the address must be a non-zero unicast address",
                    ),
                ));
            }
        }
        const _: () = assert!(ETH_ALEN == 6);
        if let Some(s) = linkstr_attr(data) {
            parse(s).map_err(|e| fail(extack, e))?;
            if data.and_then(|d| d.get(PEER)).is_some() {
                return Err(fail(
                    extack,
                    err(EINVAL, c"virtif: give a linkstr or a peer, not both"),
                ));
            }
        }
        Ok(())
    }

    fn newlink<'a>(
        dev: Unregistered<'a, Virtif>,
        params: &NewLinkParams<'a, Virtif>,
        extack: &ExtAck<'a>,
    ) -> Result<Registered<'a, Virtif>> {
        let rtnl = params.rtnl();
        if params.data().and_then(|d| d.get(PEER)).is_some() {
            return newpair(dev, params, extack);
        }
        let reg = dev.register(Virtif::new())?;
        if let Some(s) = linkstr_attr(params.data().as_ref()) {
            // On error `reg` is dropped and the device unregistered again.
            config::set_linkstr(&reg, rtnl, s, extack)?;
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
        if data.and_then(|d| d.get(PEER)).is_some() {
            return Err(fail(
                extack,
                err(
                    EOPNOTSUPP,
                    c"virtif: a peer is created with its interface (use linkstr pair:IFNAME)",
                ),
            ));
        }
        match linkstr_attr(data) {
            Some(s) => config::set_linkstr(dev, rtnl, s, extack),
            None => Ok(()),
        }
    }

    fn dellink(dev: &TypedDevice<Virtif>, rtnl: &Rtnl, list: &mut UnregisterList<'_>) {
        config::dellink(dev, rtnl, list);
    }

    fn get_size(_dev: &TypedDevice<Virtif>) -> usize {
        // The linkstr and its NUL.
        nla_total_size(LINKSTR_TEXT_MAX + 1)
    }

    fn fill_info(dev: &TypedDevice<Virtif>, msg: &mut LinkInfoMsg<'_>) -> Result {
        let text = linkstr(dev)?;
        if text.as_bytes().is_empty() {
            return Ok(());
        }
        // NUL-terminated, as iproute2 expects strings.
        let mut buf = [0u8; LINKSTR_TEXT_MAX + 1];
        buf[..text.as_bytes().len()].copy_from_slice(text.as_bytes());
        msg.put_bytes(LINKSTR, &buf[..text.as_bytes().len() + 1])
    }
}

/// `ip link add A type virtif peer name B`: both ends, joined, without a qdisc, and deleted
/// together (like veth).
fn newpair<'a>(
    mut dev: Unregistered<'a, Virtif>,
    params: &NewLinkParams<'a, Virtif>,
    extack: &ExtAck<'a>,
) -> Result<Registered<'a, Virtif>> {
    let no_queue = |d: &mut Unregistered<'_, Virtif>| d.set_priv_flags(PrivFlags::NO_QUEUE, true);
    let peer = params
        .create_peer(c"virtif%d", extack, no_queue, Virtif::new())?
        .ok_or(EINVAL)?;
    no_queue(&mut dev);
    // On error from here on, both are unregistered again.
    let reg = dev.register(Virtif::new())?;
    let setup = Pair::join(&reg, &peer, true).map_err(|e| fail(extack, e))?;
    config::publish(&reg, params.rtnl(), setup);
    Ok(reg)
}
