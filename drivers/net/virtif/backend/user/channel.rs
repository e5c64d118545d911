// SPDX-License-Identifier: GPL-2.0

//! One transmit queue of a `user` interface and the open file that carries it: the ring of
//! packets transmitted on the queue, the readers waiting for them, and the frames the process
//! writes.

#![forbid(unsafe_code)]

use super::ring::Ring;
use super::shmem::{Rings, SlotBits};
use crate::rx;
use crate::stats::{self, DropReason};
use crate::vif::Virtif;
use kernel::bindings::{
    VIRTIF_BATCH_MAX, VIRTIF_FRAME_ALIGN, VIRTIF_F_BATCH, VIRTIF_F_MULTI_QUEUE, VIRTIF_F_TX_DROP,
    VIRTIF_F_VNET_HDR, VIRTIF_MAX_FRAME, VIRTIF_OFFLOAD_CSUM, VIRTIF_OFFLOAD_TSO4,
    VIRTIF_OFFLOAD_TSO6, VIRTIF_OFFLOAD_TSO_ECN, VIRTIF_OFFLOAD_USO,
};
use kernel::iov::{IovIterDest, IovIterSource};
use kernel::net::device::{DevStat, Features, TrackedRef, TxResult, TypedDevice, ETH_HLEN};
use kernel::net::skbuff::{SkBuff, VnetHdr};
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::poll::PollCondVar;
use kernel::sync::{rcu, Arc, Mutex, SpinLockIrq};
use kernel::workqueue::Work;
use kernel::{new_mutex, new_poll_condvar, new_spinlock_irq};

/// Size of `struct virtif_frame`, the record header of batch mode.
const FRAME_HDR: usize = size_of::<kernel::bindings::virtif_frame>();
/// Records are padded to this alignment.
const FRAME_ALIGN: usize = VIRTIF_FRAME_ALIGN as usize;
/// The most records one read or write moves.
pub(crate) const BATCH_MAX: usize = VIRTIF_BATCH_MAX as usize;
/// The largest frame, whatever the MTU (offload header not included).
pub(crate) const MAX_FRAME: usize = VIRTIF_MAX_FRAME as usize;
/// Largest ring, whatever `tx_queue_len` says.
const MAX_RING: usize = 65536;

/// Zero bytes for record padding.
static ZEROS: [u8; FRAME_ALIGN] = [0; FRAME_ALIGN];

fn padded(len: usize) -> usize {
    (len + FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1)
}

/// How a file is attached (`struct virtif_attach`): the same for every file of an interface.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mode {
    /// `VIRTIF_F_*`.
    pub(crate) flags: u32,
    /// `VIRTIF_OFFLOAD_*`.
    pub(crate) offloads: u32,
    /// Attached with `VIRTIF_ATTACH_RING`: frames move through shared-memory rings.
    pub(crate) ring: bool,
}

impl Mode {
    /// The attach flags this driver knows.
    pub(crate) const FLAGS: u32 =
        VIRTIF_F_BATCH | VIRTIF_F_TX_DROP | VIRTIF_F_VNET_HDR | VIRTIF_F_MULTI_QUEUE;
    /// The offloads this driver knows.
    const OFFLOADS: u32 = VIRTIF_OFFLOAD_CSUM
        | VIRTIF_OFFLOAD_TSO4
        | VIRTIF_OFFLOAD_TSO6
        | VIRTIF_OFFLOAD_TSO_ECN
        | VIRTIF_OFFLOAD_USO;

    /// Checks a mode asked for by `VIRTIF_ATTACH`: known flags and offloads, offloads only with
    /// the offload header, segmentation only with checksum offload, ECN only with TCP.
    pub(crate) fn new(flags: u32, offloads: u32) -> Result<Self> {
        let m = Self {
            flags,
            offloads,
            ring: false,
        };
        let gso = VIRTIF_OFFLOAD_TSO4 | VIRTIF_OFFLOAD_TSO6 | VIRTIF_OFFLOAD_USO;
        let bad = flags & !Self::FLAGS != 0
            || offloads & !Self::OFFLOADS != 0
            || (offloads != 0 && !m.vnet())
            || (offloads & gso != 0 && offloads & VIRTIF_OFFLOAD_CSUM == 0)
            || (offloads & VIRTIF_OFFLOAD_TSO_ECN != 0
                && offloads & (VIRTIF_OFFLOAD_TSO4 | VIRTIF_OFFLOAD_TSO6) == 0);
        if bad {
            return Err(EINVAL);
        }
        Ok(m)
    }

