// SPDX-License-Identifier: GPL-2.0
//! [`RingEndpoint`]: a `/dev/virtif` file attached with
//! `VIRTIF_ATTACH_RING`, whose frames move through two rings of slots in
//! memory shared with the kernel instead of through `read()`/`write()`.
//!
//! The protocol (`uapi/linux/virtif.h`, "Shared-memory rings"): the mapping
//! is a control block of 32-bit words, then the TX ring (frames the
//! interface transmits, for us), then the RX ring (frames we write, for the
//! interface to receive). A slot is a header `{ u32 len; u32 flags }` and
//! the frame (the offload header first with `VIRTIF_F_VNET_HDR`). Indices
//! are free-running `u32`s: a ring holds `prod - cons` frames (wrapping),
//! index `i` lives in slot `i % slots`.
//!
//! - Receiving (TX ring): load `tx_prod` (acquire), copy the frames of the
//!   slots from our `tx_cons` up to it, store `tx_cons` (release), then
//!   after a full fence kick (`VIRTIF_KICK`) if the kernel set
//!   `VIRTIF_RING_STOPPED` (its queue waits for room).
//! - Sending (RX ring): write the frames into the slots from our `rx_prod`
//!   on while `rx_prod - rx_cons < slots`, store `rx_prod` (release), then
//!   after a full fence kick if the kernel set `VIRTIF_RING_NEED_KICK` (it
//!   is not looking at the ring).
//! - Sleeping: set `tx_wait`, full fence, load `tx_prod` once more (frames
//!   that came meanwhile: do not sleep), then `poll()` for `POLLIN`; clear
//!   `tx_wait` once awake. The kernel wakes pollers only while `tx_wait` is
//!   set, so a busy consumer costs it nothing per frame.
//!
//! The memory itself is reached through `virtif_sys::mapping` (the `unsafe`
//! part: `mmap`, atomics on the control words, bounds-checked copies).

use std::fs::{File, OpenOptions};
use std::io;
use std::mem::offset_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{fence, AtomicU32, Ordering};

use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use crate::endpoint::check_ifname;
use crate::uapi;
use crate::{invalid_input, Options, DEVICE, VNET_HDR_LEN};
use virtif_sys::ioctl::{self as sys, VirtifAttach, VirtifRingAttach};
use virtif_sys::mapping::Mapping;

/// The size of a slot's header (`struct virtif_ring_slot`).
pub const SLOT_HDR_LEN: usize = std::mem::size_of::<uapi::virtif_ring_slot>();
/// The size of the control block (`VIRTIF_RING_CTL_SIZE`).
pub const CTL_SIZE: usize = uapi::VIRTIF_RING_CTL_SIZE as usize;
/// The most slots a ring has (`VIRTIF_RING_MAX_SLOTS`).
pub const MAX_SLOTS: u32 = uapi::VIRTIF_RING_MAX_SLOTS;
/// The smallest slot (`VIRTIF_RING_MIN_SLOT`).
pub const MIN_SLOT: u32 = uapi::VIRTIF_RING_MIN_SLOT;
/// The largest slot (`VIRTIF_RING_MAX_SLOT`).
pub const MAX_SLOT: u32 = uapi::VIRTIF_RING_MAX_SLOT;
/// The largest mapping the kernel accepts (`VIRTIF_RING_MAX_MAP`).
pub const MAX_MAP: u64 = uapi::VIRTIF_RING_MAX_MAP as u64;
/// The offloads a ring endpoint with the offload header asks for when its
/// slots are smaller than [`MAX_SLOT`]: checksums left to fill in only
/// (the kernel would segment most GSO packets to fit the slots anyway).
pub const RING_OFFLOADS_SMALL: u32 = uapi::VIRTIF_OFFLOAD_CSUM;
/// The offloads it asks for with slots of [`MAX_SLOT`] bytes: checksums and
/// TCP GSO packets (TSO4, TSO6, with ECN), each of which fits a slot when
/// the stack built it for a 64 KiB GSO size. Not UDP GSO: such a packet may
/// not fit (the kernel would segment it; a tap could not).
pub const RING_OFFLOADS_GSO: u32 = uapi::VIRTIF_OFFLOAD_CSUM
    | uapi::VIRTIF_OFFLOAD_TSO4
    | uapi::VIRTIF_OFFLOAD_TSO6
    | uapi::VIRTIF_OFFLOAD_TSO_ECN;

const TX_PROD: usize = offset_of!(uapi::virtif_ring_ctl, tx_prod);
const TX_FLAGS: usize = offset_of!(uapi::virtif_ring_ctl, tx_flags);
const TX_CONS: usize = offset_of!(uapi::virtif_ring_ctl, tx_cons);
const TX_WAIT: usize = offset_of!(uapi::virtif_ring_ctl, tx_wait);
const RX_PROD: usize = offset_of!(uapi::virtif_ring_ctl, rx_prod);
const RX_CONS: usize = offset_of!(uapi::virtif_ring_ctl, rx_cons);
const RX_FLAGS: usize = offset_of!(uapi::virtif_ring_ctl, rx_flags);

