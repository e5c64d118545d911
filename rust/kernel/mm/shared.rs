// SPDX-License-Identifier: GPL-2.0

//! Memory shared with a user process: a kernel buffer the process maps with `mmap()`.
//!
//! C headers: [`include/linux/vmalloc.h`](srctree/include/linux/vmalloc.h).
//!
//! The process can write any byte of the buffer at any time, including while the kernel reads
//! it. The buffer is therefore never accessed through Rust references: [`SharedBuf`] offers
//! atomic accesses to aligned `u32` words (for ring indices and flags, with the ordering the
//! protocol needs) and raw pointers for the C functions that copy packet data in and out, which,
//! like `copy_from_user()`, only promise to copy *some* bytes when the other side writes at the
//! same time. Whatever the kernel reads from the buffer is untrusted input: callers validate it
//! and never read a value twice expecting it to be the same.

use crate::{
    bindings,
    error::to_result,
    mm::virt::VmaNew,
    page::PAGE_SIZE,
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
};
use core::ptr::NonNull;

/// A zeroed, page-aligned kernel buffer that a process may map (`vmalloc_user()`), charged to
/// the memory cgroup of the task that allocated it.
///
/// # Invariants
///
/// `ptr` points to a `vmalloc_user()`-like allocation (`VM_USERMAP`) of `len` bytes (a multiple
/// of `PAGE_SIZE`) that is owned by this object and freed when it is dropped.
pub struct SharedBuf {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: The buffer is plain memory, accessed only atomically or through raw pointers: any
// thread may use and free it.
unsafe impl Send for SharedBuf {}
// SAFETY: All `&self` accesses are atomic or go through raw pointers handed to C.
unsafe impl Sync for SharedBuf {}

impl SharedBuf {
    /// Allocates a zeroed buffer of `len` bytes, rounded up to whole pages.
    ///
    /// The memory is charged to the current task's memory cgroup (`__GFP_ACCOUNT`), like the
    /// mmapable maps of BPF: a process that asks for a buffer to map pays for it. Past the
    /// cgroup's limit (or without memory) this fails with `ENOMEM`, without waking the OOM
    /// killer or warning.
    pub fn new(len: usize) -> Result<Self> {
        let len = len.checked_next_multiple_of(PAGE_SIZE).ok_or(ENOMEM)?;
        if len == 0 {
            return Err(EINVAL);
        }
        // SAFETY: Plain allocation.
        let ptr = unsafe { bindings::vmalloc_user_account(len as crate::ffi::c_ulong) };
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: A new `VM_USERMAP` vmalloc allocation of `len` bytes.
        Ok(Self { ptr, len })
    }

    /// The size of the buffer in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer is empty (never: a buffer has at least one page).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Maps the whole buffer into `vma`, which must be exactly as long, at offset 0
    /// (`remap_vmalloc_range()`): `EINVAL` otherwise.
    pub fn map(&self, vma: &VmaNew) -> Result {
        // SAFETY: `vma` is a valid VMA being set up (type invariant of `VmaNew`).
        let pgoff = unsafe { (*vma.as_ptr()).vm_pgoff };
        if vma.end() - vma.start() != self.len || pgoff != 0 {
            return Err(EINVAL);
        }
        // SAFETY: `vma` is being set up, with the mmap lock held; the buffer is a `VM_USERMAP`
        // vmalloc allocation of `len` bytes, which the VMA covers exactly. The pages are inserted
        // with references of their own, so they outlive the buffer if the mapping does.
        to_result(unsafe {
            bindings::remap_vmalloc_range(vma.as_ptr(), self.ptr.as_ptr().cast(), 0)
        })
    }

    /// The `u32` word at `offset`, which must be aligned and in the buffer.
    fn word(&self, offset: usize) -> Result<&Atomic<u32>> {
        if offset % 4 != 0 || offset.checked_add(4).is_none_or(|end| end > self.len) {
            return Err(EINVAL);
        }
        // SAFETY: The word is in the buffer (checked above), aligned, and lives as long as
        // `self`; it is only accessed atomically on the kernel side.
        Ok(unsafe { Atomic::from_ptr(self.ptr.as_ptr().add(offset).cast::<u32>()) })
    }

    /// Reads the word at `offset` with acquire ordering (`smp_load_acquire()`): what the process
    /// wrote before storing it is visible after.
    pub fn load_acquire(&self, offset: usize) -> Result<u32> {
        Ok(self.word(offset)?.load(Acquire))
    }

    /// Reads the word at `offset` once (`READ_ONCE()`).
    pub fn load(&self, offset: usize) -> Result<u32> {
        Ok(self.word(offset)?.load(Relaxed))
    }

    /// Writes the word at `offset` with release ordering (`smp_store_release()`): what the
    /// kernel wrote before is visible to the process once it sees the new value.
    pub fn store_release(&self, offset: usize, value: u32) -> Result {
        self.word(offset)?.store(value, Release);
        Ok(())
    }

    /// Writes the word at `offset` once (`WRITE_ONCE()`).
    pub fn store(&self, offset: usize, value: u32) -> Result {
        self.word(offset)?.store(value, Relaxed);
        Ok(())
    }

    /// Copies the bytes at `offset` into `dst` (`EINVAL` if they are not all in the buffer).
    /// What the process writes meanwhile may or may not be seen: `dst` is the kernel's own copy.
    pub fn read(&self, offset: usize, dst: &mut [u8]) -> Result {
        let src = self.raw(offset, dst.len())?;
        // SAFETY: `src` is valid for `dst.len()` bytes (checked by `raw()`), `dst` is a
        // distinct kernel buffer; `memcpy()` tolerates concurrent writes to its source.
        unsafe { bindings::memcpy(dst.as_mut_ptr().cast(), src.cast(), dst.len()) };
        Ok(())
    }

    /// Copies `src` to the bytes at `offset` (`EINVAL` if they are not all in the buffer).
    pub fn write(&self, offset: usize, src: &[u8]) -> Result {
        let dst = self.raw(offset, src.len())?;
        // SAFETY: `dst` is valid for `src.len()` bytes (checked by `raw()`) and distinct from
        // the kernel buffer `src`.
        unsafe { bindings::memcpy(dst.cast(), src.as_ptr().cast(), src.len()) };
        Ok(())
    }

    /// A raw pointer to the `len` bytes at `offset`, for the C functions that copy packet data
    /// (`EINVAL` if they are not all in the buffer). The bytes may change under the caller at
    /// any time: they must never be read through a Rust reference.
    pub fn raw(&self, offset: usize, len: usize) -> Result<*mut u8> {
        if offset.checked_add(len).is_none_or(|end| end > self.len) {
            return Err(EINVAL);
        }
        // SAFETY: `offset + len` is within the allocation (checked above).
        Ok(unsafe { self.ptr.as_ptr().add(offset) })
    }
}

impl Drop for SharedBuf {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the buffer is a vmalloc allocation, and ours; mappings
        // of it hold references to its pages, which stay until they are unmapped.
        unsafe { bindings::vfree(self.ptr.as_ptr().cast()) };
    }
}
