// SPDX-License-Identifier: GPL-2.0

//! virtif: a cloneable Ethernet interface whose wire is a pluggable backend.
//!
//! The Linux analogue of NetBSD rump's `if_virt`. Interfaces are created
//! with `ip link add [NAME] type virtif` (or the `numifs` module parameter)
//! and attached to a backend by their "linkstr". Transmitted packets leave
//! through the backend, either handed over whole (`pair`) or as a list of
//! data segments; frames the backend delivers pass the MAC filter and enter
//! the stack through `netif_rx`.
//!
//! See `Documentation/networking/virtif.rst`.

#![forbid(unsafe_code)]

mod backend;
mod device;
mod filter;
mod link;
mod linkstr;
mod rx;
mod user;

use kernel::miscdevice::{MiscDeviceOptions, MiscDeviceRegistration};
use kernel::net::rtnl;
use kernel::prelude::*;

module! {
    type: VirtifModule,
    name: "virtif",
    authors: ["The virtif developers"],
    description: "Virtual Ethernet interface with pluggable backends",
    license: "GPL",
    alias: ["rtnl-link-virtif"],
    params: {
        numifs: u32 {
            default: 0,
            description: "Number of virtif interfaces to create at load (default 0)",
        },
    },
}

#[pin_data]
struct VirtifModule {
    #[pin]
    link: rtnl::Registration<link::VirtifLink>,
    /// `/dev/virtif`, the user-space backend. Open files pin the module.
    #[pin]
    misc: MiscDeviceRegistration<user::VirtifFile>,
    /// Dropped after `link`, i.e. after every interface is gone.
    _log: UnloadLog,
}

struct UnloadLog;

impl Drop for UnloadLog {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}

impl kernel::InPlaceModule for VirtifModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let numifs = module_parameters::numifs.value();
        try_pin_init!(Self {
            link <- rtnl::Registration::new(),
            _: {
                for _ in 0..numifs {
                    // The interfaces belong to the link kind: they are
                    // removed with it when the module unloads.
                    let _dev = link.create_device(c"virtif%d", device::Virtif::new())?;
                }
                pr_info!("loaded ({} interface(s) created)\n", numifs);
            },
            // Like /dev/net/tun: anyone may open it, attaching takes
            // CAP_NET_ADMIN over the interface's namespace.
            misc <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c"virtif",
                mode: 0o666,
            }),
            _log: UnloadLog,
        })
    }
}