/// The frames a ring holds between a consumer index and a producer index
/// (free-running, wrapping).
pub fn ring_used(prod: u32, cons: u32) -> u32 {
    prod.wrapping_sub(cons)
}

/// The size and shape of the two rings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Slots of the TX ring (power of 2, 1 to [`MAX_SLOTS`]).
    pub tx_slots: u32,
    /// Slots of the RX ring (power of 2, 1 to [`MAX_SLOTS`]).
    pub rx_slots: u32,
    /// Bytes per slot, its header included (power of 2, [`MIN_SLOT`] to
    /// [`MAX_SLOT`]).
    pub slot_size: u32,
}

impl Geometry {
    /// Checks a geometry as the kernel does: powers of 2 in their ranges,
    /// and a mapping of at most [`MAX_MAP`] bytes (`InvalidInput`, with
    /// what is wrong, otherwise).
    pub fn new(tx_slots: u32, rx_slots: u32, slot_size: u32) -> io::Result<Geometry> {
        let pow2_in = |v: u32, lo: u32, hi: u32| v.is_power_of_two() && (lo..=hi).contains(&v);
        for (what, v) in [("TX slots", tx_slots), ("RX slots", rx_slots)] {
            if !pow2_in(v, 1, MAX_SLOTS) {
                return Err(invalid_input(&format!(
                    "{what}: {v} is not a power of 2 from 1 to {MAX_SLOTS}"
                )));
            }
        }
        if !pow2_in(slot_size, MIN_SLOT, MAX_SLOT) {
            return Err(invalid_input(&format!(
                "slot size {slot_size} is not a power of 2 from {MIN_SLOT} to {MAX_SLOT}"
            )));
        }
        let g = Geometry {
            tx_slots,
            rx_slots,
            slot_size,
        };
        if g.map_size_u64() > MAX_MAP {
            return Err(invalid_input(&format!(
                "rings of {tx_slots}+{rx_slots} slots of {slot_size} bytes: {} bytes, \
                 more than the {MAX_MAP} the kernel maps",
                g.map_size_u64()
            )));
        }
        Ok(g)
    }

    /// The smallest slot size (a power of 2, at least [`MIN_SLOT`]) whose
    /// slots take frames of `max_frame` bytes (offload header included);
    /// `InvalidInput` beyond [`MAX_SLOT`].
    pub fn slot_size_for(max_frame: usize) -> io::Result<u32> {
        let need = (max_frame + SLOT_HDR_LEN).next_power_of_two();
        let size = need.max(MIN_SLOT as usize);
        if size > MAX_SLOT as usize {
            return Err(invalid_input(&format!(
                "frames of {max_frame} bytes do not fit the largest slot ({MAX_SLOT} bytes)"
            )));
        }
        Ok(size as u32)
    }

    fn map_size_u64(&self) -> u64 {
        CTL_SIZE as u64
            + (u64::from(self.tx_slots) + u64::from(self.rx_slots)) * u64::from(self.slot_size)
    }

    /// The size of the mapping (`VIRTIF_RING_MAP_SIZE`).
    pub fn map_size(&self) -> usize {
        self.map_size_u64() as usize
    }

    /// The largest frame a slot takes (offload header included).
    pub fn frame_room(&self) -> usize {
        self.slot_size as usize - SLOT_HDR_LEN
    }

    /// Whether the slots take TCP GSO packets (they are of [`MAX_SLOT`]
    /// bytes).
    pub fn takes_tcp_gso(&self) -> bool {
        Self::slots_take_tcp_gso(self.slot_size)
    }

    fn slots_take_tcp_gso(slot_size: u32) -> bool {
        slot_size == MAX_SLOT
    }

    /// The number of slots a ring of slots of `slot_size` bytes has unless
    /// told otherwise: 64 of the slots that take TCP GSO packets (4 MiB per
    /// ring), else 256.
    pub fn default_slots(slot_size: u32) -> u32 {
        if Self::slots_take_tcp_gso(slot_size) {
            64
        } else {
            256
        }
    }

    /// The offloads to attach with, with the offload header:
    /// [`RING_OFFLOADS_GSO`] if [`Geometry::takes_tcp_gso`], else
    /// [`RING_OFFLOADS_SMALL`].
    pub fn offloads(&self) -> u32 {
        if self.takes_tcp_gso() {
            RING_OFFLOADS_GSO
        } else {
            RING_OFFLOADS_SMALL
        }
    }

    /// The byte offset in the mapping of the TX slot of `index`.
    pub fn tx_slot(&self, index: u32) -> usize {
        CTL_SIZE + (index & (self.tx_slots - 1)) as usize * self.slot_size as usize
    }

