// SPDX-License-Identifier: GPL-2.0
//! virtif-tap: join a virtif interface (linkstr `user`) to a tap device, the
//! analogue of NetBSD rump's `virtif_user.c`.
//!
//! Frames the virtif transmits are written to the tap, frames read from the
//! tap are delivered to the virtif. One thread polls both files (and a
//! signalfd for SIGINT/SIGTERM). It exits 0 on a signal or when the virtif
//! goes away (end of file), 1 on errors, and prints its counters on exit.

#![forbid(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use virtif::{BatchBuf, Endpoint, Options};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Join a virtif interface (linkstr user) to a tap device"
)]
struct Args {
    /// The virtif interface (linkstr user), in this network namespace.
    #[arg(long, value_name = "IF")]
    virtif: String,
    /// The tap device. It must exist unless --create-tap is given.
    #[arg(long, value_name = "TAPNAME")]
    tap: String,
    /// Create the tap if it does not exist (a tap we create disappears when
    /// we exit).
    #[arg(long)]
    create_tap: bool,
    /// Batch mode on the virtif side: several frames per read/write.
    #[arg(long)]
    batch: bool,
    /// Frames moved per wake-up and direction at most.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    burst: u32,
    /// Drop frames the virtif transmits while we lag behind, instead of
    /// back-pressure (VIRTIF_F_TX_DROP).
    #[arg(long)]
    tx_drop: bool,
    /// Print less.
    #[arg(short, long)]
    quiet: bool,
}

/// Largest frame we move: a tap may have a large MTU; the virtif refuses
/// anything above MTU + 18 (or 64 KiB) and we count that as a drop.
const FRAME_BUF: usize = virtif::MAX_FRAME + 64;

#[derive(Default, Debug)]
struct Counters {
    to_tap: u64,
    to_tap_bytes: u64,
    to_virtif: u64,
    to_virtif_bytes: u64,
    tap_write_errors: u64,
    virtif_rejected: u64,
    wakeups: u64,
}

// --- tap -------------------------------------------------------------------

fn open_tap(name: &str, create: bool) -> Result<File> {
    if name.is_empty() || name.len() > 15 || name.contains('\0') {
        bail!("bad tap name {name:?}");
    }
    if !create && nix::net::if_::if_nametoindex(name).is_err() {
        bail!("no interface {name} (use --create-tap to create it)");
    }
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open("/dev/net/tun")
        .context("open /dev/net/tun")?;
    virtif::tap::set_tap(&f, name).with_context(|| format!("TUNSETIFF {name} (tap, no PI)"))?;
    Ok(f)
}

// --- main loop -------------------------------------------------------------

fn block_signals() -> Result<SignalFd> {
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGINT);
    mask.add(Signal::SIGTERM);
    mask.thread_set_mask().context("block SIGINT/SIGTERM")?;
    SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).context("signalfd")
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

enum Flow {
    Go,
    Eof,
}

struct Shovel {
    ep: Endpoint,
    tap: File,
    burst: usize,
    c: Counters,
    buf: Vec<u8>,
    rx: BatchBuf,
    tx: BatchBuf,
}

impl Shovel {
    fn write_tap(&mut self, frame: &[u8]) -> Result<()> {
        match (&self.tap).write(frame) {
            Ok(_) => {
                self.c.to_tap += 1;
                self.c.to_tap_bytes += frame.len() as u64;
                Ok(())
            }
            // The tap is down, or its queue is full, or ...: a lost frame.
            Err(e) if e.raw_os_error() == Some(nix::libc::EBADFD) => {
                Err(e).context("tap device went away")
            }
            Err(_) => {
                self.c.tap_write_errors += 1;
                Ok(())
            }
        }
    }

