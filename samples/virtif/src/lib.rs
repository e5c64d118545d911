// SPDX-License-Identifier: GPL-2.0
//! Safe access to virtif's user-space backend, `/dev/virtif`.
//!
//! A virtif interface whose linkstr is `user` has no wire of its own: a
//! process carries its frames. The process opens `/dev/virtif`, attaches the
//! file to the interface with the `VIRTIF_ATTACH` ioctl, then reads the
//! Ethernet frames the interface transmits and writes the frames it should
//! receive. The carrier is up while a file is attached; closing the file
//! (or the process dying) detaches it. See
//! `drivers/net/virtif/uapi/linux/virtif.h` and
//! `Documentation/networking/virtif.rst` for the kernel side.
//!
//! [`Endpoint`] is such an attached file. It works in one of two modes,
//! chosen at attach time:
//!
//! - **single-frame mode** (the default): [`Endpoint::recv`] returns exactly
//!   one frame, [`Endpoint::send`] delivers exactly one;
//! - **batch mode** ([`Options::batch`]): one `read()` or `write()` moves
//!   several frames, each as a record (an 8-byte header `{ u32 len; u32
//!   flags }` in native byte order, the frame, zero padding to a multiple of
//!   8). [`Endpoint::recv_batch`] and [`Endpoint::send_batch`] hide the
//!   records; [`BatchBuf`] holds them, and the free functions
//!   [`encode_record`] and [`Records`] encode and decode them.
//!
//! The end of the interface (it was deleted, or its backend replaced) reads
//! as end of file: `recv` returns `Ok(0)` and `recv_batch` an empty
//! [`Frames`]; writes then fail with `ENXIO`.
//!
//! # Example
//!
//! Echo every frame the interface `v0` transmits back to it, swapping the
//! Ethernet addresses (run as root, after
//! `virtif_nl.py add v0 --linkstr user`):
//!
//! ```no_run
//! use virtif::{Endpoint, Options};
//!
//! fn main() -> std::io::Result<()> {
//!     let ep = Endpoint::attach("v0", Options::default())?;
//!     let mut buf = vec![0u8; virtif::MAX_FRAME];
//!     loop {
//!         let n = ep.recv(&mut buf)?;
//!         if n == 0 {
//!             return Ok(()); // the interface is gone
//!         }
//!         let frame = &mut buf[..n];
//!         let (dst, src) = frame[..12].split_at_mut(6);
//!         dst.swap_with_slice(src);
//!         ep.send(frame)?;
//!     }
//! }
//! ```
//!
//! The same in batch mode, several frames per system call:
//!
//! ```no_run
//! use virtif::{BatchBuf, Endpoint, Options};
//!
//! fn main() -> std::io::Result<()> {
//!     let ep = Endpoint::attach("v0", Options { batch: true, ..Options::default() })?;
//!     let mut rx = BatchBuf::new(256 * 1024);
//!     loop {
//!         let frames = ep.recv_batch(&mut rx)?;
//!         if frames.is_empty() {
//!             return Ok(());
//!         }
//!         let echoed: Vec<Vec<u8>> = frames
//!             .map(|f| {
//!                 let mut f = f.to_vec();
//!                 let (dst, src) = f[..12].split_at_mut(6);
//!                 dst.swap_with_slice(src);
//!                 f
//!             })
//!             .collect();
//!         ep.send_batch(echoed.iter().map(|f| f.as_slice()))?;
//!     }
//! }
//! ```
//!
//! An `Endpoint` is a file descriptor ([`AsFd`]): put it in `poll(2)` or
//! `epoll(7)` (with [`Options::nonblocking`]). It is readable when a frame is
//! queued, always writable while attached, and reports `POLLHUP` (with
//! `POLLIN`; the read then returns end of file) once the interface is gone.

#![warn(missing_docs)]
#![deny(unsafe_code)]

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The character device of the user backend.
pub const DEVICE: &str = "/dev/virtif";

mod sys;
pub use sys::uapi;
use sys::VirtifAttach;

/// Attach flag: read()/write() move several frames per call as records.
pub const VIRTIF_F_BATCH: u32 = uapi::VIRTIF_F_BATCH;
/// Attach flag: drop (and count) frames when the transmit queue is full,
/// instead of stopping the queue until the process reads.
pub const VIRTIF_F_TX_DROP: u32 = uapi::VIRTIF_F_TX_DROP;

