// SPDX-License-Identifier: GPL-2.0
//! virtif-tap: join a virtif interface (linkstr `user`) to a tap device, the
//! analogue of NetBSD rump's `virtif_user.c`.
//!
//! Frames the virtif transmits are written to the tap, frames read from the
//! tap are delivered to the virtif, by the library's forwarding loop
//! (`virtif::pump`). It exits 0 on SIGINT/SIGTERM or when the virtif or the
//! tap goes away, 1 on errors, and prints its counters on exit.

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
    /// Batch mode on the virtif side: several frames per read/write (and
    /// the loop moves frames in bursts).
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

fn run(args: &Args) -> Result<()> {
    let sfd = pump::termination_signals().context("block SIGINT/SIGTERM")?;
    let mut tap = Tap::open(&args.tap, args.create_tap, "tap")
        .with_context(|| format!("open tap {}", args.tap))?;
    let opts = Options {
        batch: args.batch,
        tx_drop: args.tx_drop,
        nonblocking: true,
    };
    let mut ep = Endpoint::attach(&args.virtif, opts)
        .with_context(|| format!("attach /dev/virtif to {}", args.virtif))?;
    if !args.quiet {
        eprintln!(
            "virtif-tap: {} <-> {} ({} mode)",
            args.virtif,
            args.tap,
            if args.batch { "batch" } else { "single-frame" }
        );
    }
    let popts = pump::Options {
        burst: args.burst as usize,
        batch: args.batch,
    };
    let mut c = Counters::new("virtif", "tap");
    let res = pump::run(&mut ep, &mut tap, &popts, &sfd, None, &mut c);
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
