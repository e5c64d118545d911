// SPDX-License-Identifier: GPL-2.0
//! The forwarding loop both programs share: frames between two [`Port`]s
//! (a virtif and a tap, a virtif and a UDP tunnel, two taps), in one
//! thread, with `poll(2)`.
//!
//! Each direction has an [`Outbox`]: the frames read from one port and not
//! yet handed to the other. A port whose [`Port::send`] reports
//! [`Sent::Blocked`] (its socket is full: `EAGAIN`) keeps its outbox; the
//! loop then waits for the port to be writable (`POLLOUT`) and does not
//! read the other port meanwhile. Nothing is dropped for lack of room: the
//! back-pressure reaches the sender (a virtif's queue stops, a socket
//! fills).
//!
//! Between a port with shared-memory slots (a [`RingEndpoint`]) and a
//! [`FrameFile`] (a tap: a frame per `read(2)` and per `write(2)`), frames
//! skip the outbox: they are written to the file straight from their TX
//! slots and read from it straight into RX slots. When the receiving side
//! is full they wait where they are (in their slots, or in the file) and the
//! outbox is marked [`Outbox::held`] for the same wait for `POLLOUT`.
//!
//! A frame that cannot be delivered for another reason (refused, a
//! transient shortage such as `ENOMEM`) is dropped and counted by reason
//! in [`Counters`]; the loop goes on. A port that is gone (the interface
//! was deleted: end of file, `ENXIO`, `EBADFD`) ends the loop cleanly with
//! [`Exit::Gone`], a termination signal with [`Exit::Signal`]; other
//! errors are returned.
//!
//! Several pairs of ports (the queues of a multiqueue virtif and a
//! multiqueue tap) are served by [`run_parallel`]: one loop per pair, each
//! in its thread, stopped together.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::errno::Errno;
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::control::ControlServer;
use crate::counters::{Counters, Dir, Drops};
use crate::endpoint::is_transient;
use crate::records::{record_len, record_space};
use crate::ring::Pushed;
use crate::tap::Tap;
use crate::{is_gso, BatchBuf, BatchSent, Endpoint, RingEndpoint, MAX_FRAME};

/// The room a port reads a frame into: a virtif transmits at most
/// `MAX_FRAME` bytes (and the 12-byte offload header); a tap may hand over
/// a little more, which the virtif then refuses (counted).
pub const FRAME_MAX: usize = MAX_FRAME + 64;

/// Frames read from one port, waiting for the other: records in a
/// [`BatchBuf`] and how far sending got.
#[derive(Debug)]
pub struct Outbox {
    /// The records.
    pub buf: BatchBuf,
    /// Byte offset of the first record not yet handled.
    pub pos: usize,
    /// The sending port's own progress within the record at `pos` (e.g.
    /// how many copies of a flooded frame went out); 0 at a new record.
    pub sub: usize,
    /// The records are all handled, but frames wait in the port they come
    /// from: a move without the outbox ([`Port::send_to_file`],
    /// [`Port::recv_from_file`]) found the receiving port full.
    pub held: bool,
}

impl Outbox {
    /// An empty outbox of `capacity` bytes (it grows when needed).
    pub fn new(capacity: usize) -> Self {
        Outbox {
            buf: BatchBuf::new(capacity),
            pos: 0,
            sub: 0,
            held: false,
        }
    }

    /// True when every record was handled.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// True while frames of this direction wait for the receiving port:
    /// in the outbox, or [`Outbox::held`] in the sending port.
    pub fn waiting(&self) -> bool {
        self.held || !self.is_empty()
    }

    /// Forgets the records (after they were all handled).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.sub = 0;
        self.held = false;
    }

    /// The frame at `pos`, if any.
    pub fn frame(&self) -> Option<&[u8]> {
        if self.is_empty() {
            return None;
        }
        let rec = &self.buf.records()[self.pos..];
        let len = record_len(rec);
        Some(&rec[crate::RECORD_HDR_LEN..crate::RECORD_HDR_LEN + len])
    }

    /// Moves past the record at `pos`.
    pub fn advance(&mut self) {
        if let Some(f) = self.frame() {
            self.pos += record_space(f.len());
            self.sub = 0;
        }
    }

    /// The frames from `pos` on, each with the offset of its record.
    pub fn pending(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        let recs = self.buf.records();
        let mut off = self.pos;
        std::iter::from_fn(move || {
            if off >= recs.len() {
                return None;
            }
            let len = record_len(&recs[off..]);
            let at = off;
            off += record_space(len);
            Some((
                at,
                &recs[at + crate::RECORD_HDR_LEN..at + crate::RECORD_HDR_LEN + len],
            ))
        })
    }
}

/// What [`Port::recv`] got.
#[derive(Debug, PartialEq, Eq)]
pub enum Recv {
    /// This many frames were appended (0: nothing to read after all).
    Frames(usize),
    /// The port is gone (why, for the user).
    Gone(String),
}

/// How far [`Port::send`] got.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    /// Every frame was delivered or dropped (and counted).
    Done,
    /// The port cannot take more now (`EAGAIN`); the outbox says where to
    /// go on once it is writable.
    Blocked,
    /// The port is gone (why, for the user).
    Gone(String),
}

/// What a failed `write(2)` of one frame to a [`FrameFile`] means.
#[derive(Debug, PartialEq, Eq)]
pub enum AfterWrite {
    /// Interrupted: write it again.
    Retry,
    /// The file is full (`EAGAIN`): keep the frame, wait for `POLLOUT`.
    Blocked,
    /// The frame is lost (counted in the drops).
    Dropped,
    /// The port is gone (why, for the user).
    Gone(String),
}

/// What a failed `read(2)` of one frame from a [`FrameFile`] means.
#[derive(Debug, PartialEq, Eq)]
pub enum AfterRead {
    /// Interrupted: read again.
    Retry,
    /// Nothing to read now (`EAGAIN`), or nothing more that can be read in
    /// this round (said on the next one).
    Empty,
    /// The port is gone (why, for the user).
    Gone(String),
}

/// A port whose every `read(2)` hands over one frame and every `write(2)`
/// takes one (a tap's file): a port with shared-memory slots moves frames
/// between its slots and this file directly ([`Port::send_to_file`],
/// [`Port::recv_from_file`]), with no copy through an outbox.
pub trait FrameFile {
    /// The file (non-blocking).
    fn frame_fd(&self) -> BorrowedFd<'_>;
    /// What a failed write means, as [`Port::send`] takes it (a drop is
    /// counted in `drops`).
    fn write_failed(&self, e: io::Error, drops: &mut Drops) -> AfterWrite;
    /// What a failed read means, as [`Port::recv`] takes it; `first`: no
    /// frame was read in this round yet. Errors it does not expect are
    /// returned.
    fn read_failed(&self, e: io::Error, first: bool) -> io::Result<AfterRead>;
}

