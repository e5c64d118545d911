// SPDX-License-Identifier: GPL-2.0
//! [`Endpoint`]: a `/dev/virtif` file attached to an interface, and its
//! single-frame and batch I/O.

use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::records::{align, record_len};
use crate::{
    invalid_input, record_space, BatchBuf, Frames, Records, DEVICE, IFNAME_MAX, IFNAMSIZ,
    RECORD_ALIGN, RECORD_HDR_LEN, VIRTIF_F_BATCH, VIRTIF_F_MULTI_QUEUE, VIRTIF_F_TX_DROP,
    VIRTIF_F_VNET_HDR, VIRTIF_OFFLOADS,
};
use virtif_sys::ioctl::{self as sys, VirtifAttach};

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
    /// The offload header before every frame, both ways
    /// ([`VIRTIF_F_VNET_HDR`]), accepting every offload
    /// ([`VIRTIF_OFFLOADS`]): frames read may be whole GSO packets with
    /// checksums left to fill in.
    pub vnet_hdr: bool,
    /// One of several files of the interface, one per transmit queue
    /// ([`VIRTIF_F_MULTI_QUEUE`]); [`Endpoint::attach_queues`] sets it.
    pub multi_queue: bool,
}

impl Options {
    /// The `VIRTIF_F_*` flags these options stand for.
    pub fn flags(&self) -> u32 {
        (if self.batch { VIRTIF_F_BATCH } else { 0 })
            | (if self.tx_drop { VIRTIF_F_TX_DROP } else { 0 })
            | (if self.vnet_hdr { VIRTIF_F_VNET_HDR } else { 0 })
            | (if self.multi_queue {
                VIRTIF_F_MULTI_QUEUE
            } else {
                0
            })
    }

    /// The `VIRTIF_OFFLOAD_*` flags these options stand for.
    pub fn offloads(&self) -> u32 {
        if self.vnet_hdr {
            VIRTIF_OFFLOADS
        } else {
            0
        }
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

pub(crate) fn check_ifname(ifname: &str) -> io::Result<[u8; IFNAMSIZ]> {
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
            offloads: opts.offloads(),
        };
        sys::virtif_attach(file.as_fd(), &arg)?;
        Ok(Endpoint {
            file,
            ifname: ifname.to_string(),
            opts,
        })
    }

    /// Attaches `queues` files to `ifname`, one per transmit queue: with
    /// more than one, each with [`VIRTIF_F_MULTI_QUEUE`] (the interface
    /// needs at least `queues` transmit queues: `ip link add ... numtxqueues
    /// N`); with one, an ordinary [`Endpoint::attach`].
    ///
    /// The interface uses as many queues as files are attached; the stack
    /// spreads flows over them by their hash.
    pub fn attach_queues(ifname: &str, opts: Options, queues: usize) -> io::Result<Vec<Endpoint>> {
        attach_each(ifname, opts, queues, |opts| Self::attach(ifname, opts))
    }

    /// Whether its frames start with the offload header.
    pub fn vnet_hdr(&self) -> bool {
        self.opts.vnet_hdr
    }