    pub(crate) fn batch(&self) -> bool {
        self.flags & VIRTIF_F_BATCH != 0
    }

    pub(crate) fn tx_drop(&self) -> bool {
        self.flags & VIRTIF_F_TX_DROP != 0
    }

    pub(crate) fn vnet(&self) -> bool {
        self.flags & VIRTIF_F_VNET_HDR != 0
    }

    pub(crate) fn multi_queue(&self) -> bool {
        self.flags & VIRTIF_F_MULTI_QUEUE != 0
    }

    /// Whether the reader takes packets whose checksum is still to be filled in.
    pub(crate) fn csum(&self) -> bool {
        self.offloads & VIRTIF_OFFLOAD_CSUM != 0
    }

    /// The GSO packets the reader takes whole.
    pub(crate) fn gso(&self) -> Features {
        let map = [
            (VIRTIF_OFFLOAD_TSO4, Features::TSO),
            (VIRTIF_OFFLOAD_TSO6, Features::TSO6),
            (VIRTIF_OFFLOAD_TSO_ECN, Features::TSO_ECN),
            (VIRTIF_OFFLOAD_USO, Features::GSO_UDP_L4),
        ];
        map.iter()
            .filter(|(o, _)| self.offloads & o != 0)
            .fold(Features::empty(), |acc, (_, f)| acc.union(*f))
    }

    /// The same, for a file attached with shared-memory rings: no batch mode (the rings are
    /// batches). GSO packets cross whole when they fit a slot (see [`Channel::gso_room`]).
    pub(crate) fn with_ring(self) -> Result<Self> {
        if self.batch() {
            return Err(EINVAL);
        }
        Ok(Self { ring: true, ..self })
    }

    /// The bytes before each frame: the offload header, if any.
    pub(crate) fn hdr_len(&self) -> usize {
        if self.vnet() {
            VnetHdr::LEN
        } else {
            0
        }
    }
}

/// Where a channel stands.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// The file carries its queue.
    Attached,
    /// The file was closed; the channel left the interface's table.
    Closed,
    /// The backend is gone (interface deleted or linkstr replaced): reads see the end.
    Dead,
}

pub(super) struct Inner {
    pub(super) state: State,
    /// The interface; `None` once the channel ended.
    dev: Option<TrackedRef<TypedDevice<Virtif>>>,
    ring: Ring,
    /// The transmit queue this channel carries (another file's detach may change it).
    pub(super) queue: u16,
    /// The queue was stopped because the ring filled up.
    pub(super) stopped: bool,
    /// Shared-memory rings: the kernel's copy of `tx_prod` (the slots before it are published).
    pub(super) tx_prod: u32,
    /// Shared-memory rings: the next TX slot to fill. The slots from `tx_prod` to here are being
    /// filled, outside the lock, by the CPUs that reserved them.
    pub(super) tx_resv: u32,
    /// Shared-memory rings: which of those are filled.
    pub(super) tx_filled: SlotBits,
}

impl Inner {
    /// The interface, if the channel is attached.
    fn attached_dev(&self) -> Option<&TypedDevice<Virtif>> {
        match self.state {
            State::Attached => self.dev.as_deref(),
            _ => None,
        }
    }
}

/// One transmit queue of a `user` interface, and the file attached to carry it.
#[pin_data]
pub(crate) struct Channel {
    pub(crate) mode: Mode,
    /// With `VIRTIF_ATTACH_RING`: the rings the process maps.
    pub(super) rings: Option<Rings>,
    #[pin]
    pub(super) inner: SpinLockIrq<Inner>,
    /// Readers and pollers wait here for frames (or for the end).
    #[pin]
    pub(super) wait: PollCondVar,
    /// With rings: takes the frames of the RX ring when `VIRTIF_KICK` leaves some (see
    /// `shmem.rs`).
    #[pin]
    pub(super) work: Work<Channel>,
    /// With rings: the kernel's copy of `rx_cons`. Whoever takes frames from the RX ring (the
    /// work item or `VIRTIF_KICK`) holds it, so they take turns.
    #[pin]
    pub(super) rx_cons: Mutex<u32>,
}

kernel::impl_has_work! {
    impl HasWork<Channel> for Channel { self.work }
}

