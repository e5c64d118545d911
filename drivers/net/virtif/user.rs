// SPDX-License-Identifier: GPL-2.0

//! The `user` backend: a process carries the frames, through `/dev/virtif`.
//!
//! This is rump's `virtif_user.c` turned inside out: the host side of the
//! wire lives in a Linux process. The protocol (ioctl, single-frame and batch
//! read/write, poll, back-pressure) is described in
//! `Documentation/networking/virtif.rst` and `uapi/linux/virtif.h`.
//!
//! - A [`Channel`] is created with the backend (linkstr `user`) and shared by
//!   the interface and, once attached, by one open file.
//! - Transmit queues the packet itself (no copy) in a bounded ring of
//!   `tx_queue_len` slots; when the ring is full the transmit queue is stopped
//!   (the qdisc holds further packets) and woken when the reader has drained
//!   half of it. With `VIRTIF_F_TX_DROP` full means drop and count instead.
//! - `read` copies queued packets out; `write` copies a frame into a new
//!   packet and hands it to the receive path (filter, `netif_rx`).

#![forbid(unsafe_code)]

use crate::device::Virtif;
use crate::filter::DropReason;
use crate::rx;
use kernel::fs::{File, Kiocb};
use kernel::iov::{IovIterDest, IovIterSource};
use kernel::ioctl::_IOW;
use kernel::miscdevice::{MiscDevice, MiscDeviceRegistration};
use kernel::net::device::{Device, Flags, Net, TrackedRef, TxResult, TypedDevice};
use kernel::net::rtnl;
use kernel::net::skbuff::{ChecksumState, SkBuff};
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::poll::{events, PollCondVar, PollTable};
use kernel::sync::{rcu, Arc, SetOnce, SpinLockIrq};
use kernel::uaccess::{UserPtr, UserSlice};
use kernel::{new_poll_condvar, new_spinlock_irq};

/// Size of `struct virtif_attach`.
const ATTACH_SIZE: usize = 24;
/// `VIRTIF_ATTACH`: `_IOW('v', 0xb0, struct virtif_attach)`.
pub(crate) const VIRTIF_ATTACH: u32 = _IOW::<[u8; ATTACH_SIZE]>(b'v' as u32, 0xb0);
/// Batch mode: read/write move `struct virtif_frame` records.
const VIRTIF_F_BATCH: u32 = 1 << 0;
/// Drop instead of stopping the transmit queue when the ring is full.
const VIRTIF_F_TX_DROP: u32 = 1 << 1;
/// Size of `struct virtif_frame`, the record header of batch mode.
const FRAME_HDR: usize = 8;
/// Records are padded to this alignment.
const FRAME_ALIGN: usize = 8;
/// The largest frame `write` accepts, whatever the MTU.
const MAX_FRAME: usize = 65536;
/// Largest ring, whatever `tx_queue_len` says.
const MAX_RING: usize = 65536;
/// Frames taken off the ring per lock round-trip in batch reads.
const READ_BATCH: usize = 32;

/// Zero bytes for record padding.
static ZEROS: [u8; FRAME_ALIGN] = [0; FRAME_ALIGN];

fn padded(len: usize) -> usize {
    (len + FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1)
}

/// A bounded FIFO of packets.
struct Ring {
    slots: KVec<Option<SkBuff>>,
    head: usize,
    len: usize,
}

impl Ring {
    const fn empty() -> Self {
        Self { slots: KVec::new(), head: 0, len: 0 }
    }

    fn with_capacity(cap: usize) -> Result<Self> {
        let mut slots = KVec::with_capacity(cap, GFP_KERNEL)?;
        for _ in 0..cap {
            slots.push(None, GFP_KERNEL)?;
        }
        Ok(Self { slots, head: 0, len: 0 })
    }

    fn cap(&self) -> usize {
        self.slots.len()
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn is_full(&self) -> bool {
        self.len == self.cap()
    }

    fn push(&mut self, skb: SkBuff) -> core::result::Result<(), SkBuff> {
        if self.is_full() {
            return Err(skb);
        }
        let i = (self.head + self.len) % self.cap();
        self.slots[i] = Some(skb);
        self.len += 1;
        Ok(())
    }

    fn front_len(&self) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        self.slots[self.head].as_ref().map(|s| s.len() as usize)
    }

