// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (packets).
//!
//! C headers: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h),
//! [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/etherdevice.h`](srctree/include/linux/etherdevice.h).

use crate::{
    bindings,
    error::to_result,
    iov::{IovIterDest, IovIterSource},
    mm::shared::SharedBuf,
    net::device::{Device, MacAddr, ETH_ALEN, ETH_HLEN},
    page::{PAGE_SHIFT, PAGE_SIZE},
    prelude::*,
};
use core::ptr::NonNull;

/// Checksum state of a packet (`skb->ip_summed`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChecksumState {
    /// No checksum information (`CHECKSUM_NONE`).
    None,
    /// The checksum was verified (`CHECKSUM_UNNECESSARY`).
    Unnecessary,
    /// The checksum of the whole packet is in `skb->csum` (`CHECKSUM_COMPLETE`).
    Complete,
    /// The checksum must still be computed, see [`SkBuff::checksum_help`] (`CHECKSUM_PARTIAL`).
    Partial,
}

/// Why a packet was dropped (`enum skb_drop_reason`), see [`SkBuff::drop_reason`]: what
/// `perf`, dropwatch and the `skb:kfree_skb` tracepoint show.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DropReason {
    /// `SKB_DROP_REASON_NOT_SPECIFIED`.
    NotSpecified,
    /// The device is not up (`SKB_DROP_REASON_DEV_READY`).
    DevReady,
    /// Not addressed to this host (`SKB_DROP_REASON_OTHERHOST`).
    OtherHost,
    /// Shorter than a header (`SKB_DROP_REASON_PKT_TOO_SMALL`).
    PktTooSmall,
    /// Longer than the MTU allows (`SKB_DROP_REASON_PKT_TOO_BIG`).
    PktTooBig,
    /// Out of memory (`SKB_DROP_REASON_NOMEM`).
    NoMem,
    /// A ring or queue is full (`SKB_DROP_REASON_FULL_RING`).
    FullRing,
    /// A queue was purged (`SKB_DROP_REASON_QUEUE_PURGE`).
    QueuePurge,
    /// Nothing to transmit to (`SKB_DROP_REASON_NO_TX_TARGET`).
    NoTxTarget,
    /// The checksum could not be computed (`SKB_DROP_REASON_SKB_CSUM`).
    SkbCsum,
    /// Segmentation failed (`SKB_DROP_REASON_SKB_GSO_SEG`).
    SkbGsoSeg,
    /// Copying to or from user space failed (`SKB_DROP_REASON_SKB_UCOPY_FAULT`).
    SkbUcopyFault,
    /// A bad device-specific header, e.g. a `virtio_net_hdr` (`SKB_DROP_REASON_DEV_HDR`).
    DevHdr,
}

impl DropReason {
    fn as_raw(self) -> bindings::skb_drop_reason {
        match self {
            Self::NotSpecified => bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            Self::DevReady => bindings::skb_drop_reason_SKB_DROP_REASON_DEV_READY,
            Self::OtherHost => bindings::skb_drop_reason_SKB_DROP_REASON_OTHERHOST,
            Self::PktTooSmall => bindings::skb_drop_reason_SKB_DROP_REASON_PKT_TOO_SMALL,
            Self::PktTooBig => bindings::skb_drop_reason_SKB_DROP_REASON_PKT_TOO_BIG,
            Self::NoMem => bindings::skb_drop_reason_SKB_DROP_REASON_NOMEM,
            Self::FullRing => bindings::skb_drop_reason_SKB_DROP_REASON_FULL_RING,
            Self::QueuePurge => bindings::skb_drop_reason_SKB_DROP_REASON_QUEUE_PURGE,
            Self::NoTxTarget => bindings::skb_drop_reason_SKB_DROP_REASON_NO_TX_TARGET,
            Self::SkbCsum => bindings::skb_drop_reason_SKB_DROP_REASON_SKB_CSUM,
            Self::SkbGsoSeg => bindings::skb_drop_reason_SKB_DROP_REASON_SKB_GSO_SEG,
            Self::SkbUcopyFault => bindings::skb_drop_reason_SKB_DROP_REASON_SKB_UCOPY_FAULT,
            Self::DevHdr => bindings::skb_drop_reason_SKB_DROP_REASON_DEV_HDR,
        }
    }
}

/// The offload metadata of a packet as virtio-net and tun carry it before the frame
/// (`struct virtio_net_hdr_v1`, little endian): its GSO type and size, and where its checksum is
/// still to be filled in.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct VnetHdr(bindings::virtio_net_hdr_v1);

impl VnetHdr {
    /// The size of the header on the wire.
    pub const LEN: usize = core::mem::size_of::<bindings::virtio_net_hdr_v1>();

