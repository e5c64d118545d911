// SPDX-License-Identifier: GPL-2.0

//! An owned, optional value published to RCU readers.
//!
//! [`RcuBox<T>`] is the Rust form of a `struct foo __rcu *` field that owns
//! what it points to: readers get a `&T` inside an RCU read-side critical
//! section without taking any lock or touching a shared cache line; writers
//! replace the value with [`RcuBox::replace`], which waits for a grace period
//! before handing the old value back, so it is only dropped once no reader can
//! see it any more.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use crate::alloc::{AllocError, Flags, KBox};
use crate::prelude::*;
use crate::sync::atomic::{Acquire, Atomic, Full};
use crate::sync::rcu;
use core::ptr;

/// An optional `KBox<T>` that RCU readers can borrow without locking.
///
/// # Invariants
///
/// `ptr` is null or was returned by [`KBox::into_raw`], and that box is owned by this
/// [`RcuBox`]. A box is only freed after it was unpublished (`ptr` no longer points to it) and a
/// full RCU grace period elapsed, or when no reader can hold a reference to it (in [`Drop`], which
/// requires exclusive access).
pub struct RcuBox<T: Send + Sync> {
    ptr: Atomic<*mut T>,
}

// SAFETY: `RcuBox<T>` owns a `T` and hands out `&T` to any thread and moves `T` between threads
// (the writer that replaces it drops it), which `T: Send + Sync` allows.
unsafe impl<T: Send + Sync> Send for RcuBox<T> {}
// SAFETY: Shared access only gives `&T` (needs `T: Sync`) or moves whole values in and out
// atomically (needs `T: Send`).
unsafe impl<T: Send + Sync> Sync for RcuBox<T> {}

impl<T: Send + Sync> RcuBox<T> {
    /// Creates an empty [`RcuBox`].
    pub const fn new() -> Self {
        // INVARIANT: `ptr` is null.
        Self { ptr: Atomic::new(ptr::null_mut()) }
    }

    /// Creates an [`RcuBox`] holding `value`.
    pub fn new_with(value: T, flags: Flags) -> Result<Self, AllocError> {
        let b = KBox::new(value, flags)?;
        // INVARIANT: `ptr` comes from `KBox::into_raw` and is owned by the new `RcuBox`.
        Ok(Self { ptr: Atomic::new(KBox::into_raw(b)) })
    }

    /// Returns the current value, borrowed for as long as both `self` and the RCU read-side
    /// critical section `guard` live (`rcu_dereference()`).
    pub fn get<'a>(&'a self, _guard: &'a rcu::Guard) -> Option<&'a T> {
        // Acquire pairs with the full barrier of `replace()`: the contents of the box are
        // visible once its address is (what `rcu_dereference()` gets from address dependency).
        let p = self.ptr.load(Acquire);
        // SAFETY: `p` is null or points to a live `T` owned by `self` (type invariant). It is
        // freed only after being unpublished and a grace period has elapsed; the grace period
        // cannot end while `_guard` is held, and the borrow of `self` keeps `Drop` from running.
        unsafe { p.as_ref() }
    }

    /// Returns whether a value is set. The answer may be stale as soon as it is returned unless
    /// the caller excludes writers.
    pub fn is_some(&self) -> bool {
        !self.ptr.load(Acquire).is_null()
    }

    /// Publishes `new` (`rcu_assign_pointer()`), waits for all readers that may still see the
    /// previous value (`synchronize_rcu()`), and returns it.
    ///
    /// Concurrent calls are safe: each previous value is returned to exactly one caller. This
    /// sleeps, so it must be called in process context, outside of any RCU read-side critical
    /// section.
    pub fn replace(&self, new: Option<KBox<T>>) -> Option<KBox<T>> {
        let newp = new.map_or(ptr::null_mut(), KBox::into_raw);
        // INVARIANT: `newp` is null or comes from `KBox::into_raw`; ownership of it moves into
        // `self` and ownership of the previous pointer moves out. `Full` orders the
        // initialisation of `*newp` before its publication (`rcu_assign_pointer()`).
        let old = self.ptr.xchg(newp, Full);
        if old.is_null() {
            return None;
        }
        rcu::synchronize_rcu();
        // SAFETY: `old` came from `KBox::into_raw` (type invariant), was unpublished above, and a
        // grace period has elapsed since: no reader holds a reference to it any more, and this is
        // the only caller that got `old` back from `xchg`.
        Some(unsafe { KBox::from_raw(old) })
    }

    /// Like [`RcuBox::replace`] with `None`, dropping the old value after the grace period.
    pub fn clear(&self) {
        drop(self.replace(None));
    }
}

impl<T: Send + Sync> Default for RcuBox<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + Sync> Drop for RcuBox<T> {
    fn drop(&mut self) {
        let p = self.ptr.xchg(ptr::null_mut(), Full);
        if !p.is_null() {
            // SAFETY: `p` came from `KBox::into_raw` (type invariant). `drop` has exclusive access
            // to `self`, so no `&T` obtained through `get` (which borrows `self`) is still alive.
            drop(unsafe { KBox::from_raw(p) });
        }
    }
}
