// SPDX-License-Identifier: GPL-2.0

//! Ethtool operations of network devices.
//!
//! C headers: [`include/linux/ethtool.h`](srctree/include/linux/ethtool.h),
//! [`include/uapi/linux/ethtool.h`](srctree/include/uapi/linux/ethtool.h).

use crate::{
    bindings,
    error::{
        from_result,
        VTABLE_DEFAULT_ERROR, //
    },
    net::device::{
        DeviceOps,
        TypedDevice,
        Unregistered, //
    },
    prelude::*,
};
use core::marker::PhantomData;

/// Copies `src` into the fixed-size C string `dst`, truncating it and NUL-terminating it.
fn copy_c_str(dst: &mut [c_char], src: &CStr) {
    let Some(max) = dst.len().checked_sub(1) else {
        return;
    };
    let bytes = src.to_bytes();
    let n = bytes.len().min(max);
    for (d, s) in dst.iter_mut().zip(bytes[..n].iter()) {
        *d = *s as c_char;
    }
    for d in dst[n..].iter_mut() {
        *d = 0;
    }
}

/// Driver information (`struct ethtool_drvinfo`), see [`EthtoolOps::get_drvinfo`].
#[repr(transparent)]
pub struct DrvInfo(bindings::ethtool_drvinfo);

impl DrvInfo {
    /// Sets the driver name (truncated to 31 bytes).
    pub fn set_driver(&mut self, s: &CStr) {
        copy_c_str(&mut self.0.driver, s);
    }

    /// Sets the driver version (truncated to 31 bytes).
    pub fn set_version(&mut self, s: &CStr) {
        copy_c_str(&mut self.0.version, s);
    }

    /// Sets the firmware version (truncated to 31 bytes).
    pub fn set_fw_version(&mut self, s: &CStr) {
        copy_c_str(&mut self.0.fw_version, s);
    }

    /// Sets the bus information (truncated to 31 bytes).
    pub fn set_bus_info(&mut self, s: &CStr) {
        copy_c_str(&mut self.0.bus_info, s);
    }
}

/// Duplex mode, see [`LinkKsettings::set_duplex`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Duplex {
    /// Half duplex.
    Half,
    /// Full duplex.
    Full,
    /// Unknown.
    Unknown,
}

/// Link settings (`struct ethtool_link_ksettings`), see [`EthtoolOps::get_link_ksettings`].
#[repr(transparent)]
pub struct LinkKsettings(bindings::ethtool_link_ksettings);

impl LinkKsettings {
    /// Sets the speed in Mb/s (`u32::MAX` for unknown, `SPEED_UNKNOWN`).
    pub fn set_speed(&mut self, mbps: u32) {
        self.0.base.speed = mbps;
    }

    /// Sets the duplex mode.
    pub fn set_duplex(&mut self, duplex: Duplex) {
        self.0.base.duplex = match duplex {
            Duplex::Half => bindings::DUPLEX_HALF,
            Duplex::Full => bindings::DUPLEX_FULL,
            Duplex::Unknown => bindings::DUPLEX_UNKNOWN,
        } as u8;
    }

    /// Sets the port type to "other" (`PORT_OTHER`), as used by virtual devices.
    pub fn set_port_other(&mut self) {
        self.0.base.port = bindings::PORT_OTHER as u8;
    }

    /// Sets whether auto-negotiation is enabled.
    pub fn set_autoneg(&mut self, enabled: bool) {
        self.0.base.autoneg = if enabled {
            bindings::AUTONEG_ENABLE
        } else {
            bindings::AUTONEG_DISABLE
        } as u8;
    }
}

/// Ethtool operations (`struct ethtool_ops`) of a Rust network device, implemented by its
/// private data type in addition to [`DeviceOps`].
///
/// Install them from [`DeviceOps::setup`] with [`Unregistered::set_ethtool_ops`]. Besides the
/// implemented callbacks, `get_link` defaults to `ethtool_op_get_link()` (carrier state) and
/// `get_ts_info` to `ethtool_op_get_ts_info()` (software timestamping).
///
/// # Examples
///
/// ```no_run
/// use kernel::net::device::{DeviceOps, TxResult, TypedDevice, Unregistered};
/// use kernel::net::ethtool::{DrvInfo, EthtoolOps};
/// use kernel::net::skbuff::SkBuff;
/// use kernel::prelude::*;
/// use kernel::sync::atomic::{Atomic, Relaxed};
///
/// #[pin_data]
/// struct Dev {
///     drops: Atomic<u64>,
/// }
///
/// #[vtable]
/// impl DeviceOps for Dev {
///     fn setup(dev: &mut Unregistered<'_, Self>) {
///         dev.set_ethtool_ops();
///     }
///
///     fn start_xmit(dev: &TypedDevice<Self>, skb: SkBuff) -> TxResult {
///         dev.data().drops.fetch_add(1, Relaxed);
///         drop(skb);
///         TxResult::Ok
///     }
/// }
///
/// #[vtable]
/// impl EthtoolOps for Dev {
///     const STATS: &'static [&'static CStr] = &[c"tx_drops"];
///
///     fn get_drvinfo(_dev: &TypedDevice<Self>, info: &mut DrvInfo) {
///         info.set_driver(c"example");
///     }
///
///     fn get_ethtool_stats(dev: &TypedDevice<Self>, data: &mut [u64]) {
///         if let Some(d) = data.get_mut(0) {
///             *d = dev.data().drops.load(Relaxed);
///         }
///     }
/// }
/// ```
#[vtable]
pub trait EthtoolOps: DeviceOps {
    /// Names of the driver-specific statistics (`ETH_SS_STATS`), reported if
    /// [`EthtoolOps::get_ethtool_stats`] is implemented. Names are truncated to 31 bytes.
    const STATS: &'static [&'static CStr] = &[];

    /// Reports driver information (`get_drvinfo`).
    fn get_drvinfo(_dev: &TypedDevice<Self>, _info: &mut DrvInfo) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reports whether the link is up (`get_link`); defaults to the carrier state.
    fn get_link(_dev: &TypedDevice<Self>) -> bool {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Fills the values of the statistics named by [`EthtoolOps::STATS`], in the same order
    /// (`get_ethtool_stats`). `data` normally has `STATS.len()` entries.
    fn get_ethtool_stats(_dev: &TypedDevice<Self>, _data: &mut [u64]) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reports the link settings (`get_link_ksettings`).
    fn get_link_ksettings(_dev: &TypedDevice<Self>, _settings: &mut LinkKsettings) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

impl<T: EthtoolOps> Unregistered<'_, T> {
    /// Installs the ethtool operations of `T` (`dev->ethtool_ops`).
    pub fn set_ethtool_ops(&mut self) {
        self.set_ethtool_ops_raw(EthtoolVTable::<T>::build());
    }
}

