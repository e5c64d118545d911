// SPDX-License-Identifier: GPL-2.0

//! sysfs attributes of network devices: a driver-specific group under
//! `/sys/class/net/<dev>/<group>/` (`net_device::sysfs_groups`), declared by
//! [`DeviceOps::SYSFS_GROUP`] and [`DeviceOps::SYSFS_ATTRIBUTES`].
//!
//! C headers: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h),
//! [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::net::device::{reg_state, DeviceOps, TypedDevice};
use crate::net::rtnl::Rtnl;
use crate::prelude::*;
use crate::str::CStr;
use core::marker::PhantomData;

/// Size of the buffer `show` writes to (`PAGE_SIZE`).
const SHOW_BUF_SIZE: usize = crate::page::PAGE_SIZE;

/// One attribute: a file in the group's directory.
#[derive(Clone, Copy)]
pub struct Attribute {
    /// The file name.
    pub name: &'static CStr,
    /// Permissions: `0o444` for read-only, `0o644` for read-write (stores still need
    /// `CAP_NET_ADMIN` over the device's namespace).
    pub mode: u16,
}

/// The buffer that [`DeviceOps::sysfs_show`] writes a value into (one page).
///
/// # Invariants
///
/// `buf` points to `SHOW_BUF_SIZE` writable bytes, of which the first `len` were written.
pub struct ShowBuffer<'a> {
    buf: *mut u8,
    len: usize,
    _p: PhantomData<&'a mut [u8]>,
}

impl ShowBuffer<'_> {
    /// Appends `data`; fails with `EFBIG` (and appends nothing) if it does not fit.
    pub fn write_bytes(&mut self, data: &[u8]) -> Result {
        if data.len() > SHOW_BUF_SIZE - self.len {
            return Err(EFBIG);
        }
        // SAFETY: By the type invariants `buf` has room for `SHOW_BUF_SIZE` bytes, and we checked
        // that `data` fits after the `len` bytes already written; `data` cannot overlap the
        // buffer, which only this `ShowBuffer` may access.
        unsafe {
            core::ptr::copy_nonoverlapping(data.as_ptr(), self.buf.add(self.len), data.len())
        };
        // INVARIANT: `len + data.len() <= SHOW_BUF_SIZE` bytes are now written.
        self.len += data.len();
        Ok(())
    }
}

/// A `struct device_attribute` of device type `T`, with its index in
/// [`DeviceOps::SYSFS_ATTRIBUTES`] beside it: the callbacks find it from the attribute pointer
/// sysfs gives them (`container_of`), without looking up names.
#[doc(hidden)]
#[repr(C)]
pub struct Attr<T> {
    /// The C attribute; must stay the first field.
    pub attr: bindings::device_attribute,
    index: usize,
    _p: PhantomData<T>,
}

/// The attributes of device type `T`, a static declared by [`crate::net_device_type!`].
#[doc(hidden)]
#[repr(transparent)]
pub struct Attrs<T, const N: usize>(pub [Attr<T>; N]);

// SAFETY: Immutable after initialisation; only holds pointers to static strings and functions.
unsafe impl<T, const N: usize> Sync for Attrs<T, N> {}

impl<T: DeviceOps, const N: usize> Attrs<T, N> {
    /// The attributes of `T`; `N` must be `T::SYSFS_ATTRIBUTES.len()`.
    pub const fn new() -> Self {
        assert!(N == T::SYSFS_ATTRIBUTES.len());
        // SAFETY: All-zeroes is a valid `device_attribute` (no name, no callbacks).
        let mut out: [Attr<T>; N] = unsafe { core::mem::zeroed() };
        let mut i = 0;
        while i < N {
            let a = &T::SYSFS_ATTRIBUTES[i];
            out[i].attr.attr.name = crate::str::as_char_ptr_in_const_context(a.name);
            out[i].attr.attr.mode = a.mode;
            out[i].attr.__bindgen_anon_1.show = Some(show::<T>);
            out[i].attr.__bindgen_anon_2.store = if a.mode & 0o222 != 0 {
                Some(store::<T>)
            } else {
                None
            };
            out[i].index = i;
            i += 1;
        }
        Self(out)
    }
}

impl<T: DeviceOps, const N: usize> Default for Attrs<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

/// The NULL-terminated array of pointers to the attributes of a group (`M` = their number + 1).
#[doc(hidden)]
#[repr(transparent)]
pub struct AttrPtrs<const M: usize>([*mut bindings::attribute; M]);

// SAFETY: Immutable after initialisation; only holds pointers to statics.
unsafe impl<const M: usize> Sync for AttrPtrs<M> {}

impl<const M: usize> AttrPtrs<M> {
    /// All NULL.
    pub const EMPTY: Self = Self([core::ptr::null_mut(); M]);

    /// Sets entry `i` to the attribute `a`.
    pub const fn set(&mut self, i: usize, a: &'static bindings::device_attribute) {
        self.0[i] = (&raw const a.attr).cast_mut();
    }

    /// The array, for [`Group::new`].
    pub const fn as_ptr(&'static self) -> *const *mut bindings::attribute {
        self.0.as_ptr()
    }
}

