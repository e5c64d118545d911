// SPDX-License-Identifier: GPL-2.0

//! An owned, optional value published to RCU readers.
//!
//! [`RcuBox<T>`] is the Rust form of a `struct foo __rcu *` field that owns what it points to:
//! readers get a `&T` inside an RCU read-side critical section without taking any lock or
//! touching a shared cache line. Writers unpublish the value with [`RcuBox::swap`], which hands
//! the old value back as [`Retired`]: it cannot be accessed any more, and it is only dropped
//! once a full RCU grace period has elapsed since it was unpublished. Waiting for that grace
//! period is free when one has already elapsed (`cond_synchronize_rcu()`), so a writer that
//! retires many values, or that retires them before a grace period it waits for anyway (a
//! network device's unregistration, for example), waits at most once.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use crate::alloc::KBox;
use crate::sync::atomic::{Acquire, Atomic, Full};
use crate::sync::rcu;
use core::mem::ManuallyDrop;
use core::ptr;

/// An optional `KBox<T>` that RCU readers can borrow without locking.
///
/// # Invariants
///
/// `ptr` is null or was returned by [`KBox::into_raw`], and that box is owned by this
/// [`RcuBox`]. A box is only freed after it was unpublished (`ptr` no longer points to it) and a
/// full RCU grace period elapsed ([`Retired`]), or when no reader can hold a reference to it (in
/// [`Drop`], which requires exclusive access).
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
        Self {
            ptr: Atomic::new(ptr::null_mut()),
        }
    }

    /// Returns the current value, borrowed for as long as both `self` and the RCU read-side
    /// critical section `guard` live (`rcu_dereference()`).
    pub fn get<'a>(&'a self, _guard: &'a rcu::Guard) -> Option<&'a T> {
        // Acquire pairs with the full barrier of `swap()`: the contents of the box are visible
        // once its address is (what `rcu_dereference()` gets from address dependency).
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

    /// Publishes `new` (`rcu_assign_pointer()`) and returns the previous value, which readers
    /// may still be using: it is freed, or handed back by [`Retired::into_inner`], only after a
    /// grace period. Does not sleep.
    ///
    /// Concurrent calls are safe: each previous value is returned to exactly one caller.
    pub fn swap(&self, new: Option<KBox<T>>) -> Option<Retired<T>> {
        let newp = new.map_or(ptr::null_mut(), KBox::into_raw);
        // INVARIANT: `newp` is null or comes from `KBox::into_raw`; ownership of it moves into
        // `self` and ownership of the previous pointer moves out. `Full` orders the
        // initialisation of `*newp` before its publication (`rcu_assign_pointer()`) and the
        // unpublication of the old value before the grace-period snapshot below.
        let old = self.ptr.xchg(newp, Full);
        if old.is_null() {
            return None;
        }
        // SAFETY: FFI call without preconditions.
        let cookie = unsafe { bindings::get_state_synchronize_rcu() };
        // INVARIANT: `old` came from `KBox::into_raw` (type invariant of `self`) and was
        // unpublished before `cookie` was taken.
        Some(Retired { ptr: old, cookie })
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

/// A value unpublished from an [`RcuBox`] that RCU readers may still be using.
///
/// It cannot be accessed until a grace period has elapsed. Dropping it drops the value after
/// such a grace period, waiting for one if none has elapsed since the value was unpublished
/// (`cond_synchronize_rcu()`): it may sleep, so it must be dropped in process context, outside
/// of any RCU read-side critical section and without spinlocks held.
///
/// # Invariants
///
/// `ptr` came from [`KBox::into_raw`], is owned by this object, and was unpublished (no
/// [`RcuBox`] points to it any more) before `cookie` was taken with
/// `get_state_synchronize_rcu()`.
pub struct Retired<T> {
    ptr: *mut T,
    cookie: usize,
}

// SAFETY: `Retired<T>` owns a `T` that it only drops or hands back whole.
unsafe impl<T: Send> Send for Retired<T> {}
// SAFETY: `&Retired<T>` gives access to the `T` only through `Retired::get`, which requires
// `T: Sync`.
unsafe impl<T> Sync for Retired<T> {}

impl<T: Sync> Retired<T> {
    /// The value, shared: RCU readers may still hold `&T` too, which `T: Sync` allows. (The
    /// value is only dropped or handed back whole once a grace period has elapsed.)
    pub fn get(&self) -> &T {
        // SAFETY: `ptr` came from `KBox::into_raw` and is owned by us (type invariant), so it is
        // valid until we drop it, which `&self` prevents; readers only ever have shared
        // references to it, and `T: Sync` makes one more sound.
        unsafe { &*self.ptr }
    }
}

impl<T> Retired<T> {
    /// Waits until no RCU reader can see the value (if a grace period has not elapsed yet since
    /// it was unpublished) and returns it. Sleeps.
    pub fn into_inner(self) -> KBox<T> {
        crate::task::might_sleep();
        let this = ManuallyDrop::new(self);
        // SAFETY: FFI call; we are in process context (see the type documentation).
        unsafe { bindings::cond_synchronize_rcu(this.cookie) };
        // SAFETY: `ptr` came from `KBox::into_raw` and is owned by us (type invariant); a grace
        // period has elapsed since it was unpublished, so no reader can still hold a reference.
        unsafe { KBox::from_raw(this.ptr) }
    }
}

impl<T> Drop for Retired<T> {
    fn drop(&mut self) {
        crate::task::might_sleep();
        // SAFETY: FFI call; we are in process context (see the type documentation).
        unsafe { bindings::cond_synchronize_rcu(self.cookie) };
        // SAFETY: `ptr` came from `KBox::into_raw` and is owned by us (type invariant); a grace
        // period has elapsed since it was unpublished, so no reader can still hold a reference.
        drop(unsafe { KBox::from_raw(self.ptr) });
    }
}
