// SPDX-License-Identifier: GPL-2.0

//! Network devices.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/etherdevice.h`](srctree/include/linux/etherdevice.h).
//!
//! A Rust network driver implements [`DeviceOps`] on the type of its per-device private data.
//! Devices are created through [`rtnl_link_ops`] (`ip link add ... type <kind>`, see
//! [`crate::net::rtnl::LinkOps`]) or by the driver itself with
//! [`crate::net::rtnl::Registration::create_device`]. In both cases the `net_device` is allocated
//! by the core with enough private space to hold the driver's private data (see
//! [Private data](#private-data)), it is freed by the core (`needs_free_netdev`) and it is
//! unregistered either with `ip link del` or when the [`crate::net::rtnl::Registration`] is
//! dropped.
//!
//! # Private data
//!
//! The private area of a Rust `net_device` (`netdev_priv()`) holds a small header followed by the
//! driver's data `T: DeviceOps`. The header records the [`TypeId`] of `T` and whether `T` is
//! initialised. `T` is pinned (the `net_device` never moves), it is initialised with a
//! [`PinInit`] right before the device is registered, and it is dropped by the device's
//! `priv_destructor`, which the core calls once the device is unregistered and all references
//! to it are gone (or by the registration error path if registration fails before the device
//! became visible). Hence every callback that runs on a registered device can access `T`.
//!
//! [`rtnl_link_ops`]: srctree/include/net/rtnetlink.h

use crate::{
    bindings,
    error::{
        from_result,
        VTABLE_DEFAULT_ERROR, //
    },
    net::{
        rtnl::Rtnl,
        skbuff::SkBuff, //
    },
    prelude::*,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        atomic::{
            atomic_load,
            atomic_store,
            Relaxed, //
        },
    },
    types::Opaque,
};
use core::{
    any::TypeId,
    marker::PhantomData,
    mem::MaybeUninit,
    ops::Deref,
    ptr::NonNull, //
};

/// Length of an Ethernet address.
pub const ETH_ALEN: usize = bindings::ETH_ALEN as usize;

/// Length of an Ethernet header.
pub const ETH_HLEN: usize = bindings::ETH_HLEN as usize;

/// Default Ethernet MTU.
pub const ETH_DATA_LEN: u32 = bindings::ETH_DATA_LEN;

/// Minimum Ethernet MTU (for IPv4).
pub const ETH_MIN_MTU: u32 = bindings::ETH_MIN_MTU;

/// Maximum MTU of an Ethernet device.
pub const ETH_MAX_MTU: u32 = bindings::ETH_MAX_MTU;

/// Maximum length of an interface name, including the terminating NUL.
pub const IFNAMSIZ: usize = bindings::IFNAMSIZ as usize;

/// An Ethernet (MAC) address.
pub type MacAddr = [u8; ETH_ALEN];

/// Returns whether `addr` is a multicast (including broadcast) address.
#[inline]
pub const fn is_multicast_ether_addr(addr: &MacAddr) -> bool {
    addr[0] & 1 != 0
}

/// Returns whether `addr` is the broadcast address `ff:ff:ff:ff:ff:ff`.
#[inline]
pub fn is_broadcast_ether_addr(addr: &MacAddr) -> bool {
    addr.iter().all(|b| *b == 0xff)
}

/// Returns whether `addr` is `00:00:00:00:00:00`.
#[inline]
pub fn is_zero_ether_addr(addr: &MacAddr) -> bool {
    addr.iter().all(|b| *b == 0)
}

/// Returns whether `addr` can be assigned to a device (not multicast and not zero).
///
/// Same as the C `is_valid_ether_addr()`.
#[inline]
pub fn is_valid_ether_addr(addr: &MacAddr) -> bool {
    !is_multicast_ether_addr(addr) && !is_zero_ether_addr(addr)
}

macro_rules! flags_type {
    (
        $(#[$meta:meta])*
        $name:ident($ty:ty) {
            $($(#[$fmeta:meta])* $flag:ident = $value:expr;)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        #[repr(transparent)]
        pub struct $name($ty);

        impl $name {
            $($(#[$fmeta])* pub const $flag: Self = Self($value as $ty);)*

            /// The empty set.
            pub const fn empty() -> Self {
                Self(0)
            }

            /// Returns the raw bits.
            pub const fn bits(self) -> $ty {
                self.0
            }

            /// Returns whether all flags of `other` are set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Returns whether any flag of `other` is set in `self`.
            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }

            /// Returns the union of `self` and `other` (usable in constants).
            pub const fn union(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }

            /// Returns `self` without the flags of `other`.
            pub const fn difference(self, other: Self) -> Self {
                Self(self.0 & !other.0)
            }
        }

        impl core::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                self.union(rhs)
            }
        }

        impl core::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                *self = self.union(rhs);
            }
        }

        impl core::ops::BitAnd for $name {
            type Output = Self;
            fn bitand(self, rhs: Self) -> Self {
                Self(self.0 & rhs.0)
            }
        }

        impl core::ops::Sub for $name {
            type Output = Self;
            fn sub(self, rhs: Self) -> Self {
                self.difference(rhs)
            }
        }
    };
}

const fn feature_bit(bit: u32) -> u64 {
    1u64 << bit
}

flags_type! {
    /// Network device features (`netdev_features_t`, `NETIF_F_*`).
    ///
    /// Only features that a software device can safely advertise are provided as constants;
    /// [`Device::features`] may return other bits set by the core.
    Features(u64) {
        /// Scatter/gather I/O (`NETIF_F_SG`).
        SG = feature_bit(bindings::NETIF_F_SG_BIT);
        /// Can checksum TCP/UDP over IPv4 (`NETIF_F_IP_CSUM`).
        IP_CSUM = feature_bit(bindings::NETIF_F_IP_CSUM_BIT);
        /// Can checksum all packets (`NETIF_F_HW_CSUM`).
        HW_CSUM = feature_bit(bindings::NETIF_F_HW_CSUM_BIT);
        /// Can checksum TCP/UDP over IPv6 (`NETIF_F_IPV6_CSUM`).
        IPV6_CSUM = feature_bit(bindings::NETIF_F_IPV6_CSUM_BIT);
        /// Can access buffers in high memory (`NETIF_F_HIGHDMA`).
        HIGHDMA = feature_bit(bindings::NETIF_F_HIGHDMA_BIT);
        /// Scatter/gather of `frag_list` skbs (`NETIF_F_FRAGLIST`).
        FRAGLIST = feature_bit(bindings::NETIF_F_FRAGLIST_BIT);
        /// Cannot handle VLAN packets (`NETIF_F_VLAN_CHALLENGED`).
        VLAN_CHALLENGED = feature_bit(bindings::NETIF_F_VLAN_CHALLENGED_BIT);
        /// Generic segmentation offload (`NETIF_F_GSO`).
        GSO = feature_bit(bindings::NETIF_F_GSO_BIT);
        /// Generic receive offload (`NETIF_F_GRO`).
        GRO = feature_bit(bindings::NETIF_F_GRO_BIT);
        /// TCPv4 segmentation (`NETIF_F_TSO`).
        TSO = feature_bit(bindings::NETIF_F_TSO_BIT);
        /// TCP ECN segmentation (`NETIF_F_TSO_ECN`).
        TSO_ECN = feature_bit(bindings::NETIF_F_TSO_ECN_BIT);
        /// TCPv6 segmentation (`NETIF_F_TSO6`).
        TSO6 = feature_bit(bindings::NETIF_F_TSO6_BIT);
        /// UDP segmentation (`NETIF_F_GSO_UDP_L4`).
        GSO_UDP_L4 = feature_bit(bindings::NETIF_F_GSO_UDP_L4_BIT);
        /// All software GSO types (`NETIF_F_GSO_SOFTWARE`).
        GSO_SOFTWARE = bindings::NETIF_F_GSO_SOFTWARE;
        /// All encapsulation GSO types (`NETIF_F_GSO_ENCAP_ALL`).
        GSO_ENCAP_ALL = bindings::NETIF_F_GSO_ENCAP_ALL;
        /// Receive checksum offload (`NETIF_F_RXCSUM`).
        RXCSUM = feature_bit(bindings::NETIF_F_RXCSUM_BIT);
        /// Loopback of transmitted packets, for testing (`NETIF_F_LOOPBACK`).
        LOOPBACK = feature_bit(bindings::NETIF_F_LOOPBACK_BIT);
    }
}

flags_type! {
    /// Interface flags visible to user space (`dev->flags`, `IFF_*`).
    Flags(u32) {
        /// Interface is administratively up.
        UP = bindings::net_device_flags_IFF_UP;
        /// Broadcast address valid.
        BROADCAST = bindings::net_device_flags_IFF_BROADCAST;
        /// Loopback interface.
        LOOPBACK = bindings::net_device_flags_IFF_LOOPBACK;
        /// Point-to-point link.
        POINTOPOINT = bindings::net_device_flags_IFF_POINTOPOINT;
        /// Resources allocated (operationally running).
        RUNNING = bindings::net_device_flags_IFF_RUNNING;
        /// No ARP protocol.
        NOARP = bindings::net_device_flags_IFF_NOARP;
        /// Receive all packets.
        PROMISC = bindings::net_device_flags_IFF_PROMISC;
        /// Receive all multicast packets.
        ALLMULTI = bindings::net_device_flags_IFF_ALLMULTI;
        /// Supports multicast.
        MULTICAST = bindings::net_device_flags_IFF_MULTICAST;
        /// Driver signals L1 up.
        LOWER_UP = bindings::net_device_flags_IFF_LOWER_UP;
        /// Driver signals dormant.
        DORMANT = bindings::net_device_flags_IFF_DORMANT;
    }
}

/// Flags that a driver may change in [`Unregistered::set_flags`] and
/// [`Unregistered::clear_flags`].
const CONFIGURABLE_FLAGS: Flags = Flags::NOARP
    .union(Flags::MULTICAST)
    .union(Flags::BROADCAST)
    .union(Flags::POINTOPOINT);

flags_type! {
    /// Private (kernel-internal) interface flags (`dev->priv_flags`, `enum netdev_priv_flags`).
    ///
    /// Only flags that are meaningful for a Rust driver are provided. Notably,
    /// `IFF_TX_SKB_SHARING` is always cleared for Rust devices (the [`SkBuff`] handed to
    /// [`DeviceOps::start_xmit`] is exclusively owned).
    PrivFlags(u32) {
        /// The MAC address can be changed while the device is up.
        LIVE_ADDR_CHANGE = bindings::netdev_priv_flags_IFF_LIVE_ADDR_CHANGE;
        /// The device can run without a qdisc.
        NO_QUEUE = bindings::netdev_priv_flags_IFF_NO_QUEUE;
        /// The driver filters unicast addresses itself (see [`DeviceOps::set_rx_mode`]).
        UNICAST_FLT = bindings::netdev_priv_flags_IFF_UNICAST_FLT;
        /// Disable netpoll at run-time.
        DISABLE_NETPOLL = bindings::netdev_priv_flags_IFF_DISABLE_NETPOLL;
        /// Disallow bridging this device.
        DONT_BRIDGE = bindings::netdev_priv_flags_IFF_DONT_BRIDGE;
        /// Do not run IPv6 address autoconfiguration.
        NO_ADDRCONF = bindings::netdev_priv_flags_IFF_NO_ADDRCONF;
    }
}

/// Type of the per-CPU statistics that the core allocates for a device
/// (`dev->pcpu_stat_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PcpuStats {
    /// No per-CPU statistics.
    None,
    /// `struct pcpu_sw_netstats` (rx/tx packets and bytes), see [`TypedDevice::tstats_add_rx`].
    ///
    /// If [`DeviceOps::get_stats64`] is not implemented, the core reports these counters.
    Tstats,
    /// `struct pcpu_dstats` (rx/tx packets, bytes and drops), see [`TypedDevice::dstats_add_rx`].
    ///
    /// If [`DeviceOps::get_stats64`] is not implemented, the core reports these counters.
    Dstats,
}