    /// The byte offset in the mapping of the RX slot of `index`.
    pub fn rx_slot(&self, index: u32) -> usize {
        CTL_SIZE
            + (self.tx_slots + (index & (self.rx_slots - 1))) as usize * self.slot_size as usize
    }
}

/// A frame in a TX slot, to copy out while [`RingEndpoint::recv_with`]
/// holds the slot.
#[derive(Debug)]
pub struct SlotFrame<'a> {
    map: &'a Mapping,
    off: usize,
    len: usize,
}

impl SlotFrame<'_> {
    /// Its length in bytes (offload header included).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an empty frame (the kernel writes none).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies it into `dst`, which must be exactly [`SlotFrame::len`]
    /// bytes long (panics otherwise).
    pub fn copy_to(&self, dst: &mut [u8]) {
        assert_eq!(dst.len(), self.len, "copy_to: wrong destination size");
        self.map.read(self.off, dst);
    }

    /// A copy of it.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = vec![0; self.len];
        self.copy_to(&mut v);
        v
    }

    /// Writes it to `fd` with one `write(2)`, straight from the slot (no
    /// copy of ours: a tap takes a frame per `write(2)`); returns what
    /// `write(2)` returns.
    pub fn write_to(&self, fd: BorrowedFd<'_>) -> io::Result<usize> {
        self.map.write_to(self.off, self.len, fd)
    }

    /// Whether it is a GSO packet, for a frame that starts with the offload
    /// header ([`crate::is_gso`]).
    pub fn is_gso(&self) -> bool {
        let mut hdr = [0u8; VNET_HDR_LEN];
        if self.len < VNET_HDR_LEN {
            return false;
        }
        self.map.read(self.off, &mut hdr);
        crate::is_gso(&hdr)
    }
}

/// What [`RingEndpoint::push_read`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// It pushed a frame of this many bytes; `gso`: with the offload header,
    /// a GSO packet.
    Frame {
        /// Its length (offload header included).
        len: usize,
        /// It is a GSO packet.
        gso: bool,
    },
    /// The file had a frame longer than a slot takes: it was lost (the
    /// file cut it), nothing was pushed.
    TooLong,
    /// The ring is full: nothing was read.
    Full,
}

/// What [`RingEndpoint::recv_with`] took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Taken {
    /// Frames handed over.
    pub frames: usize,
    /// Slots skipped because their header made no sense (a length beyond
    /// the slot, flags not 0); the kernel writes none.
    pub bad: usize,
}

/// A `/dev/virtif` file attached with `VIRTIF_ATTACH_RING` and its mapped
/// rings. Dropping it unmaps the rings and closes the file (detaching the
/// interface).
#[derive(Debug)]
pub struct RingEndpoint {
    // Unmapped before the file is closed (fields drop in order).
    map: Mapping,
    file: File,
    ifname: String,
    opts: Options,
    geo: Geometry,
    /// Our copies of the indices we produce.
    tx_cons: u32,
    rx_prod: u32,
    /// `rx_prod` as last published.
    rx_published: u32,
    /// `tx_wait` is set.
    waiting: bool,
    kicks: u64,
    #[cfg(test)]
    fake: bool,
}

impl RingEndpoint {
    /// Opens [`DEVICE`], attaches it to `ifname` with rings of `geo`
    /// (`VIRTIF_ATTACH_RING`) and maps them. The new endpoint has `tx_wait`
    /// set, ready for a `poll()`. `opts.batch` is refused (the
    /// rings are batches); with `opts.vnet_hdr` the offloads are
    /// [`Geometry::offloads`]. Always non-blocking: the rings
    /// are polled, not read. The kernel's errors are those of
    /// [`Endpoint::attach`](crate::Endpoint::attach), `EINVAL` for a
    /// geometry it refuses, or rings beside files without them, and
    /// `ENOMEM` without memory for the rings, which are charged to the
    /// process's memory cgroup (past its `memory.max` too).
    pub fn attach(ifname: &str, opts: Options, geo: Geometry) -> io::Result<RingEndpoint> {
        Self::attach_device(Path::new(DEVICE), ifname, opts, geo)
    }

    /// Like [`RingEndpoint::attach`], with another path to the device node.
    pub fn attach_device(
        device: &Path,
        ifname: &str,
        opts: Options,
        geo: Geometry,
    ) -> io::Result<RingEndpoint> {
        let name = check_ifname(ifname)?;
        if opts.batch {
            return Err(invalid_input("rings are batches already: no batch mode"));
        }
        let geo = Geometry::new(geo.tx_slots, geo.rx_slots, geo.slot_size)?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(device)?;
        let arg = VirtifRingAttach {
            attach: VirtifAttach {
                ifname: name.map(|b| b as std::ffi::c_char),
                flags: opts.flags(),
                offloads: if opts.vnet_hdr { geo.offloads() } else { 0 },
            },
            tx_slots: geo.tx_slots,
            rx_slots: geo.rx_slots,
            slot_size: geo.slot_size,
            reserved: 0,
        };
        sys::virtif_attach_ring(file.as_fd(), &arg)?;
        let map = Mapping::shared(file.as_fd(), geo.map_size())?;
        Ok(Self::new(map, file, ifname, opts, geo))
    }

