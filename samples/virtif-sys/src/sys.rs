// SPDX-License-Identifier: GPL-2.0
//! Every `unsafe` line of the samples, in one audited file: the system
//! calls whose Rust bindings are `unsafe` ([`ioctl`]) and the shared memory
//! of the rings ([`mapping`]), each behind a safe function or type with its
//! `// SAFETY:` argument. The crate root re-exports both modules; nothing
//! else in the samples' workspace contains `unsafe` (`host_unsafe` checks).

pub mod ioctl {
    //! The ioctls and socket options, each behind a safe function.

    use std::io;
    use std::os::fd::{AsRawFd, BorrowedFd};

    use crate::uapi;

    /// The raw ioctls, as nix generates them: `unsafe fn`s, private to this
    /// module; each has one safe caller below.
    mod raw {
        use super::{uapi, IfReqFlags, IfReqMtu, VirtifAttach, VirtifRingAttach};

        // VIRTIF_ATTACH: the request number the header defines (_IOW('v', 0xb0,
        // struct virtif_attach)), as clang evaluated it.
        nix::ioctl_write_ptr_bad!(
            virtif_attach_raw,
            uapi::VIRTIF_ATTACH as nix::sys::ioctl::ioctl_num_type,
            VirtifAttach
        );

        // VIRTIF_ATTACH_RING: _IOW('v', 0xb1, struct virtif_ring_attach).
        nix::ioctl_write_ptr_bad!(
            virtif_attach_ring_raw,
            uapi::VIRTIF_ATTACH_RING as nix::sys::ioctl::ioctl_num_type,
            VirtifRingAttach
        );

        // VIRTIF_KICK: _IO('v', 0xb2), no argument.
        nix::ioctl_none_bad!(
            virtif_kick_raw,
            uapi::VIRTIF_KICK as nix::sys::ioctl::ioctl_num_type
        );

        // TUNSETIFF = _IOW('T', 202, int), though it takes a struct ifreq (and
        // writes the device's name back into it, hence readwrite).
        nix::ioctl_readwrite_bad!(
            tunsetiff_raw,
            nix::request_code_write!(b'T', 202, std::mem::size_of::<nix::libc::c_int>()),
            IfReqFlags
        );

        // TUNSETVNETHDRSZ = _IOW('T', 216, int): takes a pointer to the size.
        nix::ioctl_write_ptr_bad!(
            tunsetvnethdrsz_raw,
            nix::request_code_write!(b'T', 216, std::mem::size_of::<nix::libc::c_int>()),
            nix::libc::c_int
        );

        // TUNSETOFFLOAD = _IOW('T', 208, unsigned int), though the flags are passed
        // as the argument itself, not through a pointer.
        nix::ioctl_write_int_bad!(
            tunsetoffload_raw,
            nix::request_code_write!(b'T', 208, std::mem::size_of::<nix::libc::c_uint>())
        );

        nix::ioctl_readwrite_bad!(siocgifmtu_raw, nix::libc::SIOCGIFMTU, IfReqMtu);

        nix::ioctl_write_ptr_bad!(siocsifmtu_raw, nix::libc::SIOCSIFMTU, IfReqMtu);
    }

    /// `struct virtif_attach`, the argument of `VIRTIF_ATTACH`.
    pub use uapi::virtif_attach as VirtifAttach;

    /// `ioctl(fd, VIRTIF_ATTACH, arg)`.
    pub fn virtif_attach(fd: BorrowedFd<'_>, arg: &VirtifAttach) -> io::Result<()> {
        // SAFETY: `fd` is open for the whole call (it is borrowed); `arg` is an
        // initialised `struct virtif_attach` that outlives the call, and
        // VIRTIF_ATTACH only reads `size_of::<VirtifAttach>()` bytes from it.
        unsafe { raw::virtif_attach_raw(fd.as_raw_fd(), arg) }
            .map(drop)
            .map_err(io::Error::from)
    }

    /// `struct virtif_ring_attach`, the argument of `VIRTIF_ATTACH_RING`.
    pub use uapi::virtif_ring_attach as VirtifRingAttach;

