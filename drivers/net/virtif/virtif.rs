// SPDX-License-Identifier: GPL-2.0

//! virtif: a cloneable Ethernet interface whose wire is a pluggable backend.
//!
//! This is the Linux analogue of NetBSD rump's `if_virt`. This first version
//! is the module skeleton: it loads, logs and unloads cleanly.

use kernel::prelude::*;

module! {
    type: VirtifModule,
    name: "virtif",
    authors: ["The virtif developers"],
    description: "Virtual Ethernet interface with pluggable backends",
    license: "GPL",
}

struct VirtifModule;

impl kernel::Module for VirtifModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("loaded\n");
        Ok(VirtifModule)
    }
}

impl Drop for VirtifModule {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}

/// Returns true if `addr` is a locally administered unicast Ethernet address.
pub(crate) fn is_local_unicast(addr: &[u8; 6]) -> bool {
    addr[0] & 0x01 == 0 && addr[0] & 0x02 != 0
}

#[kunit_tests(virtif_skeleton)]
mod tests {
    use super::*;

    #[test]
    fn local_unicast() {
        assert!(is_local_unicast(&[0x02, 0, 0, 0, 0, 1]));
        assert!(!is_local_unicast(&[0x00, 0x11, 0x22, 0, 0, 1]));
        assert!(!is_local_unicast(&[0x03, 0, 0, 0, 0, 1]));
    }
}