/// Size of a record header (`struct virtif_frame`).
pub const RECORD_HDR_LEN: usize = std::mem::size_of::<uapi::virtif_frame>();
/// Records start at multiples of this (`VIRTIF_FRAME_ALIGN`).
pub const RECORD_ALIGN: usize = uapi::VIRTIF_FRAME_ALIGN as usize;
/// The largest frame a write accepts, whatever the MTU (`VIRTIF_MAX_FRAME`).
pub const MAX_FRAME: usize = uapi::VIRTIF_MAX_FRAME as usize;
/// The smallest frame a write accepts: an Ethernet header.
pub const MIN_FRAME: usize = 14;
/// The size of `struct virtif_attach`'s `ifname` (`IFNAMSIZ`).
const IFNAMSIZ: usize = std::mem::offset_of!(VirtifAttach, flags);
/// The largest interface name, without its NUL (`IFNAMSIZ - 1`).
pub const IFNAME_MAX: usize = IFNAMSIZ - 1;


/// Tap devices, for programs that join a virtif to one.
pub mod tap {
    use std::io;
    use std::os::fd::AsFd;

    /// `IFF_TAP`: an Ethernet (layer 2) tun device.
    pub const IFF_TAP: i16 = 0x0002;
    /// `IFF_NO_PI`: no packet-information header before each frame.
    pub const IFF_NO_PI: i16 = 0x1000;

    /// Binds an open `/dev/net/tun` to the tap `name` (creating it if it
    /// does not exist and the caller may), as an Ethernet device without
    /// packet information (`TUNSETIFF` with `IFF_TAP | IFF_NO_PI`).
    pub fn set_tap(tun: impl AsFd, name: &str) -> io::Result<()> {
        super::sys::tun_set_iff(tun.as_fd(), name, IFF_TAP | IFF_NO_PI)
    }
}

/// For programs that shovel frames between an [`Endpoint`] and one other
/// file (a tap device, a socket) in a `poll(2)` loop.
pub mod shovel {
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd};

    use nix::errno::Errno;
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use nix::sys::signal::{SigSet, Signal};
    use nix::sys::signalfd::{SfdFlags, SignalFd};

    use super::Endpoint;

    /// Blocks SIGINT and SIGTERM in the calling thread and returns them as
    /// a non-blocking signalfd, so that [`wait`] reports them and the
    /// program can stop cleanly (and print its counters).
    pub fn termination_signals() -> io::Result<SignalFd> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGINT);
        mask.add(Signal::SIGTERM);
        mask.thread_set_mask()?;
        Ok(SignalFd::with_flags(
            &mask,
            SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC,
        )?)
    }

    /// What [`wait`] saw.
    #[derive(Clone, Copy, Debug)]
    pub struct Ready {
        /// The endpoint's events: `POLLIN` when a frame is queued, with
        /// `POLLHUP` once the interface is gone (a read returns end of file).
        pub virtif: PollFlags,
        /// The other file's events.
        pub other: PollFlags,
        /// The termination signal that arrived, if one did.
        pub signal: Option<u32>,
    }

    /// Waits until a frame is queued on `ep`, `other` is readable, or a
    /// signal of `signals` arrived (which it consumes). `EINTR` is retried.
    pub fn wait(ep: &Endpoint, other: BorrowedFd<'_>, signals: &SignalFd) -> io::Result<Ready> {
        loop {
            let mut fds = [
                PollFd::new(ep.as_fd(), PollFlags::POLLIN),
                PollFd::new(other, PollFlags::POLLIN),
                PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
            let r = |i: usize| fds[i].revents().unwrap_or(PollFlags::empty());
            let (virtif, other, sig) = (r(0), r(1), r(2));
            let signal = if sig.is_empty() {
                None
            } else {
                signals.read_signal()?.map(|si| si.ssi_signo)
            };
            return Ok(Ready {
                virtif,
                other,
                signal,
            });
        }
    }
}

/// How to attach an [`Endpoint`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Batch mode ([`VIRTIF_F_BATCH`]): use [`Endpoint::recv_batch`] and
    /// [`Endpoint::send_batch`].
    pub batch: bool,
    /// Drop transmitted frames when the queue towards this process is full
    /// ([`VIRTIF_F_TX_DROP`]) instead of applying back-pressure.
    pub tx_drop: bool,
    /// Open the device with `O_NONBLOCK`: reads return `WouldBlock` instead
    /// of waiting for a frame.
    pub nonblocking: bool,
}

impl Options {
    /// The `VIRTIF_F_*` flags these options stand for.
    pub fn flags(&self) -> u32 {
        (if self.batch { VIRTIF_F_BATCH } else { 0 })
            | (if self.tx_drop { VIRTIF_F_TX_DROP } else { 0 })
    }
}