    /// `ioctl(fd, VIRTIF_ATTACH_RING, arg)`.
    pub fn virtif_attach_ring(fd: BorrowedFd<'_>, arg: &VirtifRingAttach) -> io::Result<()> {
        // SAFETY: `fd` is open for the whole call; `arg` is an initialised
        // `struct virtif_ring_attach` that outlives the call, and
        // VIRTIF_ATTACH_RING only reads `size_of::<VirtifRingAttach>()` bytes.
        unsafe { raw::virtif_attach_ring_raw(fd.as_raw_fd(), arg) }
            .map(drop)
            .map_err(io::Error::from)
    }

    /// `ioctl(fd, VIRTIF_KICK)`.
    pub fn virtif_kick(fd: BorrowedFd<'_>) -> io::Result<()> {
        // SAFETY: `fd` is open for the whole call; VIRTIF_KICK takes no
        // argument and touches no memory of ours.
        unsafe { raw::virtif_kick_raw(fd.as_raw_fd()) }
            .map(drop)
            .map_err(io::Error::from)
    }

    /// `struct ifreq` with the `ifr_flags` member of its union (40 bytes).
    #[repr(C)]
    struct IfReqFlags {
        name: [u8; 16],
        flags: i16,
        _pad: [u8; 22],
    }

    /// The `ifr_name` of a `struct ifreq`: `name`, NUL-padded. It must be 1 to
    /// 15 bytes without NUL (checked: `EINVAL`).
    fn ifr_name(name: &str) -> io::Result<[u8; 16]> {
        if name.is_empty() || name.len() > 15 || name.contains('\0') {
            return Err(io::Error::from_raw_os_error(nix::libc::EINVAL));
        }
        let mut out = [0; 16];
        out[..name.len()].copy_from_slice(name.as_bytes());
        Ok(out)
    }

    /// `ioctl(fd, TUNSETIFF, { name, flags })` on an open `/dev/net/tun`.
    /// `name` must be at most 15 bytes without NUL (checked: `EINVAL`).
    pub fn tun_set_iff(fd: BorrowedFd<'_>, name: &str, flags: i16) -> io::Result<()> {
        let mut ifr = IfReqFlags {
            name: ifr_name(name)?,
            flags,
            _pad: [0; 22],
        };
        // SAFETY: `fd` is open for the whole call; `ifr` is a valid, initialised
        // `struct ifreq` that outlives the call; TUNSETIFF writes at most the
        // device's NUL-terminated name (16 bytes) back into it.
        unsafe { raw::tunsetiff_raw(fd.as_raw_fd(), &mut ifr) }
            .map(drop)
            .map_err(io::Error::from)
    }

    /// `ioctl(fd, TUNSETVNETHDRSZ, &size)` on a tun/tap file: the size of the
    /// offload header (`IFF_VNET_HDR`) before each frame.
    pub fn tun_set_vnet_hdr_sz(fd: BorrowedFd<'_>, size: i32) -> io::Result<()> {
        // SAFETY: `fd` is open for the whole call; `size` is an initialised
        // `int` that outlives it, and TUNSETVNETHDRSZ only reads it.
        unsafe { raw::tunsetvnethdrsz_raw(fd.as_raw_fd(), &size) }
            .map(drop)
            .map_err(io::Error::from)
    }

    /// `ioctl(fd, TUNSETOFFLOAD, flags)` on a tun/tap file: the offloads
    /// (`TUN_F_*`) the reader accepts in the frames it reads.
    pub fn tun_set_offload(fd: BorrowedFd<'_>, flags: u32) -> io::Result<()> {
        // SAFETY: `fd` is open for the whole call; TUNSETOFFLOAD takes its
        // argument by value and dereferences no pointer.
        unsafe { raw::tunsetoffload_raw(fd.as_raw_fd(), flags as nix::libc::c_int) }
            .map(drop)
            .map_err(io::Error::from)
    }

    /// `struct ifreq` with the `ifr_mtu` member of its union (40 bytes).
    #[repr(C)]
    struct IfReqMtu {
        name: [u8; 16],
        mtu: nix::libc::c_int,
        _pad: [u8; 20],
    }

    fn ifreq_mtu(name: &str, mtu: i32) -> io::Result<IfReqMtu> {
        Ok(IfReqMtu {
            name: ifr_name(name)?,
            mtu,
            _pad: [0; 20],
        })
    }