impl PcpuStats {
    const fn as_raw(self) -> bindings::netdev_stat_type {
        match self {
            Self::None => bindings::netdev_stat_type_NETDEV_PCPU_STAT_NONE,
            Self::Tstats => bindings::netdev_stat_type_NETDEV_PCPU_STAT_TSTATS,
            Self::Dstats => bindings::netdev_stat_type_NETDEV_PCPU_STAT_DSTATS,
        }
    }
}

/// How the MAC address of a device was assigned (`dev->addr_assign_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AddrAssignType {
    /// Permanent address (the default).
    Perm,
    /// Randomly generated.
    Random,
    /// Set by user space or by the driver on request.
    Set,
}

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

    /// Returns the initial network namespace (`init_net`).
    pub fn init_net() -> &'static Net {
        // SAFETY: `init_net` is a static that is never freed.
        unsafe { Self::from_raw(&raw mut bindings::init_net) }
    }

    /// Returns the raw pointer to the `struct net`.
    pub fn as_raw(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// Calls `f` with the network namespace of the current task (`current->nsproxy->net_ns`).
    ///
    /// Must be called from process context (a system call, for example).
    pub fn with_current<R>(f: impl for<'a> FnOnce(&'a Net) -> R) -> R {
        // SAFETY: In process context the current task has an nsproxy, and only the task itself
        // can switch it (setns, unshare), which it cannot do while it runs this function.
        let net = unsafe { Self::from_raw(bindings::current_net()) };
        f(net)
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

impl crate::fmt::Display for Name {
    fn fmt(&self, f: &mut crate::fmt::Formatter<'_>) -> crate::fmt::Result {
        crate::fmt::Display::fmt(self.as_c_str(), f)
    }
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

    /// Looks up a device by name and takes a reference to it (`dev_get_by_name()`).
    pub fn get_by_name(net: &Net, name: &CStr) -> Option<ARef<Device>> {
        // SAFETY: `net` is valid by the type invariants of `Net`, and `name` is NUL-terminated.
        let ptr = unsafe { bindings::dev_get_by_name(net.as_raw(), name.as_char_ptr()) };
        // INVARIANT: The device was found in the device list, hence it is registered.
        // SAFETY: `dev_get_by_name()` took a reference on the device that we now own.
        NonNull::new(ptr).map(|p| unsafe { ARef::from_raw(p.cast()) })
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

    /// Returns a copy of the device name (`netdev_copy_name()`).
    pub fn name(&self) -> Name {
        let mut buf = [0u8; IFNAMSIZ];
        // SAFETY: The device is valid and `buf` has `IFNAMSIZ` bytes.
        unsafe { bindings::netdev_copy_name(self.as_raw(), buf.as_mut_ptr().cast()) };
        Name(buf)
    }

    /// Returns the device name; it cannot change while RTNL is held.
    pub fn name_locked<'a>(&'a self, _rtnl: &'a Rtnl) -> &'a CStr {
        // SAFETY: The device is valid and its name is only changed with RTNL held, which the
        // caller holds for `'a`. `dev->name` is always NUL-terminated.
        unsafe { CStr::from_char_ptr((&raw const (*self.as_raw()).name).cast()) }
    }

    /// Returns the interface index.
    pub fn ifindex(&self) -> i32 {
        // SAFETY: The device is valid; `ifindex` is written with `WRITE_ONCE()`.
        unsafe { atomic_load(&raw mut (*self.as_raw()).ifindex, Relaxed) }
    }

    /// Returns the interface flags (`dev->flags`).
    pub fn flags(&self) -> Flags {
        // SAFETY: The device is valid; readers of `flags` race with writers in C as well, the
        // access is performed atomically.
        Flags(unsafe { atomic_load(&raw mut (*self.as_raw()).flags, Relaxed) })
    }

    /// Returns whether the device is up and running (`netif_running()`).
    pub fn is_running(&self) -> bool {
        // SAFETY: The device is valid.
        unsafe { bindings::netif_running(self.as_raw()) }
    }

    /// Returns the MTU.
    pub fn mtu(&self) -> u32 {
        // SAFETY: The device is valid; `mtu` is written with `WRITE_ONCE()`.
        unsafe { atomic_load(&raw mut (*self.as_raw()).mtu, Relaxed) }
    }

    /// Returns the minimum MTU.
    pub fn min_mtu(&self) -> u32 {
        // SAFETY: The device is valid; `min_mtu` is only written before registration.
        unsafe { atomic_load(&raw mut (*self.as_raw()).min_mtu, Relaxed) }
    }

    /// Returns the maximum MTU.
    pub fn max_mtu(&self) -> u32 {
        // SAFETY: The device is valid; `max_mtu` is normally only written before registration.
        unsafe { atomic_load(&raw mut (*self.as_raw()).max_mtu, Relaxed) }
    }

    /// Returns the transmit queue length.
    pub fn tx_queue_len(&self) -> u32 {
        // SAFETY: The device is valid; `tx_queue_len` is written with `WRITE_ONCE()`.
        unsafe { atomic_load(&raw mut (*self.as_raw()).tx_queue_len, Relaxed) }
    }

    /// Returns the active features (`dev->features`).
    pub fn features(&self) -> Features {
        // SAFETY: The device is valid; the access is performed atomically.
        Features(unsafe { atomic_load(&raw mut (*self.as_raw()).features, Relaxed) })
    }

    /// Returns the number of allocated transmit queues.
    pub fn num_tx_queues(&self) -> u32 {
        // SAFETY: The device is valid; `num_tx_queues` never changes after allocation.
        unsafe { (*self.as_raw()).num_tx_queues }
    }

    /// Returns the current MAC address (the first [`ETH_ALEN`] bytes of `dev->dev_addr`).
    pub fn mac_addr(&self) -> MacAddr {
        // SAFETY: The device is valid; `dev_addr` is set at allocation and never changes.
        let p = unsafe { (*self.as_raw()).dev_addr };
        let mut addr = [0u8; ETH_ALEN];
        for (i, b) in addr.iter_mut().enumerate() {
            // SAFETY: `dev_addr` points to `MAX_ADDR_LEN >= ETH_ALEN` bytes. The address may be
            // changed concurrently (under RTNL), so it is read with atomic accesses like C does
            // with its plain racy reads.
            *b = unsafe { atomic_load(p.add(i).cast_mut().cast::<i8>(), Relaxed) } as u8;
        }
        addr
    }

    /// Sets the MAC address without any check or notification (`eth_hw_addr_set()`).
    ///
    /// This is meant for [`DeviceOps::set_mac_address`] implementations (the core sends the
    /// notifications once the callback returns).
    pub fn set_mac_addr(&self, _rtnl: &Rtnl, addr: &MacAddr) {
        // SAFETY: The device is valid, RTNL is held (which serialises address changes), and
        // `addr` has `ETH_ALEN` bytes.
        unsafe { bindings::eth_hw_addr_set(self.as_raw(), addr.as_ptr()) };
    }

    /// Changes the MAC address with the semantics of the C `eth_mac_addr()`.
    ///
    /// Fails with `EBUSY` if the device is running and does not have
    /// [`PrivFlags::LIVE_ADDR_CHANGE`], and with `EADDRNOTAVAIL` if `addr` is not a valid unicast
    /// address.
    pub fn eth_mac_addr(&self, rtnl: &Rtnl, addr: &MacAddr) -> Result {
        // SAFETY: The device is valid; `priv_flags` is only changed before registration.
        let priv_flags = unsafe { bindings::netdev_get_priv_flags(self.as_raw()) };
        if priv_flags & PrivFlags::LIVE_ADDR_CHANGE.bits() == 0 && self.is_running() {
            return Err(EBUSY);
        }
        if !is_valid_ether_addr(addr) {
            return Err(EADDRNOTAVAIL);
        }
        self.set_mac_addr(rtnl, addr);
        Ok(())
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

    /// Returns whether the carrier is present (`netif_carrier_ok()`).
    pub fn carrier_ok(&self) -> bool {
        // SAFETY: The device is valid.
        unsafe { bindings::netif_carrier_ok(self.as_raw()) }
    }

    /// Returns the private flags (`dev->priv_flags`).
    pub fn priv_flags(&self) -> PrivFlags {
        // SAFETY: The device is valid; reading the flags is a plain load.
        PrivFlags(unsafe { bindings::netdev_get_priv_flags(self.as_raw()) })
    }

    /// Sets (`on`) or clears the given private flags of a device that may be registered.
    ///
    /// Only flags that the core reads under RTNL may change after registration; for
    /// [`PrivFlags::NO_QUEUE`] the change takes effect the next time the device is opened (when
    /// its default qdisc is attached).
    pub fn update_priv_flags(&self, _rtnl: &Rtnl, flags: PrivFlags, on: bool) {
        let dev = self.as_raw();
        // SAFETY: The device is valid and RTNL, which serialises writers of `priv_flags`, is held.
        unsafe {
            let old = bindings::netdev_get_priv_flags(dev);
            let new = if on { old | flags.0 } else { old & !flags.0 };
            bindings::netdev_set_priv_flags(dev, new);
        }
    }

    /// Allows transmission on the first transmit queue (`netif_start_queue()`).
    pub fn start_queue(&self) {
        // SAFETY: The device is registered, so its transmit queues are allocated.
        unsafe { bindings::netif_start_queue(self.as_raw()) };
    }

    /// Stops transmission on the first transmit queue (`netif_stop_queue()`).
    pub fn stop_queue(&self) {
        // SAFETY: The device is registered, so its transmit queues are allocated.
        unsafe { bindings::netif_stop_queue(self.as_raw()) };
    }

    /// Restarts transmission on the first transmit queue (`netif_wake_queue()`).
    pub fn wake_queue(&self) {
        // SAFETY: The device is registered, so its transmit queues are allocated.
        unsafe { bindings::netif_wake_queue(self.as_raw()) };
    }

    /// Returns whether the first transmit queue is stopped (`netif_queue_stopped()`).
    pub fn queue_stopped(&self) -> bool {
        // SAFETY: The device is registered, so its transmit queues are allocated.
        unsafe { bindings::netif_queue_stopped(self.as_raw()) }
    }

    /// Stops transmit queue `index` (`netif_stop_subqueue()`); does nothing if out of range.
    pub fn stop_subqueue(&self, index: u16) {
        if u32::from(index) < self.num_tx_queues() {
            // SAFETY: The device is registered and `index` is in range.
            unsafe { bindings::netif_stop_subqueue(self.as_raw(), index) };
        }
    }

    /// Restarts transmit queue `index` (`netif_wake_subqueue()`); does nothing if out of range.
    pub fn wake_subqueue(&self, index: u16) {
        if u32::from(index) < self.num_tx_queues() {
            // SAFETY: The device is registered and `index` is in range.
            unsafe { bindings::netif_wake_subqueue(self.as_raw(), index) };
        }
    }

    /// Returns whether transmit queue `index` is stopped (`true` if out of range).
    pub fn subqueue_stopped(&self, index: u16) -> bool {
        if u32::from(index) >= self.num_tx_queues() {
            return true;
        }
        // SAFETY: The device is registered and `index` is in range.
        unsafe { bindings::__netif_subqueue_stopped(self.as_raw(), index) }
    }

    /// Returns the network namespace of the device (`dev_net()`).
    ///
    /// A device can only move to another namespace with RTNL held, and a namespace is only
    /// destroyed after its devices were moved away or unregistered under RTNL.
    pub fn net<'a>(&'a self, _rtnl: &'a Rtnl) -> &'a Net {
        // SAFETY: The device is valid; the namespace stays alive while RTNL is held, see above.
        unsafe { Net::from_raw(bindings::dev_net(self.as_raw())) }
    }

    /// Calls `f` for every unicast address of the device (`netdev_for_each_uc_addr()`).
    ///
    /// The address list lock (`netif_addr_lock_bh()`) is held while `f` runs, so `f` must not
    /// sleep. This must not be called from [`DeviceOps::set_rx_mode`] (use its arguments).
    pub fn for_each_uc_addr(&self, f: impl FnMut(&MacAddr)) {
        // SAFETY: The device is valid.
        self.for_each_addr(unsafe { &raw mut (*self.as_raw()).uc }, f)
    }

    /// Calls `f` for every multicast address of the device (`netdev_for_each_mc_addr()`).
    ///
    /// Same locking rules as [`Device::for_each_uc_addr`].
    pub fn for_each_mc_addr(&self, f: impl FnMut(&MacAddr)) {
        // SAFETY: The device is valid.
        self.for_each_addr(unsafe { &raw mut (*self.as_raw()).mc }, f)
    }

    fn for_each_addr(&self, list: *mut bindings::netdev_hw_addr_list, f: impl FnMut(&MacAddr)) {
        // SAFETY: The device is valid.
        unsafe { bindings::netif_addr_lock_bh(self.as_raw()) };
        // SAFETY: `list` is one of the address lists of the device, which are protected by the
        // address list lock that we hold.
        unsafe { AddrList::from_raw(list) }.for_each(f);
        // SAFETY: The lock was taken above.
        unsafe { bindings::netif_addr_unlock_bh(self.as_raw()) };
    }

    /// Increments the core's `rx_dropped` counter (`dev_core_stats_rx_dropped_inc()`).
    pub fn core_stats_rx_dropped_inc(&self) {
        // SAFETY: The device is valid; this may be called in any context.
        unsafe { bindings::dev_core_stats_rx_dropped_inc(self.as_raw()) };
    }

    /// Increments the core's `tx_dropped` counter (`dev_core_stats_tx_dropped_inc()`).
    pub fn core_stats_tx_dropped_inc(&self) {
        // SAFETY: The device is valid; this may be called in any context.
        unsafe { bindings::dev_core_stats_tx_dropped_inc(self.as_raw()) };
    }

    fn reg_state(&self) -> u32 {
        // SAFETY: The device is valid.
        unsafe { reg_state(self.as_raw()) }
    }

    /// Returns the device as a [`TypedDevice<T>`] if it is driven by the Rust driver type `T`.
    ///
    /// The check is based on the private data header of Rust devices (see the
    /// [module documentation](self)), not on pointer comparisons of vtables.
    pub fn downcast<T: DeviceOps>(&self) -> Option<&TypedDevice<T>> {
        let dev = self.as_raw();
        // SAFETY: The device is valid. `priv_destructor` and `priv_len` are set before
        // registration and never change afterwards.
        let (destructor, priv_len) = unsafe { ((*dev).priv_destructor, (*dev).priv_len) };
        let ours: unsafe extern "C" fn(*mut bindings::net_device) = priv_destructor;
        if destructor.map(|d| d as usize) != Some(ours as usize) {
            return None;
        }
        if (priv_len as usize) < size_of::<Priv<T>>() {
            return None;
        }
        // SAFETY: The device was set up by `setup_callback()` (it is the only place that installs
        // `priv_destructor()`), so its private area starts with a `PrivHeader`.
        let hdr = unsafe { bindings::netdev_priv(dev) }.cast::<PrivHeader>();
        // SAFETY: `hdr` is valid; the header is only modified before registration and by the
        // destructor, which cannot run while we hold a reference to the registered device.
        let (type_id, init) = unsafe { ((*hdr).type_id, (*hdr).drop_data.is_some()) };
        let state = self.reg_state();
        if type_id != TypeId::of::<T>()
            || !init
            || state == bindings::netdev_reg_state_NETREG_UNINITIALIZED
            || state == bindings::netdev_reg_state_NETREG_DUMMY
        {
            return None;
        }
        // SAFETY: The device is a registered Rust device whose private data is an initialised
        // `T` (checked above); it stays so as long as `self` is valid, since the private data is
        // only dropped once all references to the device are gone.
        Some(unsafe { TypedDevice::from_raw(dev) })
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
/// are the ones of `T` and its private area holds a `Priv<T>`), its private data is an
/// initialised `T` for the lifetime of the reference, and the per-CPU statistics selected by
/// `T::PCPU_STATS` are allocated.
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

    /// Returns the driver's private data.
    pub fn data(&self) -> Pin<&T> {
        // SAFETY: By the type invariants the private area holds an initialised `Priv<T>`.
        let p = unsafe { bindings::netdev_priv(self.as_raw()) }.cast::<Priv<T>>();
        // SAFETY: The data is initialised and valid for the lifetime of `self`, and it is never
        // moved (it lives in the `net_device` allocation until it is dropped in place).
        unsafe { Pin::new_unchecked(&*(&raw const (*p).data).cast::<T>()) }
    }

    /// Accounts a received packet of `len` bytes (`dev_sw_netstats_rx_add()`).
    ///
    /// Only available if [`DeviceOps::PCPU_STATS`] is [`PcpuStats::Tstats`].
    pub fn tstats_add_rx(&self, len: u32) {
        const_assert!(matches!(T::PCPU_STATS, PcpuStats::Tstats));
        // SAFETY: The device uses `TSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_sw_netstats_rx_add(self.as_raw(), len) };
    }

    /// Accounts `packets` transmitted packets of `len` bytes in total
    /// (`dev_sw_netstats_tx_add()`).
    ///
    /// Only available if [`DeviceOps::PCPU_STATS`] is [`PcpuStats::Tstats`].
    pub fn tstats_add_tx(&self, packets: u32, len: u32) {
        const_assert!(matches!(T::PCPU_STATS, PcpuStats::Tstats));
        // SAFETY: The device uses `TSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_sw_netstats_tx_add(self.as_raw(), packets, len) };
    }

    /// Fills `stats` from `dev->stats` and the per-CPU `TSTATS` (`dev_get_tstats64()`).
    ///
    /// Useful in [`DeviceOps::get_stats64`] implementations that add their own counters.
    pub fn tstats64(&self, stats: &mut LinkStats64) {
        const_assert!(matches!(T::PCPU_STATS, PcpuStats::Tstats));
        // SAFETY: The device uses `TSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_get_tstats64(self.as_raw(), &raw mut stats.0) };
    }

    /// Accounts a received packet of `len` bytes (`dev_dstats_rx_add()`).
    ///
    /// Only available if [`DeviceOps::PCPU_STATS`] is [`PcpuStats::Dstats`].
    pub fn dstats_add_rx(&self, len: u32) {
        const_assert!(matches!(T::PCPU_STATS, PcpuStats::Dstats));
        // SAFETY: The device uses `DSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_dstats_rx_add(self.as_raw(), len) };
    }

    /// Accounts a dropped received packet (`dev_dstats_rx_dropped()`).
    pub fn dstats_rx_dropped(&self) {
        const_assert!(matches!(T::PCPU_STATS, PcpuStats::Dstats));
        // SAFETY: The device uses `DSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_dstats_rx_dropped(self.as_raw()) };
    }

    /// Accounts a transmitted packet of `len` bytes (`dev_dstats_tx_add()`).
    pub fn dstats_add_tx(&self, len: u32) {
        const_assert!(matches!(T::PCPU_STATS, PcpuStats::Dstats));
        // SAFETY: The device uses `DSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_dstats_tx_add(self.as_raw(), len) };
    }

    /// Accounts a dropped transmitted packet (`dev_dstats_tx_dropped()`).
    pub fn dstats_tx_dropped(&self) {
        const_assert!(matches!(T::PCPU_STATS, PcpuStats::Dstats));
        // SAFETY: The device uses `DSTATS` and its per-CPU statistics are allocated.
        unsafe { bindings::dev_dstats_tx_dropped(self.as_raw()) };
    }

    /// Converts a reference-counted [`Device`] into a [`TypedDevice<T>`], see
    /// [`Device::downcast`].
    pub fn from_device(dev: ARef<Device>) -> core::result::Result<ARef<Self>, ARef<Device>> {
        if dev.downcast::<T>().is_none() {
            return Err(dev);
        }
        let ptr = ARef::into_raw(dev);
        // SAFETY: The reference count is transferred; the device is a `TypedDevice<T>` (checked
        // above) and stays so while the reference is held.
        Ok(unsafe { ARef::from_raw(ptr.cast()) })
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

/// An owned reference to a network device, recorded by the device's reference tracker.
///
/// Like an [`ARef`], but taken with `netdev_hold()` and released with `netdev_put()`: with
/// `CONFIG_NET_DEV_REFCNT_TRACKER` the core records the stack that took each such reference and
/// prints it when an unregistration waits for it, or when it is released twice. Use it for
/// references kept for long (in private data, in state shared with a file); short-lived ones can
/// stay [`ARef`]s, whose `dev_hold()` is cheaper (no allocation).
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

/// A list of hardware addresses (`struct netdev_hw_addr_list`).
///
/// # Invariants
///
/// A `&AddrList` points to a valid list that is not modified for the lifetime of the reference
/// (either a snapshot owned by the caller, or a device list whose lock is held).
#[repr(transparent)]
pub struct AddrList(Opaque<bindings::netdev_hw_addr_list>);

impl AddrList {
    /// # Safety
    ///
    /// `ptr` must be valid and not modified for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::netdev_hw_addr_list) -> &'a AddrList {
        // SAFETY: Transparent wrapper; the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the number of addresses in the list.
    pub fn len(&self) -> usize {
        // SAFETY: The list is valid and not modified.
        let count = unsafe { (*self.0.get()).count };
        usize::try_from(count).unwrap_or(0)
    }

    /// Returns whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with each address (its first [`ETH_ALEN`] bytes).
    pub fn for_each(&self, mut f: impl FnMut(&MacAddr)) {
        let head = {
            // SAFETY: The list is valid.
            unsafe { &raw mut (*self.0.get()).list }
        };
        // SAFETY: `head` is a valid list head.
        let mut pos = unsafe { (*head).next };
        while pos != head {
            // SAFETY: Every entry of the list is the `list` field of a `struct netdev_hw_addr`.
            let ha = unsafe { crate::container_of!(pos, bindings::netdev_hw_addr, list) };
            // SAFETY: `ha` is a valid entry that is not modified while we hold `&self`; `addr`
            // has `MAX_ADDR_LEN >= ETH_ALEN` bytes.
            let addr = unsafe { &*(&raw const (*ha).addr).cast::<MacAddr>() };
            f(addr);
            // SAFETY: `pos` is a valid entry of the list.
            pos = unsafe { (*pos).next };
        }
    }
}

/// Interface statistics (`struct rtnl_link_stats64`), see [`DeviceOps::get_stats64`].
///
/// The core may pass storage that is only 4-byte aligned (inside a netlink message), hence the
/// packed representation.
#[repr(C, packed)]
pub struct LinkStats64(bindings::rtnl_link_stats64);

macro_rules! stats_accessors {
    ($($field:ident, $set:ident;)*) => {
        impl LinkStats64 {
            $(
                #[doc = concat!("Returns the `", stringify!($field), "` counter.")]
                pub fn $field(&self) -> u64 {
                    self.0.$field
                }

                #[doc = concat!("Sets the `", stringify!($field), "` counter.")]
                pub fn $set(&mut self, value: u64) {
                    self.0.$field = value;
                }
            )*
        }
    };
}

stats_accessors! {
    rx_packets, set_rx_packets;
    tx_packets, set_tx_packets;
    rx_bytes, set_rx_bytes;
    tx_bytes, set_tx_bytes;
    rx_errors, set_rx_errors;
    tx_errors, set_tx_errors;
    rx_dropped, set_rx_dropped;
    tx_dropped, set_tx_dropped;
    multicast, set_multicast;
    collisions, set_collisions;
    rx_length_errors, set_rx_length_errors;
    rx_over_errors, set_rx_over_errors;
    rx_crc_errors, set_rx_crc_errors;
    rx_frame_errors, set_rx_frame_errors;
    rx_fifo_errors, set_rx_fifo_errors;
    rx_missed_errors, set_rx_missed_errors;
    tx_aborted_errors, set_tx_aborted_errors;
    tx_carrier_errors, set_tx_carrier_errors;
    tx_fifo_errors, set_tx_fifo_errors;
    tx_heartbeat_errors, set_tx_heartbeat_errors;
    tx_window_errors, set_tx_window_errors;
    rx_nohandler, set_rx_nohandler;
}

/// The result of [`DeviceOps::start_xmit`].
pub enum TxResult {
    /// The packet was consumed (transmitted or dropped), `NETDEV_TX_OK`.
    Ok,
    /// The device could not take the packet, which is handed back to the core to be requeued
    /// (`NETDEV_TX_BUSY`). The queue should be stopped before returning this.
    ///
    /// The [`SkBuff`] must be the one passed to [`DeviceOps::start_xmit`], unmodified; if it is
    /// a different one, it is freed and `NETDEV_TX_OK` is returned.
    Busy(SkBuff),
}

/// Operations of a network device (`struct net_device_ops`), implemented by the driver's
/// per-device private data type.
///
/// The implementing type is the device's private data: it is initialised when the device is
/// registered (see [`Unregistered::register`] and
/// [`crate::net::rtnl::Registration::create_device`]) and dropped after the device is
/// unregistered and all references to it are gone. Its [`Drop`] runs in process context, with or
/// without RTNL held (RTNL is held when registration fails), so it must not take RTNL. References
/// to other devices ([`ARef<Device>`]) held by the private data delay the unregistration of those
/// devices until it is dropped; release them in [`crate::net::rtnl::LinkOps::dellink`] to avoid
/// reference cycles.
///
/// # Examples
///
/// ```no_run
/// use kernel::net::device::{DeviceOps, PcpuStats, TxResult, TypedDevice, Unregistered};
/// use kernel::net::skbuff::SkBuff;
/// use kernel::prelude::*;
///
/// struct Blackhole;
///
/// #[vtable]
/// impl DeviceOps for Blackhole {
///     const PCPU_STATS: PcpuStats = PcpuStats::Tstats;
///
///     fn setup(dev: &mut Unregistered<'_, Self>) {
///         dev.random_mac_addr();
///     }
///
///     fn start_xmit(dev: &TypedDevice<Self>, skb: SkBuff) -> TxResult {
///         dev.tstats_add_tx(1, skb.len());
///         skb.consume();
///         TxResult::Ok
///     }
/// }
/// ```
#[vtable]
pub trait DeviceOps: Sized + Send + Sync + 'static {
    /// The per-CPU statistics that the core allocates for the device.
    const PCPU_STATS: PcpuStats = PcpuStats::None;

    /// Sets up a newly allocated device (the `setup` function of `alloc_netdev_mqs()`).
    ///
    /// Called after `ether_setup()` and after the abstraction configured the device
    /// (`netdev_ops`, `needs_free_netdev`, `priv_destructor`, `pcpu_stat_type`, no
    /// `IFF_TX_SKB_SHARING`). The private data is not initialised yet. The default does nothing.
    fn setup(_dev: &mut Unregistered<'_, Self>) {}

    /// Called when the device is brought up (`ndo_open`).
    fn open(_dev: &TypedDevice<Self>, _rtnl: &Rtnl) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when the device is brought down (`ndo_stop`).
    fn stop(_dev: &TypedDevice<Self>, _rtnl: &Rtnl) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Transmits a packet (`ndo_start_xmit`). Required.
    ///
    /// Runs in softirq context (bottom halves disabled) with the transmit queue lock held
    /// unless the device is `lltx`; must not sleep.
    fn start_xmit(dev: &TypedDevice<Self>, skb: SkBuff) -> TxResult;

    /// Updates the receive filters (`ndo_set_rx_mode_async`).
    ///
    /// Runs in process context with RTNL held. `uc` and `mc` are snapshots of the unicast and
    /// multicast address lists; [`Device::flags`] tells about `IFF_PROMISC`/`IFF_ALLMULTI`.
    /// Returning an error makes the core retry later. If not implemented, a callback that does
    /// nothing is installed (so that multicast can be configured on the device).
    fn set_rx_mode(
        _dev: &TypedDevice<Self>,
        _rtnl: &Rtnl,
        _uc: &AddrList,
        _mc: &AddrList,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Changes the MAC address (`ndo_set_mac_address`), with RTNL held.
    ///
    /// The implementation must update the address, e.g. with [`Device::eth_mac_addr`] or
    /// [`Device::set_mac_addr`]. If not implemented, the C `eth_mac_addr()` is used.
    fn set_mac_address(_dev: &TypedDevice<Self>, _rtnl: &Rtnl, _addr: &MacAddr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Validates a new MTU (`ndo_change_mtu`), with RTNL held.
    ///
    /// `new_mtu` is within `[min_mtu, max_mtu]`. On success the abstraction stores the new MTU
    /// in the device. If not implemented, the core just stores it.
    fn change_mtu(_dev: &TypedDevice<Self>, _rtnl: &Rtnl, _new_mtu: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reports statistics (`ndo_get_stats64`); `stats` is zero-initialised. May be called
    /// concurrently from any context without RTNL.
    ///
    /// If not implemented, the core reports the per-CPU statistics selected by
    /// [`DeviceOps::PCPU_STATS`] (plus `dev->stats`).
    fn get_stats64(_dev: &TypedDevice<Self>, _stats: &mut LinkStats64) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Narrows the offload features for one packet before it is transmitted
    /// (`ndo_features_check`): the core segments the packet in software, or fills in its
    /// checksum, for whatever is removed from `features`. Runs in the transmit path (bottom
    /// halves disabled, RCU read lock held), before [`DeviceOps::start_xmit`].
    ///
    /// If not implemented, `features` is used as is (after the core's own checks).
    fn features_check(_dev: &TypedDevice<Self>, _skb: &SkBuff, _features: Features) -> Features {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// Header of the private area of Rust network devices.
#[repr(C)]
struct PrivHeader {
    /// The type of the private data.
    type_id: TypeId,
    /// Drops the private data; `None` while the private data is not initialised.
    drop_data: Option<unsafe fn(*mut PrivHeader)>,
}

/// Layout of the private area of a Rust network device with private data `T`.
#[repr(C)]
struct Priv<T> {
    hdr: PrivHeader,
    data: MaybeUninit<T>,
}

/// Guaranteed alignment of `netdev_priv()` (`NETDEV_ALIGN`).
const NETDEV_ALIGN: usize = 32;

/// Returns the size of the private area of a Rust device with private data `T`.
pub(crate) const fn priv_size<T: DeviceOps>() -> usize {
    const_assert!(align_of::<Priv<T>>() <= NETDEV_ALIGN);
    size_of::<Priv<T>>()
}

/// Drops the private data of type `T`.
///
/// # Safety
///
/// `hdr` must be the header of a `Priv<T>` whose data is initialised and no longer used.
unsafe fn drop_data<T>(hdr: *mut PrivHeader) {
    let p = hdr.cast::<Priv<T>>();
    // SAFETY: Per the safety requirements the data is initialised and no longer used.
    unsafe { core::ptr::drop_in_place((&raw mut (*p).data).cast::<T>()) };
}

/// The `priv_destructor` of all Rust network devices.
///
/// It is not generic so that [`Device::downcast`] can recognise Rust devices by it.
///
/// # Safety
///
/// `dev` must be a device set up by [`setup_callback`] whose private data is no longer used.
unsafe extern "C" fn priv_destructor(dev: *mut bindings::net_device) {
    // SAFETY: The device was set up by `setup_callback()`, so its private area starts with a
    // `PrivHeader`.
    let hdr = unsafe { bindings::netdev_priv(dev) }.cast::<PrivHeader>();
    // SAFETY: We have exclusive access to the private area, see the safety requirements.
    let drop_fn = unsafe { (*hdr).drop_data.take() };
    if let Some(drop_fn) = drop_fn {
        // SAFETY: `drop_data` is only set once the data was initialised, it is the function for
        // the right type, and it was just cleared so the data cannot be dropped twice.
        unsafe { drop_fn(hdr) };
    }
}

/// Initialises the private data of a device.
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
    let p = unsafe { bindings::netdev_priv(dev) }.cast::<Priv<T>>();
    // `setup_callback()` only writes the header (and installs `priv_destructor`) if aligned.
    if !p.is_aligned() {
        return Err(EINVAL);
    }
    // SAFETY: `data` is valid for writes, properly aligned (checked above), uninitialised, and it
    // will not be moved until it is dropped in place by `priv_destructor()` (or by
    // `cleanup_unregistered()`) before the memory is freed.
    unsafe { init.__init((&raw mut (*p).data).cast::<T>()) }.map_err(Error::from)?;
    // SAFETY: We have exclusive access to the header.
    unsafe { (*p).hdr.drop_data = Some(drop_data::<T>) };
    Ok(())
}

/// Cleans up the private data after `register_netdevice()` failed.
///
/// If the device never became visible (`NETREG_UNINITIALIZED`), the private data is dropped now
/// unless the core already did it through `priv_destructor`. Otherwise (the device was briefly
/// registered and is being unregistered) the core calls `priv_destructor` later.
///
/// # Safety
///
/// `dev` must be a Rust device for which `register_netdevice()` just failed and to which the
/// caller has exclusive access if it is in the `NETREG_UNINITIALIZED` state.
unsafe fn cleanup_failed_registration(dev: *mut bindings::net_device) {
    // SAFETY: `dev` is valid.
    if unsafe { reg_state(dev) } == bindings::netdev_reg_state_NETREG_UNINITIALIZED {
        // SAFETY: The device was never visible, so nobody else uses its private data.
        unsafe { priv_destructor(dev) };
    }
}

/// The `setup` function for devices with private data `T`.
///
/// # Safety
///
/// Must only be called by `alloc_netdev_mqs()` with a device allocated with
/// `priv_size::<T>()` bytes of private data.
pub(crate) unsafe extern "C" fn setup_callback<T: DeviceOps>(dev: *mut bindings::net_device) {
    // SAFETY: The device is being allocated, we have exclusive access to it.
    unsafe {
        bindings::ether_setup(dev);
        (*dev).netdev_ops = NetdevVTable::<T>::build();
        (*dev).needs_free_netdev = true;
        bindings::netdev_set_pcpu_stat_type(dev, T::PCPU_STATS.as_raw());
        let flags = bindings::netdev_get_priv_flags(dev);
        bindings::netdev_set_priv_flags(
            dev,
            flags & !bindings::netdev_priv_flags_IFF_TX_SKB_SHARING,
        );
    }
    // SAFETY: The private area has `priv_size::<T>()` bytes, zeroed by the allocator.
    let p = unsafe { bindings::netdev_priv(dev) }.cast::<Priv<T>>();
    // `netdev_priv()` is `NETDEV_ALIGN`-aligned, so this is not expected to fail. If it did, the
    // device would be left without private data header and `priv_destructor`, and `init_priv()`
    // would refuse to register it.
    if p.is_aligned() {
        // SAFETY: We have exclusive access to the header, which is aligned.
        unsafe {
            (&raw mut (*p).hdr).write(PrivHeader {
                type_id: TypeId::of::<T>(),
                drop_data: None,
            });
            (*dev).priv_destructor = Some(priv_destructor);
        }
    }
    // SAFETY: The device is allocated, not registered, exclusively accessed during `setup`, and
    // was just set up for `T`.
    let mut dev = unsafe { Unregistered::<T>::from_raw(dev) };
    T::setup(&mut dev);
}

/// A network device that is allocated but not registered yet.
///
/// It is handed to [`DeviceOps::setup`], to [`crate::net::rtnl::LinkOps::newlink`] (which must
/// register it with [`Unregistered::register`]) and to the `configure` closure of
/// [`crate::net::rtnl::Registration::create_device_with`]. It allows configuring the device
/// without synchronisation since nobody else can access it yet. It does not give access to a
/// [`Device`], since an unregistered device is not reference counted.
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

    /// Returns the MTU.
    pub fn mtu(&mut self) -> u32 {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).mtu }
    }

    /// Sets the MTU.
    pub fn set_mtu(&mut self, mtu: u32) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).mtu = mtu };
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

    /// Sets the transmit queue length.
    pub fn set_tx_queue_len(&mut self, len: u32) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).tx_queue_len = len };
    }

    /// Sets the headroom the device needs in transmitted skbs.
    pub fn set_needed_headroom(&mut self, len: u16) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).needed_headroom = len };
    }

    /// Sets the tailroom the device needs in transmitted skbs.
    pub fn set_needed_tailroom(&mut self, len: u16) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).needed_tailroom = len };
    }

    /// Returns the features (`dev->features`).
    pub fn features(&mut self) -> Features {
        // SAFETY: We have exclusive access to the device.
        Features(unsafe { (*self.raw()).features })
    }

    /// Sets the active features (`dev->features`).
    pub fn set_features(&mut self, features: Features) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).features = features.0 };
    }

    /// Sets the user-changeable features (`dev->hw_features`).
    pub fn set_hw_features(&mut self, features: Features) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).hw_features = features.0 };
    }

    /// Sets the features inherited by encapsulation devices (`dev->hw_enc_features`).
    pub fn set_hw_enc_features(&mut self, features: Features) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).hw_enc_features = features.0 };
    }

    /// Sets the features inherited by VLAN devices (`dev->vlan_features`).
    pub fn set_vlan_features(&mut self, features: Features) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).vlan_features = features.0 };
    }

    /// Sets whether the core takes no transmit lock around [`DeviceOps::start_xmit`]
    /// (`dev->lltx`, formerly `NETIF_F_LLTX`).
    pub fn set_lltx(&mut self, lltx: bool) {
        // SAFETY: We have exclusive access to the device.
        unsafe { bindings::netdev_set_lltx(self.raw(), lltx) };
    }

    /// Sets the given private flags.
    pub fn set_priv_flags(&mut self, flags: PrivFlags) {
        let dev = self.raw();
        // SAFETY: We have exclusive access to the device.
        unsafe {
            let old = bindings::netdev_get_priv_flags(dev);
            bindings::netdev_set_priv_flags(dev, old | flags.0);
        }
    }

    /// Clears the given private flags.
    pub fn clear_priv_flags(&mut self, flags: PrivFlags) {
        let dev = self.raw();
        // SAFETY: We have exclusive access to the device.
        unsafe {
            let old = bindings::netdev_get_priv_flags(dev);
            bindings::netdev_set_priv_flags(dev, old & !flags.0);
        }
    }

    /// Sets interface flags; only [`Flags::NOARP`], [`Flags::MULTICAST`], [`Flags::BROADCAST`]
    /// and [`Flags::POINTOPOINT`] are taken into account.
    pub fn set_flags(&mut self, flags: Flags) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).flags |= (flags & CONFIGURABLE_FLAGS).0 };
    }

    /// Clears interface flags; only [`Flags::NOARP`], [`Flags::MULTICAST`],
    /// [`Flags::BROADCAST`] and [`Flags::POINTOPOINT`] are taken into account.
    pub fn clear_flags(&mut self, flags: Flags) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).flags &= !(flags & CONFIGURABLE_FLAGS).0 };
    }

    /// Returns the MAC address.
    pub fn mac_addr(&mut self) -> MacAddr {
        let mut addr = [0u8; ETH_ALEN];
        // SAFETY: We have exclusive access to the device; `dev_addr` points to
        // `MAX_ADDR_LEN >= ETH_ALEN` bytes.
        unsafe {
            core::ptr::copy_nonoverlapping((*self.raw()).dev_addr, addr.as_mut_ptr(), ETH_ALEN)
        };
        addr
    }

    /// Sets the MAC address (`eth_hw_addr_set()`).
    pub fn set_mac_addr(&mut self, addr: &MacAddr) {
        // SAFETY: We have exclusive access to the device; `addr` has `ETH_ALEN` bytes.
        unsafe { bindings::eth_hw_addr_set(self.raw(), addr.as_ptr()) };
    }

    /// Sets a random MAC address (`eth_hw_addr_random()`), which also sets the assign type to
    /// [`AddrAssignType::Random`].
    pub fn random_mac_addr(&mut self) {
        // SAFETY: We have exclusive access to the device.
        unsafe { bindings::eth_hw_addr_random(self.raw()) };
    }

    /// Sets how the MAC address was assigned (`dev->addr_assign_type`).
    pub fn set_addr_assign_type(&mut self, ty: AddrAssignType) {
        let ty = match ty {
            AddrAssignType::Perm => bindings::NET_ADDR_PERM,
            AddrAssignType::Random => bindings::NET_ADDR_RANDOM,
            AddrAssignType::Set => bindings::NET_ADDR_SET,
        };
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).addr_assign_type = ty as u8 };
    }

    /// Sets `dev->ethtool_ops`; see [`crate::net::ethtool::EthtoolOps`].
    pub(crate) fn set_ethtool_ops_raw(&mut self, ops: &'static bindings::ethtool_ops) {
        // SAFETY: We have exclusive access to the device.
        unsafe { (*self.raw()).ethtool_ops = ops };
    }

    /// Signals the initial carrier state (`netif_carrier_on()`).
    pub fn carrier_on(&mut self) {
        // SAFETY: We have exclusive access to the device; on unregistered devices this only
        // updates the state bit.
        unsafe { bindings::netif_carrier_on(self.raw()) };
    }

    /// Signals the initial carrier state (`netif_carrier_off()`).
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
        let dev = self.raw();
        // SAFETY: By the type invariants the device is set up for `T`, not registered,
        // exclusively accessed, and its private data is not initialised.
        unsafe { init_priv(dev, init)? };
        // SAFETY: The device is fully allocated (only `newlink` has an owned `Unregistered`) and
        // RTNL is held.
        let ret = unsafe { bindings::register_netdevice(dev) };
        if ret != 0 {
            // SAFETY: Registration just failed.
            unsafe { cleanup_failed_registration(dev) };
            return Err(Error::from_errno(ret));
        }
        // SAFETY: The device is registered with initialised private data and allocated per-CPU
        // statistics; it stays valid at least until RTNL is released (it can only be
        // unregistered with RTNL held and freed after that), which is after `'a` ends.
        let dev = unsafe { TypedDevice::from_raw(dev) };
        Ok(Registered { dev })
    }
}

