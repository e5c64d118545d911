// SPDX-License-Identifier: GPL-2.0

//! The backends, one file per kind, and the table that the linkstr's kind selects from.
//!
//! A backend kind is a [`Backend`] that also implements [`BackendKind`]: its name in the linkstr
//! and how it is created from the linkstr's argument (`VIFHYPER_CREATE`). Adding one takes a new
//! file here and one line in [`backend_kinds!`]'s table below.

#![forbid(unsafe_code)]

pub(crate) mod copy;
mod loopback;
mod pair;
pub(crate) mod user;

use crate::linkstr::{err, LinkError, Linkstr};
use crate::vif::{Backend, Slot, Virtif};
use kernel::net::device::TypedDevice;
use kernel::net::rtnl::Rtnl;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

pub(crate) use pair::Pair;

/// A kind of backend, as named by the linkstr.
pub(crate) trait BackendKind: Backend + Sized {
    /// The kind's name: what the linkstr starts with.
    const NAME: &'static [u8];

    /// Creates the backend of `dev` (`VIFHYPER_CREATE`) from the linkstr's argument (what
    /// follows `NAME:`), with RTNL held. Nothing is published yet: failing leaves everything as
    /// it was.
    fn create(
        dev: &TypedDevice<Virtif>,
        rtnl: &Rtnl,
        arg: Option<&[u8]>,
    ) -> Result<Setup, LinkError>;
}

/// A created backend, ready to be published: the interface's, and for a kind that joins two
/// interfaces (a pair), the other interface's.
pub(crate) struct Setup {
    pub(crate) ours: KBox<Slot>,
    pub(crate) peer: Option<(ARef<TypedDevice<Virtif>>, KBox<Slot>)>,
}

fn slot(b: impl Backend) -> Result<KBox<Slot>, LinkError> {
    let nomem = || err(ENOMEM, c"virtif: out of memory");
    let b: KBox<dyn Backend> = KBox::new(b, GFP_KERNEL).map_err(|_| nomem())?;
    KBox::new(Slot(b), GFP_KERNEL).map_err(|_| nomem())
}

impl Setup {
    /// The backend of one interface.
    pub(crate) fn new(b: impl Backend) -> Result<Setup, LinkError> {
        Ok(Setup {
            ours: slot(b)?,
            peer: None,
        })
    }

    /// The backends of two interfaces joined together: `ours`, and `theirs` for `peer`.
    pub(crate) fn with_peer(
        ours: impl Backend,
        peer: &TypedDevice<Virtif>,
        theirs: impl Backend,
    ) -> Result<Setup, LinkError> {
        Ok(Setup {
            ours: slot(ours)?,
            peer: Some((ARef::from(peer), slot(theirs)?)),
        })
    }
}

macro_rules! backend_kinds {
    ($($usage:literal => $kind:ty,)*) => {
        /// Creates the backend that `spec` names (`VIFHYPER_CREATE`).
        pub(crate) fn create(
            dev: &TypedDevice<Virtif>,
            rtnl: &Rtnl,
            spec: &Linkstr<'_>,
        ) -> Result<Setup, LinkError> {
            $(
                if spec.kind == <$kind as BackendKind>::NAME {
                    return <$kind as BackendKind>::create(dev, rtnl, spec.arg);
                }
            )*
            Err(err(EINVAL, kernel::c_str!(concat!(
                "virtif: unknown backend in linkstr (known:", $(" ", $usage,)* ")"
            ))))
        }
    };
}

// The backend kinds: how each appears in the linkstr, and its type.
backend_kinds! {
    "loop" => loopback::Loop,
    "pair:IFNAME" => pair::Pair,
    "user" => user::User,
}