    /// Reads a header from its wire form. Any bytes are accepted here; they are checked when
    /// the header is applied to a packet ([`SkBuff::apply_vnet_hdr`]).
    pub fn from_bytes(raw: &[u8; Self::LEN]) -> Self {
        let le = |i: usize| u16::from_le_bytes([raw[i], raw[i + 1]]);
        let mut hdr = bindings::virtio_net_hdr_v1 {
            flags: raw[0],
            gso_type: raw[1],
            hdr_len: le(2),
            gso_size: le(4),
            num_buffers: le(10),
            ..Default::default()
        };
        hdr.__bindgen_anon_1.__bindgen_anon_1.csum_start = le(6);
        hdr.__bindgen_anon_1.__bindgen_anon_1.csum_offset = le(8);
        Self(hdr)
    }

    /// The header's wire form.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let h = &self.0;
        // SAFETY: The union's overlays are all plain integers: every bit pattern is valid.
        let (start, off) = unsafe {
            (
                h.__bindgen_anon_1.__bindgen_anon_1.csum_start,
                h.__bindgen_anon_1.__bindgen_anon_1.csum_offset,
            )
        };
        let mut raw = [0u8; Self::LEN];
        raw[0] = h.flags;
        raw[1] = h.gso_type;
        raw[2..4].copy_from_slice(&h.hdr_len.to_le_bytes());
        raw[4..6].copy_from_slice(&h.gso_size.to_le_bytes());
        raw[6..8].copy_from_slice(&start.to_le_bytes());
        raw[8..10].copy_from_slice(&off.to_le_bytes());
        raw[10..12].copy_from_slice(&h.num_buffers.to_le_bytes());
        raw
    }

    /// Returns whether the header describes a GSO packet.
    pub fn is_gso(&self) -> bool {
        u32::from(self.0.gso_type & !(bindings::VIRTIO_NET_HDR_GSO_ECN as u8))
            != bindings::VIRTIO_NET_HDR_GSO_NONE
    }
}

/// Number of segments [`SkBuff::with_segments`] gathers without allocating: the linear part
/// and `MAX_SKB_FRAGS` page fragments.
pub const INLINE_SEGMENTS: usize = bindings::MAX_SKB_FRAGS as usize + 1;

/// An owned socket buffer (`struct sk_buff`).
///
/// Dropping it frees the packet as dropped (`dev_kfree_skb_any()`, usable in any context); use
/// [`SkBuff::consume`] for packets that were successfully handled and [`SkBuff::drop_reason`]
/// to say why one was dropped.
///
/// # Invariants
///
/// `ptr` points to a valid `struct sk_buff` and the `SkBuff` owns the only reference to it
/// (`skb->users == 1`): nobody else accesses the `struct sk_buff` itself. Its data buffers may be
/// shared with clones, in which case they are only read (by the usual `skb_cloned()` rules).
pub struct SkBuff {
    ptr: NonNull<bindings::sk_buff>,
}

// SAFETY: An `SkBuff` exclusively owns the packet, which may be handed to and freed by any thread.
unsafe impl Send for SkBuff {}
// SAFETY: The `&self` methods only read the packet.
unsafe impl Sync for SkBuff {}