    fn new(map: Mapping, file: File, ifname: &str, opts: Options, geo: Geometry) -> RingEndpoint {
        let mut ep = RingEndpoint {
            map,
            file,
            ifname: ifname.to_string(),
            opts: Options {
                nonblocking: true,
                ..opts
            },
            geo,
            tx_cons: 0,
            rx_prod: 0,
            rx_published: 0,
            waiting: false,
            kicks: 0,
            #[cfg(test)]
            fake: false,
        };
        // A new mapping starts at 0 everywhere, but take what is there.
        ep.tx_cons = ep.word(TX_CONS).load(Ordering::Relaxed);
        ep.rx_prod = ep.word(RX_PROD).load(Ordering::Relaxed);
        ep.rx_published = ep.rx_prod;
        // Ready to sleep: a poll() before anything was taken is woken by
        // the first frame (without tx_wait the kernel wakes no one).
        ep.prepare_wait();
        ep
    }

    /// Attaches `queues` ring files to `ifname`, one per transmit queue
    /// (`VIRTIF_F_MULTI_QUEUE` with more than one), each with rings of its
    /// own, as [`Endpoint::attach_queues`](crate::Endpoint::attach_queues).
    pub fn attach_queues(
        ifname: &str,
        opts: Options,
        geo: Geometry,
        queues: usize,
    ) -> io::Result<Vec<RingEndpoint>> {
        crate::endpoint::attach_each(ifname, opts, queues, |opts| Self::attach(ifname, opts, geo))
    }

    fn word(&self, off: usize) -> &AtomicU32 {
        self.map.u32_at(off)
    }

    /// The interface it is attached to.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// The options it was attached with.
    pub fn options(&self) -> Options {
        self.opts
    }

    /// Whether its frames start with the offload header.
    pub fn vnet_hdr(&self) -> bool {
        self.opts.vnet_hdr
    }

    /// The rings' geometry.
    pub fn geometry(&self) -> Geometry {
        self.geo
    }

    /// The `VIRTIF_KICK`s made so far.
    pub fn kicks(&self) -> u64 {
        self.kicks
    }

    /// `VIRTIF_KICK`: have the interface look at the rings again. Fails
    /// with `ENXIO` once the interface is gone.
    pub fn kick(&mut self) -> io::Result<()> {
        self.kicks += 1;
        #[cfg(test)]
        if self.fake {
            return Ok(());
        }
        sys::virtif_kick(self.file.as_fd())
    }

    /// Frames waiting in the TX ring.
    pub fn pending(&self) -> u32 {
        ring_used(self.word(TX_PROD).load(Ordering::Acquire), self.tx_cons)
    }

