// SPDX-License-Identifier: GPL-2.0

//! Ethtool operations of network devices, implemented through [`DeviceOps`]
//! ([`DeviceOps::get_drvinfo`], [`DeviceOps::get_ethtool_stats`]).
//!
//! C headers: [`include/linux/ethtool.h`](srctree/include/linux/ethtool.h),
//! [`include/uapi/linux/ethtool.h`](srctree/include/uapi/linux/ethtool.h).

use crate::{
    bindings,
    net::device::{DeviceOps, TypedDevice},
    prelude::*,
};

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

/// Driver information (`struct ethtool_drvinfo`), see [`DeviceOps::get_drvinfo`].
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

    /// Sets the bus information (truncated to 31 bytes).
    pub fn set_bus_info(&mut self, s: &CStr) {
        copy_c_str(&mut self.0.bus_info, s);
    }
}

/// The `ethtool_ops` of devices driven by `T`: the implemented callbacks, `get_link` from the
/// carrier state (`ethtool_op_get_link()`) and software timestamping (`ethtool_op_get_ts_info()`;
/// the driver must then call [`crate::net::skbuff::SkBuff::tx_timestamp`] on transmit).
pub(crate) const fn table<T: DeviceOps>() -> bindings::ethtool_ops {
    let stats = T::HAS_GET_ETHTOOL_STATS && !T::ETHTOOL_STATS.is_empty();
    bindings::ethtool_ops {
        get_drvinfo: if T::HAS_GET_DRVINFO {
            Some(get_drvinfo::<T>)
        } else {
            None
        },
        get_link: Some(bindings::ethtool_op_get_link),
        get_sset_count: if stats {
            Some(get_sset_count::<T>)
        } else {
            None
        },
        get_strings: if stats { Some(get_strings::<T>) } else { None },
        get_ethtool_stats: if stats {
            Some(get_ethtool_stats::<T>)
        } else {
            None
        },
        get_ts_info: Some(bindings::ethtool_op_get_ts_info),
        ..pin_init::zeroed()
    }
}

/// # Safety
///
/// `dev` must be a registered device driven by `T`, `info` valid for writes.
unsafe extern "C" fn get_drvinfo<T: DeviceOps>(
    dev: *mut bindings::net_device,
    info: *mut bindings::ethtool_drvinfo,
) {
    // SAFETY: Ethtool operations are only called on registered devices; `info` is owned by the
    // caller for the duration of the call.
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
/// No requirements; called by the core as `get_sset_count`.
unsafe extern "C" fn get_sset_count<T: DeviceOps>(
    _dev: *mut bindings::net_device,
    sset: c_int,
) -> c_int {
    if sset == bindings::ethtool_stringset_ETH_SS_STATS as c_int {
        c_int::try_from(T::ETHTOOL_STATS.len()).unwrap_or(0)
    } else {
        EOPNOTSUPP.to_errno()
    }
}

/// # Safety
///
/// `data` must have room for `get_sset_count(sset)` strings of `ETH_GSTRING_LEN` bytes.
unsafe extern "C" fn get_strings<T: DeviceOps>(
    _dev: *mut bindings::net_device,
    sset: u32,
    data: *mut u8,
) {
    if sset != bindings::ethtool_stringset_ETH_SS_STATS {
        return;
    }
    let mut p = data;
    for name in T::ETHTOOL_STATS {
        // SAFETY: `p` points to room for one more string, which `ethtool_puts()` fills
        // (truncating and padding) before advancing `p`.
        unsafe { bindings::ethtool_puts(&mut p, name.as_char_ptr()) };
    }
}

/// # Safety
///
/// `dev` must be a registered device driven by `T`, `stats` valid and `data` valid for
/// `stats->n_stats` values.
unsafe extern "C" fn get_ethtool_stats<T: DeviceOps>(
    dev: *mut bindings::net_device,
    stats: *mut bindings::ethtool_stats,
    data: *mut u64,
) {
    // SAFETY: `stats` is valid.
    let n = unsafe { (*stats).n_stats } as usize;
    // SAFETY: Ethtool operations are only called on registered devices; `data` has room for `n`
    // values (the core allocates them as `u64`s) and is owned by the caller during the call.
    let (dev, data) = unsafe {
        (
            TypedDevice::<T>::from_raw(dev),
            core::slice::from_raw_parts_mut(data, n),
        )
    };
    T::get_ethtool_stats(dev, data);
}