/// One side of a forwarder.
pub trait Port {
    /// Its kind, naming the directions in the counters: `virtif`, `tap`,
    /// `udp`, `peer`.
    fn kind(&self) -> &str;
    /// The file whose readability means frames to read.
    fn rx_fd(&self) -> BorrowedFd<'_>;
    /// The file to wait on (`POLLOUT`) after [`Sent::Blocked`].
    fn tx_fd(&self) -> BorrowedFd<'_> {
        self.rx_fd()
    }
    /// Reads up to `max` frames (a port that reads batches may read a few
    /// more) and appends them to `buf`; frames it drops are counted in
    /// `drops`. Does not block.
    fn recv(&mut self, buf: &mut BatchBuf, max: usize, drops: &mut Drops) -> io::Result<Recv>;
    /// Sends the frames of `out` from `out.pos` on, counting those it
    /// delivers in `done` and those it drops in `drops`, and moves
    /// `out.pos` past them. Does not block.
    fn send(&mut self, out: &mut Outbox, done: &mut Dir, drops: &mut Drops) -> io::Result<Sent>;
    /// The drop reasons it counts, to report them even while 0.
    fn drop_reasons(&self) -> &'static [&'static str] {
        &[]
    }
    /// The port as a [`FrameFile`], if it is one (a tap): the other port
    /// may then move frames to and from it without the outbox.
    fn frame_file(&self) -> Option<&dyn FrameFile> {
        None
    }
    /// Moves up to `max` frames from this port
    /// straight to `dst` with a `write(2)` each, if this port can (it has
    /// slots); `None` otherwise (the default), and the loop goes through the
    /// outbox. [`Sent::Blocked`]: `dst` is full, and the frames not written
    /// stay in this port. Counts as [`Port::recv`] and [`Port::send`] do
    /// (with `vnet_hdr`, the GSO packets in `done`).
    fn send_to_file(
        &mut self,
        _dst: &dyn FrameFile,
        _max: usize,
        _vnet_hdr: bool,
        _done: &mut Dir,
        _drops: &mut Drops,
    ) -> Option<io::Result<Sent>> {
        None
    }
    /// Moves up to `max` frames from `src` straight into this port with a
    /// `read(2)` each, if this port can (it has slots); `None` otherwise
    /// (the default). [`Sent::Blocked`]: this port is full, and the frames
    /// stay in `src`. Counts as [`Port::send_to_file`] does.
    fn recv_from_file(
        &mut self,
        _src: &dyn FrameFile,
        _max: usize,
        _vnet_hdr: bool,
        _done: &mut Dir,
        _drops: &mut Drops,
    ) -> Option<io::Result<Sent>> {
        None
    }
    /// Its answer to a control command (see [`crate::control`]), if it has
    /// one; `stats` answers are added to the loop's own counters.
    fn control(&mut self, _cmd: &str) -> Option<String> {
        None
    }
}

/// How to run the loop.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Frames moved per wake-up and direction at most.
    pub burst: usize,
    /// Batch mode: read up to `burst` frames, then send them all. Otherwise
    /// each frame is sent as soon as it is read.
    pub batch: bool,
    /// The frames start with the offload header (both ports were opened
    /// with it): count the GSO packets each way ([`Dir::gso`]).
    pub vnet_hdr: bool,
}

/// Why [`run`] returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    /// A termination signal arrived (its number).
    Signal(u32),
    /// A port is gone (why).
    Gone(String),
    /// [`run_parallel`]: another pair's loop ended, and this one with it.
    Stopped,
}

/// What ends the loop from outside: a file that becomes readable, and what
/// that means.
pub trait Stop {
    /// The file to wait on (`POLLIN`).
    fn stop_fd(&self) -> BorrowedFd<'_>;
    /// After the file polled readable: why to stop, if the loop should.
    fn stopped(&self) -> io::Result<Option<Exit>>;
}

/// A termination signal ([`termination_signals`]) stops the loop:
/// [`Exit::Signal`].
impl Stop for SignalFd {
    fn stop_fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }

    fn stopped(&self) -> io::Result<Option<Exit>> {
        Ok(self.read_signal()?.map(|si| Exit::Signal(si.ssi_signo)))
    }
}

/// The stop of the loops of [`run_parallel`]: one file every thread polls,
/// readable (end of file) for all of them at once once the sending end is
/// shut down; the signal that caused it, if one did.
struct StopAll {
    rx: UnixStream,
    signo: AtomicU32,
}

impl Stop for StopAll {
    fn stop_fd(&self) -> BorrowedFd<'_> {
        self.rx.as_fd()
    }

    fn stopped(&self) -> io::Result<Option<Exit>> {
        Ok(Some(match self.signo.load(Ordering::Relaxed) {
            0 => Exit::Stopped,
            signo => Exit::Signal(signo),
        }))
    }
}

/// Blocks SIGINT and SIGTERM in the calling thread and returns them as a
/// non-blocking signalfd for [`run`], so that the program can stop cleanly
/// (and print its counters).
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

/// Room for a burst of ordinary frames plus two of the largest.
fn outbox_capacity(burst: usize) -> usize {
    burst * record_space(1518) + 2 * record_space(FRAME_MAX)
}