impl Channel {
    /// A channel for transmit queue `queue` of `dev`: with a ring of `tx_queue_len` packets, or
    /// with the shared-memory `rings`.
    pub(crate) fn new(
        dev: &TypedDevice<Virtif>,
        mode: Mode,
        queue: u16,
        rings: Option<Rings>,
    ) -> Result<Arc<Self>> {
        let (ring, tx_filled) = match &rings {
            Some(r) => (Ring::empty(), SlotBits::new(r.tx_slots())?),
            None => (
                Ring::with_capacity((dev.tx_queue_len() as usize).clamp(1, MAX_RING))?,
                SlotBits::empty(),
            ),
        };
        let dev = TrackedRef::new(dev, GFP_KERNEL);
        Arc::pin_init(
            pin_init!(Self {
                mode,
                rings,
                inner <- new_spinlock_irq!(
                    Inner {
                        state: State::Attached,
                        dev: Some(dev),
                        ring,
                        queue,
                        stopped: false,
                        tx_prod: 0,
                        tx_resv: 0,
                        tx_filled,
                    },
                    "virtif_user"
                ),
                wait <- new_poll_condvar!("virtif_user"),
                work <- kernel::new_work!("virtif_user_rx"),
                rx_cons <- new_mutex!(0, "virtif_user_rx_cons"),
            }),
            GFP_KERNEL,
        )
    }

    pub(crate) fn state(&self) -> State {
        self.inner.lock().state
    }

    /// The interface, while the channel is attached.
    pub(crate) fn attached_dev(&self) -> Option<ARef<TypedDevice<Virtif>>> {
        self.inner.lock().attached_dev().map(ARef::from)
    }

    /// Gives the channel transmit queue `queue` of `dev`, and stops or starts that queue as
    /// the ring requires. Under the lock, so that a reader's wake-up cannot slip in between and
    /// be lost.
    pub(crate) fn set_queue(&self, dev: &TypedDevice<Virtif>, queue: u16) {
        let mut inner = self.inner.lock();
        inner.queue = queue;
        if inner.stopped {
            dev.stop_queue(queue);
        } else {
            dev.wake_queue(queue);
        }
    }

    /// Ends the channel (the file closed, or the backend died): readers and pollers are woken
    /// (they see the end), what is queued is dropped and counted, and the reference to the
    /// interface is dropped. The caller restarts the queue.
    pub(crate) fn end(&self, state: State) {
        let (dev, mut ring) = {
            let mut inner = self.inner.lock();
            if inner.state != State::Attached {
                return;
            }
            inner.state = state;
            inner.stopped = false;
            (
                inner.dev.take(),
                core::mem::replace(&mut inner.ring, Ring::empty()),
            )
        };
        self.wait.notify_all();
        while let Some(skb) = ring.pop() {
            match dev.as_deref() {
                Some(dev) => stats::drop_skb(dev, skb, DropReason::Detached),
                None => drop(skb),
            }
        }
    }