    /// Takes up to `max` frames from the TX ring, handing each to `each`
    /// (which copies what it needs: the slot is the kernel's again
    /// afterwards), then gives the slots back and kicks if the kernel
    /// stopped its queue for lack of room. The first error of `each` stops
    /// the taking (the slots before it are given back). Does not block.
    pub fn recv_with<F>(&mut self, max: usize, mut each: F) -> io::Result<Taken>
    where
        F: FnMut(SlotFrame<'_>) -> io::Result<()>,
    {
        let prod = self.word(TX_PROD).load(Ordering::Acquire);
        let avail = ring_used(prod, self.tx_cons);
        if avail > self.geo.tx_slots {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "tx_prod {prod} is {avail} frames ahead of tx_cons {}",
                    self.tx_cons
                ),
            ));
        }
        let mut t = Taken::default();
        let mut res = Ok(());
        let mut cons = self.tx_cons;
        for _ in 0..(avail as usize).min(max) {
            let off = self.geo.tx_slot(cons);
            let len = self.word(off).load(Ordering::Relaxed) as usize;
            let flags = self.word(off + 4).load(Ordering::Relaxed);
            if len > self.geo.frame_room() || flags != 0 {
                t.bad += 1;
            } else {
                let f = SlotFrame {
                    map: &self.map,
                    off: off + SLOT_HDR_LEN,
                    len,
                };
                if let Err(e) = each(f) {
                    res = Err(e);
                    break;
                }
                t.frames += 1;
            }
            cons = cons.wrapping_add(1);
        }
        if cons != self.tx_cons {
            self.tx_cons = cons;
            self.word(TX_CONS).store(cons, Ordering::Release);
            // Pairs with the kernel's barrier between setting STOPPED and
            // looking at tx_cons again: it sees our room, or we see STOPPED.
            fence(Ordering::SeqCst);
            if self.word(TX_FLAGS).load(Ordering::Relaxed) & uapi::VIRTIF_RING_STOPPED != 0 {
                self.kick()?;
            }
        }
        res.map(|()| t)
    }

    /// Free slots in the RX ring (0 if the kernel's `rx_cons` makes no
    /// sense).
    pub fn room(&self) -> u32 {
        let used = ring_used(self.rx_prod, self.word(RX_CONS).load(Ordering::Acquire));
        self.geo.rx_slots.saturating_sub(used)
    }

    /// Writes `frame` into the next RX slot, without publishing it yet
    /// ([`RingEndpoint::publish`]). Returns false if the ring is full;
    /// `InvalidInput` if the frame is larger than a slot takes.
    pub fn push(&mut self, frame: &[u8]) -> io::Result<bool> {
        if frame.len() > self.geo.frame_room() {
            return Err(invalid_input(&format!(
                "a frame of {} bytes in slots of {}",
                frame.len(),
                self.geo.slot_size
            )));
        }
        if self.room() == 0 {
            return Ok(false);
        }
        let off = self.geo.rx_slot(self.rx_prod);
        self.map.write(off + SLOT_HDR_LEN, frame);
        self.word(off + 4).store(0, Ordering::Relaxed);
        self.word(off).store(frame.len() as u32, Ordering::Relaxed);
        self.rx_prod = self.rx_prod.wrapping_add(1);
        Ok(true)
    }

    /// Reads one frame from `fd` with one `readv(2)` straight into the next RX
    /// slot (no copy of ours: a tap hands over a frame per read), without
    /// publishing it yet ([`RingEndpoint::publish`]). The read is given the
    /// slot's room and one byte more: a frame that reaches that byte did not
    /// fit, and is lost (a tap cuts what does not fit, and says only how
    /// much it copied): [`Pushed::TooLong`]. Errors of `readv(2)` are
    /// returned as they are, and end of file (0) as `UnexpectedEof`.
    pub fn push_read(&mut self, fd: BorrowedFd<'_>) -> io::Result<Pushed> {
        if self.room() == 0 {
            return Ok(Pushed::Full);
        }
        let off = self.geo.rx_slot(self.rx_prod);
        let room = self.geo.frame_room();
        let len = self
            .map
            .read_from(off + SLOT_HDR_LEN, room, fd, &mut [0u8; 1])?;
        if len == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if len > room {
            return Ok(Pushed::TooLong);
        }
        let gso = self.opts.vnet_hdr
            && (SlotFrame {
                map: &self.map,
                off: off + SLOT_HDR_LEN,
                len,
            })
            .is_gso();
        self.word(off + 4).store(0, Ordering::Relaxed);
        self.word(off).store(len as u32, Ordering::Relaxed);
        self.rx_prod = self.rx_prod.wrapping_add(1);
        Ok(Pushed::Frame { len, gso })
    }

    /// Publishes the frames pushed since the last call (stores `rx_prod`,
    /// release) and kicks if the kernel is not looking at the ring. Returns
    /// whether it kicked.
    pub fn publish(&mut self) -> io::Result<bool> {
        if self.rx_prod == self.rx_published {
            return Ok(false);
        }
        self.rx_published = self.rx_prod;
        self.word(RX_PROD).store(self.rx_prod, Ordering::Release);
        // Pairs with the kernel's barrier between setting NEED_KICK and
        // looking at rx_prod again: it sees our frames, or we see the flag.
        fence(Ordering::SeqCst);
        if self.word(RX_FLAGS).load(Ordering::Relaxed) & uapi::VIRTIF_RING_NEED_KICK != 0 {
            self.kick()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Sends one frame: [`RingEndpoint::push`], then
    /// [`RingEndpoint::publish`]. Returns false if the ring is full.
    pub fn send(&mut self, frame: &[u8]) -> io::Result<bool> {
        if !self.push(frame)? {
            return Ok(false);
        }
        self.publish()?;
        Ok(true)
    }

    /// Before sleeping in `poll()`: sets `tx_wait` and, after a full fence,
    /// looks at `tx_prod` once more. Returns true if the TX ring is still
    /// empty: then a frame the kernel puts in it wakes `poll()` (`POLLIN`)
    /// and `tx_wait` stays set until [`RingEndpoint::end_wait`] (or the
    /// next [`RingEndpoint::recv_with`] of a port). Otherwise clears it and
    /// returns false: frames are there to take.
    pub fn prepare_wait(&mut self) -> bool {
        if !self.waiting {
            self.word(TX_WAIT).store(1, Ordering::Relaxed);
            self.waiting = true;
        }
        // Pairs with the kernel's barrier between storing tx_prod and
        // looking at tx_wait: it sees tx_wait and wakes us, or we see the
        // frame now.
        fence(Ordering::SeqCst);
        if self.pending() == 0 {
            return true;
        }
        self.end_wait();
        false
    }

    /// Clears `tx_wait` (awake again: no wake-up per frame).
    pub fn end_wait(&mut self) {
        if self.waiting {
            self.word(TX_WAIT).store(0, Ordering::Relaxed);
            self.waiting = false;
        }
    }

    /// Waits until the TX ring holds a frame or `timeout` passes, the
    /// protocol's way (`tx_wait`, `poll()` for `POLLIN`). Returns whether
    /// frames are there; fails with `ENXIO` once the interface is gone.
    pub fn wait(&mut self, timeout: PollTimeout) -> io::Result<bool> {
        if !self.prepare_wait() {
            return Ok(true);
        }
        let ev = {
            let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::POLLIN)];
            poll(&mut fds, timeout).map(|_| fds[0].revents().unwrap_or(PollFlags::empty()))
        };
        self.end_wait();
        let ev = ev?;
        if ev.intersects(PollFlags::POLLHUP | PollFlags::POLLERR) && self.pending() == 0 {
            return Err(io::Error::from_raw_os_error(libc::ENXIO));
        }
        Ok(self.pending() > 0)
    }

    /// Whether the interface is gone (the file polls `POLLHUP` or
    /// `POLLERR`). Does not block.
    pub fn hung_up(&self) -> io::Result<bool> {
        #[cfg(test)]
        if self.fake {
            return Ok(false);
        }
        let mut fds = [PollFd::new(self.file.as_fd(), PollFlags::empty())];
        poll(&mut fds, PollTimeout::ZERO)?;
        let ev = fds[0].revents().unwrap_or(PollFlags::empty());
        Ok(ev.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL))
    }

    /// Whether `e` means the interface is gone (`ENXIO`, `EBADFD`).
    pub fn is_gone(e: &io::Error) -> bool {
        matches!(e.raw_os_error(), Some(libc::ENXIO) | Some(libc::EBADFD))
    }

    /// The smallest frame the kernel takes from a slot (an Ethernet header,
    /// after the offload header with [`Options::vnet_hdr`]).
    pub fn min_frame(&self) -> usize {
        crate::MIN_FRAME + if self.opts.vnet_hdr { VNET_HDR_LEN } else { 0 }
    }
}