/// Moves frames between `a` and `b` until `signals` says to stop (a
/// [`SignalFd`] of [`termination_signals`]: a signal arrived) or a port is
/// gone, serving `control` meanwhile; counts in `c` (whose drop reasons it
/// registers).
pub fn run<A: Port, B: Port, S: Stop + ?Sized>(
    a: &mut A,
    b: &mut B,
    opts: &Options,
    signals: &S,
    mut control: Option<&mut ControlServer>,
    c: &mut Counters,
) -> io::Result<Exit> {
    c.vnet_hdr = opts.vnet_hdr;
    c.drops.register(a.drop_reasons());
    c.drops.register(b.drop_reasons());
    let burst = opts.burst.max(1);
    let mut ab = Outbox::new(outbox_capacity(burst));
    let mut ba = Outbox::new(outbox_capacity(burst));
    loop {
        // Slots: 0 a readable, 1 b writable, 2 b readable, 3 a writable,
        // 4 signals, then the control socket's.
        let (rev, ctl_rev) = {
            let want = |on: bool, fd, ev| (on, PollFd::new(fd, ev));
            let slots = [
                want(!ab.waiting(), a.rx_fd(), PollFlags::POLLIN),
                want(ab.waiting(), b.tx_fd(), PollFlags::POLLOUT),
                want(!ba.waiting(), b.rx_fd(), PollFlags::POLLIN),
                want(ba.waiting(), a.tx_fd(), PollFlags::POLLOUT),
                want(true, signals.stop_fd(), PollFlags::POLLIN),
            ];
            let mut idx = [usize::MAX; 5];
            let mut fds = Vec::with_capacity(8);
            for (i, (on, pfd)) in slots.into_iter().enumerate() {
                if on {
                    idx[i] = fds.len();
                    fds.push(pfd);
                }
            }
            let nfixed = fds.len();
            if let Some(ctl) = control.as_deref() {
                fds.extend(
                    ctl.poll_fds()
                        .into_iter()
                        .map(|(fd, ev)| PollFd::new(fd, ev)),
                );
            }
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
            let ev = |p: &PollFd| p.revents().unwrap_or(PollFlags::empty());
            let rev = idx.map(|i| fds.get(i).map_or(PollFlags::empty(), ev));
            let ctl_rev: Vec<PollFlags> = fds[nfixed..].iter().map(ev).collect();
            (rev, ctl_rev)
        };
        c.wakeups += 1;
        if !rev[4].is_empty() {
            if let Some(exit) = signals.stopped()? {
                return Ok(exit);
            }
        }
        let Counters {
            ab: dab,
            ba: dba,
            drops,
            ..
        } = &mut *c;
        // a -> b
        let mut lane = Lane {
            out: &mut ab,
            done: dab,
            drops,
            opts,
        };
        if !rev[1].is_empty() {
            if let Some(gone) = resume(a, b, &mut lane)? {
                return Ok(Exit::Gone(gone));
            }
        }
        if !rev[0].is_empty() && !lane.out.waiting() {
            if let Some(gone) = forward(a, b, &mut lane)? {
                return Ok(Exit::Gone(gone));
            }
        }
        // b -> a
        let mut lane = Lane {
            out: &mut ba,
            done: dba,
            drops: lane.drops,
            opts,
        };
        if !rev[3].is_empty() {
            if let Some(gone) = resume(b, a, &mut lane)? {
                return Ok(Exit::Gone(gone));
            }
        }
        if !rev[2].is_empty() && !lane.out.waiting() {
            if let Some(gone) = forward(b, a, &mut lane)? {
                return Ok(Exit::Gone(gone));
            }
        }
        if let Some(ctl) = control.as_deref_mut() {
            if ctl_rev.iter().any(|e| !e.is_empty()) {
                let snapshot = c.lines();
                ctl.handle(&ctl_rev, |cmd| answer(cmd, &snapshot, a, b));
            }
        }
    }
}

/// The answer to a control command: `stats` is the loop's counters and
/// the ports' own; other commands go to the ports.
fn answer<A: Port, B: Port>(cmd: &str, counters: &str, a: &mut A, b: &mut B) -> String {
    match cmd {
        "stats" => {
            let mut s = counters.to_string();
            s += &a.control(cmd).unwrap_or_default();
            s += &b.control(cmd).unwrap_or_default();
            s
        }
        _ => a
            .control(cmd)
            .or_else(|| b.control(cmd))
            .unwrap_or_else(|| format!("error: unknown command {cmd:?}\n")),
    }
}

/// Sends what `out` holds to `dst`; returns why `dst` is gone, if it is.
fn flush<P: Port>(
    dst: &mut P,
    out: &mut Outbox,
    done: &mut Dir,
    drops: &mut Drops,
) -> io::Result<Option<String>> {
    match dst.send(out, done, drops)? {
        Sent::Done => {
            out.clear();
            Ok(None)
        }
        Sent::Blocked => Ok(None),
        Sent::Gone(why) => Ok(Some(why)),
    }
}

/// One direction of a loop, as the functions that move its frames see it:
/// its outbox and counters, and the loop's options and drop counters.
struct Lane<'a> {
    out: &'a mut Outbox,
    done: &'a mut Dir,
    drops: &'a mut Drops,
    opts: &'a Options,
}

impl Lane<'_> {
    /// Frames moved per wake-up at most (at least one).
    fn burst(&self) -> usize {
        self.opts.burst.max(1)
    }
}

/// Goes on where `dst` blocked, now that it is writable: sends what the
/// outbox holds, or moves the frames held in `src` ([`Outbox::held`]).
fn resume<S: Port, D: Port>(
    src: &mut S,
    dst: &mut D,
    lane: &mut Lane<'_>,
) -> io::Result<Option<String>> {
    if lane.out.held {
        lane.out.held = false;
        return forward(src, dst, lane);
    }
    flush(dst, lane.out, lane.done, lane.drops)
}

/// Moves up to `burst` frames between `src` and `dst` without the outbox,
/// if one of them has slots and the other is a [`FrameFile`]; `None`
/// otherwise. Marks the outbox [`Outbox::held`] when `dst` blocked.
fn forward_direct<S: Port, D: Port>(
    src: &mut S,
    dst: &mut D,
    lane: &mut Lane<'_>,
) -> Option<io::Result<Option<String>>> {
    let (vnet, burst) = (lane.opts.vnet_hdr, lane.burst());
    let sent = if let Some(f) = dst.frame_file() {
        src.send_to_file(f, burst, vnet, lane.done, lane.drops)
    } else if let Some(f) = src.frame_file() {
        dst.recv_from_file(f, burst, vnet, lane.done, lane.drops)
    } else {
        None
    };
    let sent = match sent {
        Some(Ok(s)) => s,
        Some(Err(e)) => return Some(Err(e)),
        None => return None,
    };
    Some(Ok(match sent {
        Sent::Done => None,
        Sent::Blocked => {
            lane.out.held = true;
            None
        }
        Sent::Gone(why) => Some(why),
    }))
}

/// Reads frames from `src` and sends them to `dst`, without the outbox when
/// [`forward_direct`] can (a ring and a tap); otherwise in batch mode up to
/// `burst` at once, otherwise one by one. Stops early when `dst` blocks
/// (the frames stay in the outbox). With the offload header, counts the GSO
/// packets read.
fn forward<S: Port, D: Port>(
    src: &mut S,
    dst: &mut D,
    lane: &mut Lane<'_>,
) -> io::Result<Option<String>> {
    lane.out.clear();
    if let Some(r) = forward_direct(src, dst, lane) {
        return r;
    }
    let burst = lane.burst();
    let Lane {
        out,
        done,
        drops,
        opts,
    } = lane;
    let (rounds, per_round) = if opts.batch { (1, burst) } else { (burst, 1) };
    for _ in 0..rounds {
        out.clear();
        match src.recv(&mut out.buf, per_round, drops)? {
            Recv::Gone(why) => return Ok(Some(why)),
            Recv::Frames(0) if out.is_empty() => return Ok(None),
            Recv::Frames(_) => {}
        }
        if opts.vnet_hdr {
            done.gso += out.pending().filter(|(_, f)| is_gso(f)).count() as u64;
        }
        if let Some(why) = flush(dst, out, done, drops)? {
            return Ok(Some(why));
        }
        if !out.is_empty() {
            return Ok(None); // blocked
        }
    }
    Ok(None)
}