    /// The attached file.
    pub(crate) fn file(&self) -> &File {
        &self.file
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

    /// Batch mode: writes the records in `buf`; every record ends up
    /// counted in one field of the result.
    ///
    /// The kernel processes the records in order. A frame it refuses
    /// (`EINVAL`: too short, longer than MTU + 18, ...) is counted in
    /// [`BatchSent::rejected`], one that meets a shortage (`ENOMEM`,
    /// `ENOBUFS`) in [`BatchSent::failed`]; both are skipped and the records
    /// after them are still written. Any other error (`ENXIO`: the
    /// interface is gone) ends the call: it is returned if no record was
    /// handled yet, otherwise the records left are counted in
    /// [`BatchSent::unsent`] (and the error will recur on the next call).
    pub fn send_batch_buf(&self, buf: &BatchBuf) -> io::Result<BatchSent> {
        let mut res = BatchSent::default();
        let mut off = 0;
        match self.send_records(buf.records(), &mut off, &mut res) {
            Ok(()) => Ok(res),
            Err(e) if off == 0 => Err(e),
            Err(_) => {
                res.unsent = Records::new(&buf.records()[off..]).count();
                Ok(res)
            }
        }
    }

    /// Batch mode: writes the records of `data` from byte offset `*off` on,
    /// adding to the counts of `res`, and leaves `*off` at the end of what
    /// it handled (`data.len()` unless it fails). Refused frames and
    /// shortages are counted and skipped as in
    /// [`Endpoint::send_batch_buf`]; another error is returned with `*off`
    /// at the record it concerns, so that a caller may resume there.
    pub fn send_records(
        &self,
        data: &[u8],
        off: &mut usize,
        res: &mut BatchSent,
    ) -> io::Result<()> {
        if !self.opts.batch {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "send_batch on a single-frame endpoint",
            ));
        }
        write_records(data, off, res, |rec| (&self.file).write(rec))
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

/// Whether `e` is a transient shortage of the kernel (`ENOMEM`,
/// `ENOBUFS`): the frame it concerned is lost, the next may pass.
pub fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(nix::libc::ENOMEM) | Some(nix::libc::ENOBUFS)
    )
}

