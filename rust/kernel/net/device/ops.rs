// SPDX-License-Identifier: GPL-2.0

//! The operations of a Rust network device: [`DeviceOps`] and the tables the core calls them
//! through (`net_device_ops`, `ethtool_ops`, a sysfs attribute group).

use super::{AddrList, Features, TypedDevice, Unregistered};
use crate::{
    bindings,
    error::{from_result, VTABLE_DEFAULT_ERROR},
    net::{ethtool, rtnl::Rtnl, skbuff::SkBuff, sysfs},
    prelude::*,
};
use core::marker::PhantomData;

/// Type of the per-CPU statistics that the core allocates for a device (`dev->pcpu_stat_type`)
/// and reports in `ip -s link` with `dev->stats`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PcpuStats {
    /// No per-CPU statistics: the core reports `dev->stats`.
    None,
    /// `struct pcpu_dstats`: rx/tx packets, bytes and drops, see
    /// [`TypedDevice::dstats_add_rx`] and friends.
    Dstats,
}

impl PcpuStats {
    pub(super) const fn as_raw(self) -> bindings::netdev_stat_type {
        match self {
            Self::None => bindings::netdev_stat_type_NETDEV_PCPU_STAT_NONE,
            Self::Dstats => bindings::netdev_stat_type_NETDEV_PCPU_STAT_DSTATS,
        }
    }
}

/// The result of [`DeviceOps::start_xmit`].
pub enum TxResult {
    /// The packet was consumed (transmitted or dropped), `NETDEV_TX_OK`.
    Ok,
    /// The device could not take the packet, which is handed back to the core to be requeued
    /// (`NETDEV_TX_BUSY`). The queue must have been stopped, and the device must have a qdisc
    /// (see [`super::Device::txq_has_qdisc`]).
    ///
    /// The [`SkBuff`] must be the one passed to [`DeviceOps::start_xmit`] (its state may have
    /// changed, e.g. a checksum filled in); if it is a different one, it is freed and
    /// `NETDEV_TX_OK` is returned.
    Busy(SkBuff),
}

