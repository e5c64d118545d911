// SPDX-License-Identifier: GPL-2.0

//! Network devices.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/etherdevice.h`](srctree/include/linux/etherdevice.h).
//!
//! A Rust network driver implements [`DeviceOps`] on the type of its per-device private data
//! and declares the device type's operation tables with [`crate::net_device_type!`]. Devices
//! are created through [`rtnl_link_ops`] (`ip link add ... type <kind>`, see
//! [`crate::net::rtnl::LinkOps`]) or by the driver with
//! [`crate::net::rtnl::Registration::create_device`]; the core allocates them with room for the
//! private data, frees them (`needs_free_netdev`), and unregisters them with `ip link del` or
//! when the [`crate::net::rtnl::Registration`] is dropped.
//!
//! # Private data
//!
//! The private area of a Rust `net_device` (`netdev_priv()`) holds the driver's data `T:
//! DeviceOps`, nothing else. It is pinned (the `net_device` never moves), initialised with a
//! [`PinInit`] right before the device is registered, and dropped by the device's
//! `priv_destructor`, which is installed only once the data is initialised. The core calls it
//! once the device is unregistered and all references to it are gone (or when registration
//! fails). Hence every callback that runs on a registered device can access `T`.
//!
//! # Device types
//!
//! [`crate::net_device_type!`] declares, as statics, the `net_device_ops`, `ethtool_ops` and
//! sysfs attribute group of a device type. Every device set up for `T` points at them, so
//! forgetting to install one is impossible, and the address of `T`'s `net_device_ops` tells
//! whether any `&Device` is a `T` ([`TypedDevice::from_device`]), like the C idiom
//! `dev->netdev_ops == &foo_netdev_ops`.
//!
//! [`rtnl_link_ops`]: srctree/include/net/rtnetlink.h

use crate::{
    bindings,
    error::to_result,
    net::{namespace::Net, rtnl::Rtnl},
    prelude::*,
    sync::{
        aref::AlwaysRefCounted,
        atomic::{atomic_load, Relaxed},
    },
    types::Opaque,
};
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};

mod addr;
mod flags;
mod ops;
mod setup;
mod tracked;

pub use addr::{
    is_broadcast_ether_addr, is_multicast_ether_addr, is_valid_ether_addr, is_zero_ether_addr,
    valid_ifname, AddrList, MacAddr, ETH_ALEN, ETH_HLEN, ETH_MAX_MTU, ETH_MIN_MTU, VLAN_HLEN,
};
pub use flags::{Features, Flags, PrivFlags};
pub use ops::{DeviceOps, HasVTable, PcpuStats, TxResult, VTable};
pub use setup::{Registered, Unregistered};
pub use tracked::TrackedRef;

pub(crate) use setup::{create_device, priv_size, register_unregistered, setup_callback};

/// Maximum length of an interface name, including the terminating NUL.
pub const IFNAMSIZ: usize = bindings::IFNAMSIZ as usize;

/// A copy of a device name, see [`Device::name`].
#[derive(Clone, Copy)]
pub struct Name([u8; IFNAMSIZ]);

impl Name {
    /// Returns the name as a C string.
    pub fn as_c_str(&self) -> &CStr {
        // `netdev_copy_name()` always NUL-terminates the buffer; fall back to the empty string
        // should that ever not be the case.
        CStr::from_bytes_until_nul(&self.0).unwrap_or(c"")
    }

    /// Returns the name as bytes, without the terminating NUL.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_c_str().to_bytes()
    }
}

/// A counter of `dev->stats` that [`Device::stats_inc`] increments (`DEV_STATS_INC()`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DevStat {
    /// Multicast frames received (`multicast`).
    Multicast,
    /// Frames received with a bad length (`rx_length_errors`).
    RxLengthErrors,
}

/// A network device.
///
/// Wraps the kernel's [`struct net_device`]. This type gives access to the operations that are
/// valid on any network device; see [`TypedDevice`] for devices driven by a Rust [`DeviceOps`].
///
/// # Invariants
///
/// A `&Device` points to a valid `struct net_device` whose lifetime is controlled by its reference
/// count (`dev_hold()`/`dev_put()`), i.e. the device has gone through `register_netdevice()`
/// (devices that were never registered are freed by `free_netdev()` regardless of their reference
/// count, so references to them are never created, see [`Unregistered`]).
///
/// [`struct net_device`]: srctree/include/linux/netdevice.h
#[repr(transparent)]
pub struct Device(Opaque<bindings::net_device>);

// SAFETY: All methods of `Device` may be called from any thread, and the reference count that
// `ARef<Device>` holds may be released from any thread.
unsafe impl Send for Device {}
// SAFETY: All `&self` methods of `Device` are safe to call concurrently (they use atomic accesses,
// the relevant kernel locks, or C functions that handle concurrency).
unsafe impl Sync for Device {}

