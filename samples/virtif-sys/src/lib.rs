// SPDX-License-Identifier: GPL-2.0
//! The `unsafe` half of the samples' library: virtif's uAPI, generated from
//! the driver's header, and every system call whose Rust binding is
//! `unsafe`, each behind a safe function with its `// SAFETY:` argument.
//!
//! The samples are split the way the driver is: the driver keeps its
//! `unsafe` code in the kernel crate's abstractions (`rust/`) and is itself
//! `#![forbid(unsafe_code)]`; here this crate plays the kernel crate's part,
//! and the `virtif` library and the programs (`virtif-tap`, `virtif-udp`)
//! are `#![forbid(unsafe_code)]`. The unsafe code is all in one file,
//! `src/sys.rs`, in two modules re-exported here:
//!
//! - [`ioctl`]: `VIRTIF_ATTACH`, `VIRTIF_ATTACH_RING`, `VIRTIF_KICK`, the
//!   tun ioctls, `SIOCGIFMTU`/`SIOCSIFMTU`, and `int` and BPF socket
//!   options: each takes a borrowed file descriptor and an argument that
//!   outlives the call;
//! - [`mapping`]: `mmap(2)`/`munmap(2)` of the rings, and bounds-checked
//!   atomic and byte access to memory shared with the kernel (never a Rust
//!   reference to bytes the kernel may write).
//!
//! No crate of crates.io removes the need: `nix` and `rustix` make `mmap`
//! and raw ioctls `unsafe` by necessity (they cannot know what the argument
//! means), and `memmap2`'s safe views of a mapping are `&[u8]`/`&mut [u8]`,
//! unsound over memory the kernel writes concurrently, while its raw view
//! needs `unsafe` to use.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod sys;
pub use sys::{ioctl, mapping};

/// The uAPI of `/dev/virtif`, generated at build time from
/// `drivers/net/virtif/uapi/linux/virtif.h` by bindgen (see `build.rs`):
/// every constant, struct and enum of the header whose name contains
/// `virtif`, with the header's names (`VIRTIF_ATTACH`, `VIRTIF_F_BATCH`,
/// `struct virtif_attach`, `struct virtif_frame`, ...).
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
