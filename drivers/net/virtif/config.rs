// SPDX-License-Identifier: GPL-2.0

//! Configuring an interface's backend, with RTNL held: the linkstr rules (shared by netlink and
//! sysfs), publishing a new backend and retiring the old one, carriers.
//!
//! Retiring a backend (`VIFHYPER_DYING`, unpublish, `VIFHYPER_DESTROY` after a grace period)
//! never waits for a grace period of its own at teardown: `dellink` only unpublishes, and the
//! backends are freed in `ndo_uninit`, after the grace period the unregistration waits for once
//! for all the devices it removes. A change of linkstr waits for one grace period, for both ends
//! of a pair at once.

#![forbid(unsafe_code)]

use crate::backend::{self, Setup};
use crate::linkstr::{self, err, LinkError};
use crate::vif::{Slot, Virtif};
use kernel::net::device::{Flags, TypedDevice};
use kernel::net::rtnl::{ExtAck, Rtnl, UnregisterList};
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::rcu;
use kernel::sync::rcu_box::Retired;

/// The backends taken off an interface (and off its peer): at most two.
pub(crate) type Unpublished = [Option<Retired<Slot>>; 2];

/// Reports `e` through `extack` and returns its errno.
pub(crate) fn fail(extack: &ExtAck<'_>, e: LinkError) -> Error {
    extack.set_msg(e.msg);
    e.errno
}

fn is_up(dev: &TypedDevice<Virtif>) -> bool {
    dev.flags().contains(Flags::UP)
}

/// Sets the carrier of `dev` (and of its pair peer) from its backend, given whether `dev` is up
/// (`ndo_open` runs before the core sets `IFF_UP`, hence the explicit `up`).
pub(crate) fn refresh_carriers(dev: &TypedDevice<Virtif>, up: bool) {
    let (on, peer) = {
        let guard = rcu::read_lock();
        match dev.data().backend(&guard) {
            None => (false, None),
            Some(b) => (up && b.connected(), b.peer().map(ARef::from)),
        }
    };
    set_carrier(dev, on);
    if let Some(peer) = peer {
        // The peer's wire is `dev`: its carrier is on when both are up.
        set_carrier(&peer, up && is_up(&peer));
    }
}

fn set_carrier(dev: &TypedDevice<Virtif>, on: bool) {
    if on {
        dev.carrier_on();
    } else {
        dev.carrier_off();
    }
}

/// Takes the backend off `dev` and, for a pair, off its peer: unpublish, then `VIFHYPER_DYING`
/// (outside of any RCU read-side section: ending a backend may free memory that needs process
/// context). No carrier for either. Readers may still use what is returned until a grace period
/// has elapsed.
fn unpublish(dev: &TypedDevice<Virtif>) -> Unpublished {
    let peer = {
        let guard = rcu::read_lock();
        let Some(b) = dev.data().backend(&guard) else {
            return [None, None];
        };
        b.peer().map(ARef::from)
    };
    let ours = dev.data().swap_backend(None);
    if let Some(old) = &ours {
        old.get().0.dying();
    }
    dev.carrier_off();
    // The peer is left joined to nothing, like a new interface: its backend (and with it its
    // reference to `dev`) goes too.
    let theirs = peer.and_then(|peer| {
        let ours_too = {
            let guard = rcu::read_lock();
            peer.data()
                .backend(&guard)
                .is_some_and(|b| b.peer().is_some_and(|p| **p == **dev))
        };
        if !ours_too {
            return None;
        }
        let old = peer.data().swap_backend(None);
        if let Some(old) = &old {
            old.get().0.dying();
        }
        peer.carrier_off();
        old
    });
    [ours, theirs]
}

/// Publishes a created backend on `dev`, and the peer's on the peer, replacing what they had.
/// Cannot fail: everything that can was done when the backend was created. Waits for one grace
/// period before the replaced backends are destroyed.
pub(crate) fn publish(dev: &TypedDevice<Virtif>, _rtnl: &Rtnl, setup: Setup) {
    let ours = unpublish(dev);
    let theirs = setup.peer.map(|(peer, slot)| {
        // Creating a pair checked that the peer is free or already ours, and RTNL has been held
        // since. Should it have a backend all the same, it is retired, never dropped unseen.
        let old = unpublish(&peer);
        if let Some(stale) = peer.data().swap_backend(Some(slot)) {
            pr_warn!(
                "virtif: {}: replaced a backend published meanwhile\n",
                peer.name().as_c_str()
            );
            drop(stale);
        }
        refresh_carriers(&peer, is_up(&peer));
        old
    });
    if let Some(stale) = dev.data().swap_backend(Some(setup.ours)) {
        pr_warn!(
            "virtif: {}: replaced a backend published meanwhile\n",
            dev.name().as_c_str()
        );
        drop(stale);
    }
    refresh_carriers(dev, is_up(dev));
    // One grace period for all of them (`Retired` waits only if none has elapsed).
    drop((ours, theirs));
}

/// Sets the linkstr of `dev`: parses it, creates the new backend (`VIFHYPER_CREATE`) and
/// replaces the old one. Refused with `EBUSY` while the interface is up; nothing changes on
/// any error.
pub(crate) fn set_linkstr(
    dev: &TypedDevice<Virtif>,
    rtnl: &Rtnl,
    text: &[u8],
    extack: &ExtAck<'_>,
) -> Result {
    let spec = linkstr::parse(text).map_err(|e| fail(extack, e))?;
    if is_up(dev) {
        return Err(fail(
            extack,
            err(
                EBUSY,
                c"virtif: cannot change the linkstr while the interface is up",
            ),
        ));
    }
    let setup = backend::create(dev, rtnl, &spec).map_err(|e| fail(extack, e))?;
    publish(dev, rtnl, setup);
    Ok(())
}

/// `dellink`: the interface is about to be unregistered. Its backend (and its peer's) are
/// unpublished now and kept until [`uninit`], after the unregistration's grace period. A pair
/// made with `peer` takes its peer along: queued on `list`, it is unregistered in the same batch.
pub(crate) fn dellink(dev: &TypedDevice<Virtif>, rtnl: &Rtnl, list: &mut UnregisterList<'_>) {
    let taken = {
        let guard = rcu::read_lock();
        dev.data()
            .backend(&guard)
            .filter(|b| b.takes_peer())
            .and_then(|b| b.peer())
            .map(ARef::from)
    };
    let [ours, theirs] = unpublish(dev);
    // The peer goes too if it was still joined to this interface (`theirs`: its backend).
    if let (Some(peer), true) = (taken, theirs.is_some()) {
        list.queue(&peer, rtnl);
    }
    for old in [ours, theirs].into_iter().flatten() {
        dev.data().keep_retired(old);
    }
}

/// `ndo_uninit`: frees what [`dellink`] unpublished (a grace period has elapsed). A backend
/// still published (an unregistration without `dellink`) is retired now, waiting for a grace
/// period.
pub(crate) fn uninit(dev: &TypedDevice<Virtif>, _rtnl: &Rtnl) {
    dev.data().free_retired();
    drop(unpublish(dev));
}