/// Operations of a network device, implemented by the driver's per-device private data type:
/// `net_device_ops`, the `ethtool` operations and the device's own sysfs attributes.
///
/// The operation tables of a type are statics declared with [`crate::net_device_type!`]; every
/// device of the type gets all of them. The implementing type is the device's private data: it
/// is initialised when the device is registered (see [`Unregistered::register`] and
/// [`crate::net::rtnl::Registration::create_device`]) and dropped after the device is
/// unregistered and all references to it are gone. Its [`Drop`] runs in process context, with or
/// without RTNL held, so it must not take RTNL. References to other devices held by the private
/// data delay the unregistration of those devices until they are dropped: release them in
/// [`crate::net::rtnl::LinkOps::dellink`] or [`DeviceOps::uninit`].
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
///     const PCPU_STATS: PcpuStats = PcpuStats::Dstats;
///
///     fn setup(dev: &mut Unregistered<'_, Self>) {
///         dev.random_mac_addr();
///     }
///
///     fn start_xmit(dev: &TypedDevice<Self>, skb: SkBuff) -> TxResult {
///         dev.dstats_add_tx(skb.len());
///         skb.consume();
///         TxResult::Ok
///     }
/// }
///
/// kernel::net_device_type!(Blackhole);
/// ```
#[vtable]
pub trait DeviceOps: HasVTable + Sized + Send + Sync + 'static {
    /// The per-CPU statistics that the core allocates for the device.
    const PCPU_STATS: PcpuStats = PcpuStats::None;

    /// Names of the driver's own statistics in `ethtool -S` (`ETH_SS_STATS`), reported if
    /// [`DeviceOps::get_ethtool_stats`] is implemented. Names are truncated to 31 bytes.
    const ETHTOOL_STATS: &'static [&'static CStr] = &[];

    /// Name of the directory of the device's own sysfs attributes,
    /// `/sys/class/net/<dev>/<SYSFS_GROUP>/`; used if [`DeviceOps::SYSFS_ATTRIBUTES`] is not
    /// empty.
    const SYSFS_GROUP: &'static CStr = c"";

    /// The device's own sysfs attributes. Their index in this slice is what
    /// [`DeviceOps::sysfs_show`] and [`DeviceOps::sysfs_store`] get.
    const SYSFS_ATTRIBUTES: &'static [sysfs::Attribute] = &[];

    /// Sets up a newly allocated device (the `setup` function of `alloc_netdev_mqs()`).
    ///
    /// Called after `ether_setup()` and after the abstraction installed the device type's
    /// operation tables, `needs_free_netdev` and `pcpu_stat_type`. The private data is not
    /// initialised yet. The default does nothing.
    fn setup(_dev: &mut Unregistered<'_, Self>) {}

    /// Called when the device is brought up (`ndo_open`), with RTNL held.
    fn open(_dev: &TypedDevice<Self>, _rtnl: &Rtnl) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called when the device is brought down (`ndo_stop`), with RTNL held.
    fn stop(_dev: &TypedDevice<Self>, _rtnl: &Rtnl) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Called while the device is unregistered (`ndo_uninit`), with RTNL held, after the device
    /// was closed and unlisted and after an RCU grace period that started once
    /// [`crate::net::rtnl::LinkOps::dellink`] had returned: what `dellink` unpublished from RCU
    /// readers can be freed here without waiting. Also called if registration fails late.
    fn uninit(_dev: &TypedDevice<Self>, _rtnl: &Rtnl) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Transmits a packet (`ndo_start_xmit`). Required.
    ///
    /// Runs in softirq context (bottom halves disabled) within an RCU read-side critical
    /// section, with the transmit queue lock held unless the device is `lltx`; must not sleep.
    fn start_xmit(dev: &TypedDevice<Self>, skb: SkBuff) -> TxResult;

    /// Narrows the offload features for one packet before it is transmitted
    /// (`ndo_features_check`): the core segments the packet in software, or fills in its
    /// checksum, for whatever is removed from `features`. Runs in the transmit path (bottom
    /// halves disabled, RCU read lock held), before [`DeviceOps::start_xmit`].
    fn features_check(_dev: &TypedDevice<Self>, _skb: &SkBuff, _features: Features) -> Features {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Updates the receive filters (`ndo_set_rx_mode_async`).
    ///
    /// Runs in process context with RTNL held. `uc` and `mc` are snapshots of the unicast and
    /// multicast address lists; [`super::Device::flags`] tells about `IFF_PROMISC` and
    /// `IFF_ALLMULTI`. Returning an error makes the core retry later. If not implemented, a
    /// callback that does nothing is installed (so that multicast can be configured).
    fn set_rx_mode(
        _dev: &TypedDevice<Self>,
        _rtnl: &Rtnl,
        _uc: &AddrList,
        _mc: &AddrList,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reports driver information for `ethtool -i` (`get_drvinfo`).
    fn get_drvinfo(_dev: &TypedDevice<Self>, _info: &mut ethtool::DrvInfo) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Fills the values of the statistics named by [`DeviceOps::ETHTOOL_STATS`], in the same
    /// order (`get_ethtool_stats`); `data` has `ETHTOOL_STATS.len()` entries.
    fn get_ethtool_stats(_dev: &TypedDevice<Self>, _data: &mut [u64]) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Writes the value of sysfs attribute `index` into `buf`. Runs in process context, without
    /// RTNL.
    fn sysfs_show(
        _dev: &TypedDevice<Self>,
        _index: usize,
        _buf: &mut sysfs::ShowBuffer<'_>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sets sysfs attribute `index` from `data` (what user space wrote, at most one page,
    /// trailing newline included). Runs in process context with RTNL held, on a registered
    /// device, for a writer that has `CAP_NET_ADMIN` over the device's namespace (like every
    /// net-sysfs store).
    fn sysfs_store(_dev: &TypedDevice<Self>, _rtnl: &Rtnl, _index: usize, _data: &[u8]) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The operation tables of the device type `T`, a static declared with
/// [`crate::net_device_type!`].
///
/// # Invariants
///
/// Every instance is a `static`, so its address (and that of its `net_device_ops`) is unique to
/// the type it was declared for.
#[repr(C)]
pub struct VTable<T: DeviceOps> {
    netdev: bindings::net_device_ops,
    ethtool: bindings::ethtool_ops,
    sysfs_group: Option<&'static sysfs::Group>,
    _p: PhantomData<T>,
}

// SAFETY: The tables are immutable and only hold pointers to functions and to other statics.
unsafe impl<T: DeviceOps> Sync for VTable<T> {}

/// Implemented for a device type by [`crate::net_device_type!`], never by hand.
///
/// # Safety
///
/// `vtable()` must always return the same reference, to a `static` declared for `Self` alone.
pub unsafe trait HasVTable: 'static {
    /// The device type's operation tables.
    fn vtable() -> &'static VTable<Self>
    where
        Self: DeviceOps;
}

impl<T: DeviceOps> VTable<T> {
    /// The tables of `T`; `sysfs_group` is the group of `T`'s attributes, if it has any.
    ///
    /// Only for [`crate::net_device_type!`], which stores the result in a `static`.
    #[doc(hidden)]
    pub const fn new(sysfs_group: Option<&'static sysfs::Group>) -> Self {
        Self {
            netdev: NetdevOps::<T>::TABLE,
            ethtool: ethtool::table::<T>(),
            sysfs_group,
            _p: PhantomData,
        }
    }

    pub(crate) fn netdev_ops(&'static self) -> &'static bindings::net_device_ops {
        &self.netdev
    }

    pub(crate) fn ethtool_ops(&'static self) -> &'static bindings::ethtool_ops {
        &self.ethtool
    }

    pub(crate) fn sysfs_group(&'static self) -> Option<&'static sysfs::Group> {
        self.sysfs_group
    }
}

/// Declares the operation tables of the network device type `$t` (which implements
/// [`DeviceOps`](crate::net::device::DeviceOps)): `net_device_ops`, `ethtool_ops` and the group
/// of its sysfs attributes, as statics. Required once per device type.
///
/// ```ignore
/// kernel::net_device_type!(MyDevice);
/// ```
#[macro_export]
macro_rules! net_device_type {
    ($t:ty) => {
        const _: () = {
            const N: usize = <$t as $crate::net::device::DeviceOps>::SYSFS_ATTRIBUTES.len();
            static SYSFS_ATTRS: $crate::net::sysfs::Attrs<$t, N> = $crate::net::sysfs::Attrs::new();
            static SYSFS_PTRS: $crate::net::sysfs::AttrPtrs<{ N + 1 }> = {
                let mut p = $crate::net::sysfs::AttrPtrs::<{ N + 1 }>::EMPTY;
                let mut i = 0;
                while i < N {
                    p.set(i, SYSFS_ATTRS.attr(i));
                    i += 1;
                }
                p
            };
            static SYSFS_GROUP: $crate::net::sysfs::Group = $crate::net::sysfs::Group::new(
                <$t as $crate::net::device::DeviceOps>::SYSFS_GROUP,
                SYSFS_PTRS.as_ptr(),
            );
            static VTABLE: $crate::net::device::VTable<$t> =
                $crate::net::device::VTable::new(if N > 0 { Some(&SYSFS_GROUP) } else { None });
            // SAFETY: `VTABLE` is a static declared for `$t` alone.
            unsafe impl $crate::net::device::HasVTable for $t {
                fn vtable() -> &'static $crate::net::device::VTable<Self> {
                    &VTABLE
                }
            }
        };
    };
}

/// The `net_device_ops` callbacks of devices driven by `T`.
struct NetdevOps<T: DeviceOps>(PhantomData<T>);

impl<T: DeviceOps> NetdevOps<T> {
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
    /// `dev` must be a device driven by `T` whose private data is initialised.
    unsafe extern "C" fn uninit(dev: *mut bindings::net_device) {
        // SAFETY: `ndo_uninit` is called with RTNL held, for a device of ours that is being
        // unregistered (or failed to register after `ndo_init`), whose private data is
        // initialised (`register()` initialises it before `register_netdevice()`) and dropped
        // only after this call, by `priv_destructor`.
        let (dev, rtnl) = unsafe { (TypedDevice::<T>::from_raw(dev), Rtnl::assume_held()) };
        T::uninit(dev, rtnl);
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
        T::features_check(dev, &skb, Features::from_bits(features)).bits()
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

    const TABLE: bindings::net_device_ops = bindings::net_device_ops {
        ndo_open: if T::HAS_OPEN { Some(Self::open) } else { None },
        ndo_stop: if T::HAS_STOP { Some(Self::stop) } else { None },
        ndo_uninit: if T::HAS_UNINIT {
            Some(Self::uninit)
        } else {
            None
        },
        ndo_start_xmit: Some(Self::start_xmit),
        ndo_set_rx_mode_async: if T::HAS_SET_RX_MODE {
            Some(Self::set_rx_mode)
        } else {
            Some(Self::set_rx_mode_nop)
        },
        ndo_set_mac_address: Some(bindings::eth_mac_addr),
        ndo_validate_addr: Some(bindings::eth_validate_addr),
        ndo_features_check: if T::HAS_FEATURES_CHECK {
            Some(Self::features_check)
        } else {
            None
        },
        ..pin_init::zeroed()
    };
}