impl AsFd for RingEndpoint {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for RingEndpoint {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ring endpoint over anonymous memory, with the test playing the
    /// kernel through the control words; kicks are only counted.
    pub(crate) fn fake(geo: Geometry, vnet_hdr: bool) -> RingEndpoint {
        let map = Mapping::anonymous(geo.map_size()).unwrap();
        let file = File::open("/dev/null").unwrap();
        let opts = Options {
            vnet_hdr,
            ..Options::default()
        };
        let mut ep = RingEndpoint::new(map, file, "fake", opts, geo);
        ep.fake = true;
        ep
    }

    /// The kernel's side of a fake: puts frames in TX slots, takes them
    /// from RX slots.
    pub(crate) struct FakeKernel<'a>(pub(crate) &'a RingEndpoint);

    impl FakeKernel<'_> {
        pub(crate) fn word(&self, off: usize) -> u32 {
            self.0.word(off).load(Ordering::Acquire)
        }
        pub(crate) fn set(&self, off: usize, v: u32) {
            self.0.word(off).store(v, Ordering::Release)
        }
        /// Transmits `frame` into the TX ring; false if it is full.
        pub(crate) fn xmit(&self, frame: &[u8]) -> bool {
            let (prod, cons) = (self.word(TX_PROD), self.word(TX_CONS));
            if ring_used(prod, cons) >= self.0.geo.tx_slots {
                self.set(TX_FLAGS, uapi::VIRTIF_RING_STOPPED);
                return false;
            }
            let off = self.0.geo.tx_slot(prod);
            self.0.map.write(off + SLOT_HDR_LEN, frame);
            self.set(off, frame.len() as u32);
            self.set(off + 4, 0);
            self.set(TX_PROD, prod.wrapping_add(1));
            true
        }
        /// Takes every frame of the RX ring.
        pub(crate) fn take_rx(&self) -> Vec<Vec<u8>> {
            let mut out = Vec::new();
            let (prod, mut cons) = (self.word(RX_PROD), self.word(RX_CONS));
            while cons != prod {
                let off = self.0.geo.rx_slot(cons);
                let mut f = vec![0; self.word(off) as usize];
                self.0.map.read(off + SLOT_HDR_LEN, &mut f);
                out.push(f);
                cons = cons.wrapping_add(1);
            }
            self.set(RX_CONS, cons);
            out
        }
    }

    fn geo(tx: u32, rx: u32) -> Geometry {
        Geometry::new(tx, rx, 2048).unwrap()
    }

    #[test]
    fn uapi_layout() {
        assert_eq!(SLOT_HDR_LEN, 8);
        assert_eq!(CTL_SIZE, 4096);
        assert_eq!((TX_PROD, TX_FLAGS, TX_CONS, TX_WAIT), (0, 4, 64, 68));
        assert_eq!((RX_PROD, RX_CONS, RX_FLAGS), (128, 192, 196));
        assert_eq!(std::mem::size_of::<VirtifRingAttach>(), 40);
        let req = nix::request_code_write!(b'v', 0xb1, 40);
        assert_eq!(req, uapi::VIRTIF_ATTACH_RING as u64);
        assert_eq!(uapi::VIRTIF_KICK, 0x76b2);
        assert_eq!(uapi::VIRTIF_RING_TX_OFFSET as usize, CTL_SIZE);
    }

    #[test]
    fn geometry_checks() {
        for (tx, rx, slot) in [
            (0, 8, 2048),
            (3, 8, 2048),
            (8, 6, 2048),
            (2 * MAX_SLOTS, 1, 2048),
            (8, 8, 1024),
            (8, 8, 3000),
            (8, 8, 2 * MAX_SLOT),
            (MAX_SLOTS, MAX_SLOTS, 2048), // 128 MiB
            (1024, 1024, 65536),          // 128 MiB
        ] {
            let e = Geometry::new(tx, rx, slot).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{tx} {rx} {slot}");
        }
        let g = Geometry::new(4, 8, 2048).unwrap();
        // VIRTIF_RING_MAP_SIZE(4, 8, 2048), VIRTIF_RING_RX_OFFSET(4, 2048)
        assert_eq!(g.map_size(), 4096 + 12 * 2048);
        assert_eq!(g.rx_slot(0), 4096 + 4 * 2048);
        assert_eq!(g.frame_room(), 2040);
        assert!(!g.takes_tcp_gso());
        assert_eq!(g.offloads(), uapi::VIRTIF_OFFLOAD_CSUM);
        let big = Geometry::new(64, 64, 65536).unwrap();
        assert!(big.takes_tcp_gso());
        assert_eq!(big.offloads() & uapi::VIRTIF_OFFLOAD_USO, 0);
        assert_ne!(big.offloads() & uapi::VIRTIF_OFFLOAD_TSO4, 0);
        // The largest allowed: exactly 64 MiB plus the control block is
        // too much; 512+511 slots of 64 KiB is not a power of 2, so 256+512.
        assert!(Geometry::new(512, 512, 65536).is_err());
        assert!(Geometry::new(256, 512, 65536).is_ok());
        assert!(Geometry::new(MAX_SLOTS / 2, 1, 2048).is_ok());
    }

    #[test]
    fn slot_index_arithmetic() {
        let g = geo(4, 8);
        assert_eq!(g.tx_slot(0), 4096);
        assert_eq!(g.tx_slot(5), 4096 + 2048);
        assert_eq!(g.tx_slot(u32::MAX), 4096 + 3 * 2048);
        assert_eq!(g.rx_slot(9), 4096 + (4 + 1) * 2048);
        assert_eq!(g.rx_slot(u32::MAX), 4096 + (4 + 7) * 2048);
        assert_eq!(g.rx_slot(u32::MAX) + 2048, g.map_size());
        assert_eq!(ring_used(5, 3), 2);
        assert_eq!(ring_used(2, u32::MAX - 1), 4); // across the wrap
        assert_eq!(ring_used(7, 7), 0);
        assert_eq!(ring_used(3, 5), u32::MAX - 1); // nonsense: huge
    }

    #[test]
    fn slot_sizes() {
        assert_eq!(Geometry::slot_size_for(1518).unwrap(), 2048);
        assert_eq!(Geometry::slot_size_for(1518 + 12).unwrap(), 2048);
        assert_eq!(Geometry::slot_size_for(2040).unwrap(), 2048);
        assert_eq!(Geometry::slot_size_for(2041).unwrap(), 4096);
        assert_eq!(Geometry::slot_size_for(9018).unwrap(), 16384);
        assert_eq!(Geometry::slot_size_for(65528).unwrap(), 65536);
        assert!(Geometry::slot_size_for(crate::MAX_FRAME).is_err());
        // 64 slots of 64 KiB (they take TCP GSO packets), else 256.
        assert_eq!(Geometry::default_slots(MAX_SLOT), 64);
        assert_eq!(Geometry::default_slots(16384), 256);
        assert!(Geometry::new(64, 64, MAX_SLOT).unwrap().takes_tcp_gso());
        assert!(!Geometry::new(256, 256, 16384).unwrap().takes_tcp_gso());
    }

    /// Frames through the TX ring, around it several times and across the
    /// wrap of the indices; full and empty.
    #[test]
    fn tx_ring() {
        let mut ep = fake(geo(4, 4), false);
        let k = FakeKernel(&ep);
        // Start near the wrap of the u32 indices.
        k.set(TX_PROD, u32::MAX - 2);
        k.set(TX_CONS, u32::MAX - 2);
        ep.tx_cons = u32::MAX - 2;
        let mut got = Vec::new();
        for round in 0..5u8 {
            let k = FakeKernel(&ep);
            for i in 0..4u8 {
                assert!(k.xmit(&vec![round * 4 + i; 60 + i as usize]));
            }
            assert!(!k.xmit(&[0; 60]), "a fifth frame in a 4-slot ring");
            assert_eq!(k.word(TX_FLAGS), uapi::VIRTIF_RING_STOPPED);
            assert_eq!(ep.pending(), 4);
            let kicks = ep.kicks();
            // Two now, two later.
            let t = ep.recv_with(2, |f| {
                got.push(f.to_vec());
                Ok(())
            });
            assert_eq!(t.unwrap(), Taken { frames: 2, bad: 0 });
            assert_eq!(ep.kicks(), kicks + 1, "STOPPED: a kick");
            FakeKernel(&ep).set(TX_FLAGS, 0);
            let t = ep.recv_with(64, |f| {
                got.push(f.to_vec());
                Ok(())
            });
            assert_eq!(t.unwrap().frames, 2);
            assert_eq!(ep.kicks(), kicks + 1, "no STOPPED: no kick");
            assert_eq!(ep.pending(), 0);
            assert_eq!(ep.recv_with(64, |_| Ok(())).unwrap(), Taken::default());
        }
        let want: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 60 + (i % 4) as usize]).collect();
        assert_eq!(got, want);
        assert_eq!(
            FakeKernel(&ep).word(TX_CONS),
            (u32::MAX - 2).wrapping_add(20)
        );
    }

    #[test]
    fn tx_bad_slots_and_errors() {
        let mut ep = fake(geo(4, 4), false);
        let k = FakeKernel(&ep);
        k.xmit(&[1; 60]);
        k.xmit(&[2; 60]);
        k.xmit(&[3; 60]);
        k.set(ep.geo.tx_slot(0), 2041); // beyond the slot
        k.set(ep.geo.tx_slot(1) + 4, 1); // flags
        let mut got = Vec::new();
        let t = ep.recv_with(64, |f| {
            got.push(f.to_vec());
            Ok(())
        });
        assert_eq!(t.unwrap(), Taken { frames: 1, bad: 2 });
        assert_eq!(got, [vec![3; 60]]);
        // The callback's error stops it; what was taken is given back.
        let k = FakeKernel(&ep);
        k.xmit(&[4; 60]);
        k.xmit(&[5; 60]);
        let e = ep.recv_with(64, |_| Err(io::Error::other("stop")));
        assert_eq!(e.unwrap_err().to_string(), "stop");
        assert_eq!(ep.pending(), 2);
        // A tx_prod beyond the ring is an error, not garbage.
        FakeKernel(&ep).set(TX_PROD, 100);
        let e = ep.recv_with(64, |_| Ok(())).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    /// Frames through the RX ring: full, published, kicks only on
    /// NEED_KICK.
    #[test]
    fn rx_ring() {
        let mut ep = fake(geo(4, 4), false);
        FakeKernel(&ep).set(RX_FLAGS, uapi::VIRTIF_RING_NEED_KICK);
        let frames: Vec<Vec<u8>> = (0..4u8).map(|i| vec![i; 60 + i as usize]).collect();
        for f in &frames {
            assert!(ep.push(f).unwrap());
        }
        assert!(
            !ep.push(&frames[0]).unwrap(),
            "a fifth frame in a 4-slot ring"
        );
        assert_eq!(ep.room(), 0);
        // Not published yet: the kernel sees nothing.
        assert_eq!(FakeKernel(&ep).word(RX_PROD), 0);
        assert!(ep.publish().unwrap(), "NEED_KICK: a kick");
        assert!(!ep.publish().unwrap(), "nothing new: no kick");
        assert_eq!(ep.kicks(), 1);
        assert_eq!(FakeKernel(&ep).take_rx(), frames);
        assert_eq!(ep.room(), 4);
        // The kernel is looking: no kick.
        FakeKernel(&ep).set(RX_FLAGS, 0);
        for round in 0..3 {
            assert!(ep.send(&[round; 100]).unwrap());
            assert_eq!(FakeKernel(&ep).take_rx(), [vec![round; 100]]);
        }
        assert_eq!(ep.kicks(), 1);
        let e = ep.push(&[0; 2041]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(ep.push(&[0; 2040]).unwrap());
        // A nonsensical rx_cons: no room.
        FakeKernel(&ep).set(RX_CONS, 1000);
        assert_eq!(ep.room(), 0);
    }

    #[test]
    fn wait_protocol() {
        let mut ep = fake(geo(4, 4), false);
        assert_eq!(FakeKernel(&ep).word(TX_WAIT), 1, "new: ready to sleep");
        ep.end_wait();
        assert!(ep.prepare_wait(), "empty: sleep");
        assert_eq!(FakeKernel(&ep).word(TX_WAIT), 1);
        assert!(ep.prepare_wait());
        ep.end_wait();
        assert_eq!(FakeKernel(&ep).word(TX_WAIT), 0);
        FakeKernel(&ep).xmit(&[1; 60]);
        assert!(!ep.prepare_wait(), "a frame came: do not sleep");
        assert_eq!(FakeKernel(&ep).word(TX_WAIT), 0);
        assert!(ep.wait(PollTimeout::ZERO).unwrap());
    }
}
