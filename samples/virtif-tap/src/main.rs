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
use nix::poll::PollFlags;
use nix::sys::signalfd::SignalFd;
use virtif::shovel::{self, termination_signals};
use virtif::{BatchBuf, Drained, Endpoint, Options};

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
    virtif_nomem: u64,
    virtif_unsent: u64,
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

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
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

/// Writes one frame to the tap. A refused write (the tap is down, its
/// queue is full, ...) is a lost frame, counted; only a tap that went away
/// is an error.
fn write_tap(tap: &File, c: &mut Counters, frame: &[u8]) -> Result<()> {
    match (&*tap).write(frame) {
        Ok(_) => {
            c.to_tap += 1;
            c.to_tap_bytes += frame.len() as u64;
            Ok(())
        }
        Err(e) if e.raw_os_error() == Some(nix::libc::EBADFD) => {
            Err(e).context("tap device went away")
        }
        Err(_) => {
            c.tap_write_errors += 1;
            Ok(())
        }
    }
}

impl Shovel {
    /// virtif -> tap.
    fn pull_virtif(&mut self) -> Result<Drained> {
        let Shovel {
            ep,
            tap,
            c,
            rx,
            burst,
            ..
        } = self;
        ep.drain(rx, *burst, |frame| write_tap(tap, c, frame))
            .context("read /dev/virtif")
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
                let sent = self
                    .ep
                    .send_batch_buf(&self.tx)
                    .context("write /dev/virtif")?;
                self.c.to_virtif += sent.sent as u64;
                self.c.to_virtif_bytes += sent.bytes as u64;
                self.c.virtif_rejected += sent.rejected as u64;
                self.c.virtif_nomem += sent.failed as u64;
                self.c.virtif_unsent += sent.unsent as u64;
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
    let sfd = termination_signals().context("block SIGINT/SIGTERM")?;
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
        let ready = shovel::wait(&sh.ep, sh.tap.as_fd(), sfd).context("poll")?;
        sh.c.wakeups += 1;
        if let Some(signo) = ready.signal {
            if !args.quiet {
                eprintln!("virtif-tap: signal {signo}");
            }
            return Ok(());
        }
        if ready
            .other
            .intersects(PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL)
        {
            bail!("tap device {} went away", args.tap);
        }
        // POLLHUP comes with POLLIN: the read returns end of file.
        if !ready.virtif.is_empty() && sh.pull_virtif()? == Drained::Eof {
            if !args.quiet {
                eprintln!("virtif-tap: {} is gone (end of file)", args.virtif);
            }
            return Ok(());
        }
        if ready.other.contains(PollFlags::POLLIN) {
            sh.pull_tap()?;
        }
    }
}

fn print_counters(c: &Counters) {
    eprintln!(
        "virtif-tap: virtif->tap {} frames ({} bytes), tap->virtif {} frames ({} bytes), \
         tap write errors {}, refused by virtif {}, virtif out of memory {}, unsent {}, \
         wake-ups {}",
        c.to_tap,
        c.to_tap_bytes,
        c.to_virtif,
        c.to_virtif_bytes,
        c.tap_write_errors,
        c.virtif_rejected,
        c.virtif_nomem,
        c.virtif_unsent,
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
