// SPDX-License-Identifier: GPL-2.0
//! For programs that shovel frames between an [`Endpoint`] and one other
//! file (a tap device, a socket) in a `poll(2)` loop.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::Endpoint;

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