// SAFETY: `dev_hold()` and `dev_put()` keep a registered `net_device` alive: the core waits for
// the reference count to drop (`netdev_wait_allrefs_any()`) before freeing it, and by the type
// invariant all `Device`s are registered devices.
unsafe impl AlwaysRefCounted for Device {
    fn inc_ref(&self) {
        // SAFETY: By the type invariant the device is valid.
        unsafe { bindings::dev_hold(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference on the device.
        unsafe { bindings::dev_put(obj.cast().as_ptr()) };
    }
}

impl Device {
    /// Creates a reference to a [`Device`] from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a `struct net_device` that has gone through `register_netdevice()` and
    /// that stays valid for `'a` (e.g. because the caller holds a reference, or RTNL).
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Device {
        // SAFETY: `Device` is a transparent wrapper of `struct net_device`, and the caller
        // guarantees validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer to the `struct net_device`.
    pub fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// Looks up a device by name while RTNL is held (`__dev_get_by_name()`).
    ///
    /// The returned reference is valid while RTNL is held.
    pub fn get_by_name_locked<'a>(
        _rtnl: &'a Rtnl,
        net: &'a Net,
        name: &CStr,
    ) -> Option<&'a Device> {
        // SAFETY: RTNL is held, `net` is valid, `name` is NUL-terminated.
        let ptr = unsafe { bindings::__dev_get_by_name(net.as_raw(), name.as_char_ptr()) };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: The device is listed, hence registered, and it cannot be unregistered and freed
        // while RTNL is held: unregistration requires RTNL and the device is only freed after
        // RTNL is released (`netdev_run_todo()`).
        Some(unsafe { Device::from_raw(ptr) })
    }

    /// Returns a copy of the device name (`netdev_copy_name()`); usable in any context.
    pub fn name(&self) -> Name {
        let mut buf = [0u8; IFNAMSIZ];
        // SAFETY: The device is valid and `buf` has `IFNAMSIZ` bytes.
        unsafe { bindings::netdev_copy_name(self.as_raw(), buf.as_mut_ptr().cast()) };
        Name(buf)
    }

    /// Returns the interface flags (`dev->flags`).
    #[inline]
    pub fn flags(&self) -> Flags {
        // SAFETY: The device is valid; readers of `flags` race with writers in C as well, the
        // access is performed atomically.
        Flags::from_bits(unsafe { atomic_load(&raw mut (*self.as_raw()).flags, Relaxed) })
    }

    /// Returns whether the device is up and running (`netif_running()`).
    #[inline]
    pub fn is_running(&self) -> bool {
        // SAFETY: The device is valid.
        unsafe { bindings::netif_running(self.as_raw()) }
    }

    /// Returns the MTU.
    #[inline]
    pub fn mtu(&self) -> u32 {
        // SAFETY: The device is valid; `mtu` is written with `WRITE_ONCE()`.
        unsafe { atomic_load(&raw mut (*self.as_raw()).mtu, Relaxed) }
    }

    /// Returns the transmit queue length.
    pub fn tx_queue_len(&self) -> u32 {
        // SAFETY: The device is valid; `tx_queue_len` is written with `WRITE_ONCE()`.
        unsafe { atomic_load(&raw mut (*self.as_raw()).tx_queue_len, Relaxed) }
    }

    /// Returns the number of transmit queues allocated with the device (`num_tx_queues`); the
    /// number in use (`real_num_tx_queues`) is set with [`Device::set_real_num_tx_queues`].
    pub fn num_tx_queues(&self) -> u32 {
        // SAFETY: The device is valid; `num_tx_queues` is set at allocation and never changes.
        unsafe { (*self.as_raw()).num_tx_queues }
    }

    /// Returns the current MAC address (the first [`ETH_ALEN`] bytes of `dev->dev_addr`).
    #[inline]
    pub fn mac_addr(&self) -> MacAddr {
        let mut addr = [0u8; ETH_ALEN];
        // SAFETY: The device is valid and `dev_addr` points to `MAX_ADDR_LEN >= ETH_ALEN` bytes
        // (set at allocation, never changed); `addr` is `ETH_ALEN` writable bytes. The address
        // may change concurrently (under RTNL): the helper reads it in C, with the plain racy
        // reads C code makes of it, in one call instead of one atomic load per byte (this is on
        // every received packet's path).
        unsafe { bindings::netdev_copy_ether_addr(self.as_raw(), addr.as_mut_ptr()) };
        addr
    }

    /// Signals that the carrier is present (`netif_carrier_on()`).
    pub fn carrier_on(&self) {
        // SAFETY: The device is valid; `netif_carrier_on()` may be called in any context.
        unsafe { bindings::netif_carrier_on(self.as_raw()) };
    }

    /// Signals that the carrier is lost (`netif_carrier_off()`).
    pub fn carrier_off(&self) {
        // SAFETY: The device is valid; `netif_carrier_off()` may be called in any context.
        unsafe { bindings::netif_carrier_off(self.as_raw()) };
    }

    /// Allows transmission on every transmit queue (`netif_tx_start_all_queues()`), e.g. when
    /// the device is opened.
    pub fn start_all_queues(&self) {
        // SAFETY: The device is registered, so its transmit queues are allocated.
        unsafe { bindings::netif_tx_start_all_queues(self.as_raw()) };
    }

    /// Restarts every transmit queue and schedules them (`netif_tx_wake_all_queues()`).
    pub fn wake_all_queues(&self) {
        // SAFETY: The device is registered, so its transmit queues are allocated.
        unsafe { bindings::netif_tx_wake_all_queues(self.as_raw()) };
    }

    /// Stops transmit queue `index` (`netif_stop_subqueue()`); out of range, does nothing.
    pub fn stop_queue(&self, index: u16) {
        if u32::from(index) < self.num_tx_queues() {
            // SAFETY: The device is registered and `index` is in range.
            unsafe { bindings::netif_stop_subqueue(self.as_raw(), index) };
        }
    }

    /// Restarts transmit queue `index` and schedules it (`netif_wake_subqueue()`); out of
    /// range, does nothing.
    pub fn wake_queue(&self, index: u16) {
        if u32::from(index) < self.num_tx_queues() {
            // SAFETY: The device is registered and `index` is in range.
            unsafe { bindings::netif_wake_subqueue(self.as_raw(), index) };
        }
    }

    /// Sets the number of transmit queues in use, between 1 and [`Device::num_tx_queues`]
    /// (`netif_set_real_num_tx_queues()`). Packets queued in the qdiscs of the queues given up
    /// are dropped.
    pub fn set_real_num_tx_queues(&self, _rtnl: &Rtnl, n: u32) -> Result {
        if n == 0 || n > self.num_tx_queues() {
            return Err(EINVAL);
        }
        // SAFETY: The device is valid and RTNL is held, as the function requires for a
        // registered device.
        to_result(unsafe { bindings::netif_set_real_num_tx_queues(self.as_raw(), n) })
    }

    /// Returns whether transmit queue `index` has a qdisc that can hold packets, i.e. whether
    /// the driver may stop it and hand a packet back (`!qdisc_txq_has_no_queue()`): a device
    /// without one (`noqueue`) drops what it cannot take.
    pub fn txq_has_qdisc(&self, index: u16) -> bool {
        if u32::from(index) >= self.num_tx_queues() {
            return false;
        }
        // SAFETY: The device is registered and `index` is in range.
        unsafe { bindings::netif_txq_has_qdisc(self.as_raw(), index.into()) }
    }

    /// Increments one of the core's counters in `dev->stats` (`DEV_STATS_INC()`).
    pub fn stats_inc(&self, stat: DevStat) {
        let dev = self.as_raw();
        // SAFETY: The device is valid; `DEV_STATS_INC()` is atomic and may be used in any
        // context.
        unsafe {
            match stat {
                DevStat::Multicast => bindings::dev_stats_inc_multicast(dev),
                DevStat::RxLengthErrors => bindings::dev_stats_inc_rx_length_errors(dev),
            }
        }
    }

    /// Returns the network namespace of the device (`dev_net()`).
    ///
    /// A device can only move to another namespace with RTNL held, and a namespace is only
    /// destroyed after its devices were moved away or unregistered under RTNL.
    pub fn net<'a>(&'a self, _rtnl: &'a Rtnl) -> &'a Net {
        // SAFETY: The device is valid; the namespace stays alive while RTNL is held, see above.
        unsafe { Net::from_raw(bindings::dev_net(self.as_raw())) }
    }
}

impl PartialEq for Device {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for Device {}

/// Returns `dev->reg_state`.
///
/// # Safety
///
/// `dev` must point to a valid `struct net_device`.
pub(crate) unsafe fn reg_state(dev: *mut bindings::net_device) -> u32 {
    // SAFETY: `dev` is valid; `reg_state` is a `u8` written with `WRITE_ONCE()`.
    let state = unsafe { atomic_load((&raw mut (*dev).reg_state).cast::<i8>(), Relaxed) };
    u32::from(state as u8)
}

/// A network device driven by the Rust driver type `T`.
///
/// Dereferences to [`Device`] and additionally gives access to the driver's private data and to
/// the per-CPU statistics configured by [`DeviceOps::PCPU_STATS`].
///
/// # Invariants
///
/// In addition to the invariants of [`Device`]: the device was set up for `T` (its `netdev_ops`
/// are `T`'s, see [`crate::net_device_type!`]), its private data is an initialised `T` for the
/// lifetime of the reference, and the per-CPU statistics selected by `T::PCPU_STATS` are
/// allocated.
#[repr(transparent)]
pub struct TypedDevice<T: DeviceOps> {
    dev: Device,
    _p: PhantomData<T>,
}

// SAFETY: Same as `Device`; the private data is `Send + Sync` (required by `DeviceOps`).
unsafe impl<T: DeviceOps> AlwaysRefCounted for TypedDevice<T> {
    fn inc_ref(&self) {
        self.dev.inc_ref();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: `TypedDevice<T>` is a transparent wrapper of `Device`; the caller owns a
        // reference.
        unsafe { Device::dec_ref(obj.cast()) };
    }
}

impl<T: DeviceOps> Deref for TypedDevice<T> {
    type Target = Device;

