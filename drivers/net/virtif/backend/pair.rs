// SPDX-License-Identifier: GPL-2.0

//! `pair:IFNAME`: two virtif interfaces joined like a veth pair. Transmit hands the packet
//! itself to the peer (`dev_forward_skb()`, no copy), GSO packets whole.
//!
//! Both ends hold a tracked reference to each other. When either end is deleted or gets
//! another backend, both lose their backend (see [`crate::config`]), so a reference never
//! outlives the pairing. A pair made with `ip link add A type virtif peer name B` is deleted as
//! one, like veth's: deleting either end queues the other on the same unregistration
//! ([`Backend::takes_peer`]); one joined with `linkstr pair:B` leaves the other end, without a
//! backend.

#![forbid(unsafe_code)]

use super::{BackendKind, Setup};
use crate::linkstr::{err, LinkError};
use crate::rx;
use crate::vif::{Backend, LinkstrText, Virtif};
use core::any::Any;
use kernel::net::device::{
    valid_ifname, Device, Features, Flags, TrackedRef, TxResult, TypedDevice, IFNAMSIZ,
};
use kernel::net::rtnl::Rtnl;
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;

/// The `pair` backend of one end.
pub(crate) struct Pair {
    /// The other end (a tracked reference: a leak would name its taker).
    peer: TrackedRef<TypedDevice<Virtif>>,
    /// Made with `peer name B`: deleting either end deletes both, like veth.
    together: bool,
}

impl Pair {
    /// Joins `a` and `b`: the backends of both ends; with `together`, deleting either end
    /// deletes the other.
    pub(crate) fn join(
        a: &TypedDevice<Virtif>,
        b: &TypedDevice<Virtif>,
        together: bool,
    ) -> Result<Setup, LinkError> {
        Setup::with_peer(
            Pair {
                peer: TrackedRef::new(b, GFP_KERNEL),
                together,
            },
            b,
            Pair {
                peer: TrackedRef::new(a, GFP_KERNEL),
                together,
            },
        )
    }
}

impl Backend for Pair {
    fn linkstr(&self, out: &mut LinkstrText) -> Result {
        out.push(b"pair:")?;
        out.push(self.peer.name().as_bytes())
    }

    fn xmit(&self, dev: &TypedDevice<Virtif>, mut skb: SkBuff) -> TxResult {
        skb.tx_timestamp();
        dev.dstats_add_tx(skb.len());
        rx::forward(dev, &self.peer, skb);
        TxResult::Ok
    }

    fn connected(&self) -> bool {
        self.peer.flags().contains(Flags::UP)
    }

    fn peer(&self) -> Option<&TypedDevice<Virtif>> {
        Some(&self.peer)
    }

    fn takes_peer(&self) -> bool {
        self.together
    }

    fn offloads(&self, _skb: &SkBuff) -> Features {
        Features::GSO_SOFTWARE
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl BackendKind for Pair {
    const NAME: &'static [u8] = b"pair";

    fn create(
        dev: &TypedDevice<Virtif>,
        rtnl: &Rtnl,
        arg: Option<&[u8]>,
    ) -> Result<Setup, LinkError> {
        let name = arg.unwrap_or_default();
        if !valid_ifname(name) {
            return Err(err(EINVAL, c"virtif: pair: needs a valid interface name"));
        }
        let mut cname = [0u8; IFNAMSIZ];
        cname[..name.len()].copy_from_slice(name);
        let cname = CStr::from_bytes_until_nul(&cname)
            .map_err(|_| err(EINVAL, c"virtif: pair: bad name"))?;
        let Some(other) = Device::get_by_name_locked(rtnl, dev.net(rtnl), cname) else {
            return Err(err(
                ENODEV,
                c"virtif: pair: no such interface in this namespace",
            ));
        };
        let Some(peer) = TypedDevice::<Virtif>::from_device(other) else {
            return Err(err(
                EINVAL,
                c"virtif: pair: the peer is not a virtif interface",
            ));
        };
        if **peer == **dev {
            return Err(err(
                EINVAL,
                c"virtif: pair: cannot pair an interface with itself",
            ));
        }
        // The peer must be free, unless it is our peer already (re-pairing the same two, which
        // keeps whether they are deleted together). Devices are compared, not indices: the two
        // ends may be in different namespaces.
        let ours = {
            let guard = kernel::sync::rcu::read_lock();
            dev.data()
                .backend_as::<Pair>(&guard)
                .filter(|p| p.peer.is(peer))
                .map(|p| p.together)
        };
        if ours.is_none() && peer.data().has_backend() {
            return Err(err(
                EBUSY,
                c"virtif: pair: the peer already has a backend (clear it or delete it first)",
            ));
        }
        Pair::join(dev, peer, ours.unwrap_or(false))
    }
}

#[kunit_tests(virtif_pair)]
mod tests {
    use kernel::net::device::valid_ifname;

    #[test]
    fn peer_names() {
        assert!(valid_ifname(b"virtif1"));
        assert!(valid_ifname(b"123456789012345"));
        assert!(!valid_ifname(b""));
        assert!(!valid_ifname(b"1234567890123456"));
        assert!(!valid_ifname(b"a/b"));
        assert!(!valid_ifname(b"a b"));
        assert!(!valid_ifname(b".."));
    }
}