    /// Queues a packet the interface transmits (bottom halves disabled). `has_qdisc`: whether
    /// its transmit queue has a qdisc that can hold packets, so that back-pressure can stop the
    /// queue; without one (or with `VIRTIF_F_TX_DROP`) a full ring drops.
    ///
    /// A packet handed back to the qdisc (`Busy`) is untouched; one that is queued is first
    /// timestamped and detached from the local stack (it may wait for as long as the reader
    /// likes). That is done between two holds of the lock: detaching may free a conntrack
    /// entry, which must not run with interrupts off. Only this queue's transmit path (under
    /// its lock) adds to the ring meanwhile; the reader only takes from it.
    pub(crate) fn xmit(
        &self,
        dev: &TypedDevice<Virtif>,
        mut skb: SkBuff,
        has_qdisc: bool,
    ) -> TxResult {
        let hold = !self.mode.tx_drop() && has_qdisc;
        {
            let mut inner = self.inner.lock();
            if inner.state != State::Attached {
                drop(inner);
                stats::drop_skb(dev, skb, DropReason::NotAttached);
                return TxResult::Ok;
            }
            if inner.ring.is_full() {
                // Handing the packet back is only right for the queue that is then stopped (a
                // packet of another queue comes here only while the queues are being
                // reassigned).
                if hold && skb.queue_mapping() == inner.queue {
                    // The queue ran in front of a full ring (it was woken, e.g. by the
                    // interface coming up): stop it, and the qdisc keeps the packet.
                    inner.stopped = true;
                    dev.stop_queue(inner.queue);
                    return TxResult::Busy(skb);
                }
                drop(inner);
                stats::drop_skb(dev, skb, DropReason::QueueFull);
                return TxResult::Ok;
            }
        }
        skb.tx_timestamp();
        if skb.detach_from_stack().is_err() {
            stats::drop_skb(dev, skb, DropReason::TxNoMemory);
            return TxResult::Ok;
        }
        let mut inner = self.inner.lock();
        if inner.state != State::Attached {
            drop(inner);
            stats::drop_skb(dev, skb, DropReason::NotAttached);
            return TxResult::Ok;
        }
        let was_empty = inner.ring.is_empty();
        match inner.ring.push(skb) {
            Ok(()) => {
                if hold && inner.ring.is_full() {
                    inner.stopped = true;
                    dev.stop_queue(inner.queue);
                }
            }
            // Room was there a moment ago; only a packet of another queue, while the queues are
            // being reassigned, can have taken it. This one is stamped and detached already:
            // the qdisc cannot have it back.
            Err(skb) => {
                drop(inner);
                stats::drop_skb(dev, skb, DropReason::QueueFull);
                return TxResult::Ok;
            }
        }
        drop(inner);
        if was_empty {
            self.wait.notify_all();
        }
        TxResult::Ok
    }

    /// The bytes a queued frame of `len` bytes takes in a read buffer.
    fn space(&self, len: usize) -> usize {
        let len = self.mode.hdr_len() + len;
        if self.mode.batch() {
            FRAME_HDR + padded(len)
        } else {
            len
        }
    }