/// Proof that [`Unregistered::register`] succeeded, returned by
/// [`crate::net::rtnl::LinkOps::newlink`].
pub struct Registered<'a, T: DeviceOps> {
    dev: &'a TypedDevice<T>,
}

impl<'a, T: DeviceOps> Registered<'a, T> {
    /// Returns the registered device.
    pub fn device(&self) -> &'a TypedDevice<T> {
        self.dev
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
    configure: impl FnOnce(&mut Unregistered<'_, T>) -> Result,
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

    let res = (|| {
        // SAFETY: The device is allocated and set up for `T`, not registered, and exclusively
        // accessed for the duration of this closure.
        let mut unreg = unsafe { Unregistered::<T>::from_raw(dev) };
        configure(&mut unreg)?;
        // SAFETY: As above; the private data is not initialised yet.
        unsafe { init_priv(dev, init) }
    })();
    if let Err(e) = res {
        // SAFETY: The device was never registered; if `init_priv()` failed, the private data is
        // not initialised and `free_netdev()` does not call `priv_destructor`.
        unsafe { bindings::free_netdev(dev) };
        return Err(e);
    }

    let guard = crate::net::rtnl::lock();
    // SAFETY: RTNL is held and the device is fully allocated and initialised.
    let ret = unsafe { bindings::register_netdevice(dev) };
    if ret == 0 {
        // SAFETY: The device is registered with initialised private data; RTNL is still held so
        // it cannot have been unregistered and freed yet. Taking a reference keeps it alive.
        let dev = ARef::from(unsafe { TypedDevice::<T>::from_raw(dev) });
        drop(guard);
        return Ok(dev);
    }
    // Releasing RTNL completes a pending unregistration if the device was briefly registered.
    drop(guard);
    // SAFETY: Registration failed; if the device is still `NETREG_UNINITIALIZED`, nobody else
    // can access it.
    unsafe { cleanup_failed_registration(dev) };
    // SAFETY: Registration failed (and `needs_free_netdev` was cleared by the core in the case
    // where the device was unregistered), so the device must be freed by us.
    unsafe { bindings::free_netdev(dev) };
    Err(Error::from_errno(ret))
}

/// The `struct net_device_ops` of devices driven by `T`.
struct NetdevVTable<T: DeviceOps>(PhantomData<T>);

impl<T: DeviceOps> NetdevVTable<T> {
    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`.
    unsafe extern "C" fn open(dev: *mut bindings::net_device) -> c_int {
        from_result(|| {
            // SAFETY: `ndo_open` is called for a registered device of ours with RTNL held.
            let (dev, rtnl) = unsafe { (TypedDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
            T::open(dev, rtnl)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`.
    unsafe extern "C" fn stop(dev: *mut bindings::net_device) -> c_int {
        from_result(|| {
            // SAFETY: `ndo_stop` is called for a registered device of ours with RTNL held.
            let (dev, rtnl) = unsafe { (TypedDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
            T::stop(dev, rtnl)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T` and `skb` an skb owned by the caller.
    unsafe extern "C" fn start_xmit(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
    ) -> bindings::netdev_tx_t {
        // SAFETY: `ndo_start_xmit` is called for a registered device of ours.
        let tdev = unsafe { TypedDevice::<T>::from_raw(dev) };
        // SAFETY: The core passes ownership of the skb to `ndo_start_xmit`, and since Rust
        // devices do not have `IFF_TX_SKB_SHARING`, nobody else holds a reference to it.
        let owned = unsafe { SkBuff::from_raw(skb) };
        match T::start_xmit(tdev, owned) {
            TxResult::Ok => bindings::netdev_tx_NETDEV_TX_OK,
            TxResult::Busy(returned) => {
                if returned.as_raw() == skb {
                    // Ownership goes back to the core, which requeues the skb.
                    returned.into_raw();
                    bindings::netdev_tx_NETDEV_TX_BUSY
                } else {
                    // The original skb was consumed by the driver: the core must not requeue it.
                    drop(returned);
                    bindings::netdev_tx_NETDEV_TX_OK
                }
            }
        }
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`, `uc` and `mc` valid address lists.
    unsafe extern "C" fn set_rx_mode(
        dev: *mut bindings::net_device,
        uc: *mut bindings::netdev_hw_addr_list,
        mc: *mut bindings::netdev_hw_addr_list,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `ndo_set_rx_mode_async` is called for a registered device of ours with
            // RTNL held and with snapshot lists owned by the caller for the duration of the call.
            let (dev, rtnl, uc, mc) = unsafe {
                (
                    TypedDevice::<T>::from_raw(dev),
                    Rtnl::assume_held(),
                    AddrList::from_raw(uc),
                    AddrList::from_raw(mc),
                )
            };
            T::set_rx_mode(dev, rtnl, uc, mc)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// No requirements; called by the core as `ndo_set_rx_mode_async`.
    unsafe extern "C" fn set_rx_mode_nop(
        _dev: *mut bindings::net_device,
        _uc: *mut bindings::netdev_hw_addr_list,
        _mc: *mut bindings::netdev_hw_addr_list,
    ) -> c_int {
        0
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`, `addr` a `struct sockaddr_storage`.
    unsafe extern "C" fn set_mac_address(
        dev: *mut bindings::net_device,
        addr: *mut c_void,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `ndo_set_mac_address` is called for a registered device of ours with RTNL
            // held.
            let (dev, rtnl) = unsafe { (TypedDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
            let mut mac = [0u8; ETH_ALEN];
            // SAFETY: `addr` points to a `struct sockaddr_storage` (128 bytes) whose address
            // bytes start after the 2-byte family (`sa_data`).
            unsafe {
                core::ptr::copy_nonoverlapping(addr.cast::<u8>().add(2), mac.as_mut_ptr(), ETH_ALEN)
            };
            T::set_mac_address(dev, rtnl, &mac)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`.
    unsafe extern "C" fn change_mtu(dev: *mut bindings::net_device, new_mtu: c_int) -> c_int {
        from_result(|| {
            // SAFETY: `ndo_change_mtu` is called for a registered device of ours with RTNL held.
            let (tdev, rtnl) = unsafe { (TypedDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
            let mtu = u32::try_from(new_mtu).map_err(|_| EINVAL)?;
            T::change_mtu(tdev, rtnl, mtu)?;
            // SAFETY: The device is valid; readers use `READ_ONCE()`.
            unsafe { atomic_store(&raw mut (*dev).mtu, mtu, Relaxed) };
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`, `stats` valid for writes.
    unsafe extern "C" fn get_stats64(
        dev: *mut bindings::net_device,
        stats: *mut bindings::rtnl_link_stats64,
    ) {
        // SAFETY: `ndo_get_stats64` is called for a registered device of ours (or one being
        // unregistered, whose private data is still alive), with a storage owned by the caller.
        // `LinkStats64` is packed, so the storage does not need to be aligned.
        let (dev, stats) = unsafe {
            (
                TypedDevice::<T>::from_raw(dev),
                &mut *stats.cast::<LinkStats64>(),
            )
        };
        T::get_stats64(dev, stats);
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T` and `skb` a packet the caller owns.
    unsafe extern "C" fn features_check(
        skb: *mut bindings::sk_buff,
        dev: *mut bindings::net_device,
        features: bindings::netdev_features_t,
    ) -> bindings::netdev_features_t {
        // SAFETY: `ndo_features_check` is called for a registered device of ours.
        let dev = unsafe { TypedDevice::<T>::from_raw(dev) };
        // SAFETY: The caller owns the skb for the duration of the call; we only lend it out and
        // never free it (`ManuallyDrop`).
        let skb = core::mem::ManuallyDrop::new(unsafe { SkBuff::from_raw(skb) });
        T::features_check(dev, &skb, Features(features)).0
    }

    const VTABLE: bindings::net_device_ops = bindings::net_device_ops {
        ndo_open: if T::HAS_OPEN { Some(Self::open) } else { None },
        ndo_stop: if T::HAS_STOP { Some(Self::stop) } else { None },
        ndo_start_xmit: Some(Self::start_xmit),
        ndo_set_rx_mode_async: if T::HAS_SET_RX_MODE {
            Some(Self::set_rx_mode)
        } else {
            Some(Self::set_rx_mode_nop)
        },
        ndo_set_mac_address: if T::HAS_SET_MAC_ADDRESS {
            Some(Self::set_mac_address)
        } else {
            Some(bindings::eth_mac_addr)
        },
        ndo_validate_addr: Some(bindings::eth_validate_addr),
        ndo_change_mtu: if T::HAS_CHANGE_MTU {
            Some(Self::change_mtu)
        } else {
            None
        },
        ndo_get_stats64: if T::HAS_GET_STATS64 {
            Some(Self::get_stats64)
        } else {
            None
        },
        ndo_features_check: if T::HAS_FEATURES_CHECK {
            Some(Self::features_check)
        } else {
            None
        },
        ..pin_init::zeroed()
    };

    const fn build() -> &'static bindings::net_device_ops {
        &Self::VTABLE
    }
}