impl SkBuff {
    /// Takes ownership of a raw `struct sk_buff`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct sk_buff` whose (only) reference is transferred to the
    /// returned object.
    pub unsafe fn from_raw(ptr: *mut bindings::sk_buff) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            // SAFETY: The caller guarantees that `ptr` is valid, hence non-null.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
        }
    }

    /// Returns the raw pointer, giving up ownership.
    pub fn into_raw(self) -> *mut bindings::sk_buff {
        let ptr = self.ptr.as_ptr();
        core::mem::forget(self);
        ptr
    }

    /// Returns the raw pointer.
    pub fn as_raw(&self) -> *mut bindings::sk_buff {
        self.ptr.as_ptr()
    }

    /// Allocates a packet for reception on `dev` with room for `len` bytes of data
    /// (`netdev_alloc_skb_ip_align()`). Usable in any context.
    pub fn alloc(dev: &Device, len: u32) -> Result<SkBuff> {
        // Keep the length computations of the C side far from overflowing.
        if len > i32::MAX as u32 / 2 {
            return Err(ENOMEM);
        }
        // SAFETY: `dev` is a valid device.
        let skb = unsafe { bindings::netdev_alloc_skb_ip_align(dev.as_raw(), len) };
        // INVARIANT: A newly allocated skb is exclusively owned.
        NonNull::new(skb).map(|ptr| SkBuff { ptr }).ok_or(ENOMEM)
    }

    /// Allocates a packet for reception on `dev` of `len` bytes whose data is still to be
    /// written: about a page in the linear part, the rest in page fragments (so that a large
    /// frame needs no large contiguous allocation), like tun does.
    ///
    /// # Safety
    ///
    /// The caller must write all `len` bytes of data before anything reads them, or free the
    /// packet unread.
    unsafe fn alloc_frags(dev: &Device, len: usize, flags: crate::alloc::Flags) -> Result<SkBuff> {
        let len32 = u32::try_from(len)
            .ok()
            .filter(|&l| l <= i32::MAX as u32 / 2)
            .ok_or(ENOMEM)?;
        // `NET_SKB_PAD` (`max(32, L1_CACHE_BYTES)`, a macro bindgen cannot evaluate) plus
        // `NET_IP_ALIGN`, the headroom `netdev_alloc_skb_ip_align()` leaves.
        let pad = 32u32.max(bindings::L1_CACHE_BYTES) + bindings::NET_IP_ALIGN;
        // The linear part: what fits in a page with the headroom and the shared info
        // (`SKB_MAX_HEAD(pad)`).
        let align = bindings::SMP_CACHE_BYTES as usize;
        let shinfo = (core::mem::size_of::<bindings::skb_shared_info>() + align - 1) & !(align - 1);
        let max_linear = (PAGE_SIZE - shinfo) as u32 - pad;
        let linear = len32.min(max_linear);
        let mut err: c_int = 0;
        // SAFETY: Plain allocation; `err` is a valid place for the error code.
        let skb = unsafe {
            bindings::alloc_skb_with_frags(
                (pad + linear) as c_ulong,
                (len32 - linear) as c_ulong,
                bindings::PAGE_ALLOC_COSTLY_ORDER as c_int,
                &mut err,
                flags.as_raw(),
            )
        };
        let skb = NonNull::new(skb).ok_or(ENOMEM)?;
        // INVARIANT: A newly allocated skb is exclusively owned.
        let mut skb = SkBuff { ptr: skb };
        let raw = skb.as_raw();
        // SAFETY: We own the new, empty skb: it has `pad + linear` bytes of room in its linear
        // part and `len - linear` bytes in page fragments that `alloc_skb_with_frags()` attached
        // without counting them in the length; the lengths are set here, the caller writes the
        // data before anyone reads it.
        unsafe {
            bindings::skb_reserve(raw, pad as c_int);
            bindings::skb_put(raw, linear);
            (*raw).data_len = len32 - linear;
            (*raw).len += len32 - linear;
        }
        skb.set_dev(dev);
        Ok(skb)
    }

    /// Builds a packet for reception on `dev` from `len` bytes read from `src`, in process
    /// context: about a page in the linear part, the rest in page fragments (so that a large
    /// frame needs no large contiguous allocation), like tun does.
    ///
    /// Fails with `ENOMEM`, or with `EFAULT` if `src` could not provide `len` bytes.
    pub fn from_iter(
        dev: &Device,
        src: &mut IovIterSource<'_>,
        len: usize,
        flags: crate::alloc::Flags,
    ) -> Result<SkBuff> {
        // SAFETY: The data is written right below; on failure the skb is freed unread.
        let skb = unsafe { Self::alloc_frags(dev, len, flags)? };
        // SAFETY: We own the skb, which has exactly `len` bytes of packet; `src` is valid.
        let ret = unsafe {
            bindings::skb_copy_datagram_from_iter(skb.as_raw(), 0, src.as_raw(), len as c_int)
        };
        if ret != 0 {
            return Err(EFAULT);
        }
        Ok(skb)
    }

    /// Copies the whole packet to the `len()` bytes of `buf` at `offset` (`skb_copy_bits()`),
    /// e.g. into a ring slot a process maps. `EINVAL` if they are not all in `buf`.
    pub fn copy_to_shared(&self, buf: &SharedBuf, offset: usize) -> Result {
        let len = self.len();
        let dst = buf.raw(offset, len as usize)?;
        // SAFETY: We own the skb; `dst` is valid for `len` bytes (checked by `raw()`), which
        // `skb_copy_bits()` writes without reading them.
        to_result(unsafe { bindings::skb_copy_bits(self.as_raw(), 0, dst.cast(), len as c_int) })
    }

    /// Builds a packet for reception on `dev` from a copy of the `len` bytes of `buf` at
    /// `offset`, e.g. a ring slot a process fills: the packet is the kernel's own copy, taken
    /// once, whatever the process writes meanwhile. Laid out as [`SkBuff::from_iter`]'s (a
    /// 64 KiB GSO frame needs no 64 KiB of contiguous memory). `EINVAL` if the bytes are not
    /// all in `buf`, `ENOMEM` without memory.
    pub fn from_shared(
        dev: &Device,
        buf: &SharedBuf,
        offset: usize,
        len: usize,
        flags: crate::alloc::Flags,
    ) -> Result<SkBuff> {
        let src = buf.raw(offset, len)?;
        // SAFETY: The data is written right below; on failure the skb is freed unread.
        let skb = unsafe { Self::alloc_frags(dev, len, flags)? };
        // SAFETY: We own the skb, which has exactly `len` bytes of packet; `src` is valid for
        // `len` bytes (checked by `raw()`); the process may write them meanwhile, which only
        // changes what the packet holds.
        to_result(unsafe { bindings::skb_store_bits(skb.as_raw(), 0, src.cast(), len as c_int) })?;
        Ok(skb)
    }

    /// Returns the offload metadata of a packet about to leave through a process
    /// (`virtio_net_hdr_from_skb()`): `EINVAL` for a GSO type a `virtio_net_hdr` cannot express.
    pub fn vnet_hdr(&self) -> Result<VnetHdr> {
        let mut hdr: bindings::virtio_net_hdr_v1 = Default::default();
        // SAFETY: We own the skb; `virtio_net_hdr_v1` starts with a `virtio_net_hdr`, which the
        // function fills in (`num_buffers` stays 0).
        to_result(unsafe {
            bindings::virtio_net_hdr_from_skb(
                self.as_raw(),
                core::ptr::from_mut(&mut hdr).cast(),
                true,
            )
        })?;
        Ok(VnetHdr(hdr))
    }

    /// Applies offload metadata that came with a frame from a process to its packet
    /// (`virtio_net_hdr_to_skb()`): the checksum to fill in and the GSO type and size, after
    /// checking them against the packet. `EINVAL` if they do not fit it.
    pub fn apply_vnet_hdr(&mut self, hdr: &VnetHdr) -> Result {
        // SAFETY: We own the skb; `hdr` starts with a valid `virtio_net_hdr`.
        to_result(unsafe {
            bindings::virtio_net_hdr_to_skb(self.as_raw(), core::ptr::from_ref(&hdr.0).cast(), true)
        })
        .map_err(|_| EINVAL)
    }

    /// Builds a packet for reception on `dev` from the concatenation of `parts`.
    pub fn from_slices(dev: &Device, parts: &[&[u8]]) -> Result<SkBuff> {
        let total = parts
            .iter()
            .try_fold(0usize, |acc, p| acc.checked_add(p.len()))
            .ok_or(EINVAL)?;
        let mut skb = Self::alloc(dev, u32::try_from(total).map_err(|_| EINVAL)?)?;
        for part in parts {
            skb.put_data(part)?;
        }
        Ok(skb)
    }

    /// Appends `data` to the linear area of the packet (`skb_put_data()`).
    ///
    /// Fails with `ENOSPC` if there is not enough tailroom or if the packet is non-linear.
    pub fn put_data(&mut self, data: &[u8]) -> Result {
        let len = u32::try_from(data.len()).map_err(|_| ENOSPC)?;
        // SAFETY: The skb is valid.
        if self.is_nonlinear() || unsafe { bindings::skb_tailroom(self.as_raw()) } < len {
            return Err(ENOSPC);
        }
        // SAFETY: We own the skb, it is linear and has `len` bytes of tailroom (checked above),
        // and `data` is readable for `len` bytes.
        unsafe { bindings::skb_put_data(self.as_raw(), data.as_ptr().cast(), len) };
        Ok(())
    }

    /// Copies the whole packet (linear part, fragments and fragment list) to `dst`
    /// (`skb_copy_datagram_iter()`). Fails with `EFAULT` if `dst` could not take all of it.
    pub fn copy_to_iter(&self, dst: &mut IovIterDest<'_>) -> Result {
        let len = self.len();
        if (dst.len() as u64) < u64::from(len) {
            return Err(EFAULT);
        }
        // SAFETY: The skb is valid and owned by us, so its data and fragments are stable while
        // they are copied; `dst` is a valid iterator.
        to_result(unsafe {
            bindings::skb_copy_datagram_iter(self.as_raw(), 0, dst.as_raw(), len as c_int)
        })
    }

    /// Returns the length of the packet (`skb->len`).
    #[inline]
    pub fn len(&self) -> u32 {
        // SAFETY: The skb is valid and we own it.
        unsafe { (*self.as_raw()).len }
    }

    /// Returns the length of the linear part (`skb_headlen()`), read in Rust: this is on the
    /// per-packet paths, where a call to a C helper is not free.
    #[inline]
    fn headlen(&self) -> u32 {
        // SAFETY: The skb is valid and we own it.
        unsafe { Self::raw_headlen(self.as_raw()) }
    }

    /// `skb_headlen()` of a raw skb (such as one of a fragment list).
    ///
    /// # Safety
    ///
    /// `skb` must be valid, and its lengths not written concurrently.
    #[inline]
    unsafe fn raw_headlen(skb: *const bindings::sk_buff) -> u32 {
        // SAFETY: `skb` is valid (the caller's promise); `data_len <= len` is the core's
        // invariant.
        unsafe { (*skb).len - (*skb).data_len }
    }

    /// Sets `skb->dev`, unless it is `dev` already.
    #[inline]
    fn set_dev(&mut self, dev: &Device) {
        let skb = self.as_raw();
        // SAFETY: We own the skb. `dev` shares a union with `dev_scratch`, which the core uses
        // only while the skb is queued on a socket, never while a driver owns it.
        unsafe {
            let field = &raw mut (*skb)
                .__bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .dev;
            if *field != dev.as_raw() {
                *field = dev.as_raw();
            }
        }
    }

    /// Returns the offset of the MAC header from `skb->head`, or `None` if it was not set
    /// (`skb_mac_header_was_set()`).
    #[inline]
    fn mac_header_offset(&self) -> Option<usize> {
        // SAFETY: The skb is valid and we own it; `headers` is the named view of the header
        // offsets, the same memory as the anonymous one.
        let off = unsafe {
            (*self.as_raw())
                .__bindgen_anon_4
                .headers
                .as_ref()
                .mac_header
        };
        (off != u16::MAX).then_some(usize::from(off))
    }

    /// Returns the offset of the end of the linear data from `skb->head`
    /// (`skb_tail_pointer() - skb->head`).
    #[inline]
    fn tail_offset(&self) -> usize {
        // SAFETY: The skb is valid and we own it. With 64-bit longs, `tail` is an offset from
        // `head` (`NET_SKBUFF_DATA_USES_OFFSET`), otherwise a pointer into the same buffer.
        unsafe {
            #[cfg(CONFIG_64BIT)]
            let off = (*self.as_raw()).tail as usize;
            #[cfg(not(CONFIG_64BIT))]
            let off = ((*self.as_raw()).tail as usize).wrapping_sub((*self.as_raw()).head as usize);
            off
        }
    }

    /// Returns whether the packet is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns whether the packet has data outside of the linear area (`skb_is_nonlinear()`).
    fn is_nonlinear(&self) -> bool {
        // SAFETY: The skb is valid and we own it.
        unsafe { (*self.as_raw()).data_len != 0 }
    }

    /// Returns whether the packet is a GSO packet (`skb_is_gso()`).
    #[inline]
    pub fn is_gso(&self) -> bool {
        // SAFETY: The skb is valid.
        unsafe { bindings::skb_is_gso(self.as_raw()) }
    }

    /// Makes the packet linear (`skb_linearize()`). May fail with `ENOMEM`.
    fn linearize(&mut self) -> Result {
        // SAFETY: We own the skb.
        to_result(unsafe { bindings::skb_linearize(self.as_raw()) })
    }

    /// Copies `buf.len()` bytes of the packet starting at `offset` into `buf`
    /// (`skb_copy_bits()`); handles all fragments. Fails with `EFAULT` if out of range.
    pub fn copy_bits(&self, offset: u32, buf: &mut [u8]) -> Result {
        let offset = c_int::try_from(offset).map_err(|_| EFAULT)?;
        let len = c_int::try_from(buf.len()).map_err(|_| EFAULT)?;
        // SAFETY: The skb is valid and `buf` is writable for `len` bytes; `skb_copy_bits()`
        // checks the range.
        to_result(unsafe {
            bindings::skb_copy_bits(self.as_raw(), offset, buf.as_mut_ptr().cast(), len)
        })
    }

    /// Returns whether some page fragments may be written concurrently (zero-copy or shared
    /// fragments), in which case they must not be exposed as `&[u8]`.
    fn frags_unstable(skb: *mut bindings::sk_buff) -> bool {
        // SAFETY: `skb` is valid.
        unsafe { bindings::skb_has_shared_frag(skb) || bindings::skb_zcopy(skb) }
    }

    /// Returns whether the packet must be linearised before its segments can be walked.
    fn needs_linearize(&self) -> bool {
        let skb = self.as_raw();
        if Self::frags_unstable(skb) {
            return true;
        }
        // SAFETY: The skb is valid.
        let mut it = unsafe { (*bindings::skb_shinfo(skb)).frag_list };
        while !it.is_null() {
            // SAFETY: `it` is a valid skb of the fragment list, owned by our skb.
            if Self::frags_unstable(it) || unsafe { bindings::skb_has_frag_list(it) } {
                return true;
            }
            // SAFETY: As above.
            it = unsafe { (*it).__bindgen_anon_1.__bindgen_anon_1.next };
        }
        false
    }

    /// Calls `f` once with all the data segments of the packet, as a slice of slices (an iovec):
    /// the linear part, every page fragment, then the same for each skb of the fragment list, in
    /// order. Empty segments are left out; there is no limit on their number.
    ///
    /// Up to [`INLINE_SEGMENTS`] segments are gathered on the stack; packets with more (only
    /// possible with a fragment list) use a temporary `GFP_ATOMIC` allocation. The packet is
    /// linearised first (so this may fail with `ENOMEM`) when its fragments may be modified
    /// concurrently, and with `CONFIG_HIGHMEM`, where fragments cannot all stay mapped at once.
    pub fn with_segments<R>(&mut self, f: impl FnOnce(&[&[u8]]) -> Result<R>) -> Result<R> {
        if cfg!(CONFIG_HIGHMEM) || self.needs_linearize() {
            self.linearize()?;
        }
        let mut inline: [&[u8]; INLINE_SEGMENTS] = [&[]; INLINE_SEGMENTS];
        let mut n = 0usize;
        let mut heap: KVec<&[u8]> = KVec::new();
        let mut gather = |seg: &[u8]| -> Result {
            // SAFETY: Either the kernel has no high memory, so every page is in the direct
            // mapping, `kmap_local_page()` returned its permanent address and unmapping it was a
            // no-op; or the packet was linearised above and `seg` is its linear part, which is
            // not mapped at all. Either way `seg` stays valid while we own the packet and do not
            // modify it, that is, until this function returns.
            let seg: &[u8] = unsafe { core::slice::from_raw_parts(seg.as_ptr(), seg.len()) };
            if heap.is_empty() && n < INLINE_SEGMENTS {
                inline[n] = seg;
                n += 1;
                return Ok(());
            }
            if heap.is_empty() {
                heap.extend_from_slice(&inline[..n], GFP_ATOMIC)?;
            }
            heap.push(seg, GFP_ATOMIC)?;
            Ok(())
        };
        // SAFETY: We own the skb; its fragments are stable (checked, or linearised, above).
        unsafe { Self::walk(self.as_raw(), &mut gather, true)? };
        if heap.is_empty() {
            f(&inline[..n])
        } else {
            f(&heap)
        }
    }

    /// # Safety
    ///
    /// `skb` must be valid, owned by the caller and its fragments must not be written
    /// concurrently.
    unsafe fn walk(
        skb: *mut bindings::sk_buff,
        f: &mut impl FnMut(&[u8]) -> Result,
        with_frag_list: bool,
    ) -> Result {
        // SAFETY: `skb` is valid and owned by the caller.
        let headlen = unsafe { Self::raw_headlen(skb) } as usize;
        if headlen != 0 {
            // SAFETY: `skb->data` has `headlen` readable bytes that are not written concurrently.
            f(unsafe { core::slice::from_raw_parts((*skb).data, headlen) })?;
        }
        // SAFETY: `skb` is valid.
        let shinfo = unsafe { bindings::skb_shinfo(skb) };
        // SAFETY: `shinfo` is valid.
        let nr_frags = usize::from(unsafe { (*shinfo).nr_frags });
        for i in 0..nr_frags {
            // SAFETY: `i < nr_frags <= MAX_SKB_FRAGS`.
            let frag = unsafe {
                (&raw const (*shinfo).frags)
                    .cast::<bindings::skb_frag_t>()
                    .add(i)
            };
            // SAFETY: `frag` is a valid fragment of the skb that is not written concurrently.
            unsafe { Self::walk_frag(frag, f)? };
        }
        if with_frag_list {
            // SAFETY: `shinfo` is valid.
            let mut it = unsafe { (*shinfo).frag_list };
            while !it.is_null() {
                // SAFETY: `it` is a valid skb of the fragment list, owned by `skb`; the caller
                // checked that its fragments are stable.
                unsafe { Self::walk(it, f, false)? };
                // SAFETY: As above.
                it = unsafe { (*it).__bindgen_anon_1.__bindgen_anon_1.next };
            }
        }
        Ok(())
    }

    /// # Safety
    ///
    /// `frag` must be a valid fragment whose data is not written concurrently.
    unsafe fn walk_frag(
        frag: *const bindings::skb_frag_t,
        f: &mut impl FnMut(&[u8]) -> Result,
    ) -> Result {
        // SAFETY: `frag` is valid.
        let (size, off, page) = unsafe {
            (
                bindings::skb_frag_size(frag) as usize,
                bindings::skb_frag_off(frag) as usize,
                bindings::skb_frag_page(frag),
            )
        };
        if size == 0 {
            return Ok(());
        }
        if page.is_null() {
            // Unreadable (`net_iov`) fragment.
            return Err(EFAULT);
        }
        // Same iteration as `skb_frag_foreach_page()`.
        let mut idx = off >> PAGE_SHIFT;
        let mut p_off = off & (PAGE_SIZE - 1);
        // SAFETY: The fragment spans `size` bytes from `off` within its (compound) page, so page
        // `idx` belongs to it.
        let first = unsafe { bindings::skb_frag_nth_page(frag, idx as c_uint) };
        // SAFETY: `first` is a valid page.
        let must_loop = unsafe { bindings::skb_frag_must_loop(first) };
        let mut p_len = if must_loop {
            size.min(PAGE_SIZE - p_off)
        } else {
            size
        };
        let mut copied = 0;
        while copied < size {
            // SAFETY: As above, page `idx` belongs to the fragment.
            let p = unsafe { bindings::skb_frag_nth_page(frag, idx as c_uint) };
            // SAFETY: `p` is a valid page.
            let vaddr = unsafe { bindings::kmap_local_page(p) }.cast::<u8>();
            // SAFETY: The mapping covers `p_len` bytes from `p_off`: either within the page, or,
            // when `!must_loop`, within the contiguous direct mapping of the compound page. The
            // data is not written concurrently and the slice does not outlive the mapping.
            let res = f(unsafe { core::slice::from_raw_parts(vaddr.add(p_off), p_len) });
            // SAFETY: `vaddr` was mapped above, and mappings are released in reverse order.
            unsafe { bindings::kunmap_local(vaddr.cast()) };
            res?;
            copied += p_len;
            idx += 1;
            p_off = 0;
            p_len = (size - copied).min(PAGE_SIZE);
        }
        Ok(())
    }

    /// Returns the checksum state (`skb->ip_summed`).
    pub fn ip_summed(&self) -> ChecksumState {
        // SAFETY: The skb is valid.
        match u32::from(unsafe { bindings::skb_get_ip_summed(self.as_raw()) }) {
            bindings::CHECKSUM_UNNECESSARY => ChecksumState::Unnecessary,
            bindings::CHECKSUM_COMPLETE => ChecksumState::Complete,
            bindings::CHECKSUM_PARTIAL => ChecksumState::Partial,
            _ => ChecksumState::None,
        }
    }

    /// Computes the checksum of a [`ChecksumState::Partial`] packet in software
    /// (`skb_checksum_help()`); does nothing for other packets.
    ///
    /// Needed when the device advertised checksum offload but the packet leaves the kernel in a
    /// way that does not preserve the offload information.
    pub fn checksum_help(&mut self) -> Result {
        if self.ip_summed() != ChecksumState::Partial {
            return Ok(());
        }
        // SAFETY: We own the skb; `skb_checksum_help()` unclones the data if needed.
        to_result(unsafe { bindings::skb_checksum_help(self.as_raw()) })
    }

    /// Returns the destination MAC address of a packet whose MAC header is set (on
    /// transmission by the core, on reception by [`SkBuff::eth_type_trans`]) and linear.
    #[inline]
    pub fn eth_dest(&self) -> Option<MacAddr> {
        let mac = self.mac_header_offset()?;
        if mac.checked_add(ETH_HLEN)? > self.tail_offset() {
            return None;
        }
        let mut addr = [0u8; ETH_ALEN];
        // SAFETY: The header lies within the linear buffer (`head + mac .. head + tail`), which
        // is readable while we own the skb and not written by others.
        addr.copy_from_slice(unsafe {
            core::slice::from_raw_parts((*self.as_raw()).head.add(mac), ETH_ALEN)
        });
        Some(addr)
    }

    /// Determines the protocol and packet type of a received Ethernet frame, sets `skb->dev`
    /// to `dev` and pulls the Ethernet header (`eth_type_trans()`).
    ///
    /// Fails with `EINVAL` (leaving the packet untouched) if the packet is shorter than an
    /// Ethernet header.
    pub fn eth_type_trans(&mut self, dev: &Device) -> Result {
        // SAFETY: We own the skb.
        if !unsafe { bindings::pskb_may_pull(self.as_raw(), ETH_HLEN as c_uint) } {
            return Err(EINVAL);
        }
        // SAFETY: We own the skb, it has a linear Ethernet header, and `dev` is valid.
        let proto = unsafe { bindings::eth_type_trans(self.as_raw(), dev.as_raw()) };
        // SAFETY: We own the skb.
        unsafe { bindings::skb_set_protocol(self.as_raw(), proto) };
        Ok(())
    }

    /// Detaches a transmitted packet from the local stack before it is queued for an indefinite
    /// time, like tun does: copies zero-copy data out of the sender's pages
    /// (`skb_orphan_frags_rx()`, which may fail with `ENOMEM`), frees its socket's claim on it
    /// (`skb_orphan()`, so that the socket's send buffer does not wait for a reader), its
    /// conntrack entry (`nf_reset_ct()`) and its route (`skb_dst_drop()`). Take the transmit
    /// timestamp before: it goes to the socket.
    pub fn detach_from_stack(&mut self) -> Result {
        // SAFETY: We own the skb; atomic context is fine with `GFP_ATOMIC`.
        to_result(unsafe { bindings::skb_orphan_frags_rx(self.as_raw(), GFP_ATOMIC.as_raw()) })?;
        // SAFETY: We own the skb.
        unsafe {
            bindings::skb_orphan(self.as_raw());
            bindings::nf_reset_ct(self.as_raw());
            bindings::skb_dst_drop(self.as_raw());
        }
        Ok(())
    }

    /// Returns the transmit queue the core picked for the packet (`skb_get_queue_mapping()`).
    pub fn queue_mapping(&self) -> u16 {
        // SAFETY: The skb is valid and we own it.
        unsafe { (*self.as_raw()).queue_mapping }
    }

    /// Records a software transmit timestamp if requested (`skb_tx_timestamp()`); to be called
    /// in [`crate::net::device::DeviceOps::start_xmit`] right before the packet is handed over.
    #[inline]
    pub fn tx_timestamp(&mut self) {
        // SAFETY: We own the skb.
        unsafe { bindings::skb_tx_timestamp(self.as_raw()) };
    }

    /// Passes a received packet to the network stack as received on `dev` (`netif_rx()`).
    /// Usable in any context.
    ///
    /// The packet must have gone through [`SkBuff::eth_type_trans`];
    /// otherwise (no MAC header) it is dropped and `EINVAL` is returned. Returns `ENOBUFS` if the
    /// stack dropped the packet (`NET_RX_DROP`).
    #[inline]
    pub fn netif_rx(mut self, dev: &Device) -> Result {
        if self.mac_header_offset().is_none() {
            return Err(EINVAL);
        }
        self.set_dev(dev);
        // SAFETY: Ownership of the skb is transferred to `netif_rx()`.
        let ret = unsafe { bindings::netif_rx(self.into_raw()) };
        if ret == bindings::NET_RX_DROP as c_int {
            Err(ENOBUFS)
        } else {
            Ok(())
        }
    }

    /// Forwards a packet transmitted on `from` to the receive path of `to`, without copying it
    /// (`dev_forward_skb()`, as veth does): it checks that `to` is up and the packet fits its
    /// MTU, scrubs the packet (across namespaces if needed), calls `eth_type_trans()` for `to`
    /// and queues the packet with `netif_rx()`.
    ///
    /// Returns `EINVAL` if the packet was dropped: it has no linear Ethernet header, or the core
    /// refused it (then the core counted it in `to`'s `rx_dropped`).
    #[inline]
    pub fn dev_forward(mut self, from: &Device, to: &Device) -> Result {
        if self.headlen() < ETH_HLEN as u32 {
            // SAFETY: We own the skb.
            if !unsafe { bindings::pskb_may_pull(self.as_raw(), ETH_HLEN as c_uint) } {
                return Err(EINVAL);
            }
        }
        // `__dev_forward_skb()` scrubs across namespaces by comparing `skb->dev`'s with `to`'s.
        self.set_dev(from);
        // SAFETY: `to` is valid; the skb is owned, has a linear Ethernet header and a valid
        // `skb->dev`. `dev_forward_skb()` takes ownership, on failure too.
        let ret = unsafe { bindings::dev_forward_skb(to.as_raw(), self.into_raw()) };
        if ret == bindings::NET_RX_SUCCESS as c_int {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// Frees a packet that was successfully handled (`dev_consume_skb_any()`).
    pub fn consume(self) {
        // SAFETY: We own the skb; this may be called in any context.
        unsafe {
            bindings::dev_kfree_skb_any_reason(
                self.into_raw(),
                bindings::skb_drop_reason_SKB_CONSUMED,
            )
        };
    }

    /// Frees a dropped packet with the given reason (`dev_kfree_skb_any_reason()`).
    pub fn drop_reason(self, reason: DropReason) {
        // SAFETY: We own the skb; this may be called in any context.
        unsafe { bindings::dev_kfree_skb_any_reason(self.into_raw(), reason.as_raw()) };
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: We own the skb; this may be called in any context.
        unsafe {
            bindings::dev_kfree_skb_any_reason(
                self.as_raw(),
                bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            )
        };
    }
}
