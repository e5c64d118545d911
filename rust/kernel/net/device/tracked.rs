// SPDX-License-Identifier: GPL-2.0

//! Device references recorded by the reference tracker.

use super::{AsDevice, Device};
use crate::bindings;
use core::{ops::Deref, ptr::NonNull};

/// An owned reference to a network device, recorded by the device's reference tracker.
///
/// Like an [`ARef`](crate::sync::aref::ARef), but taken with `netdev_hold()` and released with
/// `netdev_put()`: with `CONFIG_NET_DEV_REFCNT_TRACKER` the core records the stack that took
/// each such reference and prints it when an unregistration waits for it, or when it is released
/// twice. Use it for references kept for long (in private data, in state shared with a file).
///
/// # Invariants
///
/// `ptr` points to a registered device (of type `D`) on which this object owns one reference,
/// taken with `netdev_hold()` on `tracker`.
pub struct TrackedRef<D: AsDevice> {
    ptr: NonNull<D>,
    tracker: bindings::netdevice_tracker,
}

// SAFETY: The reference may be released from any thread (`netdev_put()` takes no lock the caller
// could hold, and the tracker is freed with its own spinlock), and `D` is `Send + Sync`.
unsafe impl<D: AsDevice> Send for TrackedRef<D> {}
// SAFETY: A `&TrackedRef<D>` only gives out `&D`, and `D` is `Sync`.
unsafe impl<D: AsDevice> Sync for TrackedRef<D> {}

impl<D: AsDevice> TrackedRef<D> {
    /// Takes a tracked reference on `dev`. `flags` are for the tracker's allocation (use
    /// `GFP_ATOMIC` in atomic context); if it fails, the reference is still taken, untracked.
    pub fn new(dev: &D, flags: crate::alloc::Flags) -> Self {
        // SAFETY: `netdevice_tracker` is a pointer (`struct ref_tracker *`) or an empty struct,
        // for which all zeroes are valid ("no tracker").
        let mut tracker: bindings::netdevice_tracker = unsafe { core::mem::zeroed() };
        // SAFETY: By the invariants of `D` the device is registered and valid (the caller holds
        // a reference for the lifetime of `dev`); `tracker` is a valid place for the tracker.
        unsafe { bindings::netdev_hold(dev.as_device().as_raw(), &mut tracker, flags.as_raw()) };
        // INVARIANT: One reference was taken on `tracker` just above.
        Self {
            ptr: NonNull::from(dev),
            tracker,
        }
    }

    /// Returns whether `self` refers to `dev`.
    pub fn is(&self, dev: &Device) -> bool {
        core::ptr::eq(self.as_device(), dev)
    }
}

impl<D: AsDevice> Deref for TrackedRef<D> {
    type Target = D;

    fn deref(&self) -> &D {
        // SAFETY: By the type invariant we own a reference, so the device stays valid (and of
        // type `D`) for as long as `self` lives.
        unsafe { self.ptr.as_ref() }
    }
}

impl<D: AsDevice> Drop for TrackedRef<D> {
    fn drop(&mut self) {
        let dev = self.as_device().as_raw();
        // SAFETY: By the type invariant we own one reference on `dev`, taken on `self.tracker`;
        // it is released exactly once, here.
        unsafe { bindings::netdev_put(dev, &mut self.tracker) };
    }
}