/// A `/dev/virtif` file attached to an interface.
///
/// Dropping it detaches the interface (its carrier goes down).
#[derive(Debug)]
pub struct Endpoint {
    file: File,
    ifname: String,
    opts: Options,
}

fn invalid_input(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_string())
}

fn check_ifname(ifname: &str) -> io::Result<[u8; IFNAMSIZ]> {
    let b = ifname.as_bytes();
    if b.is_empty() || b.len() > IFNAME_MAX || b.contains(&0) {
        return Err(invalid_input(
            "interface name must be 1 to 15 bytes without NUL",
        ));
    }
    let mut name = [0u8; IFNAMSIZ];
    name[..b.len()].copy_from_slice(b);
    Ok(name)
}

impl Endpoint {
    /// Opens [`DEVICE`] and attaches it to the interface `ifname` (looked up
    /// in the caller's network namespace), whose linkstr must be `user`.
    ///
    /// The kernel's errors come back as [`io::Error`]s with their errno:
    /// `EPERM` without `CAP_NET_ADMIN`, `ENODEV` if there is no such
    /// interface, `EINVAL` if it is not a virtif with linkstr `user`,
    /// `EBUSY` if another file is already attached to it.
    pub fn attach(ifname: &str, opts: Options) -> io::Result<Endpoint> {
        Self::attach_device(Path::new(DEVICE), ifname, opts)
    }

    /// Like [`Endpoint::attach`], with another path to the device node.
    pub fn attach_device(device: &Path, ifname: &str, opts: Options) -> io::Result<Endpoint> {
        let name = check_ifname(ifname)?;
        let mut oo = OpenOptions::new();
        oo.read(true).write(true);
        if opts.nonblocking {
            oo.custom_flags(nix::libc::O_NONBLOCK);
        }
        let file = oo.open(device)?;
        let arg = VirtifAttach {
            ifname: name.map(|b| b as std::ffi::c_char),
            flags: opts.flags(),
            ..VirtifAttach::default()
        };
        sys::virtif_attach(file.as_fd(), &arg)?;
        Ok(Endpoint {
            file,
            ifname: ifname.to_string(),
            opts,
        })
    }

    /// The interface this endpoint is attached to.
    pub fn ifname(&self) -> &str {
        &self.ifname
    }

    /// The options it was attached with.
    pub fn options(&self) -> Options {
        self.opts
    }

    /// Whether it is in batch mode.
    pub fn is_batch(&self) -> bool {
        self.opts.batch
    }

