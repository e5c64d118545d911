// SPDX-License-Identifier: GPL-2.0

//! Socket buffers (packets).
//!
//! C headers: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h),
//! [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/etherdevice.h`](srctree/include/linux/etherdevice.h).

use crate::{
    bindings,
    error::to_result,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    net::device::{
        Device,
        MacAddr,
        ETH_ALEN,
        ETH_HLEN, //
    },
    page::{
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*,
};
use core::mem::MaybeUninit;
use core::ptr::NonNull;

/// Type of a received packet (`skb->pkt_type`), as classified by [`SkBuff::eth_type_trans`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PacketType {
    /// To us (`PACKET_HOST`).
    Host,
    /// To all (`PACKET_BROADCAST`).
    Broadcast,
    /// To a group (`PACKET_MULTICAST`).
    Multicast,
    /// To someone else (`PACKET_OTHERHOST`).
    OtherHost,
    /// Any other value (outgoing, loopback, ...).
    Other(u8),
}

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

/// Reason for dropping a packet (`enum skb_drop_reason`), see [`SkBuff::drop_reason`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DropReason {
    /// `SKB_DROP_REASON_NOT_SPECIFIED`.
    NotSpecified,
    /// Device not ready (`SKB_DROP_REASON_DEV_READY`).
    DevReady,
    /// Invalid device header (`SKB_DROP_REASON_DEV_HDR`).
    DevHdr,
    /// Ring or queue full (`SKB_DROP_REASON_FULL_RING`).
    FullRing,
    /// Out of memory (`SKB_DROP_REASON_NOMEM`).
    NoMem,
    /// Packet too big (`SKB_DROP_REASON_PKT_TOO_BIG`).
    PktTooBig,
    /// Packet too small (`SKB_DROP_REASON_PKT_TOO_SMALL`).
    PktTooSmall,
    /// Queue purged (`SKB_DROP_REASON_QUEUE_PURGE`).
    QueuePurge,
}

impl DropReason {
    fn as_raw(self) -> bindings::skb_drop_reason {
        match self {
            Self::NotSpecified => bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
            Self::DevReady => bindings::skb_drop_reason_SKB_DROP_REASON_DEV_READY,
            Self::DevHdr => bindings::skb_drop_reason_SKB_DROP_REASON_DEV_HDR,
            Self::FullRing => bindings::skb_drop_reason_SKB_DROP_REASON_FULL_RING,
            Self::NoMem => bindings::skb_drop_reason_SKB_DROP_REASON_NOMEM,
            Self::PktTooBig => bindings::skb_drop_reason_SKB_DROP_REASON_PKT_TOO_BIG,
            Self::PktTooSmall => bindings::skb_drop_reason_SKB_DROP_REASON_PKT_TOO_SMALL,
            Self::QueuePurge => bindings::skb_drop_reason_SKB_DROP_REASON_QUEUE_PURGE,
        }
    }
}

/// Number of segments [`SkBuff::with_segments`] gathers without allocating: the linear part
/// and `MAX_SKB_FRAGS` page fragments.
pub const INLINE_SEGMENTS: usize = bindings::MAX_SKB_FRAGS as usize + 1;