struct EthtoolVTable<T: EthtoolOps>(PhantomData<T>);

impl<T: EthtoolOps> EthtoolVTable<T> {
    const HAS_STATS: bool = T::HAS_GET_ETHTOOL_STATS && !T::STATS.is_empty();

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`, `info` valid for writes.
    unsafe extern "C" fn get_drvinfo(
        dev: *mut bindings::net_device,
        info: *mut bindings::ethtool_drvinfo,
    ) {
        // SAFETY: Ethtool operations are only called on registered devices; `info` is owned by
        // the caller for the duration of the call.
        let (dev, info) = unsafe {
            (
                TypedDevice::<T>::from_raw(dev),
                &mut *info.cast::<DrvInfo>(),
            )
        };
        T::get_drvinfo(dev, info);
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`.
    unsafe extern "C" fn get_link(dev: *mut bindings::net_device) -> u32 {
        // SAFETY: Ethtool operations are only called on registered devices.
        u32::from(T::get_link(unsafe { TypedDevice::<T>::from_raw(dev) }))
    }

    /// # Safety
    ///
    /// No requirements; called by the core as `get_sset_count`.
    unsafe extern "C" fn get_sset_count(_dev: *mut bindings::net_device, sset: c_int) -> c_int {
        if sset == bindings::ethtool_stringset_ETH_SS_STATS as c_int {
            c_int::try_from(T::STATS.len()).unwrap_or(0)
        } else {
            EOPNOTSUPP.to_errno()
        }
    }

    /// # Safety
    ///
    /// `data` must have room for `get_sset_count(sset)` strings of `ETH_GSTRING_LEN` bytes.
    unsafe extern "C" fn get_strings(_dev: *mut bindings::net_device, sset: u32, data: *mut u8) {
        if sset != bindings::ethtool_stringset_ETH_SS_STATS {
            return;
        }
        let mut p = data;
        for name in T::STATS {
            // SAFETY: `p` points to room for one more string, which `ethtool_puts()` fills
            // (truncating and padding) before advancing `p`.
            unsafe { bindings::ethtool_puts(&mut p, name.as_char_ptr()) };
        }
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`, `stats` valid and `data` valid for
    /// `stats->n_stats` values.
    unsafe extern "C" fn get_ethtool_stats(
        dev: *mut bindings::net_device,
        stats: *mut bindings::ethtool_stats,
        data: *mut u64,
    ) {
        // SAFETY: `stats` is valid.
        let n = unsafe { (*stats).n_stats } as usize;
        if !data.is_aligned() {
            return;
        }
        // SAFETY: Ethtool operations are only called on registered devices; `data` has room for
        // `n` values and is owned by the caller for the duration of the call.
        let (dev, data) = unsafe {
            (
                TypedDevice::<T>::from_raw(dev),
                core::slice::from_raw_parts_mut(data, n),
            )
        };
        T::get_ethtool_stats(dev, data);
    }

    /// # Safety
    ///
    /// `dev` must be a registered device driven by `T`, `ks` valid for writes.
    unsafe extern "C" fn get_link_ksettings(
        dev: *mut bindings::net_device,
        ks: *mut bindings::ethtool_link_ksettings,
    ) -> c_int {
        from_result(|| {
            // SAFETY: Ethtool operations are only called on registered devices; `ks` is owned by
            // the caller for the duration of the call.
            let (dev, ks) = unsafe {
                (
                    TypedDevice::<T>::from_raw(dev),
                    &mut *ks.cast::<LinkKsettings>(),
                )
            };
            T::get_link_ksettings(dev, ks)?;
            Ok(0)
        })
    }

    const VTABLE: bindings::ethtool_ops = bindings::ethtool_ops {
        get_drvinfo: if T::HAS_GET_DRVINFO {
            Some(Self::get_drvinfo)
        } else {
            None
        },
        get_link: if T::HAS_GET_LINK {
            Some(Self::get_link)
        } else {
            Some(bindings::ethtool_op_get_link)
        },
        get_sset_count: if Self::HAS_STATS {
            Some(Self::get_sset_count)
        } else {
            None
        },
        get_strings: if Self::HAS_STATS {
            Some(Self::get_strings)
        } else {
            None
        },
        get_ethtool_stats: if Self::HAS_STATS {
            Some(Self::get_ethtool_stats)
        } else {
            None
        },
        get_link_ksettings: if T::HAS_GET_LINK_KSETTINGS {
            Some(Self::get_link_ksettings)
        } else {
            None
        },
        get_ts_info: Some(bindings::ethtool_op_get_ts_info),
        ..pin_init::zeroed()
    };

    const fn build() -> &'static bindings::ethtool_ops {
        &Self::VTABLE
    }
}