    fn deref(&self) -> &Device {
        &self.dev
    }
}

impl<T: DeviceOps> TypedDevice<T> {
    /// # Safety
    ///
    /// `ptr` must point to a registered device set up for `T` whose private data is initialised
    /// and stays valid for `'a`, with its per-CPU statistics allocated.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `TypedDevice<T>` is a transparent wrapper of `struct net_device`; the caller
        // guarantees the invariants.
        unsafe { &*ptr.cast() }
    }

    /// Returns `dev` as a device of type `T`, if it is one: its `net_device_ops` are `T`'s
    /// (a static with an address of its own, see [`crate::net_device_type!`]).
    pub fn from_device(dev: &Device) -> Option<&Self> {
        let raw = dev.as_raw();
        // SAFETY: The device is valid; `netdev_ops` is set before registration and not changed
        // afterwards.
        let ops = unsafe { (*raw).netdev_ops };
        if !core::ptr::eq(ops, T::vtable().netdev_ops()) {
            return None;
        }
        // SAFETY: `dev` is a registered device (type invariant of `Device`) whose `netdev_ops`
        // are `T`'s: it was set up by `setup_callback::<T>()`, the only place that installs
        // them, and registered after its private data was initialised (`register()`). The data
        // stays initialised while `dev` is valid: it is dropped after the last reference is gone.
        Some(unsafe { TypedDevice::from_raw(raw) })
    }