    fn pop(&mut self) -> Option<SkBuff> {
        if self.is_empty() {
            return None;
        }
        let skb = self.slots[self.head].take();
        self.head = (self.head + 1) % self.cap();
        self.len -= 1;
        skb
    }
}

/// Who is at the other end of a channel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// No process attached: transmitted frames are dropped, no carrier.
    Idle,
    /// A file is attached.
    Attached,
    /// The backend is gone (interface deleted or linkstr replaced).
    Dead,
}

struct Inner {
    state: State,
    /// The interface; `None` once the backend is dying.
    dev: Option<TrackedRef<TypedDevice<Virtif>>>,
    queue: Ring,
    /// Attach flags (`VIRTIF_F_*`).
    flags: u32,
    /// The transmit queue was stopped because the ring filled up.
    stopped: bool,
}

/// The state shared by a `user` interface and the file attached to it.
#[pin_data]
pub(crate) struct Channel {
    #[pin]
    inner: SpinLockIrq<Inner>,
    /// Readers and pollers wait here for frames (or for the end).
    #[pin]
    wait: PollCondVar,
}

impl Channel {
    /// Creates the channel of a new `user` backend of `dev`.
    pub(crate) fn new(dev: &TypedDevice<Virtif>) -> Result<Arc<Self>> {
        let dev = TrackedRef::new(dev, GFP_KERNEL);
        Arc::pin_init(
            pin_init!(Self {
                inner <- new_spinlock_irq!(
                    Inner { state: State::Idle, dev: Some(dev), queue: Ring::empty(), flags: 0, stopped: false },
                    "virtif_user"
                ),
                wait <- new_poll_condvar!("virtif_user"),
            }),
            GFP_KERNEL,
        )
    }

    /// Returns whether a process is attached (for the carrier).
    pub(crate) fn is_attached(&self) -> bool {
        self.inner.lock().state == State::Attached
    }

    /// The backend is going away: wakes everybody up, drops what is queued.
    pub(crate) fn dying(&self) {
        let (dev, queue) = {
            let mut inner = self.inner.lock();
            inner.state = State::Dead;
            (inner.dev.take(), core::mem::replace(&mut inner.queue, Ring::empty()))
        };
        self.wait.notify_all();
        Self::drop_queued(dev.as_deref(), queue);
    }

    /// Drops and counts the packets left in `queue`.
    fn drop_queued(dev: Option<&TypedDevice<Virtif>>, mut queue: Ring) {
        while let Some(skb) = queue.pop() {
            if let Some(dev) = dev {
                dev.data().count_drop(DropReason::TxDetached);
            }
            skb.drop_reason(kernel::net::skbuff::DropReason::NotSpecified);
        }
    }

    /// Attaches a file (`VIRTIF_ATTACH`), with RTNL held.
    fn attach(&self, flags: u32) -> Result {
        let cap = {
            let inner = self.inner.lock();
            match (&inner.dev, inner.state) {
                (Some(dev), State::Idle) => (dev.tx_queue_len() as usize).clamp(1, MAX_RING),
                (_, State::Attached) => return Err(EBUSY),
                _ => return Err(ENODEV),
            }
        };
        let ring = Ring::with_capacity(cap)?;
        let mut inner = self.inner.lock();
        // RTNL, held by the caller, keeps the state from changing in between.
        inner.state = State::Attached;
        inner.queue = ring;
        inner.flags = flags;
        inner.stopped = false;
        Ok(())
    }

    /// The attached file is closed: no carrier, queued frames dropped. With RTNL held.
    fn detach(&self) {
        let (dev, queue, stopped) = {
            let mut inner = self.inner.lock();
            if inner.state != State::Attached {
                return;
            }
            inner.state = State::Idle;
            let stopped = core::mem::replace(&mut inner.stopped, false);
            (inner.dev.as_deref().map(ARef::from), core::mem::replace(&mut inner.queue, Ring::empty()), stopped)
        };
        if let Some(dev) = &dev {
            dev.carrier_off();
            if stopped {
                dev.wake_queue();
            }
        }
        Self::drop_queued(dev.as_deref(), queue);
    }