    /// Single-frame mode: receives the next frame the interface transmitted
    /// into `buf` and returns its length, or `Ok(0)` once the interface is
    /// gone. If `buf` is too small, fails with `EMSGSIZE` and the frame
    /// stays queued. Blocks unless [`Options::nonblocking`].
    ///
    /// In batch mode this fails with [`io::ErrorKind::Unsupported`]; use
    /// [`Endpoint::recv_batch`].
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        if self.opts.batch {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "recv on a batch endpoint",
            ));
        }
        (&self.file).read(buf)
    }

    /// Delivers one Ethernet frame (14 bytes to MTU + 18) to the
    /// interface's stack. In batch mode the frame is sent as one record.
    /// Returns the frame's length.
    pub fn send(&self, frame: &[u8]) -> io::Result<usize> {
        if self.opts.batch {
            let mut hdr = [0u8; RECORD_HDR_LEN];
            let len = u32::try_from(frame.len()).map_err(|_| invalid_input("frame too long"))?;
            hdr[..4].copy_from_slice(&len.to_ne_bytes());
            let pad = [0u8; RECORD_ALIGN];
            let padlen = align(frame.len()) - frame.len();
            let iov = [
                IoSlice::new(&hdr),
                IoSlice::new(frame),
                IoSlice::new(&pad[..padlen]),
            ];
            let n = (&self.file).write_vectored(&iov)?;
            return if n == record_space(frame.len()) {
                Ok(frame.len())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "short write of a record",
                ))
            };
        }
        (&self.file).write(frame)
    }

    /// Single-frame mode: sends one frame gathered from several slices
    /// (`writev(2)`).
    pub fn send_vectored(&self, parts: &[IoSlice<'_>]) -> io::Result<usize> {
        if self.opts.batch {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "send_vectored on a batch endpoint",
            ));
        }
        (&self.file).write_vectored(parts)
    }

    /// Batch mode: reads as many whole records as fit in `buf` (at least
    /// one; `EMSGSIZE` if the first does not fit) and returns an iterator
    /// over their frames. An empty iterator means end of file: the interface
    /// is gone. Blocks only until one frame is queued (unless
    /// [`Options::nonblocking`]).
    pub fn recv_batch<'b>(&self, buf: &'b mut BatchBuf) -> io::Result<Frames<'b>> {
        if !self.opts.batch {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "recv_batch on a single-frame endpoint",
            ));
        }
        buf.clear();
        let n = (&self.file).read(&mut buf.data)?;
        buf.filled = n;
        Frames::new(&buf.data[..n]).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// Batch mode: delivers `frames` with as few writes as possible (usually
    /// one) and returns how many were delivered and rejected.
    ///
    /// This builds the records in a new buffer; to reuse one, fill a
    /// [`BatchBuf`] and call [`Endpoint::send_batch_buf`].
    pub fn send_batch<'f, I>(&self, frames: I) -> io::Result<BatchSent>
    where
        I: IntoIterator<Item = &'f [u8]>,
    {
        let mut buf = BatchBuf::new(0);
        for f in frames {
            buf.push_grow(f);
        }
        self.send_batch_buf(&buf)
    }

    /// Batch mode: writes the records in `buf`.
    ///
    /// The kernel processes the records in order. A frame it refuses
    /// (`EINVAL`: too short, longer than MTU + 18, ...) is counted in
    /// [`BatchSent::rejected`] and skipped; the records after it are still
    /// sent. Any other error ends the call: it is returned if no record was
    /// processed yet, otherwise the partial counts are (the error will
    /// recur on the next call).
    pub fn send_batch_buf(&self, buf: &BatchBuf) -> io::Result<BatchSent> {
        if !self.opts.batch {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "send_batch on a single-frame endpoint",
            ));
        }
        let data = buf.records();
        let mut res = BatchSent::default();
        let mut off = 0;
        while off < data.len() {
            match (&self.file).write(&data[off..]) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
                Ok(n) => {
                    // Count the records the kernel consumed.
                    let end = off + n;
                    while off < end {
                        let space = record_space(record_len(&data[off..]));
                        off += space;
                        res.sent += 1;
                    }
                    if off != end {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "the kernel consumed part of a record",
                        ));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(nix::libc::EINVAL) => {
                    // The record at `off` was refused: skip it.
                    off += record_space(record_len(&data[off..]));
                    res.rejected += 1;
                }
                Err(e) => {
                    if res.sent + res.rejected == 0 {
                        return Err(e);
                    }
                    return Ok(res);
                }
            }
        }
        Ok(res)
    }
    /// Receives up to `max` frames, in either mode, and hands each to
    /// `each`; `buf` is the storage (in single-frame mode it must hold the
    /// largest frame, in batch mode its largest record). Interrupted reads
    /// are retried. In batch mode one read moves as many frames as are
    /// queued and fit, so `max` is reached with few system calls.
    ///
    /// Returns why it stopped: no frame queued ([`Drained::Empty`], which
    /// needs [`Options::nonblocking`]), `max` frames handled
    /// ([`Drained::Limit`]), or the interface is gone ([`Drained::Eof`]).
    /// The first error of `each` or of a read ends the call.
    pub fn drain<E, F>(&self, buf: &mut BatchBuf, max: usize, mut each: F) -> Result<Drained, E>
    where
        E: From<io::Error>,
        F: FnMut(&[u8]) -> Result<(), E>,
    {
        let mut done = 0;
        while done < max {
            let r = if self.opts.batch {
                self.recv_batch(buf).map(|mut frames| {
                    let n = frames.len();
                    (n, frames.try_for_each(&mut each))
                })
            } else {
                buf.clear();
                self.recv(&mut buf.data).map(|n| match n {
                    0 => (0, Ok(())),
                    n => (1, each(&buf.data[..n])),
                })
            };
            match r {
                Ok((0, _)) => return Ok(Drained::Eof),
                Ok((n, res)) => {
                    res?;
                    done += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Drained::Empty),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Drained::Limit)
    }
}

/// Why [`Endpoint::drain`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// No frame is queued (the read would block).
    Empty,
    /// It handled `max` frames; more may be queued.
    Limit,
    /// End of file: the interface is gone or its backend was replaced.
    Eof,
}

impl AsFd for Endpoint {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}

impl AsRawFd for Endpoint {
    fn as_raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl From<Endpoint> for OwnedFd {
    fn from(ep: Endpoint) -> OwnedFd {
        ep.file.into()
    }
}

/// What [`Endpoint::send_batch`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchSent {
    /// Frames the kernel accepted.
    pub sent: usize,
    /// Frames it refused with `EINVAL` (and that were skipped).
    pub rejected: usize,
}

