// SPDX-License-Identifier: GPL-2.0

//! Network namespaces.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use crate::{bindings, types::Opaque};

/// A network namespace (`struct net`).
///
/// # Invariants
///
/// A `&Net` points to a valid, alive `struct net` for the lifetime of the reference.
#[repr(transparent)]
pub struct Net(Opaque<bindings::net>);

// SAFETY: `Net` only exposes operations that may be performed from any thread.
unsafe impl Send for Net {}
// SAFETY: `Net` only exposes operations that may be performed concurrently.
unsafe impl Sync for Net {}

impl Net {
    /// Creates a reference to a [`Net`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a `struct net` that stays alive for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net) -> &'a Net {
        // SAFETY: `Net` is a transparent wrapper of `struct net`, and the caller guarantees that
        // the object is alive for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer to the `struct net`.
    pub fn as_raw(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// Calls `f` with the network namespace of the current task (`current->nsproxy->net_ns`),
    /// and returns its result; returns `None` without calling `f` if the task has no
    /// namespaces any more (an exiting task, e.g. while its files are closed).
    ///
    /// Must be called from process context.
    pub fn with_current<R>(f: impl for<'a> FnOnce(&'a Net) -> R) -> Option<R> {
        // SAFETY: FFI call; the helper reads `current->nsproxy` under the task's own (it is only
        // changed by the task itself) and returns NULL if it is gone.
        let ptr = unsafe { bindings::current_net() };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: The namespace is held by the current task's nsproxy, which only the task itself
        // can replace (setns, unshare) or drop (exit), and it does neither while it runs `f`.
        Some(f(unsafe { Self::from_raw(ptr) }))
    }

    /// Returns whether the current task has `CAP_NET_ADMIN` in the user namespace that owns
    /// this network namespace (`ns_capable(net->user_ns, CAP_NET_ADMIN)`), the check that
    /// guards configuring the namespace's interfaces.
    pub fn net_admin_capable(&self) -> bool {
        // SAFETY: `self` is alive, so its `user_ns` is a valid user namespace that it holds a
        // reference to.
        unsafe { bindings::ns_capable((*self.as_raw()).user_ns, bindings::CAP_NET_ADMIN as i32) }
    }
}

impl PartialEq for Net {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for Net {}