    /// Transmit path: queues the packet for the reader.
    pub(crate) fn xmit(&self, dev: &TypedDevice<Virtif>, mut skb: SkBuff) -> TxResult {
        let vif = dev.data();
        // The reader gets the bytes of the frame: fill in any checksum the stack left to us.
        // (`features_check` keeps GSO packets away from here.)
        if skb.is_gso()
            || (skb.ip_summed() == ChecksumState::Partial && skb.checksum_help().is_err())
        {
            vif.count_drop(DropReason::TxBackend);
            skb.drop_reason(kernel::net::skbuff::DropReason::NotSpecified);
            return TxResult::Ok;
        }
        let mut inner = self.inner.lock();
        if inner.state != State::Attached {
            drop(inner);
            vif.count_drop(DropReason::TxNoCarrier);
            skb.drop_reason(kernel::net::skbuff::DropReason::NotSpecified);
            return TxResult::Ok;
        }
        let was_empty = inner.queue.is_empty();
        let tx_drop = inner.flags & VIRTIF_F_TX_DROP != 0;
        match inner.queue.push(skb) {
            Ok(()) => {
                if !tx_drop && inner.queue.is_full() {
                    inner.stopped = true;
                    dev.stop_queue();
                }
            }
            Err(skb) if tx_drop => {
                drop(inner);
                vif.count_drop(DropReason::TxQueueFull);
                skb.drop_reason(kernel::net::skbuff::DropReason::NotSpecified);
                return TxResult::Ok;
            }
            Err(skb) => {
                // Lost a race with a concurrent transmit: hand it back to the qdisc.
                inner.stopped = true;
                dev.stop_queue();
                return TxResult::Busy(skb);
            }
        }
        drop(inner);
        if was_empty {
            self.wait.notify_all();
        }
        TxResult::Ok
    }

    /// Takes frames that fit in `room` bytes, waiting for the first one unless `nonblock`:
    /// one frame in single mode, up to `out.len()` records in batch mode. Returns how many
    /// it took (0 at the end of the channel), the interface, and whether the file is in
    /// batch mode.
    fn take(
        &self,
        out: &mut [Option<SkBuff>],
        mut room: usize,
        nonblock: bool,
    ) -> Result<(usize, Option<ARef<TypedDevice<Virtif>>>, bool)> {
        let mut inner = self.inner.lock();
        let batch = inner.flags & VIRTIF_F_BATCH != 0;
        let max = if batch { out.len() } else { 1 };
        loop {
            if !inner.queue.is_empty() {
                break;
            }
            match inner.state {
                State::Attached => {}
                _ => return Ok((0, None, batch)),
            }
            if nonblock {
                return Err(EAGAIN);
            }
            if self.wait.wait_interruptible(&mut inner) {
                return Err(ERESTARTSYS);
            }
        }
        let mut n = 0;
        while n < max {
            let Some(len) = inner.queue.front_len() else { break };
            let need = if batch { FRAME_HDR + padded(len) } else { len };
            if need > room {
                if n == 0 {
                    return Err(EMSGSIZE);
                }
                break;
            }
            room -= need;
            out[n] = inner.queue.pop();
            n += 1;
        }
        let wake = inner.stopped && inner.queue.len <= inner.queue.cap() / 2;
        if wake {
            inner.stopped = false;
        }
        let dev = inner.dev.as_deref().map(ARef::from);
        drop(inner);
        if let (true, Some(dev)) = (wake, &dev) {
            dev.wake_queue();
        }
        Ok((n, dev, batch))
    }

