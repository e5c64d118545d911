// SPDX-License-Identifier: GPL-2.0
//! Tap devices, for programs that join a virtif to one (or, as a reference
//! for benchmarks, two taps to each other).
//!
//! A tap may be opened with the offload header ([`TapOptions::vnet_hdr`]:
//! `IFF_VNET_HDR`, a 12-byte `struct virtio_net_hdr_v1` before each frame,
//! the same header as virtif's `VIRTIF_F_VNET_HDR`) and with several queues
//! ([`TapOptions::queues`]: `IFF_MULTI_QUEUE`, one file per queue, each a
//! [`Tap`] of its own).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;

/// `IFF_TAP`: an Ethernet (layer 2) tun device.
pub const IFF_TAP: i16 = 0x0002;
/// `IFF_NO_PI`: no packet-information header before each frame.
pub const IFF_NO_PI: i16 = 0x1000;
/// `IFF_MULTI_QUEUE`: one file per queue.
pub const IFF_MULTI_QUEUE: i16 = 0x0100;
/// `IFF_VNET_HDR`: an offload header (`struct virtio_net_hdr`) before each
/// frame, of the size `TUNSETVNETHDRSZ` sets.
pub const IFF_VNET_HDR: i16 = 0x4000;

/// `TUN_F_CSUM`: the reader takes frames whose checksum is left to fill in.
pub const TUN_F_CSUM: u32 = 0x01;
/// `TUN_F_TSO4`: TCP over IPv4 GSO packets.
pub const TUN_F_TSO4: u32 = 0x02;
/// `TUN_F_TSO6`: TCP over IPv6 GSO packets.
pub const TUN_F_TSO6: u32 = 0x04;
/// `TUN_F_TSO_ECN`: TCP GSO packets with CWR.
pub const TUN_F_TSO_ECN: u32 = 0x08;
/// `TUN_F_USO4`: UDP over IPv4 GSO packets (Linux 6.2 and later).
pub const TUN_F_USO4: u32 = 0x20;
/// `TUN_F_USO6`: UDP over IPv6 GSO packets (Linux 6.2 and later).
pub const TUN_F_USO6: u32 = 0x40;
/// The offloads a tap with [`TapOptions::vnet_hdr`] asks for: everything
/// virtif's offload header can carry too, so that GSO packets cross whole.
pub const TAP_OFFLOADS: u32 =
    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_USO4 | TUN_F_USO6;
/// The largest number of queues [`Tap::open_queues`] opens (the samples'
/// limit; tun's own is 256).
pub const MAX_QUEUES: usize = 16;

/// Binds an open `/dev/net/tun` to the tap `name` (creating it if it
/// does not exist and the caller may), as an Ethernet device without
/// packet information (`TUNSETIFF` with `IFF_TAP | IFF_NO_PI`).
pub fn set_tap(tun: impl AsFd, name: &str) -> io::Result<()> {
    virtif_sys::ioctl::tun_set_iff(tun.as_fd(), name, IFF_TAP | IFF_NO_PI)
}

/// How to open a tap ([`Tap::open_queues`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TapOptions {
    /// The offload header before each frame (`IFF_VNET_HDR`, header size
    /// 12 with `TUNSETVNETHDRSZ`, offloads [`TAP_OFFLOADS`] with
    /// `TUNSETOFFLOAD`): the tap's stack hands over TCP and UDP GSO packets
    /// whole, with checksums left to fill in, and takes the same.
    pub vnet_hdr: bool,
    /// Queues: 1 is an ordinary tap; more is `IFF_MULTI_QUEUE` with one
    /// file per queue (at most [`MAX_QUEUES`]).
    pub queues: usize,
    /// With [`TapOptions::vnet_hdr`], the GSO packets to ask for.
    pub gso: TapGso,
}

/// The GSO packets a tap with the offload header asks its stack for
/// (`TUNSETOFFLOAD`); checksums are always left to fill in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TapGso {
    /// TCP and UDP ([`TAP_OFFLOADS`]).
    #[default]
    All,
    /// TCP only: every TCP GSO packet the stack builds for a 64 KiB GSO
    /// size fits a 64 KiB ring slot; a UDP GSO packet may not.
    Tcp,
    /// None ([`TUN_F_CSUM`] only): every frame a whole one, for ring
    /// slots smaller than that.
    None,
}

impl TapGso {
    /// The `TUNSETOFFLOAD` flags.
    pub fn offloads(self) -> u32 {
        match self {
            TapGso::All => TAP_OFFLOADS,
            TapGso::Tcp => TAP_OFFLOADS & !(TUN_F_USO4 | TUN_F_USO6),
            TapGso::None => TUN_F_CSUM,
        }
    }
}

impl Default for TapOptions {
    fn default() -> Self {
        TapOptions {
            vnet_hdr: false,
            queues: 1,
            gso: TapGso::All,
        }
    }
}