/// An owned socket buffer (`struct sk_buff`).
///
/// Dropping it frees the packet as dropped (`dev_kfree_skb_any()`, usable in any context); use
/// [`SkBuff::consume`] for packets that were successfully handled.
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

    /// Appends `len` bytes read from `src` to the linear part (`skb_put()` after
    /// `copy_from_iter()`).
    ///
    /// Fails with `ENOSPC` if the packet is not linear or lacks the tailroom, and with `EFAULT`
    /// if `src` could not provide `len` bytes (the packet is then left unchanged; `src` may have
    /// advanced).
    pub fn put_from_iter(&mut self, src: &mut IovIterSource<'_>, len: usize) -> Result {
        let len32 = u32::try_from(len).map_err(|_| ENOSPC)?;
        // SAFETY: The skb is valid.
        if self.is_nonlinear() || unsafe { bindings::skb_tailroom(self.as_raw()) } < len32 {
            return Err(ENOSPC);
        }
        // SAFETY: We own the skb, which is linear with at least `len` bytes of tailroom (checked
        // above); the tailroom is not part of the packet yet, so nothing else reads or writes
        // it while we hold this slice.
        let tail = unsafe {
            core::slice::from_raw_parts_mut(
                bindings::skb_tail_pointer(self.as_raw()).cast::<MaybeUninit<u8>>(),
                len,
            )
        };
        if src.copy_from_iter_raw(tail).len() != len {
            return Err(EFAULT);
        }
        // SAFETY: We own the skb and the `len` bytes after its tail are now initialised.
        unsafe { bindings::skb_put(self.as_raw(), len32) };
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
    pub fn len(&self) -> u32 {
        // SAFETY: The skb is valid and we own it.
        unsafe { (*self.as_raw()).len }
    }

    /// Returns whether the packet is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the length of the non-linear data (`skb->data_len`).
    pub fn data_len(&self) -> u32 {
        // SAFETY: The skb is valid and we own it.
        unsafe { (*self.as_raw()).data_len }
    }

    /// Returns the length of the linear data (`skb_headlen()`).
    pub fn headlen(&self) -> u32 {
        // SAFETY: The skb is valid.
        unsafe { bindings::skb_headlen(self.as_raw()) }
    }

    /// Returns whether the packet has data outside of the linear area.
    pub fn is_nonlinear(&self) -> bool {
        self.data_len() != 0
    }

    /// Returns the linear data of the packet (`skb->data`, `skb_headlen()` bytes).
    pub fn data(&self) -> &[u8] {
        let len = self.headlen() as usize;
        // SAFETY: `skb->data` points to `skb_headlen()` readable bytes while we own the skb; they
        // are not written by anyone else (shared heads of clones are read-only).
        unsafe { core::slice::from_raw_parts((*self.as_raw()).data, len) }
    }

    /// Returns the transmit queue selected for the packet (`skb_get_queue_mapping()`).
    pub fn queue_mapping(&self) -> u16 {
        // SAFETY: The skb is valid and we own it.
        unsafe { (*self.as_raw()).queue_mapping }
    }

    /// Returns the number of page fragments.
    pub fn nr_frags(&self) -> usize {
        // SAFETY: The skb is valid.
        usize::from(unsafe { (*bindings::skb_shinfo(self.as_raw())).nr_frags })
    }

    /// Returns whether the packet has a list of fragment skbs (`skb_has_frag_list()`).
    pub fn has_frag_list(&self) -> bool {
        // SAFETY: The skb is valid.
        unsafe { bindings::skb_has_frag_list(self.as_raw()) }
    }

    /// Returns whether the packet is a GSO packet (`skb_is_gso()`).
    pub fn is_gso(&self) -> bool {
        // SAFETY: The skb is valid.
        unsafe { bindings::skb_is_gso(self.as_raw()) }
    }

    /// Returns the GSO segment size (`skb_shinfo(skb)->gso_size`).
    pub fn gso_size(&self) -> u16 {
        // SAFETY: The skb is valid.
        unsafe { (*bindings::skb_shinfo(self.as_raw())).gso_size }
    }

    /// Makes the packet linear (`skb_linearize()`). May fail with `ENOMEM`.
    pub fn linearize(&mut self) -> Result {
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

    /// Calls `f` with every contiguous data segment of the packet, in order: the linear part,
    /// every page fragment (mapped one page at a time if needed, like `skb_frag_foreach_page()`,
    /// so this works with high memory), then the same for each skb of the fragment list.
    ///
    /// Packets whose fragments may be modified concurrently (zero-copy or shared fragments) or
    /// with nested fragment lists are linearised first (`skb_linearize()`), so this may fail
    /// with `ENOMEM`. Fails with `EFAULT` for unreadable (device memory) fragments. Empty
    /// segments are skipped. If `f` returns an error, the walk stops and the error is returned.
    pub fn for_each_segment(&mut self, mut f: impl FnMut(&[u8]) -> Result) -> Result {
        if self.needs_linearize() {
            self.linearize()?;
        }
        // SAFETY: We own the skb and its fragments are stable (checked above).
        unsafe { Self::walk(self.as_raw(), &mut f, true) }
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
        // SAFETY: `skb` is valid.
        let headlen = unsafe { bindings::skb_headlen(skb) } as usize;
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

    /// Returns the protocol (`skb->protocol`) in host byte order, e.g. `0x0800` for IPv4.
    pub fn protocol(&self) -> u16 {
        // SAFETY: The skb is valid.
        u16::from_be(unsafe { bindings::skb_get_protocol(self.as_raw()) })
    }

    /// Returns the packet type (`skb->pkt_type`).
    pub fn pkt_type(&self) -> PacketType {
        // SAFETY: The skb is valid.
        let t = unsafe { bindings::skb_get_pkt_type(self.as_raw()) };
        match u32::from(t) {
            bindings::PACKET_HOST => PacketType::Host,
            bindings::PACKET_BROADCAST => PacketType::Broadcast,
            bindings::PACKET_MULTICAST => PacketType::Multicast,
            bindings::PACKET_OTHERHOST => PacketType::OtherHost,
            _ => PacketType::Other(t),
        }
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

    /// Returns the Ethernet header (`eth_hdr()`), if the MAC header is set and linear.
    ///
    /// On transmission the MAC header is set by the core; on reception it is set by
    /// [`SkBuff::eth_type_trans`].
    pub fn eth_header(&self) -> Option<&[u8; ETH_HLEN]> {
        let skb = self.as_raw();
        // SAFETY: The skb is valid.
        if !unsafe { bindings::skb_mac_header_was_set(skb) } {
            return None;
        }
        // SAFETY: The skb is valid and its MAC header is set.
        let (mac, head, tail) = unsafe {
            (
                bindings::skb_mac_header(skb),
                (*skb).head,
                bindings::skb_tail_pointer(skb),
            )
        };
        if (mac as usize) < (head as usize) || (mac as usize).checked_add(ETH_HLEN)? > tail as usize
        {
            return None;
        }
        // SAFETY: The header lies within the linear buffer, which is readable while we own the
        // skb and not written by others.
        Some(unsafe { &*mac.cast::<[u8; ETH_HLEN]>() })
    }

    /// Returns the destination MAC address from the Ethernet header, see
    /// [`SkBuff::eth_header`].
    pub fn eth_dest(&self) -> Option<MacAddr> {
        let hdr = self.eth_header()?;
        let mut addr = [0u8; ETH_ALEN];
        addr.copy_from_slice(&hdr[..ETH_ALEN]);
        Some(addr)
    }

    /// Returns the source MAC address from the Ethernet header, see [`SkBuff::eth_header`].
    pub fn eth_source(&self) -> Option<MacAddr> {
        let hdr = self.eth_header()?;
        let mut addr = [0u8; ETH_ALEN];
        addr.copy_from_slice(&hdr[ETH_ALEN..2 * ETH_ALEN]);
        Some(addr)
    }

    /// Determines the protocol and packet type of a received Ethernet frame, sets `skb->dev`
    /// to `dev` and pulls the Ethernet header (`eth_type_trans()`).
    ///
    /// Returns the protocol in host byte order. Fails with `EINVAL` (leaving the packet
    /// untouched) if the packet is shorter than an Ethernet header.
    pub fn eth_type_trans(&mut self, dev: &Device) -> Result<u16> {
        // SAFETY: We own the skb.
        if !unsafe { bindings::pskb_may_pull(self.as_raw(), ETH_HLEN as c_uint) } {
            return Err(EINVAL);
        }
        // SAFETY: We own the skb, it has a linear Ethernet header, and `dev` is valid.
        let proto = unsafe { bindings::eth_type_trans(self.as_raw(), dev.as_raw()) };
        // SAFETY: We own the skb.
        unsafe { bindings::skb_set_protocol(self.as_raw(), proto) };
        Ok(u16::from_be(proto))
    }

    /// Detaches the packet from its owning socket (`skb_orphan()`).
    pub fn orphan(&mut self) {
        // SAFETY: We own the skb.
        unsafe { bindings::skb_orphan(self.as_raw()) };
    }

    /// Clears the state that must not cross a forwarding boundary (`skb_scrub_packet()`);
    /// `xnet` additionally clears the state that must not cross network namespaces.
    pub fn scrub(&mut self, xnet: bool) {
        // SAFETY: We own the skb.
        unsafe { bindings::skb_scrub_packet(self.as_raw(), xnet) };
    }

    /// Records a software transmit timestamp if requested (`skb_tx_timestamp()`); to be called
    /// in [`crate::net::device::DeviceOps::start_xmit`] right before handing the packet over.
    pub fn tx_timestamp(&mut self) {
        // SAFETY: We own the skb.
        unsafe { bindings::skb_tx_timestamp(self.as_raw()) };
    }

    /// Passes a received packet to the network stack as received on `dev` (`netif_rx()`).
    /// Usable in any context.
    ///
    /// The packet must have gone through [`SkBuff::eth_type_trans`] (or [`SkBuff::forward`]);
    /// otherwise (no MAC header) it is dropped and `EINVAL` is returned. Returns `ENOBUFS` if the
    /// stack dropped the packet (`NET_RX_DROP`).
    pub fn netif_rx(self, dev: &Device) -> Result {
        let skb = self.as_raw();
        // SAFETY: The skb is valid.
        if !unsafe { bindings::skb_mac_header_was_set(skb) } {
            return Err(EINVAL);
        }
        // SAFETY: We own the skb and `dev` is a valid registered device.
        unsafe { bindings::skb_set_dev(skb, dev.as_raw()) };
        // SAFETY: Ownership of the skb is transferred to `netif_rx()`.
        let ret = unsafe { bindings::netif_rx(self.into_raw()) };
        if ret == bindings::NET_RX_DROP as c_int {
            Err(ENOBUFS)
        } else {
            Ok(())
        }
    }

    /// Prepares a packet transmitted on `from` to be received on `to` (`__dev_forward_skb()`):
    /// checks that `to` is up and the packet fits its MTU, scrubs the packet (across namespaces
    /// if needed) and calls `eth_type_trans()` for `to`. The result can then be passed to
    /// [`SkBuff::netif_rx`] on `to`.
    ///
    /// On failure the packet is freed, `to`'s `rx_dropped` counter is incremented, and `EINVAL`
    /// is returned.
    pub fn forward(self, from: &Device, to: &Device) -> Result<SkBuff> {
        let skb = self.as_raw();
        // SAFETY: We own the skb.
        if !unsafe { bindings::pskb_may_pull(skb, ETH_HLEN as c_uint) } {
            to.core_stats_rx_dropped_inc();
            return Err(EINVAL);
        }
        // SAFETY: We own the skb and `from` is a valid device.
        unsafe { bindings::skb_set_dev(skb, from.as_raw()) };
        let raw = self.into_raw();
        // SAFETY: `to` is valid; `raw` is owned, has a linear Ethernet header and a valid
        // `skb->dev`. On failure `__dev_forward_skb()` frees the skb.
        let ret = unsafe { bindings::__dev_forward_skb(to.as_raw(), raw) };
        if ret != 0 {
            return Err(EINVAL);
        }
        // SAFETY: On success the skb is still owned by us.
        Ok(unsafe { SkBuff::from_raw(raw) })
    }

    /// Forwards a packet transmitted on `from` to the receive path of `to`
    /// (`dev_forward_skb()`), i.e. [`SkBuff::forward`] followed by [`SkBuff::netif_rx`].
    ///
    /// Returns `EINVAL` or `ENOBUFS` if the packet was dropped.
    pub fn dev_forward(self, from: &Device, to: &Device) -> Result {
        self.forward(from, to)?.netif_rx(to)
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
