// SPDX-License-Identifier: GPL-2.0

//! Backends: what carries an interface's frames (rump's `VIFHYPER_*`).
//!
//! # The backend contract
//!
//! | rump                 | virtif                                              |
//! |----------------------|-----------------------------------------------------|
//! | `VIFHYPER_CREATE`    | [`create`] from a parsed linkstr, under RTNL         |
//! | `VIFHYPER_SEND`      | [`Backend::send`], one frame as a slice of slices   |
//! | `VIFHYPER_DYING`     | [`Backend::dying`], under RTNL                       |
//! | `VIFHYPER_DESTROY`   | dropping the backend, process context               |
//! | `VIF_DELIVERPKT`     | [`crate::rx::deliver`], one frame as slice of slices |
//!
//! - `send` runs in the transmit path: bottom halves disabled, must not sleep,
//!   may run on several CPUs at once. The slices borrow the packet only for
//!   the call: a backend that keeps a frame must copy it. It returns `Ok` when
//!   it took the frame; an error drops and counts it (`tx_drop_backend`).
//!   There is no limit on the number of slices (the linear part, every page
//!   fragment, and the fragment list of the packet).
//! - `deliver` may be called from any context that may run softirq-safe code
//!   (BH disabled or process context), on any CPU, concurrently. It copies the
//!   frame, so the caller keeps ownership of its buffers.
//! - After `dying` returns, the backend must not call `deliver` any more and
//!   `send` is not called again; the backend is then dropped.

#![forbid(unsafe_code)]

use crate::device::Virtif;
use kernel::net::device::TypedDevice;
use kernel::prelude::*;
use kernel::sync::aref::ARef;

/// The operations of a backend.
pub(crate) trait Backend: Send + Sync {
    /// Carries one transmitted frame of `dev`, given as its data segments.
    fn send(&self, dev: &TypedDevice<Virtif>, frame: &[&[u8]]) -> Result;

    /// The interface is going away or changing backend: stop delivering.
    fn dying(&self) {}
}

/// `loop`: every transmitted frame comes back in, through the regular
/// (copying) delivery path.
pub(crate) struct LoopBackend;

impl Backend for LoopBackend {
    fn send(&self, dev: &TypedDevice<Virtif>, frame: &[&[u8]]) -> Result {
        crate::rx::deliver(dev, frame)
    }
}

/// `pair:IFNAME`: two virtif interfaces joined like a veth pair.
///
/// The transmit path hands the packet to the peer without copying (see
/// `device.rs`); [`Backend::send`] is the general path used when a caller
/// only has the frame's segments.
pub(crate) struct PairBackend {
    /// The other end; `None` once it was deleted.
    pub(crate) peer: Option<ARef<TypedDevice<Virtif>>>,
}

impl Backend for PairBackend {
    fn send(&self, _dev: &TypedDevice<Virtif>, frame: &[&[u8]]) -> Result {
        match &self.peer {
            Some(peer) => crate::rx::deliver(peer, frame),
            None => Err(ENOTCONN),
        }
    }
}

/// The backend attached to an interface.
pub(crate) enum AnyBackend {
    Loop(LoopBackend),
    Pair(PairBackend),
}

impl AnyBackend {
    pub(crate) fn as_dyn(&self) -> &dyn Backend {
        match self {
            AnyBackend::Loop(b) => b,
            AnyBackend::Pair(b) => b,
        }
    }
}
