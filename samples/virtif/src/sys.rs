// SPDX-License-Identifier: GPL-2.0
//! The samples' only `unsafe` code: the two ioctls they need, each behind a
//! safe function. The rest of the library and both programs are safe Rust
//! (`deny`/`forbid(unsafe_code)`), the way the driver keeps its `unsafe` in
//! the kernel crate's abstractions.

#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The uAPI of `/dev/virtif`, generated at build time from
/// `drivers/net/virtif/uapi/linux/virtif.h` by bindgen (see `build.rs`):
/// every constant, struct and enum of the header whose name contains
/// `virtif`, with the header's names (`VIRTIF_ATTACH`, `VIRTIF_F_BATCH`,
/// `struct virtif_attach`, `struct virtif_frame`, ...). It lives in this
/// module because generated code may contain `unsafe` (bindgen emits it for
/// unions and bitfields).
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    missing_docs,
    clippy::all
)]
pub mod uapi {
    include!(concat!(env!("OUT_DIR"), "/virtif_uapi.rs"));
}

pub(crate) use uapi::virtif_attach as VirtifAttach;

// VIRTIF_ATTACH: the request number the header defines (_IOW('v', 0xb0,
// struct virtif_attach)), as clang evaluated it.
nix::ioctl_write_ptr_bad!(
    virtif_attach_raw,
    uapi::VIRTIF_ATTACH as nix::sys::ioctl::ioctl_num_type,
    VirtifAttach
);

/// `ioctl(fd, VIRTIF_ATTACH, arg)`.
pub(crate) fn virtif_attach(fd: BorrowedFd<'_>, arg: &VirtifAttach) -> io::Result<()> {
    // SAFETY: `fd` is open for the whole call (it is borrowed); `arg` is an
    // initialised `struct virtif_attach` that outlives the call, and
    // VIRTIF_ATTACH only reads `size_of::<VirtifAttach>()` bytes from it.
    unsafe { virtif_attach_raw(fd.as_raw_fd(), arg) }
        .map(drop)
        .map_err(io::Error::from)
}

/// `struct ifreq` with the `ifr_flags` member of its union (40 bytes).
#[repr(C)]
struct IfReqFlags {
    name: [u8; 16],
    flags: i16,
    _pad: [u8; 22],
}

// TUNSETIFF = _IOW('T', 202, int), though it takes a struct ifreq (and
// writes the device's name back into it, hence readwrite).
nix::ioctl_readwrite_bad!(
    tunsetiff_raw,
    nix::request_code_write!(b'T', 202, std::mem::size_of::<nix::libc::c_int>()),
    IfReqFlags
);

/// `ioctl(fd, TUNSETIFF, { name, flags })` on an open `/dev/net/tun`.
/// `name` must be at most 15 bytes without NUL (checked: `EINVAL`).
pub(crate) fn tun_set_iff(fd: BorrowedFd<'_>, name: &str, flags: i16) -> io::Result<()> {
    if name.is_empty() || name.len() > 15 || name.contains('\0') {
        return Err(io::Error::from_raw_os_error(nix::libc::EINVAL));
    }
    let mut ifr = IfReqFlags {
        name: [0; 16],
        flags,
        _pad: [0; 22],
    };
    ifr.name[..name.len()].copy_from_slice(name.as_bytes());
    // SAFETY: `fd` is open for the whole call; `ifr` is a valid, initialised
    // `struct ifreq` that outlives the call; TUNSETIFF writes at most the
    // device's NUL-terminated name (16 bytes) back into it.
    unsafe { tunsetiff_raw(fd.as_raw_fd(), &mut ifr) }
        .map(drop)
        .map_err(io::Error::from)
}