    /// Returns the driver's private data. It is pinned: it stays where it is (in the
    /// `net_device` allocation) until it is dropped in place.
    pub fn data(&self) -> &T {
        // SAFETY: By the type invariants the private area holds an initialised `T`.
        let p = unsafe { bindings::netdev_priv(self.as_raw()) }.cast::<T>();
        // SAFETY: The data is initialised and valid for the lifetime of `self`.
        unsafe { &*p }
    }

    /// Accounts a received packet of `len` bytes (`dev_dstats_rx_add()`).
    #[inline]
    pub fn dstats_add_rx(&self, len: u32) {
        const { assert!(matches!(T::PCPU_STATS, PcpuStats::Dstats)) };
        // SAFETY: The device uses `DSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_dstats_rx_add(self.as_raw(), len) };
    }

    /// Accounts a dropped received packet (`dev_dstats_rx_dropped()`).
    pub fn dstats_rx_dropped(&self) {
        const { assert!(matches!(T::PCPU_STATS, PcpuStats::Dstats)) };
        // SAFETY: The device uses `DSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_dstats_rx_dropped(self.as_raw()) };
    }

    /// Accounts a transmitted packet of `len` bytes (`dev_dstats_tx_add()`).
    #[inline]
    pub fn dstats_add_tx(&self, len: u32) {
        const { assert!(matches!(T::PCPU_STATS, PcpuStats::Dstats)) };
        // SAFETY: The device uses `DSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_dstats_tx_add(self.as_raw(), len) };
    }

    /// Accounts a dropped transmitted packet (`dev_dstats_tx_dropped()`).
    pub fn dstats_tx_dropped(&self) {
        const { assert!(matches!(T::PCPU_STATS, PcpuStats::Dstats)) };
        // SAFETY: The device uses `DSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_dstats_tx_dropped(self.as_raw()) };
    }
}

mod private {
    pub trait Sealed {}
}

/// A registered network device: [`Device`] or [`TypedDevice`]. This trait is sealed.
pub trait AsDevice: Send + Sync + private::Sealed {
    /// The device as a [`Device`].
    fn as_device(&self) -> &Device;
}

impl private::Sealed for Device {}
impl AsDevice for Device {
    fn as_device(&self) -> &Device {
        self
    }
}

impl<T: DeviceOps> private::Sealed for TypedDevice<T> {}
impl<T: DeviceOps> AsDevice for TypedDevice<T> {
    fn as_device(&self) -> &Device {
        self
    }
}
