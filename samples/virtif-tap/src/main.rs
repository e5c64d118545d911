// SPDX-License-Identifier: GPL-2.0
//! virtif-tap: join a virtif interface (linkstr `user`) to a tap device, the
//! analogue of NetBSD rump's `virtif_user.c`.
//!
//! Frames the virtif transmits are written to the tap, frames read from the
//! tap are delivered to the virtif, by the library's forwarding loop
//! (`virtif::pump`). It exits 0 on SIGINT/SIGTERM or when the virtif or the
//! tap goes away, 1 on errors, and prints its counters on exit.
//!
//! With --peer-tap instead of --virtif, the same loop carries frames between
//! two taps: the reference the benchmark compares virtif-tap with.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use virtif::pump::{self, Exit};
use virtif::tap::Tap;
use virtif::{Counters, Endpoint, Options};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Join a virtif interface (linkstr user) to a tap device",
    long_about = "Join a virtif interface (linkstr user) to a tap device: frames the virtif \
transmits are written to the tap, frames read from the tap are delivered to the virtif.

With --peer-tap instead of --virtif, the same forwarding loop carries frames between two \
taps (the peer tap takes the place of /dev/virtif): the \"tap-tap\" reference of the \
benchmark, e.g.
  virtif-tap --tap tb --create-tap --peer-tap ta --create-peer-tap [--batch]
A tap moves one frame per read()/write(); --batch then makes the loop collect up to \
--burst frames from one side before writing them to the other, as it does with a virtif \
in batch mode. The counters name the sides \"peer\" and \"tap\".

On exit (SIGINT/SIGTERM: status 0; the virtif or a tap gone: status 0, with a message; \
an error: status 1) it prints its counters: frames and bytes each way (\"virtif->tap N \
frames (B bytes), tap->virtif ...\") and frames dropped, by reason."
)]
#[command(group(clap::ArgGroup::new("side").required(true).args(["virtif", "peer_tap"])))]
struct Args {
    /// The virtif interface (linkstr user), in this network namespace.
    #[arg(long, value_name = "IF")]
    virtif: Option<String>,
    /// Instead of a virtif, forward between the tap and this second tap
    /// (it must exist unless --create-peer-tap is given).
    #[arg(long, value_name = "TAPNAME")]
    peer_tap: Option<String>,
    /// Create the peer tap if it does not exist.
    #[arg(long, requires = "peer_tap")]
    create_peer_tap: bool,
    /// The tap device. It must exist unless --create-tap is given.
    #[arg(long, value_name = "TAPNAME")]
    tap: String,
    /// Create the tap if it does not exist (a tap we create disappears when
    /// we exit).
    #[arg(long)]
    create_tap: bool,
    /// Batch mode on the virtif side: several frames per read/write (and
    /// the loop moves frames in bursts; with --peer-tap, only that).
    #[arg(long)]
    batch: bool,
    /// Frames moved per wake-up and direction at most.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    burst: u32,
    /// Drop frames the virtif transmits while we lag behind, instead of
    /// back-pressure (VIRTIF_F_TX_DROP).
    #[arg(long, conflicts_with = "peer_tap")]
    tx_drop: bool,
    /// Print less.
    #[arg(short, long)]
    quiet: bool,
}

fn run(args: &Args) -> Result<()> {
    let sfd = pump::termination_signals().context("block SIGINT/SIGTERM")?;
    let mut tap = Tap::open(&args.tap, args.create_tap, "tap")
        .with_context(|| format!("open tap {}", args.tap))?;
    let popts = pump::Options {
        burst: args.burst as usize,
        batch: args.batch,
    };
    let mode = if args.batch { "batch" } else { "single-frame" };
    let (res, c) = if let Some(peer) = &args.peer_tap {
        let mut peer_tap = Tap::open(peer, args.create_peer_tap, "peer")
            .with_context(|| format!("open tap {peer}"))?;
        if !args.quiet {
            eprintln!(
                "virtif-tap: {peer} <-> {} (two taps, {mode} mode)",
                args.tap
            );
        }
        let mut c = Counters::new("peer", "tap");
        (
            pump::run(&mut peer_tap, &mut tap, &popts, &sfd, None, &mut c),
            c,
        )
    } else {
        let virtif = args.virtif.as_deref().unwrap_or_default();
        let opts = Options {
            batch: args.batch,
            tx_drop: args.tx_drop,
            nonblocking: true,
        };
        let mut ep = Endpoint::attach(virtif, opts)
            .with_context(|| format!("attach /dev/virtif to {virtif}"))?;
        if !args.quiet {
            eprintln!("virtif-tap: {virtif} <-> {} ({mode} mode)", args.tap);
        }
        let mut c = Counters::new("virtif", "tap");
        (pump::run(&mut ep, &mut tap, &popts, &sfd, None, &mut c), c)
    };
    match &res {
        Ok(Exit::Signal(signo)) if !args.quiet => eprintln!("virtif-tap: signal {signo}"),
        Ok(Exit::Gone(why)) => eprintln!("virtif-tap: {why}"),
        _ => {}
    }
    eprintln!("virtif-tap: {}", c.summary());
    res.map(drop).context("forwarding")
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
