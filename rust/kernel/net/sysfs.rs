// SPDX-License-Identifier: GPL-2.0

//! sysfs attributes of network devices: a driver-specific group under
//! `/sys/class/net/<dev>/<group>/` (`net_device::sysfs_groups`).
//!
//! C headers: [`include/linux/sysfs.h`](srctree/include/linux/sysfs.h),
//! [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h)

use crate::net::device::{reg_state, DeviceOps, TypedDevice, Unregistered};
use crate::net::rtnl::Rtnl;
use crate::prelude::*;
use crate::str::CStr;
use core::marker::PhantomData;

/// The largest number of attributes in a group.
pub const MAX_ATTRIBUTES: usize = 8;

/// Size of the buffer `show` writes to (`PAGE_SIZE`).
const SHOW_BUF_SIZE: usize = crate::page::PAGE_SIZE;

/// One attribute of an [`AttributeGroup`]: a file in the group's directory.
#[derive(Clone, Copy)]
pub struct Attribute {
    /// The file name.
    pub name: &'static CStr,
    /// Permissions: `0o444` for read-only, `0o644` for read-write.
    pub mode: u16,
}

/// The buffer that [`AttributeGroup::show`] writes a value into (one page).
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
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), self.buf.add(self.len), data.len()) };
        // INVARIANT: `len + data.len() <= SHOW_BUF_SIZE` bytes are now written.
        self.len += data.len();
        Ok(())
    }

    /// Returns the number of bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl core::fmt::Write for ShowBuffer<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write_bytes(s.as_bytes()).map_err(|_| core::fmt::Error)
    }
}

/// A group of sysfs attributes of a network device of type `Self`, shown in
/// `/sys/class/net/<dev>/<NAME>/`. Install it with [`Unregistered::set_sysfs_group`].
///
/// The files appear when the device is registered and disappear when it is unregistered; they
/// follow the device into other network namespaces.
pub trait AttributeGroup: DeviceOps {
    /// The name of the group's directory.
    const NAME: &'static CStr;

    /// The attributes, at most [`MAX_ATTRIBUTES`]. Their index in this slice is what
    /// [`AttributeGroup::show`] and [`AttributeGroup::store`] get.
    const ATTRIBUTES: &'static [Attribute];

    /// Writes the value of attribute `index` into `buf`. Runs in process context, without RTNL.
    fn show(dev: &TypedDevice<Self>, index: usize, buf: &mut ShowBuffer<'_>) -> Result;

    /// Sets attribute `index` from `data` (what user space wrote, at most one page, trailing
    /// newline included). Runs in process context with RTNL held, on a registered device.
    fn store(dev: &TypedDevice<Self>, rtnl: &Rtnl, index: usize, data: &[u8]) -> Result {
        let _ = (dev, rtnl, index, data);
        Err(EACCES)
    }
}

/// Finds the index of the attribute of `T` that `attr` describes.
///
/// # Safety
///
/// `attr` must point to a `device_attribute` built by [`Tables<T>`].
unsafe fn attr_index<T: AttributeGroup>(attr: *mut bindings::device_attribute) -> Option<usize> {
    // SAFETY: Per the safety requirements `attr` is valid and its name is one of
    // `T::ATTRIBUTES`' names, a NUL-terminated string that lives forever.
    let name = unsafe { CStr::from_char_ptr((*attr).attr.name) };
    T::ATTRIBUTES
        .iter()
        .position(|a| a.name.to_bytes() == name.to_bytes())
}

/// The static sysfs tables for the [`AttributeGroup`] `T`.
struct Tables<T>(PhantomData<T>);

impl<T: AttributeGroup> Tables<T> {
    const ATTRS: [bindings::device_attribute; MAX_ATTRIBUTES] = {
        assert!(T::ATTRIBUTES.len() <= MAX_ATTRIBUTES, "too many sysfs attributes");
        let mut out: [bindings::device_attribute; MAX_ATTRIBUTES] = pin_init::zeroed();
        let mut i = 0;
        while i < T::ATTRIBUTES.len() {
            out[i].attr.name = crate::str::as_char_ptr_in_const_context(T::ATTRIBUTES[i].name);
            out[i].attr.mode = T::ATTRIBUTES[i].mode;
            out[i].__bindgen_anon_1.show = Some(Self::show);
            out[i].__bindgen_anon_2.store = if T::ATTRIBUTES[i].mode & 0o222 != 0 {
                Some(Self::store)
            } else {
                None
            };
            i += 1;
        }
        out
    };

