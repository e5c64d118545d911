// SPDX-License-Identifier: GPL-2.0

//! Interface flags, private flags and features.

use crate::bindings;

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

            /// Creates a set from raw bits (unknown bits are kept).
            pub const fn from_bits(bits: $ty) -> Self {
                Self(bits)
            }

            /// Returns the raw bits.
            pub const fn bits(self) -> $ty {
                self.0
            }

            /// Returns whether all flags of `other` are set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
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
    /// the core may set other bits.
    Features(u64) {
        /// Scatter/gather I/O (`NETIF_F_SG`).
        SG = feature_bit(bindings::NETIF_F_SG_BIT);
        /// Can checksum all packets (`NETIF_F_HW_CSUM`).
        HW_CSUM = feature_bit(bindings::NETIF_F_HW_CSUM_BIT);
        /// Can access buffers in high memory (`NETIF_F_HIGHDMA`).
        HIGHDMA = feature_bit(bindings::NETIF_F_HIGHDMA_BIT);
        /// Scatter/gather of `frag_list` skbs (`NETIF_F_FRAGLIST`).
        FRAGLIST = feature_bit(bindings::NETIF_F_FRAGLIST_BIT);
        /// TCP segmentation over IPv4 (`NETIF_F_TSO`).
        TSO = feature_bit(bindings::NETIF_F_TSO_BIT);
        /// TCP segmentation over IPv6 (`NETIF_F_TSO6`).
        TSO6 = feature_bit(bindings::NETIF_F_TSO6_BIT);
        /// TCP segmentation with ECN (`NETIF_F_TSO_ECN`).
        TSO_ECN = feature_bit(bindings::NETIF_F_TSO_ECN_BIT);
        /// UDP segmentation (`NETIF_F_GSO_UDP_L4`).
        GSO_UDP_L4 = feature_bit(bindings::NETIF_F_GSO_UDP_L4_BIT);
        /// All software GSO types (`NETIF_F_GSO_SOFTWARE`).
        GSO_SOFTWARE = bindings::NETIF_F_GSO_SOFTWARE;
    }
}

flags_type! {
    /// Interface flags visible to user space (`dev->flags`, `IFF_*`).
    Flags(u32) {
        /// Interface is administratively up.
        UP = bindings::net_device_flags_IFF_UP;
        /// Receive all packets.
        PROMISC = bindings::net_device_flags_IFF_PROMISC;
        /// Receive all multicast packets.
        ALLMULTI = bindings::net_device_flags_IFF_ALLMULTI;
    }
}

flags_type! {
    /// Private (kernel-internal) interface flags (`dev->priv_flags`, `enum netdev_priv_flags`).
    ///
    /// `IFF_TX_SKB_SHARING` is always cleared for Rust devices (the skb handed to
    /// [`super::DeviceOps::start_xmit`] is exclusively owned).
    PrivFlags(u32) {
        /// The MAC address can be changed while the device is up.
        LIVE_ADDR_CHANGE = bindings::netdev_priv_flags_IFF_LIVE_ADDR_CHANGE;
        /// The device runs without a qdisc (decided at registration: the core attaches a qdisc
        /// or not when the device is first opened).
        NO_QUEUE = bindings::netdev_priv_flags_IFF_NO_QUEUE;
        /// The driver filters unicast addresses itself (see [`super::DeviceOps::set_rx_mode`]).
        UNICAST_FLT = bindings::netdev_priv_flags_IFF_UNICAST_FLT;
    }
}
