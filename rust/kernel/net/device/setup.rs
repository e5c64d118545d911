// SPDX-License-Identifier: GPL-2.0

//! Setting up, initialising and registering Rust network devices.

use super::{reg_state, DeviceOps, Features, PrivFlags, TypedDevice, IFNAMSIZ};
use crate::{bindings, prelude::*, sync::aref::ARef};
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};

/// Guaranteed alignment of `netdev_priv()` (`NETDEV_ALIGN`).
const NETDEV_ALIGN: usize = 32;

/// Returns the size of the private area of a Rust device with private data `T`.
pub(crate) const fn priv_size<T: DeviceOps>() -> usize {
    const { assert!(align_of::<T>() <= NETDEV_ALIGN, "private data over-aligned") };
    size_of::<T>()
}

/// The `setup` function of devices with private data `T`.
///
/// # Safety
///
/// Must only be called by `alloc_netdev_mqs()` (directly or through the `setup` of
/// `rtnl_link_ops`) with a device allocated with `priv_size::<T>()` bytes of private data.
pub(crate) unsafe extern "C" fn setup_callback<T: DeviceOps>(dev: *mut bindings::net_device) {
    let vtable = T::vtable();
    // SAFETY: The device is being allocated, we have exclusive access to it. The tables are
    // statics.
    unsafe {
        bindings::ether_setup(dev);
        (*dev).netdev_ops = vtable.netdev_ops();
        (*dev).ethtool_ops = vtable.ethtool_ops();
        if let Some(group) = vtable.sysfs_group() {
            // Slot 0 is the driver's; `netdev_register_kobject()` appends the core's groups.
            (*dev).sysfs_groups[0] = group.as_raw();
        }
        (*dev).needs_free_netdev = true;
        bindings::netdev_set_pcpu_stat_type(dev, T::PCPU_STATS.as_raw());
        let flags = bindings::netdev_get_priv_flags(dev);
        bindings::netdev_set_priv_flags(
            dev,
            flags & !bindings::netdev_priv_flags_IFF_TX_SKB_SHARING,
        );
    }
    // SAFETY: The device is allocated, not registered, exclusively accessed during `setup`, and
    // was just set up for `T`.
    let mut dev = unsafe { Unregistered::<T>::from_raw(dev) };
    T::setup(&mut dev);
}

/// The `priv_destructor` of devices with private data `T`, installed once the data is
/// initialised. It clears itself, so that it runs at most once, and so that
/// `dev->priv_destructor` tells whether the data is still to be dropped.
///
/// # Safety
///
/// `dev` must be a device set up for `T` whose private data is initialised and no longer used.
unsafe extern "C" fn priv_destructor<T: DeviceOps>(dev: *mut bindings::net_device) {
    // SAFETY: We have exclusive access to the device's private area (see above).
    unsafe {
        (*dev).priv_destructor = None;
        core::ptr::drop_in_place(bindings::netdev_priv(dev).cast::<T>());
    }
}

/// Initialises the private data of a device and installs its destructor.
///
/// # Safety
///
/// `dev` must be a device set up by `setup_callback::<T>()` that is not registered and to which
/// the caller has exclusive access; its private data must not be initialised.
unsafe fn init_priv<T: DeviceOps, E>(
    dev: *mut bindings::net_device,
    init: impl PinInit<T, E>,
) -> Result
where
    Error: From<E>,
{
    // SAFETY: The device is valid.
    let p = unsafe { bindings::netdev_priv(dev) }.cast::<T>();
    // SAFETY: The private area has room for a `T` (`priv_size::<T>()`), `netdev_priv()` is
    // `NETDEV_ALIGN`-aligned (at least `T`'s alignment, see `priv_size`), and the data will not
    // be moved until `priv_destructor::<T>()` drops it in place before the memory is freed.
    unsafe { init.__init(p) }.map_err(Error::from)?;
    // SAFETY: We have exclusive access to the device.
    unsafe { (*dev).priv_destructor = Some(priv_destructor::<T>) };
    Ok(())
}

