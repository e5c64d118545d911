// SPDX-License-Identifier: GPL-2.0
//! Tap devices, for programs that join a virtif to one.

use std::io;
use std::os::fd::AsFd;

/// `IFF_TAP`: an Ethernet (layer 2) tun device.
pub const IFF_TAP: i16 = 0x0002;
/// `IFF_NO_PI`: no packet-information header before each frame.
pub const IFF_NO_PI: i16 = 0x1000;

/// Binds an open `/dev/net/tun` to the tap `name` (creating it if it
/// does not exist and the caller may), as an Ethernet device without
/// packet information (`TUNSETIFF` with `IFF_TAP | IFF_NO_PI`).
pub fn set_tap(tun: impl AsFd, name: &str) -> io::Result<()> {
    crate::sys::tun_set_iff(tun.as_fd(), name, IFF_TAP | IFF_NO_PI)
}