// --- records ---------------------------------------------------------------

const fn align(len: usize) -> usize {
    (len + RECORD_ALIGN - 1) & !(RECORD_ALIGN - 1)
}

/// The bytes a record for a frame of `len` bytes takes, header and padding
/// included (`VIRTIF_FRAME_SPACE(len)`).
pub const fn record_space(len: usize) -> usize {
    RECORD_HDR_LEN + align(len)
}

/// The `len` field of the record at the start of `rec` (which must hold a
/// whole header).
fn record_len(rec: &[u8]) -> usize {
    u32::from_ne_bytes(rec[..4].try_into().unwrap()) as usize
}

/// Appends the record for `frame` (header, frame, zero padding) to `out`.
///
/// # Panics
///
/// If `frame` is longer than `u32::MAX` bytes.
pub fn encode_record(out: &mut Vec<u8>, frame: &[u8]) {
    let len = u32::try_from(frame.len()).expect("frame longer than u32::MAX");
    out.extend_from_slice(&len.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.extend_from_slice(frame);
    out.resize(out.len() + align(frame.len()) - frame.len(), 0);
}

/// A malformed sequence of records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// Fewer than 8 bytes left for a header, at this offset.
    TruncatedHeader(usize),
    /// The frame (or its padding) runs past the end of the buffer.
    TruncatedFrame(usize),
    /// A header's flags are not 0.
    BadFlags(usize),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::TruncatedHeader(o) => write!(f, "truncated record header at offset {o}"),
            RecordError::TruncatedFrame(o) => write!(f, "truncated record at offset {o}"),
            RecordError::BadFlags(o) => write!(f, "record with non-zero flags at offset {o}"),
        }
    }
}

impl std::error::Error for RecordError {}

/// An iterator over the records of a buffer, yielding each frame or the
/// first error (after which it ends).
///
/// ```
/// let mut buf = Vec::new();
/// virtif::encode_record(&mut buf, b"first frame...");
/// virtif::encode_record(&mut buf, b"second");
/// let frames: Vec<&[u8]> = virtif::Records::new(&buf).collect::<Result<_, _>>().unwrap();
/// assert_eq!(frames, [&b"first frame..."[..], &b"second"[..]]);
/// ```
#[derive(Clone, Debug)]
pub struct Records<'a> {
    buf: &'a [u8],
    off: usize,
    failed: bool,
}

impl<'a> Records<'a> {
    /// Decodes the records in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Records {
            buf,
            off: 0,
            failed: false,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<&'a [u8], RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.off >= self.buf.len() {
            return None;
        }
        let off = self.off;
        let rest = &self.buf[off..];
        let err = if rest.len() < RECORD_HDR_LEN {
            Some(RecordError::TruncatedHeader(off))
        } else if u32::from_ne_bytes(rest[4..8].try_into().unwrap()) != 0 {
            Some(RecordError::BadFlags(off))
        } else if rest.len() < record_space(record_len(rest)) {
            // The kernel pads every record, the last one too.
            Some(RecordError::TruncatedFrame(off))
        } else {
            None
        };
        if let Some(e) = err {
            self.failed = true;
            return Some(Err(e));
        }
        let len = record_len(rest);
        self.off += record_space(len);
        Some(Ok(&rest[RECORD_HDR_LEN..RECORD_HDR_LEN + len]))
    }
}

/// The frames of a validated sequence of records, as returned by
/// [`Endpoint::recv_batch`].
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    inner: Records<'a>,
    left: usize,
}

impl<'a> Frames<'a> {
    /// Validates every record of `buf`.
    pub fn new(buf: &'a [u8]) -> Result<Self, RecordError> {
        let mut left = 0;
        for r in Records::new(buf) {
            r?;
            left += 1;
        }
        Ok(Frames {
            inner: Records::new(buf),
            left,
        })
    }

    /// True if there are no (more) frames; right after
    /// [`Endpoint::recv_batch`], this means end of file.
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let f = self.inner.next()?.ok()?;
        self.left -= 1;
        Some(f)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Frames<'_> {}

/// A buffer of records, for batch mode: read into by
/// [`Endpoint::recv_batch`], or filled with [`BatchBuf::push`] (or
/// [`BatchBuf::push_with`]) for [`Endpoint::send_batch_buf`].
#[derive(Clone, Debug)]
pub struct BatchBuf {
    data: Vec<u8>,
    filled: usize,
    frames: usize,
}

impl BatchBuf {
    /// A buffer of `capacity` bytes. For receiving, it must hold at least
    /// `record_space(MTU + 18)` bytes.
    pub fn new(capacity: usize) -> Self {
        BatchBuf {
            data: vec![0; capacity],
            filled: 0,
            frames: 0,
        }
    }