    /// NULL-terminated array of pointers to the attributes.
    const PTRS: [*mut bindings::attribute; MAX_ATTRIBUTES + 1] = {
        let attrs: &'static [bindings::device_attribute; MAX_ATTRIBUTES] = &Self::ATTRS;
        let mut out = [core::ptr::null_mut(); MAX_ATTRIBUTES + 1];
        let mut i = 0;
        while i < T::ATTRIBUTES.len() {
            out[i] = (&raw const attrs[i].attr).cast_mut();
            i += 1;
        }
        out
    };

    const GROUP: bindings::attribute_group = {
        let ptrs: &'static [*mut bindings::attribute; MAX_ATTRIBUTES + 1] = &Self::PTRS;
        let mut g: bindings::attribute_group = pin_init::zeroed();
        g.name = crate::str::as_char_ptr_in_const_context(T::NAME);
        g.__bindgen_anon_2.attrs = ptrs.as_ptr().cast_mut();
        g
    };

    const fn group() -> &'static bindings::attribute_group {
        &Self::GROUP
    }

    /// # Safety
    ///
    /// Called by sysfs for a file of the group of a device set up for `T`, with `buf` one page.
    unsafe extern "C" fn show(
        dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: The device of a network device's sysfs files is the `dev` field of its
        // `struct net_device`.
        let ndev = unsafe { bindings::to_net_dev(dev) };
        // SAFETY: The group is only installed on devices set up for `T` (see
        // `Unregistered::set_sysfs_group`), whose private data is initialised before registration
        // and freed only after unregistration removed the files and waited for active callbacks.
        let tdev = unsafe { TypedDevice::<T>::from_raw(ndev) };
        // SAFETY: sysfs calls us with an attribute of our group.
        let Some(index) = (unsafe { attr_index::<T>(attr) }) else {
            return EINVAL.to_errno() as isize;
        };
        // INVARIANT: sysfs hands `show` a zeroed page-sized buffer.
        let mut out = ShowBuffer { buf: buf.cast(), len: 0, _p: PhantomData };
        match T::show(tdev, index, &mut out) {
            Ok(()) => out.len as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// Called by sysfs for a file of the group of a device set up for `T`, with `count` bytes at
    /// `buf`.
    unsafe extern "C" fn store(
        dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *const c_char,
        count: usize,
    ) -> isize {
        // SAFETY: As in `show`.
        let ndev = unsafe { bindings::to_net_dev(dev) };
        // SAFETY: sysfs calls us with an attribute of our group.
        let Some(index) = (unsafe { attr_index::<T>(attr) }) else {
            return EINVAL.to_errno() as isize;
        };
        // Like net-sysfs: unregistration holds RTNL while it waits for this callback to finish,
        // so only try to take it, and restart the system call if that fails.
        // SAFETY: FFI call without requirements.
        if unsafe { bindings::rtnl_trylock() } == 0 {
            // SAFETY: FFI call without requirements; we are in a system call.
            return unsafe { bindings::restart_syscall() } as isize;
        }
        // SAFETY: `ndev` is valid (see `show`) and RTNL is held.
        let ret = if unsafe { reg_state(ndev) } != bindings::netdev_reg_state_NETREG_REGISTERED {
            ENODEV.to_errno() as isize
        } else {
            // SAFETY: As in `show`; the device is registered.
            let tdev = unsafe { TypedDevice::<T>::from_raw(ndev) };
            // SAFETY: We hold RTNL until after the last use of `rtnl`.
            let rtnl = unsafe { Rtnl::assume_held() };
            // SAFETY: sysfs passes `count` readable bytes at `buf`, valid for this call.
            let data = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), count) };
            match T::store(tdev, rtnl, index, data) {
                Ok(()) => count as isize,
                Err(e) => e.to_errno() as isize,
            }
        };
        // SAFETY: We took RTNL above.
        unsafe { bindings::rtnl_unlock() };
        ret
    }
}

impl<T: AttributeGroup> Unregistered<'_, T> {
    /// Installs the sysfs attribute group of `T`, created when the device is registered.
    pub fn set_sysfs_group(&mut self) {
        let dev = self.raw();
        // SAFETY: We have exclusive access to the unregistered device. Slot 0 of `sysfs_groups`
        // is the one for the driver's own group; `netdev_register_kobject()` appends the core's
        // groups after it. The group is a constant in static memory.
        unsafe { (*dev).sysfs_groups[0] = Tables::<T>::group() };
    }
}