/// Runs one loop per pair of `pairs` (the queues of multiqueue ports), each
/// in its own thread, with counters named after `names` (the ports'
/// kinds), until a signal of `signals` arrives (in the calling thread) or
/// one of the loops ends (a port gone, an error): then the others are
/// stopped too.
///
/// Returns the exit of the whole (the first error, else the signal, else
/// why the first loop ended) and each pair's counters, in order.
pub fn run_parallel<A, B, S>(
    pairs: &mut [(A, B)],
    opts: &Options,
    signals: &S,
    names: (&str, &str),
) -> (io::Result<Exit>, Vec<Counters>)
where
    A: Port + Send,
    B: Port + Send,
    S: Stop + ?Sized,
{
    let n = pairs.len();
    let res = (|| -> io::Result<(UnixStream, StopAll, UnixStream, UnixStream)> {
        let (stop_tx, stop_rx) = UnixStream::pair()?;
        let (done_tx, done_rx) = UnixStream::pair()?;
        done_rx.set_nonblocking(true)?;
        let stop = StopAll {
            rx: stop_rx,
            signo: AtomicU32::new(0),
        };
        Ok((stop_tx, stop, done_tx, done_rx))
    })();
    let (stop_tx, stop, done_tx, done_rx) = match res {
        Ok(r) => r,
        Err(e) => return (Err(e), Vec::new()),
    };
    let mut signal = None;
    let mut main_err = None;
    let results: Vec<(io::Result<Exit>, Counters)> = std::thread::scope(|scope| {
        let handles: Vec<_> = pairs
            .iter_mut()
            .map(|(a, b)| {
                let (stop, done_tx) = (&stop, &done_tx);
                scope.spawn(move || {
                    let mut c = Counters::new(names.0, names.1);
                    let r = run(a, b, opts, stop, None, &mut c);
                    // Wake the calling thread (a full socket is awake too).
                    let _ = (&*done_tx).write(&[1]);
                    (r, c)
                })
            })
            .collect();
        // Wait for a signal or the end of a loop.
        loop {
            let mut fds = [
                PollFd::new(signals.stop_fd(), PollFlags::POLLIN),
                PollFd::new(done_rx.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    main_err = Some(io::Error::from(e));
                    break;
                }
            }
            let ready = |p: &PollFd| !p.revents().unwrap_or(PollFlags::empty()).is_empty();
            if ready(&fds[0]) {
                match signals.stopped() {
                    Ok(Some(exit)) => {
                        if let Exit::Signal(signo) = exit {
                            stop.signo.store(signo, Ordering::Relaxed);
                        }
                        signal = Some(exit);
                        break;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        main_err = Some(e);
                        break;
                    }
                }
            }
            if ready(&fds[1]) {
                break;
            }
        }
        // Every loop sees the stop file readable from now on.
        let _ = stop_tx.shutdown(std::net::Shutdown::Write);
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut counters = Vec::with_capacity(n);
    let mut first_err = main_err;
    let mut first_gone = None;
    for (r, c) in results {
        counters.push(c);
        match r {
            Err(e) => {
                first_err.get_or_insert(e);
            }
            Ok(Exit::Stopped) | Ok(Exit::Signal(_)) => {}
            Ok(exit) => {
                first_gone.get_or_insert(exit);
            }
        }
    }
    let exit = match (first_err, signal, first_gone) {
        (Some(e), _, _) => Err(e),
        (None, Some(sig), _) => Ok(sig),
        (None, None, Some(gone)) => Ok(gone),
        (None, None, None) => Ok(Exit::Stopped),
    };
    (exit, counters)
}

// --- the virtif and tap ports ------------------------------------------------

/// Drop reason: the virtif refused a frame (`EINVAL`: too short, longer
/// than MTU + 18).
pub const VIRTIF_REFUSED: &str = "virtif-refused";
/// Drop reason: writing to `/dev/virtif` met a shortage (`ENOMEM`,
/// `ENOBUFS`).
pub const VIRTIF_NOMEM: &str = "virtif-nomem";
/// Drop reason: a tap refused a frame (down: `EIO`, too long, a shortage).
pub const TAP_WRITE_ERROR: &str = "tap-write-error";

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

impl Port for Endpoint {
    fn kind(&self) -> &str {
        "virtif"
    }

    fn rx_fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }

    fn recv(&mut self, buf: &mut BatchBuf, max: usize, _drops: &mut Drops) -> io::Result<Recv> {
        let gone = || Recv::Gone(format!("{} is gone (end of file)", self.ifname()));
        let mut n = 0;
        while n < max {
            buf.reserve(record_space(FRAME_MAX));
            let r = if self.is_batch() {
                buf.fill_records(|spare| self.file().read(spare))
            } else {
                buf.push_with(FRAME_MAX, |slot| match self.file().read(slot)? {
                    0 => Err(io::ErrorKind::UnexpectedEof.into()),
                    len => Ok(len),
                })
                .map(usize::from)
            };
            match r {
                Ok(0) if n == 0 => return Ok(gone()),
                Ok(0) => break, // end of file: said on the next call
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && n == 0 => return Ok(gone()),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Recv::Frames(n))
    }

    fn send(&mut self, out: &mut Outbox, done: &mut Dir, drops: &mut Drops) -> io::Result<Sent> {
        let gone = || Sent::Gone(format!("{} is gone", self.ifname()));
        let is_gone = |e: &io::Error| matches!(errno(e), libc::ENXIO | libc::EBADFD);
        if self.is_batch() {
            let mut res = BatchSent::default();
            let r = self.send_records(out.buf.records(), &mut out.pos, &mut res);
            done.frames += res.sent as u64;
            done.bytes += res.bytes as u64;
            drops.add(VIRTIF_REFUSED, res.rejected as u64);
            drops.add(VIRTIF_NOMEM, res.failed as u64);
            return match r {
                Ok(()) => Ok(Sent::Done),
                Err(e) if is_gone(&e) => Ok(gone()),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Sent::Blocked),
                Err(e) => Err(e),
            };
        }
        while let Some(frame) = out.frame() {
            match self.file().write(frame) {
                Ok(_) => done.add(frame.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Sent::Blocked),
                Err(e) if errno(&e) == libc::EINVAL => drops.one(VIRTIF_REFUSED),
                Err(e) if is_transient(&e) => drops.one(VIRTIF_NOMEM),
                Err(e) if is_gone(&e) => return Ok(gone()),
                Err(e) => return Err(e),
            }
            out.advance();
        }
        Ok(Sent::Done)
    }

    fn drop_reasons(&self) -> &'static [&'static str] {
        &[VIRTIF_REFUSED, VIRTIF_NOMEM]
    }
}

/// Drop reason: a TX slot of the shared-memory rings whose header made no
/// sense (the kernel writes none).
pub const RING_BAD_SLOT: &str = "virtif-ring-bad-slot";
/// Drop reason: a frame larger than an RX slot of the rings takes.
pub const RING_TOO_LONG: &str = "virtif-ring-too-long";

/// The virtif side through shared-memory rings: frames are taken from the
/// TX ring and written into the RX ring, no system call per frame; the
/// loop sleeps in `poll()` with `tx_wait` set (see [`crate::ring`]).
impl Port for RingEndpoint {
    fn kind(&self) -> &str {
        "virtif"
    }