/// Cleans up the private data after `register_netdevice()` failed.
///
/// The core dropped it already (through `priv_destructor`, which then cleared itself) if it
/// failed late, or will drop it at the end of the unregistration if the device was briefly
/// visible; otherwise (an early failure) it is dropped here.
///
/// # Safety
///
/// `dev` must be a Rust device for which `register_netdevice()` just failed, with RTNL held.
unsafe fn cleanup_failed_registration(dev: *mut bindings::net_device) {
    // SAFETY: `dev` is valid.
    if unsafe { reg_state(dev) } != bindings::netdev_reg_state_NETREG_UNINITIALIZED {
        return;
    }
    // SAFETY: The device was never visible, so nobody else uses it.
    if let Some(destructor) = unsafe { (*dev).priv_destructor } {
        // SAFETY: The destructor is `priv_destructor::<T>()` for the device's `T`, whose data is
        // initialised (the destructor is installed only then) and unused.
        unsafe { destructor(dev) };
    }
}

/// A network device that is allocated but not registered yet.
///
/// It is handed to [`DeviceOps::setup`] and to [`crate::net::rtnl::LinkOps::newlink`] (which must
/// register it with [`Unregistered::register`]). It allows configuring the device without
/// synchronisation since nobody else can access it yet. It does not give access to a
/// [`super::Device`], since an unregistered device is not reference counted.
///
/// # Invariants
///
/// `ptr` points to a `struct net_device` allocated with `priv_size::<T>()` bytes of private data
/// and set up by `setup_callback::<T>()` (or being set up by it), in the `NETREG_UNINITIALIZED`
/// state, with uninitialised private data, and exclusively accessible through this object for
/// `'a`.
pub struct Unregistered<'a, T: DeviceOps> {
    ptr: NonNull<bindings::net_device>,
    _p: PhantomData<(&'a mut bindings::net_device, T)>,
}

impl<'a, T: DeviceOps> Unregistered<'a, T> {
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariants for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::net_device) -> Self {
        Self {
            // SAFETY: The caller guarantees that `ptr` is valid, hence non-null.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _p: PhantomData,
        }
    }

    pub(crate) fn raw(&mut self) -> *mut bindings::net_device {
        self.ptr.as_ptr()
    }

    /// Sets the minimum MTU.
    pub fn set_min_mtu(&mut self, mtu: u32) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).min_mtu = mtu };
    }

    /// Sets the maximum MTU.
    pub fn set_max_mtu(&mut self, mtu: u32) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).max_mtu = mtu };
    }

    /// Sets the active features (`dev->features`).
    pub fn set_features(&mut self, features: Features) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).features = features.bits() };
    }

    /// Sets the user-changeable features (`dev->hw_features`).
    pub fn set_hw_features(&mut self, features: Features) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).hw_features = features.bits() };
    }

    /// Sets whether the core takes no transmit lock around [`DeviceOps::start_xmit`]
    /// (`dev->lltx`).
    pub fn set_lltx(&mut self, lltx: bool) {
        // SAFETY: We have exclusive access to the device.
        unsafe { bindings::netdev_set_lltx(self.raw(), lltx) };
    }

    /// Sets (`on`) or clears the given private flags.
    pub fn set_priv_flags(&mut self, flags: PrivFlags, on: bool) {
        let dev = self.raw();
        // SAFETY: We have exclusive access to the device.
        unsafe {
            let old = bindings::netdev_get_priv_flags(dev);
            let new = if on {
                old | flags.bits()
            } else {
                old & !flags.bits()
            };
            bindings::netdev_set_priv_flags(dev, new);
        }
    }

    /// Sets a random MAC address (`eth_hw_addr_random()`), which also sets the assign type to
    /// "random".
    pub fn random_mac_addr(&mut self) {
        // SAFETY: We have exclusive access to the device.
        unsafe { bindings::eth_hw_addr_random(self.raw()) };
    }

    /// Signals the initial carrier state: off (`netif_carrier_off()`).
    pub fn carrier_off(&mut self) {
        // SAFETY: We have exclusive access to the device; on unregistered devices this only
        // updates the state bit.
        unsafe { bindings::netif_carrier_off(self.raw()) };
    }

    /// Initialises the private data with `init` and registers the device
    /// (`register_netdevice()`).
    ///
    /// This is only reachable from [`crate::net::rtnl::LinkOps::newlink`], which runs with RTNL
    /// held. On failure the private data is dropped (now, or by the core once the device is
    /// fully unregistered if it had briefly become visible).
    pub fn register<E>(mut self, init: impl PinInit<T, E>) -> Result<Registered<'a, T>>
    where
        Error: From<E>,
    {
        // SAFETY: By the type invariants the device is set up for `T`, not registered,
        // exclusively accessed, and its private data is not initialised; `newlink` holds RTNL.
        unsafe { register_unregistered::<T, E>(self.raw(), init) }?;
        // SAFETY: The device is registered with initialised private data and allocated per-CPU
        // statistics; it stays valid at least until RTNL is released (it can only be unregistered
        // with RTNL held and freed after that), which is after `'a` ends.
        let dev = unsafe { TypedDevice::from_raw(self.raw()) };
        Ok(Registered { dev })
    }
}