    /// `ioctl(sock, SIOCGIFMTU, { name })`: the MTU of the interface `name`
    /// (in the socket's network namespace).
    pub fn if_get_mtu(sock: BorrowedFd<'_>, name: &str) -> io::Result<u32> {
        let mut ifr = ifreq_mtu(name, 0)?;
        // SAFETY: `sock` is open for the call; `ifr` is an initialised `struct
        // ifreq` that outlives it, into which SIOCGIFMTU writes `ifr_mtu`.
        unsafe { raw::siocgifmtu_raw(sock.as_raw_fd(), &mut ifr) }.map_err(io::Error::from)?;
        Ok(ifr.mtu as u32)
    }

    /// `ioctl(sock, SIOCSIFMTU, { name, mtu })`.
    pub fn if_set_mtu(sock: BorrowedFd<'_>, name: &str, mtu: u32) -> io::Result<()> {
        let mtu =
            i32::try_from(mtu).map_err(|_| io::Error::from_raw_os_error(nix::libc::EINVAL))?;
        let ifr = ifreq_mtu(name, mtu)?;
        // SAFETY: `sock` is open for the call; `ifr` is an initialised `struct
        // ifreq` that outlives it; SIOCSIFMTU only reads it.
        unsafe { raw::siocsifmtu_raw(sock.as_raw_fd(), &ifr) }
            .map(drop)
            .map_err(io::Error::from)
    }