    /// Takes frames that fit in `room` bytes, waiting for the first one unless `nonblock`: one
    /// frame in single mode, up to `out.len()` records in batch mode. Returns how many it took
    /// (0 at the end of the channel) and the interface.
    fn take(
        &self,
        out: &mut [Option<SkBuff>],
        mut room: usize,
        nonblock: bool,
    ) -> Result<(usize, Option<ARef<TypedDevice<Virtif>>>)> {
        let mut inner = self.inner.lock();
        let max = if self.mode.batch() { out.len() } else { 1 };
        while inner.ring.is_empty() {
            if inner.state != State::Attached {
                return Ok((0, None));
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
            let Some(len) = inner.ring.front_len() else {
                break;
            };
            let need = self.space(len);
            if need > room {
                if n == 0 {
                    return Err(EMSGSIZE);
                }
                break;
            }
            room -= need;
            out[n] = inner.ring.pop();
            n += 1;
        }
        let wake = inner.stopped && inner.ring.len() <= inner.ring.cap() / 2;
        if wake {
            inner.stopped = false;
        }
        let queue = inner.queue;
        let dev = inner.dev.as_deref().map(ARef::from);
        drop(inner);
        if let (true, Some(dev)) = (wake, &dev) {
            dev.wake_queue(queue);
        }
        Ok((n, dev))
    }

    /// `read`: one frame, or as many records as fit (at most `VIRTIF_BATCH_MAX`) in batch mode.
    pub(crate) fn read(&self, iov: &mut IovIterDest<'_>, nonblock: bool) -> Result<usize> {
        if self.rings.is_some() {
            return Err(EINVAL);
        }
        loop {
            let mut frames: [Option<SkBuff>; BATCH_MAX] = [const { None }; BATCH_MAX];
            let (n, dev) = self.take(&mut frames, iov.len(), nonblock)?;
            let Some(dev) = dev else {
                return Ok(0);
            };
            let mut total = 0;
            let mut res = Ok(());
            for skb in frames.iter_mut().take(n).filter_map(Option::take) {
                let len = skb.len() as usize;
                let hdr = if self.mode.vnet() {
                    match skb.vnet_hdr() {
                        Ok(h) => Some(h),
                        Err(_) => {
                            // Cannot happen: the features let through only what a header
                            // expresses.
                            stats::drop_skb(&dev, skb, DropReason::Gso);
                            continue;
                        }
                    }
                } else {
                    None
                };
                if res.is_ok() {
                    res = self.copy_out(iov, &skb, hdr.as_ref());
                }
                if res.is_ok() {
                    dev.dstats_add_tx(len as u32);
                    total += self.space(len);
                    skb.consume();
                } else {
                    // The user buffer went bad: the frame is lost, and counted.
                    stats::drop_skb(&dev, skb, DropReason::UserFault);
                }
            }
            match res {
                Err(e) if total == 0 => return Err(e),
                // Every frame taken was dropped: take the next ones.
                Ok(()) if total == 0 => continue,
                _ => return Ok(total),
            }
        }
    }

    fn copy_out(&self, iov: &mut IovIterDest<'_>, skb: &SkBuff, hdr: Option<&VnetHdr>) -> Result {
        let len = self.mode.hdr_len() + skb.len() as usize;
        if self.mode.batch() {
            let mut rec = [0u8; FRAME_HDR];
            rec[..4].copy_from_slice(&(len as u32).to_ne_bytes());
            if iov.copy_to_iter(&rec) != FRAME_HDR {
                return Err(EFAULT);
            }
        }
        if let Some(hdr) = hdr {
            if iov.copy_to_iter(&hdr.to_bytes()) != VnetHdr::LEN {
                return Err(EFAULT);
            }
        }
        skb.copy_to_iter(iov)?;
        if self.mode.batch() {
            let pad = padded(len) - len;
            if iov.copy_to_iter(&ZEROS[..pad]) != pad {
                return Err(EFAULT);
            }
        }
        Ok(())
    }

    /// Poll mask: readable with frames queued or at the end, writable while attached.
    pub(crate) fn poll_mask(&self) -> u32 {
        use kernel::sync::poll::events;
        let inner = self.inner.lock();
        let mut mask = 0;
        let queued = match &self.rings {
            Some(r) => r.tx_pending(inner.tx_prod),
            None => !inner.ring.is_empty(),
        };
        if queued {
            mask |= events::POLLIN | events::POLLRDNORM;
        }
        match inner.state {
            State::Attached => mask |= events::POLLOUT | events::POLLWRNORM,
            State::Dead => mask |= events::POLLHUP | events::POLLIN | events::POLLRDNORM,
            State::Closed => mask |= events::POLLERR,
        }
        mask
    }

    /// The wait queue of readers and pollers.
    pub(crate) fn wait(&self) -> &PollCondVar {
        &self.wait
    }

    /// The interface, while the channel is attached.
    pub(super) fn device(&self) -> Result<ARef<TypedDevice<Virtif>>> {
        let inner = self.inner.lock();
        match (inner.state, &inner.dev) {
            (State::Attached, Some(dev)) => Ok(ARef::from(&**dev)),
            (State::Closed, _) => Err(EBADFD),
            _ => Err(ENXIO),
        }
    }

    /// Hands a packet the process wrote to the receive path, unless the backend is dying: the
    /// check and the delivery are in one RCU read-side critical section, and the backend is
    /// destroyed only after a grace period that started after `dying()`.
    fn deliver(&self, dev: &TypedDevice<Virtif>, skb: SkBuff) {
        let _guard = rcu::read_lock();
        if self.inner.lock().attached_dev().is_none() {
            // Written while the interface went away: the NIC is not running any more.
            stats::drop_skb(dev, skb, DropReason::NotRunning);
            return;
        }
        rx::deliver_skb(dev, skb);
    }

    /// `write`: one frame, or up to `VIRTIF_BATCH_MAX` records in batch mode.
    ///
    /// A bad frame is refused with `EINVAL` and counted. In batch mode, a bad record after good
    /// ones ends the write short, at the bad record; the next write starts there and gets the
    /// error (so the record is counted once).
    pub(crate) fn write(&self, iov: &mut IovIterSource<'_>) -> Result<usize> {
        if self.rings.is_some() {
            return Err(EINVAL);
        }
        let dev = self.device()?;
        if !self.mode.batch() {
            let len = iov.len();
            return match self.write_frame(&dev, iov, len) {
                Ok(()) => Ok(len),
                Err(e) => Err(e.count(&dev)),
            };
        }
        let mut done = 0;
        for _ in 0..BATCH_MAX {
            if iov.is_empty() {
                break;
            }
            match self.write_record(&dev, iov) {
                Ok(n) => done += n,
                Err(_) if done > 0 => break,
                Err(e) => return Err(e.count(&dev)),
            }
        }
        Ok(done)
    }

    /// Delivers one frame of `len` bytes (offload header included) read from `iov`.
    fn write_frame(
        &self,
        dev: &TypedDevice<Virtif>,
        iov: &mut IovIterSource<'_>,
        len: usize,
    ) -> Result<(), WriteError> {
        let (hdr, len) = if self.mode.vnet() {
            if len < VnetHdr::LEN {
                return Err(WriteError::Length(DropReason::Runt));
            }
            let mut raw = [0u8; VnetHdr::LEN];
            if iov.copy_from_iter(&mut raw) != VnetHdr::LEN {
                return Err(WriteError::Other(EFAULT));
            }
            (Some(VnetHdr::from_bytes(&raw)), len - VnetHdr::LEN)
        } else {
            (None, len)
        };
        Self::check_frame(dev, hdr.as_ref(), len)?;
        let skb = SkBuff::from_iter(dev, iov, len, GFP_KERNEL).map_err(|e| {
            if e == EFAULT {
                WriteError::Other(EFAULT)
            } else {
                WriteError::NoMemory
            }
        })?;
        self.receive(dev, hdr.as_ref(), skb)
    }

    /// The length rules for a frame of `len` bytes the process hands over, with the offload
    /// header `hdr`.
    pub(super) fn check_frame(
        dev: &TypedDevice<Virtif>,
        hdr: Option<&VnetHdr>,
        len: usize,
    ) -> Result<(), WriteError> {
        if len > MAX_FRAME {
            return Err(WriteError::Length(DropReason::Oversize));
        }
        match hdr {
            // A GSO packet is segmented later, to the MTU of wherever it goes.
            Some(h) if h.is_gso() && len >= ETH_HLEN => Ok(()),
            _ => rx::check_len(dev, len).map_err(WriteError::Length),
        }
    }

    /// Applies the offload header, if any, to a packet the process handed over, and delivers it.
    pub(super) fn receive(
        &self,
        dev: &TypedDevice<Virtif>,
        hdr: Option<&VnetHdr>,
        mut skb: SkBuff,
    ) -> Result<(), WriteError> {
        if let Some(h) = hdr {
            if skb.apply_vnet_hdr(h).is_err() {
                return Err(WriteError::BadHdr(skb));
            }
        }
        self.deliver(dev, skb);
        Ok(())
    }

    /// Delivers one batch record; returns the bytes it took.
    fn write_record(
        &self,
        dev: &TypedDevice<Virtif>,
        iov: &mut IovIterSource<'_>,
    ) -> Result<usize, WriteError> {
        if iov.len() < FRAME_HDR {
            return Err(WriteError::Other(EINVAL));
        }
        let mut rec = [0u8; FRAME_HDR];
        if iov.copy_from_iter(&mut rec) != FRAME_HDR {
            return Err(WriteError::Other(EFAULT));
        }
        let len = u32::from_ne_bytes([rec[0], rec[1], rec[2], rec[3]]) as usize;
        let flags = u32::from_ne_bytes([rec[4], rec[5], rec[6], rec[7]]);
        if flags != 0 || len > iov.len() {
            return Err(WriteError::Other(EINVAL));
        }
        self.write_frame(dev, iov, len)?;
        // The last record may come without its padding.
        let pad = (padded(len) - len).min(iov.len());
        iov.advance(pad);
        Ok(FRAME_HDR + len + pad)
    }
}

/// Why a written frame was refused.
pub(super) enum WriteError {
    /// A bad length: `EINVAL`, counted (and in `rx_length_errors`).
    Length(DropReason),
    /// No memory for the packet: `ENOMEM`, counted.
    NoMemory,
    /// An offload header that does not fit its frame: `EINVAL`, counted.
    BadHdr(SkBuff),
    /// Anything else (a bad record header, a fault): not counted.
    Other(Error),
}

impl WriteError {
    /// Counts the refused frame, when it is one, and returns the errno for the caller.
    pub(super) fn count(self, dev: &TypedDevice<Virtif>) -> Error {
        match self {
            WriteError::Length(reason) => {
                dev.stats_inc(DevStat::RxLengthErrors);
                stats::count(dev, reason);
                EINVAL
            }
            WriteError::NoMemory => {
                stats::count(dev, DropReason::RxNoMemory);
                ENOMEM
            }
            WriteError::BadHdr(skb) => {
                stats::drop_skb(dev, skb, DropReason::BadVnetHdr);
                EINVAL
            }
            WriteError::Other(e) => e,
        }
    }
}