    /// `read`: one frame, or as many records as fit in batch mode.
    fn read(&self, iov: &mut IovIterDest<'_>, nonblock: bool) -> Result<usize> {
        let mut frames: [Option<SkBuff>; READ_BATCH] = [const { None }; READ_BATCH];
        let (n, dev, batch) = self.take(&mut frames, iov.len(), nonblock)?;
        let Some(dev) = dev else {
            return Ok(0);
        };
        let mut total = 0;
        let mut res = Ok(());
        for skb in frames.iter_mut().take(n).filter_map(Option::take) {
            let len = skb.len() as usize;
            if res.is_ok() {
                res = Self::copy_out(iov, &skb, batch);
            }
            if res.is_ok() {
                dev.tstats_add_tx(1, len as u32);
                total += if batch { FRAME_HDR + padded(len) } else { len };
                skb.consume();
            } else {
                // The user buffer went bad: the frame is lost, and counted.
                dev.data().count_drop(DropReason::TxBackend);
                skb.drop_reason(kernel::net::skbuff::DropReason::NotSpecified);
            }
        }
        match res {
            Err(e) if total == 0 => Err(e),
            _ => Ok(total),
        }
    }

    fn copy_out(iov: &mut IovIterDest<'_>, skb: &SkBuff, batch: bool) -> Result {
        let len = skb.len() as usize;
        if batch {
            let mut hdr = [0u8; FRAME_HDR];
            hdr[..4].copy_from_slice(&(len as u32).to_ne_bytes());
            if iov.copy_to_iter(&hdr) != FRAME_HDR {
                return Err(EFAULT);
            }
        }
        skb.copy_to_iter(iov)?;
        if batch {
            let pad = padded(len) - len;
            if iov.copy_to_iter(&ZEROS[..pad]) != pad {
                return Err(EFAULT);
            }
        }
        Ok(())
    }

    /// The interface, if the channel is attached and alive.
    fn device(&self) -> Result<(ARef<TypedDevice<Virtif>>, bool)> {
        let inner = self.inner.lock();
        match (inner.state, &inner.dev) {
            (State::Attached, Some(dev)) => Ok((ARef::from(&**dev), inner.flags & VIRTIF_F_BATCH != 0)),
            (State::Attached, None) | (State::Dead, _) => Err(ENXIO),
            (State::Idle, _) => Err(EBADFD),
        }
    }

    /// `write`: one frame, or a sequence of records in batch mode.
    fn write(&self, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let (dev, batch) = self.device()?;
        if !batch {
            let len = iov.len();
            return write_frame(&dev, iov, len).map(|()| len);
        }
        let mut done = 0;
        while !iov.is_empty() {
            match write_record(&dev, iov) {
                Ok(n) => done += n,
                // A bad record: report what was consumed before it; the next write, which
                // starts at it, gets the error (and counts it).
                Err(_) if done > 0 => break,
                Err(e) => {
                    if e == EINVAL {
                        dev.data().count_drop(DropReason::BadLength);
                    }
                    return Err(e);
                }
            }
        }
        Ok(done)
    }
}

/// Whether the process may write a frame of `len` bytes: what the receive
/// path accepts, and never more than [`MAX_FRAME`].
fn len_ok(dev: &TypedDevice<Virtif>, len: usize) -> bool {
    len <= MAX_FRAME && rx::len_ok(dev, len)
}

/// Delivers one frame of `len` bytes read from `iov` to the stack.
fn write_frame(dev: &TypedDevice<Virtif>, iov: &mut IovIterSource<'_>, len: usize) -> Result {
    if !len_ok(dev, len) {
        dev.data().count_drop(DropReason::BadLength);
        return Err(EINVAL);
    }
    copy_and_deliver(dev, iov, len)
}

fn copy_and_deliver(dev: &TypedDevice<Virtif>, iov: &mut IovIterSource<'_>, len: usize) -> Result {
    let mut skb = SkBuff::alloc(dev, len as u32).inspect_err(|_| {
        dev.data().count_drop(DropReason::NoMemory);
    })?;
    skb.put_from_iter(iov, len)?;
    rx::deliver_skb(dev, skb);
    Ok(())
}

/// Delivers one batch record; returns the bytes it took. Errors leave the count to the caller.
fn write_record(dev: &TypedDevice<Virtif>, iov: &mut IovIterSource<'_>) -> Result<usize> {
    if iov.len() < FRAME_HDR {
        return Err(EINVAL);
    }
    // A bad record is not counted as consumed: the caller reports the bytes
    // of the good records before it (the iterator position does not matter).
    let mut hdr = [0u8; FRAME_HDR];
    if iov.copy_from_iter(&mut hdr) != FRAME_HDR {
        return Err(EFAULT);
    }
    let len = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
    let flags = u32::from_ne_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
    if flags != 0 || len > iov.len() || !len_ok(dev, len) {
        return Err(EINVAL);
    }
    copy_and_deliver(dev, iov, len)?;
    // The last record may come without its padding.
    let pad = (padded(len) - len).min(iov.len());
    iov.advance(pad);
    Ok(FRAME_HDR + len + pad)
}

