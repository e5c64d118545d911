// SPDX-License-Identifier: GPL-2.0
//! Tap devices, for programs that join a virtif to one (or, as a reference
//! for benchmarks, two taps to each other).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;

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

/// An open tap device: `read()` returns a frame the tap's stack
/// transmitted, `write()` delivers one to it. Non-blocking.
#[derive(Debug)]
pub struct Tap {
    file: File,
    name: String,
    kind: &'static str,
}

impl Tap {
    /// Opens the tap `name`. It must exist unless `create` (a tap created
    /// this way disappears when the file is closed). `kind` names this
    /// side in counters: `tap`, or `peer` for a second tap.
    pub fn open(name: &str, create: bool, kind: &'static str) -> io::Result<Tap> {
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
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open("/dev/net/tun")?;
        set_tap(&file, name)?;
        Ok(Tap {
            file,
            name: name.to_string(),
            kind,
        })
    }

    /// The tap's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its side in counters (`tap`, `peer`).
    pub fn kind(&self) -> &'static str {
        self.kind
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