    fn rx_fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }

    fn recv(&mut self, buf: &mut BatchBuf, max: usize, drops: &mut Drops) -> io::Result<Recv> {
        let gone = |ep: &RingEndpoint| Recv::Gone(format!("{} is gone", ep.ifname()));
        // Awake: no wake-up per frame while we take them.
        self.end_wait();
        let mut n = 0;
        loop {
            let r = self.recv_with(max - n, |f| {
                buf.reserve(record_space(f.len()));
                buf.push_with(f.len(), |dst| {
                    f.copy_to(dst);
                    Ok(dst.len())
                })
                .map(drop)
            });
            let t = match r {
                Ok(t) => t,
                Err(e) if RingEndpoint::is_gone(&e) => return Ok(gone(self)),
                Err(e) => return Err(e),
            };
            n += t.frames;
            drops.add(RING_BAD_SLOT, t.bad as u64);
            // Always ready to sleep before returning: the loop's poll()
            // is woken by the next frame only with tx_wait set (and
            // returns at once while frames are there).
            if self.prepare_wait() || n >= max {
                break;
            }
        }
        // Woken without a frame: the interface is gone (POLLHUP).
        if n == 0 && self.hung_up()? {
            self.end_wait();
            return Ok(gone(self));
        }
        Ok(Recv::Frames(n))
    }

    fn send(&mut self, out: &mut Outbox, done: &mut Dir, drops: &mut Drops) -> io::Result<Sent> {
        while let Some(frame) = out.frame() {
            if frame.len() > self.geometry().frame_room() {
                drops.one(RING_TOO_LONG);
                out.advance();
                continue;
            }
            match self.push(frame) {
                Ok(true) => {
                    done.add(frame.len());
                    out.advance();
                }
                Ok(false) => {
                    if let Some(sent) = self.make_room()? {
                        return Ok(sent);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        self.publish_all()
    }

    fn drop_reasons(&self) -> &'static [&'static str] {
        &[RING_BAD_SLOT, RING_TOO_LONG]
    }

    /// Each frame is written from its TX slot, which is given back once the
    /// file took it; a frame the file cannot take now stays in its slot.
    fn send_to_file(
        &mut self,
        dst: &dyn FrameFile,
        max: usize,
        vnet_hdr: bool,
        done: &mut Dir,
        drops: &mut Drops,
    ) -> Option<io::Result<Sent>> {
        Some(self.send_to_file_inner(dst, max, vnet_hdr, done, drops))
    }

    /// Each frame is read into the next RX slot; they are published at the
    /// end of the round.
    fn recv_from_file(
        &mut self,
        src: &dyn FrameFile,
        max: usize,
        vnet_hdr: bool,
        done: &mut Dir,
        drops: &mut Drops,
    ) -> Option<io::Result<Sent>> {
        Some(self.recv_from_file_inner(src, max, vnet_hdr, done, drops))
    }
}

impl RingEndpoint {
    fn gone_sent(&self) -> Sent {
        Sent::Gone(format!("{} is gone", self.ifname()))
    }

    /// The RX ring is full: publishes, and kicks (unless publishing did).
    /// The kernel takes frames during the kick (waiting for its work item
    /// if that is taking them), so there is room afterwards: `None`.
    /// Otherwise the kernel is not taking them (the interface is gone, or
    /// it is down to no channel): [`Sent::Gone`] or [`Sent::Blocked`].
    fn make_room(&mut self) -> io::Result<Option<Sent>> {
        let res = match self.publish() {
            Ok(true) => Ok(()),
            Ok(false) => self.kick(),
            Err(e) => Err(e),
        };
        match res {
            Ok(()) => {}
            Err(e) if RingEndpoint::is_gone(&e) => return Ok(Some(self.gone_sent())),
            Err(e) => return Err(e),
        }
        if self.room() == 0 {
            if self.hung_up()? {
                return Ok(Some(self.gone_sent()));
            }
            return Ok(Some(Sent::Blocked));
        }
        Ok(None)
    }

    /// Publishes what was pushed: [`Sent::Done`], or [`Sent::Gone`].
    fn publish_all(&mut self) -> io::Result<Sent> {
        match self.publish() {
            Ok(_) => Ok(Sent::Done),
            Err(e) if RingEndpoint::is_gone(&e) => Ok(self.gone_sent()),
            Err(e) => Err(e),
        }
    }

    fn send_to_file_inner(
        &mut self,
        dst: &dyn FrameFile,
        max: usize,
        vnet_hdr: bool,
        done: &mut Dir,
        drops: &mut Drops,
    ) -> io::Result<Sent> {
        // Awake: no wake-up per frame while we take them.
        self.end_wait();
        let fd = dst.frame_fd();
        let mut n = 0;
        let mut stop = None;
        loop {
            let r = self.recv_with(max - n, |f| {
                let gso = u64::from(vnet_hdr && f.is_gso());
                loop {
                    let e = match f.write_to(fd) {
                        Ok(_) => {
                            done.add(f.len());
                            done.gso += gso;
                            return Ok(());
                        }
                        Err(e) => e,
                    };
                    match dst.write_failed(e, drops) {
                        AfterWrite::Retry => continue,
                        AfterWrite::Dropped => {
                            done.gso += gso;
                            return Ok(());
                        }
                        // Stop before this frame: its slot stays ours.
                        AfterWrite::Blocked => stop = Some(Sent::Blocked),
                        AfterWrite::Gone(why) => stop = Some(Sent::Gone(why)),
                    }
                    return Err(io::ErrorKind::WouldBlock.into());
                }
            });
            let t = match r {
                Ok(t) => t,
                Err(_) if stop.is_some() => break,
                Err(e) if RingEndpoint::is_gone(&e) => return Ok(self.gone_sent()),
                Err(e) => return Err(e),
            };
            n += t.frames;
            drops.add(RING_BAD_SLOT, t.bad as u64);
            // As in `recv`: ready to sleep before returning.
            if self.prepare_wait() || n >= max {
                break;
            }
        }
        if let Some(sent) = stop {
            // Not sleeping on the TX ring while the file is full.
            self.end_wait();
            return Ok(sent);
        }
        // Woken without a frame: the interface is gone (POLLHUP).
        if n == 0 && self.hung_up()? {
            self.end_wait();
            return Ok(self.gone_sent());
        }
        Ok(Sent::Done)
    }

    fn recv_from_file_inner(
        &mut self,
        src: &dyn FrameFile,
        max: usize,
        vnet_hdr: bool,
        done: &mut Dir,
        drops: &mut Drops,
    ) -> io::Result<Sent> {
        let fd = src.frame_fd();
        let mut n = 0;
        while n < max {
            match self.push_read(fd) {
                Ok(Pushed::Frame { len, gso }) => {
                    done.add(len);
                    done.gso += u64::from(vnet_hdr && gso);
                }
                Ok(Pushed::TooLong) => drops.one(RING_TOO_LONG),
                Ok(Pushed::Full) => {
                    if let Some(sent) = self.make_room()? {
                        return Ok(sent);
                    }
                    continue;
                }
                Err(e) => match src.read_failed(e, n == 0)? {
                    AfterRead::Retry => continue,
                    AfterRead::Empty => break,
                    AfterRead::Gone(why) => {
                        self.publish_all()?;
                        return Ok(Sent::Gone(why));
                    }
                },
            }
            n += 1;
        }
        self.publish_all()
    }
}

impl Port for Tap {
    fn kind(&self) -> &str {
        Tap::kind(self)
    }

    fn rx_fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }

    fn recv(&mut self, buf: &mut BatchBuf, max: usize, _drops: &mut Drops) -> io::Result<Recv> {
        let mut n = 0;
        while n < max {
            buf.reserve(record_space(FRAME_MAX));
            match buf.push_with(FRAME_MAX, |slot| self.file().read(slot)) {
                Ok(_) => n += 1,
                Err(e) => match self.read_failed(e, n == 0)? {
                    AfterRead::Retry => {}
                    AfterRead::Empty => break,
                    AfterRead::Gone(why) => return Ok(Recv::Gone(why)),
                },
            }
        }
        Ok(Recv::Frames(n))
    }

    fn send(&mut self, out: &mut Outbox, done: &mut Dir, drops: &mut Drops) -> io::Result<Sent> {
        while let Some(frame) = out.frame() {
            match self.file().write(frame) {
                Ok(_) => done.add(frame.len()),
                Err(e) => match self.write_failed(e, drops) {
                    AfterWrite::Retry => continue,
                    AfterWrite::Dropped => {}
                    AfterWrite::Blocked => return Ok(Sent::Blocked),
                    AfterWrite::Gone(why) => return Ok(Sent::Gone(why)),
                },
            }
            out.advance();
        }
        Ok(Sent::Done)
    }

    fn drop_reasons(&self) -> &'static [&'static str] {
        &[TAP_WRITE_ERROR]
    }

    fn frame_file(&self) -> Option<&dyn FrameFile> {
        Some(self)
    }
}