    /// `setsockopt(fd, level, name, &value, sizeof(int))`.
    pub fn setsockopt_int(
        fd: BorrowedFd<'_>,
        level: nix::libc::c_int,
        name: nix::libc::c_int,
        value: nix::libc::c_int,
    ) -> io::Result<()> {
        // SAFETY: `fd` is open for the call; the option value is an `int` that
        // outlives the call, and its size is passed.
        let r = unsafe {
            nix::libc::setsockopt(
                fd.as_raw_fd(),
                level,
                name,
                (&value as *const nix::libc::c_int).cast(),
                std::mem::size_of::<nix::libc::c_int>() as nix::libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// `getsockopt(fd, level, name, &value, &len)` for an `int` option.
    pub fn getsockopt_int(
        fd: BorrowedFd<'_>,
        level: nix::libc::c_int,
        name: nix::libc::c_int,
    ) -> io::Result<nix::libc::c_int> {
        let mut value: nix::libc::c_int = 0;
        let mut len = std::mem::size_of::<nix::libc::c_int>() as nix::libc::socklen_t;
        // SAFETY: `fd` is open for the call; `value` and `len` are valid for
        // writes and outlive it; `len` says how much `value` holds.
        let r = unsafe {
            nix::libc::getsockopt(
                fd.as_raw_fd(),
                level,
                name,
                (&mut value as *mut nix::libc::c_int).cast(),
                &mut len,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(value)
    }

    /// Attaches a classic BPF filter that drops every packet
    /// (`SO_ATTACH_FILTER` with `ret #0`): for a raw socket used only to send.
    pub fn attach_drop_all_filter(fd: BorrowedFd<'_>) -> io::Result<()> {
        let mut insn = [nix::libc::sock_filter {
            code: (nix::libc::BPF_RET | nix::libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        }];
        let prog = nix::libc::sock_fprog {
            len: insn.len() as u16,
            filter: insn.as_mut_ptr(),
        };
        // SAFETY: `fd` is open for the call; `prog` points to `insn`, both of
        // which outlive the call; the kernel copies the program.
        let r = unsafe {
            nix::libc::setsockopt(
                fd.as_raw_fd(),
                nix::libc::SOL_SOCKET,
                nix::libc::SO_ATTACH_FILTER,
                (&prog as *const nix::libc::sock_fprog).cast(),
                std::mem::size_of::<nix::libc::sock_fprog>() as nix::libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::ifr_name;

        #[test]
        fn ifr_names() {
            let einval = |n: &str| ifr_name(n).unwrap_err().raw_os_error();
            assert_eq!(einval(""), Some(nix::libc::EINVAL));
            assert_eq!(einval("1234567890123456"), Some(nix::libc::EINVAL));
            assert_eq!(einval("a\0b"), Some(nix::libc::EINVAL));
            let name = ifr_name("123456789012345").unwrap();
            assert_eq!(&name[..15], b"123456789012345");
            assert_eq!(name[15], 0);
            assert_eq!(ifr_name("tap0").unwrap()[..5], *b"tap0\0");
        }
    }
}

pub mod mapping {
    //! Shared memory (`mmap(2)`/`munmap(2)`) and the access to it. [`Mapping`]
    //! hands out the 32-bit control words of the shared-memory rings as
    //! [`AtomicU32`] references and copies bytes in and out of it, itself or
    //! by a `read(2)`/`write(2)` of a file, with bounds checks; everything
    //! else (the ring protocol, `virtif::ring`) is safe Rust on top of it.

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
            let ptr =
                NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
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
                std::ptr::copy_nonoverlapping(
                    self.ptr.as_ptr().add(off),
                    dst.as_mut_ptr(),
                    dst.len(),
                )
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

    impl Mapping {
        /// Writes the `n` bytes at byte `off` of the mapping (inside it: panics
        /// otherwise) to `fd` with one `write(2)`, and returns what that
        /// returns: the kernel copies them from the mapping, with no copy of
        /// ours (a tap takes a frame per `write(2)`).
        pub fn write_to(&self, off: usize, n: usize, fd: BorrowedFd<'_>) -> io::Result<usize> {
            self.check(off, n);
            // SAFETY: the `n` bytes are inside the mapping (checked), which is
            // readable; `write(2)` only reads them, and no Rust reference to
            // them is made. `fd` is open for the call (borrowed).
            let r = unsafe { libc::write(fd.as_raw_fd(), self.ptr.as_ptr().add(off).cast(), n) };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(r as usize)
        }

        /// Reads from `fd` with one `readv(2)` into the `n` bytes at byte `off`
        /// of the mapping (inside it: panics otherwise), then into `spare`,
        /// and returns what `readv(2)` returns: the kernel copies into the
        /// mapping, with no copy of ours. For a file that hands over one
        /// frame per read and cuts what does not fit (a tap), a result larger
        /// than `n` says the frame did not fit in the `n` bytes.
        pub fn read_from(
            &self,
            off: usize,
            n: usize,
            fd: BorrowedFd<'_>,
            spare: &mut [u8],
        ) -> io::Result<usize> {
            self.check(off, n);
            let iov = [
                libc::iovec {
                    // SAFETY: inside the mapping (checked).
                    iov_base: unsafe { self.ptr.as_ptr().add(off) }.cast(),
                    iov_len: n,
                },
                libc::iovec {
                    iov_base: spare.as_mut_ptr().cast(),
                    iov_len: spare.len(),
                },
            ];
            // SAFETY: the first buffer is the `n` bytes inside the mapping
            // (checked), which is writable (PROT_WRITE), and no Rust reference
            // to them is made; the second is `spare`, ours for the call.
            // `readv(2)` writes at most their lengths. `fd` is open for the
            // call (borrowed).
            let r = unsafe { libc::readv(fd.as_raw_fd(), iov.as_ptr(), 2) };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(r as usize)
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
        fn frames_through_a_file() {
            use std::os::fd::AsFd;
            use std::os::unix::net::UnixDatagram;
            let m = Mapping::anonymous(4096).unwrap();
            let (a, b) = UnixDatagram::pair().unwrap();
            m.write(100, b"hello");
            assert_eq!(m.write_to(100, 5, a.as_fd()).unwrap(), 5);
            let mut spare = [0u8; 4];
            assert_eq!(m.read_from(2000, 64, b.as_fd(), &mut spare).unwrap(), 5);
            let mut got = [0u8; 5];
            m.read(2000, &mut got);
            assert_eq!(&got, b"hello");
            // Longer than the mapping's part: the rest goes to `spare`.
            a.send(b"0123456").unwrap();
            assert_eq!(m.read_from(3000, 4, b.as_fd(), &mut spare).unwrap(), 7);
            assert_eq!(&spare[..3], b"456");
            b.set_nonblocking(true).unwrap();
            let e = m.read_from(0, 64, b.as_fd(), &mut spare).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        }

        #[test]
        #[should_panic(expected = "outside")]
        fn read_from_beyond_the_end() {
            let m = Mapping::anonymous(4096).unwrap();
            let (_a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
            let _ = m.read_from(4000, 100, std::os::fd::AsFd::as_fd(&b), &mut []);
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
}