    /// Its size in bytes.
    pub fn capacity(&self) -> usize {
        self.data.len()
    }

    /// Bytes of records it holds.
    pub fn len(&self) -> usize {
        self.filled
    }

    /// True if it holds no record.
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// Frames pushed since the last [`BatchBuf::clear`].
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Bytes left for records.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.filled
    }

    /// Forgets its records.
    pub fn clear(&mut self) {
        self.filled = 0;
        self.frames = 0;
    }

    /// The encoded records.
    pub fn records(&self) -> &[u8] {
        &self.data[..self.filled]
    }

    /// Iterates over the frames it holds.
    pub fn iter(&self) -> Records<'_> {
        Records::new(self.records())
    }

    /// Appends a record for `frame`; returns false (and appends nothing) if
    /// it does not fit.
    pub fn push(&mut self, frame: &[u8]) -> bool {
        self.push_with(frame.len(), |slot| {
            slot.copy_from_slice(frame);
            Ok(frame.len())
        })
        .unwrap_or(false)
    }

    /// Appends a record for `frame`, growing the buffer if needed.
    pub fn push_grow(&mut self, frame: &[u8]) {
        let need = self.filled + record_space(frame.len());
        if need > self.data.len() {
            self.data.resize(need, 0);
        }
        let ok = self.push(frame);
        debug_assert!(ok);
    }

    /// Appends a record whose frame `fill` writes in place, without a copy
    /// (for example with a `read(2)` from a tap device): `fill` gets a slot
    /// of `max_len` bytes and returns the frame's length. Returns `Ok(false)`
    /// without calling `fill` if `max_len` bytes do not fit; `fill`'s error
    /// is returned as is, and nothing is appended.
    pub fn push_with<F>(&mut self, max_len: usize, fill: F) -> io::Result<bool>
    where
        F: FnOnce(&mut [u8]) -> io::Result<usize>,
    {
        if record_space(max_len) > self.remaining() {
            return Ok(false);
        }
        let start = self.filled;
        let slot = &mut self.data[start + RECORD_HDR_LEN..start + RECORD_HDR_LEN + max_len];
        let len = fill(slot)?;
        if len > max_len {
            return Err(invalid_input("fill returned more than max_len"));
        }
        let len32 = len as u32;
        self.data[start..start + 4].copy_from_slice(&len32.to_ne_bytes());
        self.data[start + 4..start + 8].copy_from_slice(&0u32.to_ne_bytes());
        let end = start + record_space(len);
        self.data[start + RECORD_HDR_LEN + len..end].fill(0);
        self.filled = end;
        self.frames += 1;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated uAPI against what virtif.rst documents: a change of
    /// the header that breaks the documented ABI shows up here.
    #[test]
    fn uapi_matches_documentation() {
        assert_eq!(std::mem::size_of::<VirtifAttach>(), 24);
        assert_eq!(uapi::VIRTIF_ATTACH, 0x401876b0);
        let req = nix::request_code_write!(b'v', 0xb0, std::mem::size_of::<VirtifAttach>());
        assert_eq!(req as u64, uapi::VIRTIF_ATTACH as u64);
        assert_eq!((VIRTIF_F_BATCH, VIRTIF_F_TX_DROP), (1, 2));
        assert_eq!((RECORD_HDR_LEN, RECORD_ALIGN, MAX_FRAME), (8, 8, 65536));
        assert_eq!(IFNAME_MAX, 15);
    }

    #[test]
    fn space() {
        assert_eq!(record_space(0), 8);
        assert_eq!(record_space(1), 16);
        assert_eq!(record_space(8), 16);
        assert_eq!(record_space(14), 24);
        assert_eq!(record_space(60), 72);
        assert_eq!(record_space(1514), 8 + 1520);
        assert_eq!(record_space(65536), 8 + 65536);
    }

    #[test]
    fn encode_layout() {
        let mut out = Vec::new();
        encode_record(&mut out, &[0xaa; 14]);
        assert_eq!(out.len(), 24);
        assert_eq!(&out[..4], &14u32.to_ne_bytes());
        assert_eq!(&out[4..8], &[0; 4]);
        assert_eq!(&out[8..22], &[0xaa; 14]);
        assert_eq!(&out[22..24], &[0, 0]);
        encode_record(&mut out, &[0xbb; 16]);
        assert_eq!(out.len(), 24 + 24);
        assert_eq!(&out[24..28], &16u32.to_ne_bytes());
    }

    #[test]
    fn roundtrip() {
        let frames: Vec<Vec<u8>> = (0..40usize).map(|i| vec![i as u8; 14 + i * 37]).collect();
        let mut out = Vec::new();
        for f in &frames {
            encode_record(&mut out, f);
        }
        assert_eq!(out.len() % 8, 0);
        let got: Vec<&[u8]> = Records::new(&out).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), frames.len());
        for (a, b) in got.iter().zip(&frames) {
            assert_eq!(*a, &b[..]);
        }
        let fr = Frames::new(&out).unwrap();
        assert_eq!(fr.len(), 40);
        assert!(fr.zip(&frames).all(|(a, b)| a == &b[..]));
    }

    #[test]
    fn decode_errors() {
        let mut out = Vec::new();
        encode_record(&mut out, &[1; 20]);
        // Truncated header.
        let mut b = out.clone();
        b.extend_from_slice(&[0; 4]);
        let r: Vec<_> = Records::new(&b).collect();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1], Err(RecordError::TruncatedHeader(32)));
        assert!(Frames::new(&b).is_err());
        // Frame past the end (padding missing).
        let b = &out[..out.len() - 1];
        assert_eq!(
            Records::new(b).next(),
            Some(Err(RecordError::TruncatedFrame(0)))
        );
        // Non-zero flags.
        let mut b = out.clone();
        b[4] = 1;
        assert_eq!(Records::new(&b).next(), Some(Err(RecordError::BadFlags(0))));
        // Empty buffer: no frames (end of file).
        assert!(Frames::new(&[]).unwrap().is_empty());
        // A zero-length record is well formed (the kernel refuses it on write).
        let mut z = Vec::new();
        encode_record(&mut z, &[]);
        assert_eq!(z.len(), 8);
        assert_eq!(Records::new(&z).next(), Some(Ok(&[][..])));
    }

    #[test]
    fn batchbuf_push() {
        let mut b = BatchBuf::new(64);
        assert!(b.push(&[7; 14])); // 24
        assert!(b.push(&[8; 30])); // 40 -> 64
        assert!(!b.push(&[9; 1])); // full
        assert_eq!(b.len(), 64);
        assert_eq!(b.frames(), 2);
        let mut want = Vec::new();
        encode_record(&mut want, &[7; 14]);
        encode_record(&mut want, &[8; 30]);
        assert_eq!(b.records(), &want[..]);
        b.clear();
        assert!(b.is_empty());
        // push_with: in place, padding zeroed even over old data.
        let mut b = BatchBuf::new(64);
        b.data.fill(0xff);
        assert!(b
            .push_with(40, |slot| {
                slot[..15].copy_from_slice(&[3; 15]);
                Ok(15)
            })
            .unwrap());
        assert_eq!(b.len(), 24);
        let mut want = Vec::new();
        encode_record(&mut want, &[3; 15]);
        assert_eq!(b.records(), &want[..]);
        // Does not fit: fill is not called.
        assert!(!b.push_with(40, |_| panic!("called")).unwrap());
        // fill fails: nothing appended.
        assert!(b
            .push_with(8, |_| Err(io::ErrorKind::WouldBlock.into()))
            .is_err());
        assert_eq!(b.len(), 24);
        assert_eq!(b.frames(), 1);
        // push_grow grows.
        let mut b = BatchBuf::new(0);
        b.push_grow(&[1; 100]);
        b.push_grow(&[2; 3]);
        assert_eq!(b.iter().count(), 2);
        assert_eq!(b.len(), record_space(100) + record_space(3));
    }

    #[test]
    fn ifname_checks() {
        assert!(check_ifname("").is_err());
        assert!(check_ifname("0123456789abcdef").is_err());
        assert!(check_ifname("a\0b").is_err());
        let n = check_ifname("0123456789abcde").unwrap();
        assert_eq!(&n[..15], b"0123456789abcde");
        assert_eq!(n[15], 0);
    }

    #[test]
    fn flags() {
        assert_eq!(Options::default().flags(), 0);
        assert_eq!(
            Options {
                batch: true,
                ..Default::default()
            }
            .flags(),
            1
        );
        assert_eq!(
            Options {
                tx_drop: true,
                nonblocking: true,
                ..Default::default()
            }
            .flags(),
            2
        );
    }

    /// A non-blocking endpoint over one end of a socket pair that keeps
    /// message boundaries, as /dev/virtif does.
    fn fake(batch: bool) -> (Endpoint, std::os::unix::net::UnixDatagram) {
        use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
        // SOCK_SEQPACKET: like /dev/virtif, and the peer's close reads as
        // end of file. The peer is driven with send(2)/recv(2) through the
        // std datagram type.
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        let opts = Options {
            batch,
            ..Options::default()
        };
        (
            Endpoint {
                file: File::from(a),
                ifname: "fake".into(),
                opts,
            },
            std::os::unix::net::UnixDatagram::from(b),
        )
    }

    #[test]
    fn single_frame_io() {
        let (ep, peer) = fake(false);
        assert_eq!(ep.send(&[5; 60]).unwrap(), 60);
        let mut buf = [0u8; 100];
        assert_eq!(peer.recv(&mut buf).unwrap(), 60);
        peer.send(&[6; 42]).unwrap();
        assert_eq!(ep.recv(&mut buf).unwrap(), 42);
        assert_eq!(&buf[..42], &[6; 42]);
        let parts = [IoSlice::new(&[1; 14]), IoSlice::new(&[2; 10])];
        assert_eq!(ep.send_vectored(&parts).unwrap(), 24);
        assert_eq!(peer.recv(&mut buf).unwrap(), 24);
        let mut bb = BatchBuf::new(100);
        assert_eq!(
            ep.recv_batch(&mut bb).unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
        assert_eq!(
            ep.send_batch([&[0u8; 14][..]]).unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
    }

    #[test]
    fn batch_io() {
        let (ep, peer) = fake(true);
        let mut buf = vec![0u8; 4096];
        // send: one record per call.
        assert_eq!(ep.send(&[9; 15]).unwrap(), 15);
        let n = peer.recv(&mut buf).unwrap();
        let mut want = Vec::new();
        encode_record(&mut want, &[9; 15]);
        assert_eq!(&buf[..n], &want[..]);
        // send_batch: all records in one write.
        let frames: Vec<Vec<u8>> = (0..5).map(|i| vec![i as u8; 60 + i]).collect();
        let res = ep.send_batch(frames.iter().map(|f| f.as_slice())).unwrap();
        assert_eq!(
            res,
            BatchSent {
                sent: 5,
                rejected: 0
            }
        );
        let n = peer.recv(&mut buf).unwrap();
        let got: Vec<&[u8]> = Records::new(&buf[..n]).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 5);
        assert!(got.iter().zip(&frames).all(|(a, b)| *a == &b[..]));
        // recv_batch decodes what "the kernel" wrote.
        peer.send(&buf[..n]).unwrap();
        let mut bb = BatchBuf::new(4096);
        let fr = ep.recv_batch(&mut bb).unwrap();
        assert_eq!(fr.len(), 5);
        assert!(fr.zip(&frames).all(|(a, b)| a == &b[..]));
        // A malformed read is an error, not garbage frames.
        peer.send(&[1, 2, 3]).unwrap();
        assert_eq!(
            ep.recv_batch(&mut bb).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            ep.recv(&mut buf).unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
    }

    #[test]
    fn drain_both_modes() {
        for batch in [false, true] {
            let (ep, peer) = fake(batch);
            let frames: Vec<Vec<u8>> = (0..5).map(|i| vec![i as u8; 60 + i]).collect();
            let put = |f: &[u8]| {
                if batch {
                    let mut rec = Vec::new();
                    encode_record(&mut rec, f);
                    peer.send(&rec).unwrap();
                } else {
                    peer.send(f).unwrap();
                }
            };
            frames.iter().for_each(|f| put(f));
            let mut bb = BatchBuf::new(MAX_FRAME + 64);
            let mut got = Vec::new();
            // The limit stops it; the rest stays queued.
            let r = ep.drain(&mut bb, 3, |f| {
                got.push(f.to_vec());
                Ok::<(), io::Error>(())
            });
            assert_eq!(r.unwrap(), Drained::Limit);
            assert_eq!(got, frames[..3]);
            let r = ep.drain(&mut bb, 64, |f| {
                got.push(f.to_vec());
                Ok::<(), io::Error>(())
            });
            assert_eq!(r.unwrap(), Drained::Empty);
            assert_eq!(got, frames);
            // The callback's error ends it.
            put(&frames[0]);
            let r = ep.drain(&mut bb, 64, |_| Err(io::Error::other("stop")));
            assert_eq!(r.unwrap_err().to_string(), "stop");
            // End of file.
            drop(peer);
            assert_eq!(
                ep.drain(&mut bb, 64, |_| Ok::<(), io::Error>(())).unwrap(),
                Drained::Eof
            );
        }
    }

    #[test]
    fn attach_without_device() {
        let e = Endpoint::attach_device(Path::new("/nonexistent/virtif"), "v0", Options::default())
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
