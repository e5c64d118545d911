// SPDX-License-Identifier: GPL-2.0

//! Ethernet addresses, header sizes and names.
//!
//! C headers: [`include/linux/etherdevice.h`](srctree/include/linux/etherdevice.h),
//! [`include/uapi/linux/if_ether.h`](srctree/include/uapi/linux/if_ether.h).

use crate::{bindings, types::Opaque};

use super::IFNAMSIZ;

/// Length of an Ethernet address.
pub const ETH_ALEN: usize = bindings::ETH_ALEN as usize;

/// Length of an Ethernet header.
pub const ETH_HLEN: usize = bindings::ETH_HLEN as usize;

/// Length of an 802.1Q VLAN tag.
pub const VLAN_HLEN: usize = bindings::VLAN_HLEN as usize;

/// Minimum Ethernet MTU (for IPv4).
pub const ETH_MIN_MTU: u32 = bindings::ETH_MIN_MTU;

/// Maximum MTU of an Ethernet device.
pub const ETH_MAX_MTU: u32 = bindings::ETH_MAX_MTU;

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

/// Returns whether `addr` can be assigned to a device: not multicast and not zero
/// (`is_valid_ether_addr()`).
#[inline]
pub fn is_valid_ether_addr(addr: &MacAddr) -> bool {
    !is_multicast_ether_addr(addr) && !is_zero_ether_addr(addr)
}

/// Returns whether `name` (without NUL) is a valid interface name (`dev_valid_name()`): not
/// empty, shorter than [`IFNAMSIZ`], not `.` or `..`, no `/`, `:` or white space.
pub fn valid_ifname(name: &[u8]) -> bool {
    if name.is_empty() || name.len() >= IFNAMSIZ || name.contains(&0) {
        return false;
    }
    let mut buf = [0u8; IFNAMSIZ];
    buf[..name.len()].copy_from_slice(name);
    // SAFETY: `buf` is NUL-terminated.
    unsafe { bindings::dev_valid_name(buf.as_ptr().cast()) }
}

/// A list of hardware addresses (`struct netdev_hw_addr_list`), as handed to
/// [`super::DeviceOps::set_rx_mode`].
///
/// # Invariants
///
/// A `&AddrList` points to a valid list that is not modified for the lifetime of the reference
/// (a snapshot owned by the caller).
#[repr(transparent)]
pub struct AddrList(Opaque<bindings::netdev_hw_addr_list>);

impl AddrList {
    /// # Safety
    ///
    /// `ptr` must be valid and not modified for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::netdev_hw_addr_list) -> &'a AddrList {
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
        // SAFETY: The list is valid.
        let head = unsafe { &raw mut (*self.0.get()).list };
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
