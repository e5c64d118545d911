// SPDX-License-Identifier: GPL-2.0

//! `/dev/virtif`: the file a process carries an interface's frames through.

#![forbid(unsafe_code)]

use super::channel::{Channel, Mode};
use super::shmem::Rings;
use super::{Queues, User};
use crate::vif::Virtif;
use core::mem::offset_of;
use kernel::bindings::{
    virtif_attach, virtif_ring_attach, VIRTIF_ATTACH, VIRTIF_ATTACH_RING, VIRTIF_KICK,
};
use kernel::fs::{File, Kiocb};
use kernel::iov::{IovIterDest, IovIterSource};
use kernel::miscdevice::{MiscDevice, MiscDeviceRegistration};
use kernel::mm::virt::VmaNew;
use kernel::net::device::{Device, TypedDevice, IFNAMSIZ};
use kernel::net::namespace::Net;
use kernel::net::rtnl;
use kernel::prelude::*;
use kernel::sync::poll::{events, PollTable};
use kernel::sync::{rcu, Arc, SetOnce};
use kernel::uaccess::{UserPtr, UserSlice};

/// Reads the `u32` at `offset` of `raw`.
fn u32_at(raw: &[u8], offset: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&raw[offset..offset + 4]);
    u32::from_ne_bytes(b)
}

/// What an attached file carries: its channel, and the table of channels it is in.
struct Attached {
    queues: Arc<Queues>,
    chan: Arc<Channel>,
}

/// An open `/dev/virtif`.
pub(crate) struct VirtifFile {
    /// Set once attached (and kept, even after the interface is gone).
    attached: SetOnce<Attached>,
}

impl VirtifFile {
    /// `VIRTIF_ATTACH`: attaches this file to the interface named in the `struct virtif_attach`
    /// at `arg`, in the caller's namespace.
    fn attach(&self, arg: usize) -> Result {
        let mut raw = [0u8; size_of::<virtif_attach>()];
        UserSlice::new(UserPtr::from_addr(arg), raw.len())
            .reader()
            .read_slice(&mut raw)?;
        Self::check_admin()?;
        let mode = Mode::new(
            u32_at(&raw, offset_of!(virtif_attach, flags)),
            u32_at(&raw, offset_of!(virtif_attach, offloads)),
        )?;
        self.attach_with(&raw, mode, None)
    }

    /// `VIRTIF_ATTACH_RING`: the same with shared-memory rings, from the `struct
    /// virtif_ring_attach` at `arg`. The rings are allocated before RTNL is taken.
    fn attach_ring(&self, arg: usize) -> Result {
        let mut raw = [0u8; size_of::<virtif_ring_attach>()];
        UserSlice::new(UserPtr::from_addr(arg), raw.len())
            .reader()
            .read_slice(&mut raw)?;
        Self::check_admin()?;
        let at = offset_of!(virtif_ring_attach, attach);
        let mode = Mode::new(
            u32_at(&raw, at + offset_of!(virtif_attach, flags)),
            u32_at(&raw, at + offset_of!(virtif_attach, offloads)),
        )?
        .with_ring()?;
        let rings = Rings::new(
            u32_at(&raw, offset_of!(virtif_ring_attach, tx_slots)),
            u32_at(&raw, offset_of!(virtif_ring_attach, rx_slots)),
            u32_at(&raw, offset_of!(virtif_ring_attach, slot_size)),
            u32_at(&raw, offset_of!(virtif_ring_attach, reserved)),
        )?;
        self.attach_with(&raw[at..at + size_of::<virtif_attach>()], mode, Some(rings))
    }

    /// Configuring an interface takes CAP_NET_ADMIN over its namespace; asked before looking at
    /// the request or saying whether the interface exists.
    fn check_admin() -> Result {
        if !Net::with_current(|net| net.net_admin_capable()).unwrap_or(false) {
            return Err(EPERM);
        }
        Ok(())
    }

    /// Attaches to the interface named in `raw` (a `struct virtif_attach`).
    fn attach_with(&self, raw: &[u8], mode: Mode, rings: Option<Rings>) -> Result {
        let name_at = offset_of!(virtif_attach, ifname);
        let name =
            CStr::from_bytes_until_nul(&raw[name_at..name_at + IFNAMSIZ]).map_err(|_| EINVAL)?;
        let rtnl = rtnl::lock();
        if self.attached.as_ref().is_some() {
            return Err(EBUSY);
        }
        let (vdev, queues) = Net::with_current(|net| -> Result<_> {
            let dev = Device::get_by_name_locked(&rtnl, net, name).ok_or(ENODEV)?;
            let vdev = TypedDevice::<Virtif>::from_device(dev).ok_or(EINVAL)?;
            let guard = rcu::read_lock();
            let queues = vdev
                .data()
                .backend_as::<User>(&guard)
                .ok_or(EINVAL)?
                .queues();
            Ok((kernel::sync::aref::ARef::from(vdev), queues))
        })
        .ok_or(ENXIO)??;
        // RTNL, held since the backend was found, keeps it published.
        let chan = queues.attach(&rtnl, &vdev, mode, rings)?;
        if !self.attached.populate(Attached {
            queues: queues.clone(),
            chan: chan.clone(),
        }) {
            // Cannot happen: RTNL serialises attaches and we checked above.
            queues.detach(&rtnl, &chan);
            return Err(EBUSY);
        }
        Ok(())
    }

    fn chan(&self) -> Result<&Channel> {
        self.attached.as_ref().map(|a| &*a.chan).ok_or(EBADFD)
    }

    fn chan_arc(&self) -> Result<&Arc<Channel>> {
        self.attached.as_ref().map(|a| &a.chan).ok_or(EBADFD)
    }
}

#[vtable]
impl MiscDevice for VirtifFile {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        Ok(KBox::pin(
            Self {
                attached: SetOnce::new(),
            },
            GFP_KERNEL,
        )?)
    }

    fn release(me: Pin<KBox<Self>>, _file: &File) {
        if let Some(a) = me.attached.as_ref() {
            {
                let rtnl = rtnl::lock();
                a.queues.detach(&rtnl, &a.chan);
            }
            // The channel has ended: its RX work item stops; wait for it, the module may go next.
            a.chan.flush_rx();
        }
    }

    fn ioctl(me: Pin<&Self>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            VIRTIF_ATTACH => me.attach(arg).map(|()| 0),
            VIRTIF_ATTACH_RING => me.attach_ring(arg).map(|()| 0),
            VIRTIF_KICK => me.chan_arc()?.kick().map(|()| 0),
            _ => Err(ENOTTY),
        }
    }

    /// `struct virtif_attach` and `struct virtif_ring_attach` have the same layout for 32-bit
    /// processes.
    fn compat_ioctl(me: Pin<&Self>, file: &File, cmd: u32, arg: usize) -> Result<isize> {
        Self::ioctl(me, file, cmd, arg)
    }

    /// Maps the shared-memory rings of a file attached with `VIRTIF_ATTACH_RING`.
    fn mmap(me: Pin<&Self>, _file: &File, vma: &VmaNew) -> Result {
        me.chan()?.map(vma)
    }

    fn read_iter(kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let nonblock = kiocb.is_nonblocking();
        kiocb.file().chan()?.read(iov, nonblock)
    }

    fn write_iter(kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        kiocb.file().chan()?.write(iov)
    }

    fn poll(me: Pin<&Self>, file: &File, table: PollTable<'_>) -> u32 {
        let Ok(chan) = me.chan() else {
            return events::POLLERR;
        };
        table.register_wait(file, chan.wait());
        chan.poll_mask()
    }
}