    /// virtif -> tap.
    fn pull_virtif(&mut self) -> Result<Flow> {
        if self.ep.is_batch() {
            // One read moves as many frames as are queued (and fit).
            for _ in 0..self.burst.div_ceil(16) {
                let mut rx = std::mem::replace(&mut self.rx, BatchBuf::new(0));
                let r = self.ep.recv_batch(&mut rx);
                let res = match r {
                    Ok(frames) if frames.is_empty() => Ok(Some(Flow::Eof)),
                    Ok(frames) => {
                        let mut out = Ok(None);
                        for f in frames {
                            if let Err(e) = self.write_tap(f) {
                                out = Err(e);
                                break;
                            }
                        }
                        out
                    }
                    Err(e) if would_block(&e) => Ok(Some(Flow::Go)),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
                    Err(e) => Err(e).context("read /dev/virtif"),
                };
                self.rx = rx;
                if let Some(flow) = res? {
                    return Ok(flow);
                }
            }
            return Ok(Flow::Go);
        }
        for _ in 0..self.burst {
            let mut buf = std::mem::take(&mut self.buf);
            let r = self.ep.recv(&mut buf);
            let res = match r {
                Ok(0) => Ok(Some(Flow::Eof)),
                Ok(n) => self.write_tap(&buf[..n]).map(|_| None),
                Err(e) if would_block(&e) => Ok(Some(Flow::Go)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
                Err(e) => Err(e).context("read /dev/virtif"),
            };
            self.buf = buf;
            if let Some(flow) = res? {
                return Ok(flow);
            }
        }
        Ok(Flow::Go)
    }

    /// tap -> virtif.
    fn pull_tap(&mut self) -> Result<()> {
        if self.ep.is_batch() {
            // Drain up to `burst` frames straight into records, then one write.
            self.tx.clear();
            let tap = &self.tap;
            let mut err = None;
            while self.tx.frames() < self.burst {
                match self.tx.push_with(FRAME_BUF, |slot| (&*tap).read(slot)) {
                    Ok(true) => {}
                    Ok(false) => break, // buffer full
                    Err(e) if would_block(&e) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
            if !self.tx.is_empty() {
                let bytes: usize = self.tx.iter().map(|f| f.map_or(0, |f| f.len())).sum();
                let sent = self
                    .ep
                    .send_batch_buf(&self.tx)
                    .context("write /dev/virtif")?;
                self.c.to_virtif += sent.sent as u64;
                self.c.to_virtif_bytes += bytes as u64; // approximate if some were refused
                self.c.virtif_rejected += sent.rejected as u64;
            }
            if let Some(e) = err {
                return Err(e).context("read tap");
            }
            return Ok(());
        }
        for _ in 0..self.burst {
            match (&self.tap).read(&mut self.buf) {
                Ok(n) => match self.ep.send(&self.buf[..n]) {
                    Ok(_) => {
                        self.c.to_virtif += 1;
                        self.c.to_virtif_bytes += n as u64;
                    }
                    Err(e) if e.raw_os_error() == Some(nix::libc::EINVAL) => {
                        self.c.virtif_rejected += 1
                    }
                    Err(e) => return Err(e).context("write /dev/virtif"),
                },
                Err(e) if would_block(&e) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).context("read tap"),
            }
        }
        Ok(())
    }
}

fn run(args: &Args) -> Result<()> {
    let sfd = block_signals()?;
    let tap = open_tap(&args.tap, args.create_tap)?;
    let opts = Options {
        batch: args.batch,
        tx_drop: args.tx_drop,
        nonblocking: true,
    };
    let ep = Endpoint::attach(&args.virtif, opts)
        .with_context(|| format!("attach /dev/virtif to {}", args.virtif))?;
    if !args.quiet {
        eprintln!(
            "virtif-tap: {} <-> {} ({} mode)",
            args.virtif,
            args.tap,
            if args.batch { "batch" } else { "single-frame" }
        );
    }
    let burst = args.burst as usize;
    let mut sh = Shovel {
        ep,
        tap,
        burst,
        c: Counters::default(),
        buf: vec![0; FRAME_BUF],
        rx: BatchBuf::new(256 * 1024),
        tx: BatchBuf::new(
            burst * virtif::record_space(1514).max(4096) + virtif::record_space(FRAME_BUF),
        ),
    };
    let res = pump(args, &mut sh, &sfd);
    print_counters(&sh.c);
    res
}

fn pump(args: &Args, sh: &mut Shovel, sfd: &SignalFd) -> Result<()> {
    loop {
        let (vr, tr, sr) = {
            let mut fds = [
                PollFd::new(sh.ep.as_fd(), PollFlags::POLLIN),
                PollFd::new(sh.tap.as_fd(), PollFlags::POLLIN),
                PollFd::new(sfd.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).context("poll"),
            }
            let r = |i: usize| fds[i].revents().unwrap_or(PollFlags::empty());
            (r(0), r(1), r(2))
        };
        sh.c.wakeups += 1;
        if !sr.is_empty() {
            if let Ok(Some(si)) = sfd.read_signal() {
                if !args.quiet {
                    eprintln!("virtif-tap: signal {}", si.ssi_signo);
                }
            }
            break;
        }
        if tr.intersects(PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL) {
            bail!("tap device {} went away", args.tap);
        }
        if !vr.is_empty() {
            // POLLHUP comes with POLLIN: the read returns end of file.
            if let Flow::Eof = sh.pull_virtif()? {
                if !args.quiet {
                    eprintln!("virtif-tap: {} is gone (end of file)", args.virtif);
                }
                break;
            }
        }
        if tr.contains(PollFlags::POLLIN) {
            sh.pull_tap()?;
        }
    }
    Ok(())
}

fn print_counters(c: &Counters) {
    eprintln!(
        "virtif-tap: virtif->tap {} frames ({} bytes), tap->virtif {} frames ({} bytes), \
         tap write errors {}, refused by virtif {}, wake-ups {}",
        c.to_tap,
        c.to_tap_bytes,
        c.to_virtif,
        c.to_virtif_bytes,
        c.tap_write_errors,
        c.virtif_rejected,
        c.wakeups
    );
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("virtif-tap: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
