// SPDX-License-Identifier: GPL-2.0

//! virtif: a cloneable Ethernet interface whose wire is a pluggable backend.
//!
//! The Linux analogue of NetBSD rump's `if_virt`. Interfaces are created with
//! `ip link add [NAME] type virtif` (or the `numifs` module parameter) and attached to a backend
//! by their "linkstr", or created in pairs with `... type virtif peer name NAME`. Transmitted
//! packets leave through the backend, either handed over whole (`pair`) or as a list of data
//! segments; frames the backend delivers pass the MAC filter and enter the stack through
//! `netif_rx`. See `Documentation/networking/virtif.rst`.
//!
//! The modules form layers, each using only those below it:
//!
//! 1. `filter`, `linkstr`, `stats`: pure parts (the MAC filter, the linkstr syntax, the drop
//!    reasons);
//! 2. `vif`: an interface's state and the backend contract;
//! 3. `rx`: the receive path;
//! 4. `backend`: the backends, one file each, and their table;
//! 5. `config`: configuring an interface's backend (linkstr rules, carriers);
//! 6. `device`: the network device (`net_device_ops`, ethtool, sysfs);
//! 7. `link`: the rtnetlink glue;
//! 8. this module: registration of the link kind and of `/dev/virtif`.

#![forbid(unsafe_code)]

mod backend;
mod config;
mod device;
mod filter;
mod link;
mod linkstr;
mod rx;
mod stats;
mod vif;

use backend::user::file::VirtifFile;
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
    misc: MiscDeviceRegistration<VirtifFile>,
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
                    // The interfaces belong to the link kind: they are removed with it when
                    // the module unloads.
                    let _dev = link.create_device(c"virtif%d", vif::Virtif::new())?;
                }
                pr_info!("loaded ({} interface(s) created)\n", numifs);
            },
            // Like /dev/net/tun: anyone may open it, attaching takes CAP_NET_ADMIN over the
            // interface's namespace.
            misc <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c"virtif",
                mode: 0o666,
            }),
            _log: UnloadLog,
        })
    }
}