impl FrameFile for Tap {
    fn frame_fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }

    fn write_failed(&self, e: io::Error, drops: &mut Drops) -> AfterWrite {
        match e {
            e if e.kind() == io::ErrorKind::Interrupted => AfterWrite::Retry,
            e if e.kind() == io::ErrorKind::WouldBlock => AfterWrite::Blocked,
            e if errno(&e) == libc::EBADFD => AfterWrite::Gone(format!("{} is gone", self.name())),
            // Down (EIO), a frame it does not take, a shortage: the wire
            // lost it.
            _ => {
                drops.one(TAP_WRITE_ERROR);
                AfterWrite::Dropped
            }
        }
    }

    fn read_failed(&self, e: io::Error, first: bool) -> io::Result<AfterRead> {
        Ok(match e {
            e if e.kind() == io::ErrorKind::WouldBlock => AfterRead::Empty,
            e if e.kind() == io::ErrorKind::Interrupted => AfterRead::Retry,
            // The tap was deleted: the file is no longer attached (said on
            // the next round if frames were read in this one).
            e if errno(&e) == libc::EBADFD && first => {
                AfterRead::Gone(format!("{} is gone", self.name()))
            }
            e if errno(&e) == libc::EBADFD => AfterRead::Empty,
            e => return Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// The [`Lane`] of direction `$c.$dir` of a test's loop.
    macro_rules! lane {
        ($out:ident, $c:ident . $dir:tt, $opts:ident) => {
            &mut Lane {
                out: &mut $out,
                done: &mut $c.$dir,
                drops: &mut $c.drops,
                opts: &$opts,
            }
        };
    }

    /// A scripted port: frames to read, and a budget of sends before it
    /// blocks.
    struct Script {
        kind: &'static str,
        fd: std::os::fd::OwnedFd,
        rx: VecDeque<Vec<u8>>,
        tx: Vec<Vec<u8>>,
        room: usize,
        /// Once `rx` is empty, the port is gone.
        gone_when_empty: bool,
    }

    impl Port for Script {
        fn kind(&self) -> &str {
            self.kind
        }
        fn rx_fd(&self) -> BorrowedFd<'_> {
            self.fd.as_fd()
        }
        fn recv(&mut self, buf: &mut BatchBuf, max: usize, _: &mut Drops) -> io::Result<Recv> {
            let mut n = 0;
            while n < max {
                match self.rx.pop_front() {
                    Some(f) => {
                        buf.push_grow(&f);
                        n += 1;
                    }
                    None if n == 0 && self.gone_when_empty => {
                        return Ok(Recv::Gone(format!("{} is gone", self.kind)))
                    }
                    None => break,
                }
            }
            Ok(Recv::Frames(n))
        }
        fn send(&mut self, out: &mut Outbox, done: &mut Dir, _: &mut Drops) -> io::Result<Sent> {
            while let Some(f) = out.frame() {
                if self.room == 0 {
                    return Ok(Sent::Blocked);
                }
                self.room -= 1;
                self.tx.push(f.to_vec());
                done.add(f.len());
                out.advance();
            }
            Ok(Sent::Done)
        }
    }

    fn script(kind: &'static str, frames: usize) -> Script {
        Script {
            kind,
            fd: std::fs::File::open("/dev/null").unwrap().into(),
            rx: (0..frames).map(|i| vec![i as u8; 60]).collect(),
            tx: Vec::new(),
            room: usize::MAX,
            gone_when_empty: false,
        }
    }

    /// With the offload header, the GSO packets read are counted in their
    /// direction (whether or not they were sent yet).
    #[test]
    fn gso_counted() {
        let mut a = script("a", 0);
        let mut hdr = vec![0u8; crate::VNET_HDR_LEN + 60];
        a.rx.push_back(hdr.clone());
        hdr[1] = 1; // VIRTIO_NET_HDR_GSO_TCPV4
        hdr.resize(20000, 7);
        a.rx.push_back(hdr.clone());
        a.rx.push_back(hdr);
        let mut b = script("b", 0);
        for vnet_hdr in [false, true] {
            let opts = Options {
                burst: 8,
                batch: true,
                vnet_hdr,
            };
            let mut c = Counters::new("a", "b");
            let mut out = Outbox::new(0);
            let mut a = Script {
                rx: a.rx.clone(),
                ..script("a", 0)
            };
            forward(&mut a, &mut b, lane!(out, c.ab, opts)).unwrap();
            assert_eq!((c.ab.frames, c.ab.gso), (3, if vnet_hdr { 2 } else { 0 }));
        }
    }

    /// Stops the loops at once, as a signal.
    struct Signalled(std::os::unix::net::UnixStream);

    impl Stop for Signalled {
        fn stop_fd(&self) -> BorrowedFd<'_> {
            self.0.as_fd()
        }
        fn stopped(&self) -> io::Result<Option<Exit>> {
            Ok(Some(Exit::Signal(15)))
        }
    }

    fn never() -> (std::os::unix::net::UnixStream, Signalled) {
        let (tx, rx) = std::os::unix::net::UnixStream::pair().unwrap();
        (tx, Signalled(rx))
    }

    /// One loop per pair: one ends (its port is gone), the others stop
    /// with it; each pair's counters come back in order.
    #[test]
    fn parallel_loops_end_together() {
        let mut pairs: Vec<(Script, Script)> = (0..3)
            .map(|q| {
                let mut a = script("a", 5 * q);
                // Queue 1 runs dry and is gone; 0 and 2 would run forever.
                a.gone_when_empty = q == 1;
                (a, script("b", q))
            })
            .collect();
        let opts = Options {
            burst: 4,
            batch: true,
            vnet_hdr: false,
        };
        let (_tx, sig) = never();
        let (exit, counters) = run_parallel(&mut pairs, &opts, &sig, ("a", "b"));
        assert_eq!(exit.unwrap(), Exit::Gone("a is gone".into()));
        assert_eq!(counters.len(), 3);
        assert_eq!(counters[1].ab.frames, 5);
        assert_eq!(counters[1].ba.frames, 1);
        // Queue 2 may have been stopped before it read, but not later
        // than it read everything (the script has no more).
        assert!(counters[2].ab.frames <= 10);
        assert_eq!(pairs[1].1.tx.len(), 5);
        let mut all = Counters::new("a", "b");
        counters.iter().for_each(|c| all.merge(c));
        assert_eq!(
            all.ab.frames as usize,
            pairs.iter().map(|p| p.1.tx.len()).sum()
        );
    }

    /// A signal stops every loop: the exit is the signal.
    #[test]
    fn parallel_loops_stop_on_signal() {
        let mut pairs: Vec<(Script, Script)> =
            (0..2).map(|_| (script("a", 3), script("b", 0))).collect();
        let opts = Options {
            burst: 4,
            batch: false,
            vnet_hdr: false,
        };
        let (tx, sig) = never();
        (&tx).write_all(&[1]).unwrap();
        let (exit, counters) = run_parallel(&mut pairs, &opts, &sig, ("a", "b"));
        assert_eq!(exit.unwrap(), Exit::Signal(15));
        assert_eq!(counters.len(), 2);
    }

    /// A blocked destination keeps the frames and stops the reading of the
    /// source; once it has room, they go on in order and none is lost.
    #[test]
    fn blocked_destination_keeps_frames() {
        for batch in [false, true] {
            let opts = Options {
                burst: 4,
                batch,
                vnet_hdr: false,
            };
            let mut a = script("a", 10);
            let mut b = script("b", 0);
            b.room = 3;
            let mut c = Counters::new("a", "b");
            let mut out = Outbox::new(0);
            let r = forward(&mut a, &mut b, lane!(out, c.ab, opts)).unwrap();
            assert_eq!(r, None);
            assert_eq!(b.tx.len(), 3);
            // One frame waits (single-frame mode), or one of the burst of 4.
            assert!(!out.is_empty());
            assert_eq!(out.frame().unwrap(), &[3u8; 60][..]);
            assert_eq!(a.rx.len(), 6);
            // Writable again.
            b.room = usize::MAX;
            flush(&mut b, &mut out, &mut c.ab, &mut c.drops).unwrap();
            assert!(out.is_empty());
            while !a.rx.is_empty() {
                forward(&mut a, &mut b, lane!(out, c.ab, opts)).unwrap();
            }
            assert_eq!(b.tx, (0..10).map(|i| vec![i as u8; 60]).collect::<Vec<_>>());
            assert_eq!((c.ab.frames, c.ab.bytes), (10, 600));
        }
    }

    /// The virtif side on (fake) shared-memory rings: frames from the TX
    /// ring to the other port, from it into the RX ring until it is full
    /// (blocked), then on once the kernel took them.
    #[test]
    fn ring_port() {
        use crate::ring::tests::{fake, FakeKernel};
        let geo = crate::Geometry::new(4, 4, 2048).unwrap();
        let mut ring = fake(geo, false);
        for i in 0..3u8 {
            assert!(FakeKernel(&ring).xmit(&[i; 60]));
        }
        let opts = Options {
            burst: 64,
            batch: true,
            vnet_hdr: false,
        };
        let mut b = script("b", 6);
        let mut c = Counters::new("virtif", "b");
        let mut out = Outbox::new(0);
        forward(&mut ring, &mut b, lane!(out, c.ab, opts)).unwrap();
        assert_eq!(b.tx, (0..3u8).map(|i| vec![i; 60]).collect::<Vec<_>>());
        // Empty now: tx_wait set for the poll() to come.
        assert_eq!(FakeKernel(&ring).word(68), 1);
        // The same when the burst ends exactly as the ring empties.
        assert!(FakeKernel(&ring).xmit(&[7; 60]) && FakeKernel(&ring).xmit(&[8; 60]));
        let two = Options { burst: 2, ..opts };
        forward(&mut ring, &mut b, lane!(out, c.ab, two)).unwrap();
        assert_eq!(b.tx.len(), 5);
        assert_eq!(FakeKernel(&ring).word(68), 1);
        b.tx.clear();
        // Six frames towards a 4-slot RX ring: four go, two wait.
        let mut out = Outbox::new(0);
        forward(&mut b, &mut ring, lane!(out, c.ba, opts)).unwrap();
        assert!(!out.is_empty());
        assert_eq!(c.ba.frames, 4);
        assert_eq!(FakeKernel(&ring).take_rx().len(), 4);
        flush(&mut ring, &mut out, &mut c.ba, &mut c.drops).unwrap();
        assert!(out.is_empty());
        assert_eq!(
            FakeKernel(&ring).take_rx(),
            vec![vec![4u8; 60], vec![5u8; 60]]
        );
        // A frame larger than a slot is dropped and counted.
        out.clear();
        out.buf.push_grow(&[9; 3000]);
        flush(&mut ring, &mut out, &mut c.ba, &mut c.drops).unwrap();
        assert_eq!(c.drops.get(RING_TOO_LONG), 1);
        assert_eq!(c.ba.frames, 6);
    }

    /// A frame file over a `SOCK_SEQPACKET` socket (one frame per read and
    /// write, like a tap); `peer` is the other end.
    struct SeqFile {
        fd: std::os::fd::OwnedFd,
        peer: std::os::fd::OwnedFd,
    }

    impl SeqFile {
        fn new() -> SeqFile {
            use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
            let (fd, peer) = socketpair(
                AddressFamily::Unix,
                SockType::SeqPacket,
                None,
                SockFlag::SOCK_NONBLOCK,
            )
            .unwrap();
            SeqFile { fd, peer }
        }
        /// Frames written to `fd`, as the peer reads them.
        fn drain(&self) -> Vec<Vec<u8>> {
            let mut out = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = nix::unistd::read(&self.peer, &mut buf) {
                out.push(buf[..n].to_vec());
            }
            out
        }
        /// Writes `frame` from the peer, for `fd` to read; false when full.
        fn inject(&self, frame: &[u8]) -> bool {
            nix::unistd::write(&self.peer, frame).is_ok()
        }
    }

    impl Port for SeqFile {
        fn kind(&self) -> &str {
            "seq"
        }
        fn rx_fd(&self) -> BorrowedFd<'_> {
            self.fd.as_fd()
        }
        fn recv(&mut self, _: &mut BatchBuf, _: usize, _: &mut Drops) -> io::Result<Recv> {
            unreachable!("frames are moved without the outbox")
        }
        fn send(&mut self, _: &mut Outbox, _: &mut Dir, _: &mut Drops) -> io::Result<Sent> {
            unreachable!("frames are moved without the outbox")
        }
        fn frame_file(&self) -> Option<&dyn FrameFile> {
            Some(self)
        }
    }

    impl FrameFile for SeqFile {
        fn frame_fd(&self) -> BorrowedFd<'_> {
            self.fd.as_fd()
        }
        fn write_failed(&self, e: io::Error, drops: &mut Drops) -> AfterWrite {
            match e.kind() {
                io::ErrorKind::WouldBlock => AfterWrite::Blocked,
                _ => {
                    drops.one("seq-error");
                    AfterWrite::Dropped
                }
            }
        }
        fn read_failed(&self, e: io::Error, _first: bool) -> io::Result<AfterRead> {
            match e.kind() {
                io::ErrorKind::WouldBlock => Ok(AfterRead::Empty),
                _ => Err(e),
            }
        }
    }

    /// Rings and a frame file: frames go from TX slots straight to the
    /// file, and from the file straight into RX slots, without the outbox;
    /// a full file leaves the frames in their slots (held) and a full RX
    /// ring leaves them in the file, until there is room again; the GSO
    /// packets are counted with the offload header.
    #[test]
    fn ring_and_frame_file() {
        use crate::ring::tests::{fake, FakeKernel};
        let geo = crate::Geometry::new(8, 4, 2048).unwrap();
        let mut ring = fake(geo, true);
        let opts = Options {
            burst: 64,
            batch: false,
            vnet_hdr: true,
        };
        // A plain frame (gso_type 0) numbered `i`.
        let plain = |i: u8, len: usize| {
            let mut f = vec![0u8; len];
            f[len - 1] = i;
            f
        };
        let mut file = SeqFile::new();
        let mut c = Counters::new("virtif", "seq");
        // One round of the loop in a direction: `forward`, or `resume` once
        // the receiving side is writable again.
        macro_rules! step {
            ($f:ident, $src:ident, $dst:ident, $out:ident, $dir:ident) => {
                $f(&mut $src, &mut $dst, lane!($out, c.$dir, opts)).unwrap()
            };
        }
        let mut out = Outbox::new(0);
        // A GSO packet (gso_type TCPV4) and two plain frames.
        let mut gso = vec![0u8; 100];
        gso[1] = 1;
        for f in [&gso[..], &[0u8; 80], &[0u8; 81]] {
            assert!(FakeKernel(&ring).xmit(f));
        }
        assert_eq!(step!(forward, ring, file, out, ab), None);
        assert!(!out.waiting());
        assert_eq!(file.drain(), vec![gso.clone(), vec![0; 80], vec![0; 81]]);
        assert_eq!((c.ab.frames, c.ab.bytes, c.ab.gso), (3, 261, 1));
        // Empty now: tx_wait set for the poll() to come.
        assert_eq!(FakeKernel(&ring).word(68), 1);

        // Fill the file's socket, then transmit: the frames stay in their
        // slots, the direction waits for the file.
        let big = [0u8; 2000];
        let mut filled = 0;
        while nix::unistd::write(&file.fd, &big).is_ok() {
            filled += 1;
        }
        for i in 0..5u8 {
            assert!(FakeKernel(&ring).xmit(&plain(i, 60)));
        }
        assert_eq!(step!(forward, ring, file, out, ab), None);
        assert!(out.held && out.waiting() && out.is_empty());
        assert_eq!(c.ab.frames, 3);
        // Not sleeping on the TX ring meanwhile.
        assert_eq!(FakeKernel(&ring).word(68), 0);
        assert_eq!(file.drain().len(), filled);
        // Writable again: on where it stopped, in order, none lost.
        assert_eq!(step!(resume, ring, file, out, ab), None);
        assert!(!out.waiting());
        assert_eq!(
            file.drain(),
            (0..5u8).map(|i| plain(i, 60)).collect::<Vec<_>>()
        );
        assert_eq!((c.ab.frames, c.ab.gso), (8, 1));
        assert_eq!(c.drops.total(), 0);

        // From the file into a 4-slot RX ring: six frames, four go, the
        // rest wait in the file.
        let mut back = Outbox::new(0);
        assert!(file.inject(&gso));
        for i in 1..6u8 {
            assert!(file.inject(&plain(i, 70)));
        }
        assert_eq!(step!(forward, file, ring, back, ba), None);
        assert!(back.held);
        assert_eq!((c.ba.frames, c.ba.gso), (4, 1));
        let first = FakeKernel(&ring).take_rx();
        assert_eq!(first.len(), 4);
        assert_eq!(first[0], gso);
        assert_eq!(step!(resume, file, ring, back, ba), None);
        assert!(!back.waiting());
        assert_eq!(
            FakeKernel(&ring).take_rx(),
            vec![plain(4, 70), plain(5, 70)]
        );
        assert_eq!(c.ba.frames, 6);
        // Nothing more to read: a round that moves nothing.
        assert_eq!(step!(forward, file, ring, back, ba), None);
        assert!(!back.waiting());
        // A frame one byte longer than a slot takes is lost and counted, one
        // that just fits crosses.
        let room = geo.frame_room();
        assert!(file.inject(&plain(1, room + 1)) && file.inject(&plain(2, room)));
        assert_eq!(step!(forward, file, ring, back, ba), None);
        assert_eq!(c.drops.get(RING_TOO_LONG), 1);
        assert_eq!(FakeKernel(&ring).take_rx(), vec![plain(2, room)]);
        assert_eq!(c.ba.frames, 7);
    }

    #[test]
    fn outbox_walk() {
        let mut o = Outbox::new(0);
        for n in [14, 15, 60] {
            o.buf.push_grow(&vec![n as u8; n]);
        }
        let p: Vec<(usize, usize)> = o.pending().map(|(at, f)| (at, f.len())).collect();
        assert_eq!(p, [(0, 14), (24, 15), (48, 60)]);
        o.advance();
        assert_eq!(o.frame().unwrap().len(), 15);
        assert_eq!(o.pending().count(), 2);
        o.advance();
        o.advance();
        assert!(o.is_empty() && o.frame().is_none());
        o.clear();
        assert!(o.is_empty());
    }
}