/// Initialises the private data of `dev` with `init` and registers it.
///
/// # Safety
///
/// `dev` must be set up for `T`, not registered, exclusively accessed, with uninitialised private
/// data, and RTNL must be held.
pub(crate) unsafe fn register_unregistered<T: DeviceOps, E>(
    dev: *mut bindings::net_device,
    init: impl PinInit<T, E>,
) -> Result
where
    Error: From<E>,
{
    // SAFETY: See the safety requirements.
    unsafe { init_priv(dev, init)? };
    // SAFETY: The device is fully allocated and RTNL is held.
    let ret = unsafe { bindings::register_netdevice(dev) };
    if ret != 0 {
        // SAFETY: Registration just failed, with RTNL held.
        unsafe { cleanup_failed_registration(dev) };
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// Proof that [`Unregistered::register`] succeeded, returned by
/// [`crate::net::rtnl::LinkOps::newlink`].
pub struct Registered<'a, T: DeviceOps> {
    dev: &'a TypedDevice<T>,
}

impl<'a, T: DeviceOps> Registered<'a, T> {
    pub(crate) fn new(dev: &'a TypedDevice<T>) -> Self {
        Self { dev }
    }
}

impl<T: DeviceOps> Deref for Registered<'_, T> {
    type Target = TypedDevice<T>;

    fn deref(&self) -> &TypedDevice<T> {
        self.dev
    }
}

/// Creates a device with the setup of `T` and registers it (`register_netdevice()`), with
/// `rtnl_link_ops` set so that the device is removed by `rtnl_link_unregister()`.
///
/// # Safety
///
/// `ops` must be a registered `rtnl_link_ops` whose `setup` is `setup_callback::<T>` and that
/// stays registered until all devices of that kind are unregistered.
pub(crate) unsafe fn create_device<T: DeviceOps, E>(
    ops: *const bindings::rtnl_link_ops,
    name: &CStr,
    txqs: u32,
    rxqs: u32,
    init: impl PinInit<T, E>,
) -> Result<ARef<TypedDevice<T>>>
where
    Error: From<E>,
{
    let name_bytes = name.to_bytes();
    if name_bytes.is_empty() || name_bytes.len() >= IFNAMSIZ {
        return Err(EINVAL);
    }
    let assign = if name_bytes.contains(&b'%') {
        bindings::NET_NAME_ENUM
    } else {
        bindings::NET_NAME_PREDICTABLE
    };
    let priv_size = c_int::try_from(priv_size::<T>())?;
    // SAFETY: `name` is NUL-terminated and shorter than `IFNAMSIZ`, `setup_callback::<T>` is a
    // valid setup function for `priv_size::<T>()` bytes of private data.
    let dev = unsafe {
        bindings::alloc_netdev_mqs(
            priv_size,
            name.as_char_ptr(),
            assign as u8,
            Some(setup_callback::<T>),
            txqs,
            rxqs,
        )
    };
    if dev.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: The device was just allocated and is not registered.
    unsafe { (*dev).rtnl_link_ops = ops };

    let guard = crate::net::rtnl::lock();
    // SAFETY: The device is set up for `T`, not registered, exclusively ours, its private data
    // uninitialised, and RTNL is held.
    if let Err(e) = unsafe { register_unregistered::<T, E>(dev, init) } {
        // Releasing RTNL completes a pending unregistration if the device was briefly
        // registered.
        drop(guard);
        // SAFETY: Registration failed; the device was never registered or its unregistration
        // has completed (with `needs_free_netdev` cleared by the core in that case), so it is
        // ours to free.
        unsafe { bindings::free_netdev(dev) };
        return Err(e);
    }
    // SAFETY: The device is registered with initialised private data; RTNL is still held so it
    // cannot have been unregistered and freed yet. Taking a reference keeps it alive.
    let dev = ARef::from(unsafe { TypedDevice::<T>::from_raw(dev) });
    drop(guard);
    Ok(dev)
}
