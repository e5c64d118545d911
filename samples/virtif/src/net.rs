// SPDX-License-Identifier: GPL-2.0
//! Interface and socket settings that the standard library and `nix` do
//! not offer, for the programs' UDP tunnels (safe wrappers around `virtif_sys::ioctl`).

use std::io;
use std::net::UdpSocket;
use std::os::fd::{AsFd, BorrowedFd};

use nix::ifaddrs::getifaddrs;
use nix::libc;

use virtif_sys::ioctl as sys;

/// The MTU of the interface `name` in this network namespace.
pub fn if_mtu(name: &str) -> io::Result<u32> {
    let s = UdpSocket::bind("0.0.0.0:0")?;
    sys::if_get_mtu(s.as_fd(), name)
}

/// Sets the MTU of the interface `name` (needs `CAP_NET_ADMIN`).
pub fn set_if_mtu(name: &str, mtu: u32) -> io::Result<()> {
    let s = UdpSocket::bind("0.0.0.0:0")?;
    sys::if_set_mtu(s.as_fd(), name, mtu)
}

/// The Ethernet address of the interface `name`, if it has one.
pub fn if_mac(name: &str) -> io::Result<Option<[u8; 6]>> {
    for ifa in getifaddrs()? {
        if ifa.interface_name != name {
            continue;
        }
        if let Some(ll) = ifa.address.as_ref().and_then(|a| a.as_link_addr()) {
            if let Some(mac) = ll.addr() {
                return Ok(Some(mac));
            }
        }
    }
    Ok(None)
}

/// The path MTU the kernel knows towards the address a UDP socket is
/// connected to (`IP_MTU` / `IPV6_MTU`).
pub fn path_mtu(sock: &UdpSocket) -> io::Result<u32> {
    let v6 = sock.local_addr()?.is_ipv6();
    let (level, name) = if v6 {
        (libc::IPPROTO_IPV6, libc::IPV6_MTU)
    } else {
        (libc::IPPROTO_IP, libc::IP_MTU)
    };
    Ok(sys::getsockopt_int(sock.as_fd(), level, name)? as u32)
}

/// Makes the kernel compute the checksum of what a raw IPv6 socket sends,
/// and store it at byte `offset` (`IPV6_CHECKSUM`; 6 for a UDP header).
pub fn set_ipv6_checksum(sock: BorrowedFd<'_>, offset: i32) -> io::Result<()> {
    sys::setsockopt_int(sock, libc::IPPROTO_IPV6, libc::IPV6_CHECKSUM, offset)
}

/// Drops every packet that would be queued on `sock` (a classic BPF
/// filter returning 0): for a raw socket that only sends.
pub fn drop_all_input(sock: BorrowedFd<'_>) -> io::Result<()> {
    sys::attach_drop_all_filter(sock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback() {
        // Every network namespace has lo; its MTU is 65536 by default.
        let mtu = if_mtu("lo").unwrap();
        assert!(mtu >= 1280, "lo MTU {mtu}");
        assert_eq!(if_mac("lo").unwrap(), Some([0; 6]));
        assert!(if_mtu("no-such-if0").is_err());
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.connect("127.0.0.1:9").unwrap();
        let pmtu = path_mtu(&s).unwrap();
        assert!(pmtu <= mtu && pmtu >= 1280, "path MTU {pmtu}");
        drop_all_input(s.as_fd()).unwrap();
    }
}
