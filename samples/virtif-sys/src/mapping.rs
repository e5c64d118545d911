// SPDX-License-Identifier: GPL-2.0
//! Shared memory (`mmap(2)`/`munmap(2)`) and the access to it. [`Mapping`]
//! hands out the 32-bit control words of the shared-memory rings as
//! [`AtomicU32`] references and copies bytes in and out of it, with bounds
//! checks; everything else (the ring protocol, `virtif::ring`) is safe Rust
//! on top of it.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;

use nix::libc;

/// A shared mapping (`MAP_SHARED`, read and write), unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: a mapping is plain memory, valid in every thread of the process
// until it is dropped; nothing in it belongs to a thread. All access goes
// through atomics or bounds-checked copies (`&self`), which are as sound
// from several threads as from one: the memory is shared with the kernel
// anyway, which is why no `&`/`&mut [u8]` to it is ever made.
unsafe impl Send for Mapping {}
// SAFETY: see `Send`.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` from offset 0, shared, readable and
    /// writable.
    pub fn shared(fd: BorrowedFd<'_>, len: usize) -> io::Result<Mapping> {
        Self::map(fd.as_raw_fd(), len, libc::MAP_SHARED)
    }

    /// `len` bytes of zeroed shared anonymous memory (for tests: a stand-in
    /// for a ring file's mapping).
    pub fn anonymous(len: usize) -> io::Result<Mapping> {
        Self::map(-1, len, libc::MAP_SHARED | libc::MAP_ANONYMOUS)
    }

    fn map(fd: i32, len: usize, flags: libc::c_int) -> io::Result<Mapping> {
        if len == 0 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: a new mapping at an address of the kernel's choosing
        // (NULL hint, no MAP_FIXED) replaces nothing of ours; `fd` is open
        // for the call (borrowed by the caller) or -1 with MAP_ANONYMOUS.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                fd,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
        Ok(Mapping { ptr, len })
    }

    /// Its size in bytes (never 0: `map` refuses an empty mapping).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The 32-bit word at byte `off` (a multiple of 4, inside the mapping:
    /// panics otherwise), for atomic access.
    pub fn u32_at(&self, off: usize) -> &AtomicU32 {
        assert!(
            off % 4 == 0 && off.checked_add(4).is_some_and(|end| end <= self.len),
            "word at {off} outside a mapping of {} bytes",
            self.len
        );
        // SAFETY: the word is inside the mapping (checked above), which
        // lives as long as `&self`; the mapping starts at a page boundary,
        // so `off % 4 == 0` makes it 4-byte aligned, as `AtomicU32` needs.
        // Every access of ours to a control word is atomic, and the kernel
        // accesses them with single aligned 32-bit loads and stores.
        unsafe { AtomicU32::from_ptr(self.ptr.as_ptr().add(off).cast::<u32>()) }
    }

    fn check(&self, off: usize, n: usize) {
        assert!(
            off.checked_add(n).is_some_and(|end| end <= self.len),
            "{n} bytes at {off} outside a mapping of {} bytes",
            self.len
        );
    }

    /// Copies `dst.len()` bytes from byte `off` of the mapping (inside it:
    /// panics otherwise).
    pub fn read(&self, off: usize, dst: &mut [u8]) {
        self.check(off, dst.len());
        // SAFETY: the source is inside the mapping (checked), the
        // destination is ours; they cannot overlap (`dst` is a Rust slice,
        // never a view of the mapping). The ring protocol gives us the slot
        // being read (the kernel does not write it meanwhile).
        unsafe {
            std::ptr::copy_nonoverlapping(self.ptr.as_ptr().add(off), dst.as_mut_ptr(), dst.len())
        }
    }

    /// Copies `src` to byte `off` of the mapping (inside it: panics
    /// otherwise).
    pub fn write(&self, off: usize, src: &[u8]) {
        self.check(off, src.len());
        // SAFETY: the destination is inside the mapping (checked) and
        // writable (PROT_WRITE); `src` cannot overlap it (see `read`). The
        // ring protocol gives us the slot being written.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), self.ptr.as_ptr().add(off), src.len())
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what mmap() returned; no
        // reference into the mapping outlives `self` (they all borrow it).
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn words_and_bytes() {
        let m = Mapping::anonymous(8192).unwrap();
        assert_eq!(m.len(), 8192);
        m.u32_at(4).store(0xdead_beef, Ordering::Release);
        let mut b = [0u8; 8];
        m.read(0, &mut b);
        assert_eq!(b, [0, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde]);
        m.write(8188, &[1, 2, 3, 4]);
        assert_eq!(m.u32_at(8188).load(Ordering::Acquire), 0x0403_0201);
        assert!(Mapping::anonymous(0).is_err());
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn word_beyond_the_end() {
        Mapping::anonymous(4096).unwrap().u32_at(4096);
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn unaligned_word() {
        Mapping::anonymous(4096).unwrap().u32_at(2);
    }

    #[test]
    #[should_panic(expected = "outside")]
    fn copy_beyond_the_end() {
        Mapping::anonymous(4096).unwrap().write(4090, &[0; 7]);
    }
}