/// The loop of [`Endpoint::send_records`], with `write` for `write(2)` on
/// the file: writes the records of `data` from `*off` on.
///
/// The kernel delivers the records of one write in order and stops at the
/// first it cannot deliver: it returns the bytes consumed before it (a
/// short count), or fails if it is the first. So a failed write concerns
/// the record at `*off`: `EINVAL` (the kernel refused the frame) counts it
/// as rejected, `ENOMEM`/`ENOBUFS` as failed; either way it is skipped and
/// the writing goes on with the next record. Any other error is returned,
/// with `*off` at the record it concerns.
fn write_records<W>(
    data: &[u8],
    off: &mut usize,
    res: &mut BatchSent,
    mut write: W,
) -> io::Result<()>
where
    W: FnMut(&[u8]) -> io::Result<usize>,
{
    while *off < data.len() {
        match write(&data[*off..]) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
            Ok(n) => {
                // Count the records the kernel consumed (the last one may
                // be short of its padding).
                let end = *off + n;
                while *off < end {
                    let len = record_len(&data[*off..]);
                    if *off + RECORD_HDR_LEN + len > end {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "the kernel consumed part of a record",
                        ));
                    }
                    *off = (*off + record_space(len)).min(data.len());
                    res.sent += 1;
                    res.bytes += len;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.raw_os_error() == Some(nix::libc::EINVAL) || is_transient(&e) => {
                // The record at `off` was not delivered: count it, skip it.
                if is_transient(&e) {
                    res.failed += 1;
                } else {
                    res.rejected += 1;
                }
                *off = (*off + record_space(record_len(&data[*off..]))).min(data.len());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// What [`Endpoint::send_batch`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchSent {
    /// Frames the kernel accepted.
    pub sent: usize,
    /// Frames it refused with `EINVAL` (and that were skipped).
    pub rejected: usize,
    /// Frames lost to a transient shortage (`ENOMEM`, `ENOBUFS`): skipped.
    pub failed: usize,
    /// Frames not written because another error ended the call.
    pub unsent: usize,
    /// Bytes of the frames the kernel accepted.
    pub bytes: usize,
}

/// Attaches `queues` files to `ifname` with `attach`, adding
/// [`VIRTIF_F_MULTI_QUEUE`] when there is more than one, and naming the
/// queue and the likely cause in an `EBUSY` error (shared by
/// [`Endpoint::attach_queues`] and
/// [`RingEndpoint::attach_queues`](crate::RingEndpoint::attach_queues)).
pub(crate) fn attach_each<T>(
    ifname: &str,
    opts: Options,
    queues: usize,
    attach: impl Fn(Options) -> io::Result<T>,
) -> io::Result<Vec<T>> {
    let opts = Options {
        multi_queue: opts.multi_queue || queues > 1,
        ..opts
    };
    (0..queues)
        .map(|q| {
            attach(opts).map_err(|e| {
                if queues > 1 && e.raw_os_error() == Some(nix::libc::EBUSY) {
                    io::Error::new(
                        e.kind(),
                        format!(
                            "queue {q} of {queues}: {e} (does {ifname} have \
                             numtxqueues {queues}, and no other file?)"
                        ),
                    )
                } else {
                    e
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{encode_record, MAX_FRAME};

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
        let o = Options {
            vnet_hdr: true,
            multi_queue: true,
            ..Default::default()
        };
        assert_eq!((o.flags(), o.offloads()), (4 | 8, 0x1f));
        assert_eq!(Options::default().offloads(), 0);
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
                bytes: 60 + 61 + 62 + 63 + 64,
                ..BatchSent::default()
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

    /// A stand-in for the kernel's batch write(): delivers records into
    /// `got`; a frame longer than 1518 bytes is bad (EINVAL when it comes
    /// first, else a short count before it), and a frame starting with 0xee
    /// fails with ENOMEM while `nomem` lasts (likewise).
    struct FakeKernel {
        got: Vec<Vec<u8>>,
        nomem: usize,
    }

    impl FakeKernel {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut done = 0;
            for rec in Records::new(buf) {
                let f = rec.map_err(|_| io::Error::from_raw_os_error(nix::libc::EINVAL))?;
                let err = if f.len() > 1518 {
                    Some(nix::libc::EINVAL)
                } else if f[0] == 0xee && self.nomem > 0 {
                    self.nomem -= 1;
                    Some(nix::libc::ENOMEM)
                } else {
                    None
                };
                match err {
                    Some(_) if done > 0 => break,
                    Some(e) => return Err(io::Error::from_raw_os_error(e)),
                    None => {
                        self.got.push(f.to_vec());
                        done += record_space(f.len());
                    }
                }
            }
            Ok(done)
        }
    }

    /// Every record of a batch write is delivered or counted: a refused
    /// one and ones that meet ENOMEM are skipped and counted, and the
    /// records after them are still written.
    #[test]
    fn batch_write_errors_in_the_middle() {
        let mut b = BatchBuf::new(0);
        let frames: [&[u8]; 6] = [
            &[1; 60],
            &[2; 2000],   // refused
            &[0xee; 100], // ENOMEM
            &[4; 120],
            &[0xee; 80], // ENOMEM again
            &[6; 70],
        ];
        frames.iter().for_each(|f| b.push_grow(f));
        // The first 0xee frame fails as the first record of a write; the
        // second in the middle of one (a short count), then again as the
        // first record of the next write: it is tried twice.
        let mut k = FakeKernel {
            got: Vec::new(),
            nomem: 3,
        };
        let (mut off, mut res) = (0, BatchSent::default());
        write_records(b.records(), &mut off, &mut res, |rec| k.write(rec)).unwrap();
        assert_eq!(off, b.len());
        assert_eq!(
            k.got,
            [frames[0].to_vec(), frames[3].to_vec(), frames[5].to_vec()]
        );
        assert_eq!((res.sent, res.rejected, res.failed), (3, 1, 2));
        // ENOMEM on the first record of a write is counted the same way.
        let mut k = FakeKernel {
            got: Vec::new(),
            nomem: 1,
        };
        let (mut off, mut res) = (record_space(60) + record_space(2000), BatchSent::default());
        write_records(b.records(), &mut off, &mut res, |rec| k.write(rec)).unwrap();
        assert_eq!((res.sent, res.rejected, res.failed), (3, 0, 1));
        assert_eq!(res.bytes, 120 + 80 + 70);
        // Another error stops the writing at the record it concerns.
        let (mut off, mut res) = (0, BatchSent::default());
        let mut calls = 0;
        let e = write_records(b.records(), &mut off, &mut res, |_| {
            calls += 1;
            match calls {
                1 => Ok(record_space(60)),
                _ => Err(io::Error::from_raw_os_error(nix::libc::ENXIO)),
            }
        })
        .unwrap_err();
        assert_eq!(e.raw_os_error(), Some(nix::libc::ENXIO));
        assert_eq!((off, res.sent), (record_space(60), 1));
        assert_eq!(k.got.len(), 3);
    }

    #[test]
    fn attach_without_device() {
        let e = Endpoint::attach_device(Path::new("/nonexistent/virtif"), "v0", Options::default())
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