/// A sysfs attribute group (`struct attribute_group`), a static declared by
/// [`crate::net_device_type!`].
#[doc(hidden)]
#[repr(transparent)]
pub struct Group(bindings::attribute_group);

// SAFETY: Immutable; only holds pointers to statics.
unsafe impl Sync for Group {}

impl Group {
    /// A group named `name` whose attributes are the NULL-terminated array `attrs`.
    pub const fn new(name: &'static CStr, attrs: *const *mut bindings::attribute) -> Self {
        // SAFETY: All-zeroes is a valid, empty `attribute_group`.
        let mut g: bindings::attribute_group = unsafe { core::mem::zeroed() };
        g.name = crate::str::as_char_ptr_in_const_context(name);
        g.__bindgen_anon_2.attrs = attrs.cast_mut();
        Self(g)
    }

    pub(crate) fn as_raw(&'static self) -> *const bindings::attribute_group {
        &self.0
    }
}

impl<T, const N: usize> Attrs<T, N> {
    /// Attribute `i`, for [`AttrPtrs::set`].
    pub const fn attr(&'static self, i: usize) -> &'static bindings::device_attribute {
        &self.0[i].attr
    }
}

/// # Safety
///
/// `attr` must be the `attr` field of an [`Attr<T>`].
unsafe fn index_of<T>(attr: *mut bindings::device_attribute) -> usize {
    // SAFETY: `attr` is the first field of a `#[repr(C)]` `Attr<T>`, see above.
    unsafe { (*attr.cast::<Attr<T>>()).index }
}

/// # Safety
///
/// Called by sysfs for a file of the group of a device set up for `T`, with `buf` one page.
unsafe extern "C" fn show<T: DeviceOps>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *mut c_char,
) -> isize {
    // SAFETY: The device of a network device's sysfs files is the `dev` field of its
    // `struct net_device`.
    let ndev = unsafe { bindings::to_net_dev(dev) };
    // SAFETY: The group is only installed on devices set up for `T` (by `setup_callback::<T>()`),
    // whose private data is initialised before registration and freed only after unregistration
    // removed the files and waited for active callbacks.
    let tdev = unsafe { TypedDevice::<T>::from_raw(ndev) };
    // SAFETY: sysfs calls us with an attribute of our group.
    let index = unsafe { index_of::<T>(attr) };
    // INVARIANT: sysfs hands `show` a page-sized buffer.
    let mut out = ShowBuffer {
        buf: buf.cast(),
        len: 0,
        _p: PhantomData,
    };
    match T::sysfs_show(tdev, index, &mut out) {
        Ok(()) => out.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by sysfs for a file of the group of a device set up for `T`, with `count` bytes at
/// `buf`.
unsafe extern "C" fn store<T: DeviceOps>(
    dev: *mut bindings::device,
    attr: *mut bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: As in `show`.
    let ndev = unsafe { bindings::to_net_dev(dev) };
    // SAFETY: sysfs calls us with an attribute of our group.
    let index = unsafe { index_of::<T>(attr) };
    // Like every net-sysfs store: CAP_NET_ADMIN over the device's namespace.
    // SAFETY: The device is valid while its sysfs callbacks run; `nd_net` is only changed under
    // RTNL when the device moves, and the namespace is alive while the device is in it.
    let user_ns = unsafe { (*bindings::dev_net(ndev)).user_ns };
    // SAFETY: `user_ns` is held by the namespace.
    if !unsafe { bindings::ns_capable(user_ns, bindings::CAP_NET_ADMIN as i32) } {
        return EPERM.to_errno() as isize;
    }
    // `netdev_group_rtnl_lock()` (`sysfs_rtnl_lock()` for a file of a group): takes RTNL,
    // sleeping interruptibly, while letting an unregistration that waits for this callback go
    // ahead, and fails if the device is being dismantled.
    // SAFETY: `ndev` is valid during the callback; the group name is a static C string and
    // `attr` is the attribute sysfs called us for.
    let ret = unsafe {
        bindings::netdev_group_rtnl_lock(
            ndev,
            T::SYSFS_GROUP.as_char_ptr(),
            &raw const (*attr).attr,
        )
    };
    if ret != 0 {
        return ret as isize;
    }
    // SAFETY: `ndev` is valid and RTNL is held.
    let res = if unsafe { reg_state(ndev) } != bindings::netdev_reg_state_NETREG_REGISTERED {
        Err(ENODEV)
    } else {
        // SAFETY: As in `show`; the device is registered.
        let tdev = unsafe { TypedDevice::<T>::from_raw(ndev) };
        // SAFETY: RTNL is held until after the last use of `rtnl`.
        let rtnl = unsafe { Rtnl::assume_held() };
        // SAFETY: sysfs passes `count` readable bytes at `buf`, valid for this call.
        let data = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };
        T::sysfs_store(tdev, rtnl, index, data)
    };
    // SAFETY: `netdev_group_rtnl_lock()` took RTNL above.
    unsafe { bindings::rtnl_unlock() };
    match res {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}