/// An open `/dev/virtif`.
pub(crate) struct VirtifFile {
    /// The channel, once attached (it stays, even after the interface is gone).
    chan: SetOnce<Arc<Channel>>,
}

impl VirtifFile {
    fn attach(&self, arg: usize) -> Result {
        let mut raw = [0u8; ATTACH_SIZE];
        UserSlice::new(UserPtr::from_addr(arg), ATTACH_SIZE)
            .reader()
            .read_slice(&mut raw)?;
        // Configuring an interface takes CAP_NET_ADMIN over its namespace; ask before
        // looking at the request or saying whether the interface exists.
        if !Net::with_current(|net| net.net_admin_capable()) {
            return Err(EPERM);
        }
        let flags = u32::from_ne_bytes([raw[16], raw[17], raw[18], raw[19]]);
        let reserved = &raw[20..24];
        if flags & !(VIRTIF_F_BATCH | VIRTIF_F_TX_DROP) != 0 || reserved.iter().any(|&b| b != 0) {
            return Err(EINVAL);
        }
        let name = CStr::from_bytes_until_nul(&raw[..16]).map_err(|_| EINVAL)?;
        let rtnl = rtnl::lock();
        if self.chan.as_ref().is_some() {
            return Err(EBUSY);
        }
        Net::with_current(|net| {
            let dev = Device::get_by_name_locked(&rtnl, net, name).ok_or(ENODEV)?;
            let vdev = dev.downcast::<Virtif>().ok_or(EINVAL)?;
            let chan = {
                let guard = rcu::read_lock();
                match vdev.data().backend(&guard) {
                    Some(crate::backend::AnyBackend::User(u)) => u.chan.clone(),
                    _ => return Err(EINVAL),
                }
            };
            chan.attach(flags)?;
            if !self.chan.populate(chan.clone()) {
                // Cannot happen: RTNL serialises attaches and we checked above.
                chan.detach();
                return Err(EBUSY);
            }
            Virtif::set_carriers(vdev, vdev.flags().contains(Flags::UP));
            Ok(())
        })
    }
}

#[vtable]
impl MiscDevice for VirtifFile {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        Ok(KBox::pin(Self { chan: SetOnce::new() }, GFP_KERNEL)?)
    }

    fn release(me: Pin<KBox<Self>>, _file: &File) {
        if let Some(chan) = me.chan.as_ref() {
            let _rtnl = rtnl::lock();
            chan.detach();
        }
    }

    fn ioctl(me: Pin<&Self>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            VIRTIF_ATTACH => me.attach(arg).map(|()| 0),
            _ => Err(ENOTTY),
        }
    }

    fn read_iter(kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let nonblock = kiocb.is_nonblocking();
        let me = kiocb.file();
        let chan = me.chan.as_ref().ok_or(EBADFD)?;
        chan.read(iov, nonblock)
    }

    fn write_iter(kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let me = kiocb.file();
        let chan = me.chan.as_ref().ok_or(EBADFD)?;
        chan.write(iov)
    }

    fn poll(me: Pin<&Self>, file: &File, table: PollTable<'_>) -> u32 {
        let Some(chan) = me.chan.as_ref() else {
            return events::POLLERR;
        };
        table.register_wait(file, &chan.wait);
        let inner = chan.inner.lock();
        let mut mask = 0;
        if !inner.queue.is_empty() {
            mask |= events::POLLIN | events::POLLRDNORM;
        }
        match inner.state {
            State::Attached => mask |= events::POLLOUT | events::POLLWRNORM,
            State::Dead => mask |= events::POLLHUP | events::POLLIN | events::POLLRDNORM,
            State::Idle => mask |= events::POLLERR,
        }
        mask
    }
}