impl TapOptions {
    /// The `TUNSETIFF` flags these options stand for.
    pub fn iff_flags(&self) -> i16 {
        IFF_TAP
            | IFF_NO_PI
            | if self.vnet_hdr { IFF_VNET_HDR } else { 0 }
            | if self.queues > 1 { IFF_MULTI_QUEUE } else { 0 }
    }
}

/// An open tap device (or one queue of a multiqueue tap): `read()` returns
/// a frame the tap's stack transmitted, `write()` delivers one to it.
/// Non-blocking.
#[derive(Debug)]
pub struct Tap {
    file: File,
    name: String,
    kind: &'static str,
    vnet_hdr: bool,
}

fn check_name(name: &str, create: bool) -> io::Result<()> {
    if name.is_empty() || name.len() > crate::IFNAME_MAX || name.contains('\0') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("bad tap name {name:?}"),
        ));
    }
    if !create && nix::net::if_::if_nametoindex(name).is_err() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no interface {name} (let the program create it)"),
        ));
    }
    Ok(())
}

impl Tap {
    /// Opens the tap `name`. It must exist unless `create` (a tap created
    /// this way disappears when the file is closed). `kind` names this
    /// side in counters: `tap`, or `peer` for a second tap.
    pub fn open(name: &str, create: bool, kind: &'static str) -> io::Result<Tap> {
        let mut taps = Self::open_queues(name, create, kind, &TapOptions::default())?;
        Ok(taps.remove(0))
    }

    /// Opens the tap `name` with `opts`: one [`Tap`] per queue, all of the
    /// same device (it must exist unless `create`; one created this way
    /// disappears when the last file is closed). An existing tap must have
    /// been made with the same kind of queues (`EINVAL` otherwise).
    pub fn open_queues(
        name: &str,
        create: bool,
        kind: &'static str,
        opts: &TapOptions,
    ) -> io::Result<Vec<Tap>> {
        check_name(name, create)?;
        if opts.queues == 0 || opts.queues > MAX_QUEUES {
            return Err(crate::invalid_input("a tap has 1 to 16 queues here"));
        }
        let mut taps = Vec::with_capacity(opts.queues);
        for _ in 0..opts.queues {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(nix::libc::O_NONBLOCK)
                .open("/dev/net/tun")?;
            virtif_sys::ioctl::tun_set_iff(file.as_fd(), name, opts.iff_flags())?;
            if opts.vnet_hdr {
                virtif_sys::ioctl::tun_set_vnet_hdr_sz(file.as_fd(), crate::VNET_HDR_LEN as i32)?;
                let offloads = opts.gso.offloads();
                // Kernels before 6.2 know no USO: then TCP only.
                match virtif_sys::ioctl::tun_set_offload(file.as_fd(), offloads) {
                    Err(e) if e.raw_os_error() == Some(nix::libc::EINVAL) => {
                        virtif_sys::ioctl::tun_set_offload(
                            file.as_fd(),
                            offloads & !(TUN_F_USO4 | TUN_F_USO6),
                        )?
                    }
                    r => r?,
                }
            }
            taps.push(Tap {
                file,
                name: name.to_string(),
                kind,
                vnet_hdr: opts.vnet_hdr,
            });
        }
        Ok(taps)
    }

    /// The tap's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its side in counters (`tap`, `peer`).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Whether its frames start with the offload header.
    pub fn vnet_hdr(&self) -> bool {
        self.vnet_hdr
    }

    /// The open file.
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl AsFd for Tap {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let o = TapOptions::default();
        assert_eq!(o.iff_flags(), 0x1002);
        let o = TapOptions {
            vnet_hdr: true,
            queues: 2,
            gso: TapGso::All,
        };
        assert_eq!(o.iff_flags() as u16, 0x5102);
        assert_eq!(TAP_OFFLOADS, 0x6f);
        assert_eq!(TapGso::All.offloads(), 0x6f);
        assert_eq!(TapGso::Tcp.offloads(), 0x0f);
        assert_eq!(TapGso::None.offloads(), 0x01);
    }

    /// The request numbers <linux/if_tun.h> defines.
    #[test]
    fn tun_requests() {
        let int = std::mem::size_of::<nix::libc::c_int>();
        assert_eq!(nix::request_code_write!(b'T', 202, int) as u64, 0x400454ca); // TUNSETIFF
        assert_eq!(nix::request_code_write!(b'T', 208, int) as u64, 0x400454d0); // TUNSETOFFLOAD
        assert_eq!(nix::request_code_write!(b'T', 216, int) as u64, 0x400454d8);
        // TUNSETVNETHDRSZ
    }

    #[test]
    fn bad_options() {
        for queues in [0, MAX_QUEUES + 1] {
            let o = TapOptions {
                queues,
                ..TapOptions::default()
            };
            let e = Tap::open_queues("t0", true, "tap", &o).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        }
        let e = Tap::open("0123456789abcdef", true, "tap").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }
}
