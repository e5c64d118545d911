// SPDX-License-Identifier: GPL-2.0

//! Backends: what carries an interface's frames (rump's `VIFHYPER_*`).
//!
//! # The backend contract
//!
//! | rump                 | virtif                                              |
//! |----------------------|-----------------------------------------------------|
//! | `VIFHYPER_CREATE`    | `link::set_linkstr`, from a parsed linkstr, RTNL    |
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
//! - The backend is unpublished first (RCU): once `dying` is called, `send`
//!   is not running and will not be called again. After `dying` returns, the
//!   backend must not call `deliver` any more; it is then dropped (DESTROY),
//!   in process context.

#![forbid(unsafe_code)]

use crate::device::Virtif;
use crate::user::Channel;
use kernel::net::device::{TrackedRef, TxResult, TypedDevice};
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;
use kernel::sync::Arc;

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
/// only has the frame's segments. When either end is deleted, both lose
/// their backend (see `link::detach`), so the reference to the peer never
/// outlives the pairing.
pub(crate) struct PairBackend {
    /// The other end (a tracked reference: a leak would name its taker).
    pub(crate) peer: TrackedRef<TypedDevice<Virtif>>,
}

impl Backend for PairBackend {
    fn send(&self, _dev: &TypedDevice<Virtif>, frame: &[&[u8]]) -> Result {
        crate::rx::deliver(&self.peer, frame)
    }
}

/// `user`: a process carries the frames through `/dev/virtif` (see `user.rs`).
///
/// The transmit path queues the packet itself for the reader; [`Backend::send`]
/// is the general path, which copies the segments into a new packet first.
pub(crate) struct UserBackend {
    pub(crate) chan: Arc<Channel>,
}

impl Backend for UserBackend {
    fn send(&self, dev: &TypedDevice<Virtif>, frame: &[&[u8]]) -> Result {
        let skb = SkBuff::from_slices(dev, frame)?;
        match self.chan.xmit(dev, skb) {
            TxResult::Ok => Ok(()),
            TxResult::Busy(_) => Err(ENOBUFS),
        }
    }

    fn dying(&self) {
        self.chan.dying();
    }
}

/// The backend attached to an interface.
pub(crate) enum AnyBackend {
    Loop(LoopBackend),
    Pair(PairBackend),
    User(UserBackend),
}

impl AnyBackend {
    pub(crate) fn as_dyn(&self) -> &dyn Backend {
        match self {
            AnyBackend::Loop(b) => b,
            AnyBackend::Pair(b) => b,
            AnyBackend::User(b) => b,
        }
    }
}
