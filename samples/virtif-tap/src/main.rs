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
//!
//! --vnet-hdr opens both sides with the offload header, so that GSO packets
//! cross whole; --queues N opens N queues on each side and runs one loop
//! per queue pair, each in its thread.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use virtif::pump::{self, Exit, Port};
use virtif::tap::{Tap, TapGso, TapOptions};
use virtif::{Counters, Endpoint, Geometry, Options, RingEndpoint};

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

--vnet-hdr: every frame, both ways, carries the 12-byte offload header (struct \
virtio_net_hdr_v1): the virtif is attached with VIRTIF_F_VNET_HDR and every offload \
(checksum, TSO4, TSO6, TSO with ECN, USO), the tap (each tap, with --peer-tap) opened with \
IFF_VNET_HDR, TUNSETVNETHDRSZ 12 and TUNSETOFFLOAD to the same offloads. TCP and UDP GSO \
packets (up to 64 KiB) then cross whole in both directions, checksums left to fill in, \
instead of being segmented and checksummed on the way: fewer, larger frames. The counters \
then also say how many GSO packets each direction carried (\"virtif->tap N frames (B \
bytes, G GSO)\").

--queues N (2 to 16): N files on each side and one forwarding loop per queue pair, each \
in its own thread: the virtif is attached N times with VIRTIF_F_MULTI_QUEUE (it needs \
at least N transmit queues: ip link add IF numtxqueues N type virtif ...), the tap (each \
tap, with --peer-tap) is a multiqueue tap (IFF_MULTI_QUEUE, N files; an existing tap \
must be multiqueue too). The stack spreads flows over the queues by their hash. On exit \
each queue's counters come first (\"queue Q: virtif->tap N frames ...\"), then the \
totals.

--ring: the virtif side goes through shared-memory rings instead of read()/write(): the \
file is attached with VIRTIF_ATTACH_RING and maps a TX ring (frames the virtif transmits) \
and an RX ring (frames for it to receive) of --ring-slots slots each (default 256, or 64 \
with slots of 65536 bytes) of --slot-size bytes (default: 65536 with --vnet-hdr, else the \
smallest power of 2, at least 2048, whose slots take the virtif's MTU + 18 bytes). While both sides are busy no system \
call is made per frame or per batch on the virtif side: the loop writes the frames the \
kernel put in the TX ring to the tap straight from their slots, and reads the tap's \
frames straight into the RX ring (no copy of its own), kicking (VIRTIF_KICK) only when \
the kernel asks for it, and sleeps in poll() with tx_wait set when the TX ring is empty. \
The loop moves frames in bursts (as with --batch, which the rings replace). With \
--vnet-hdr the slots are of 65536 bytes by default (64 of them per ring): the virtif is \
attached with the checksum offload and TCP GSO (VIRTIF_OFFLOAD_CSUM, TSO4, TSO6, TSO_ECN) \
and the tap asks for the same (no UDP GSO: such a packet may be larger than a slot), so \
TCP GSO packets cross whole both ways. With smaller slots (--slot-size) both ask for the \
checksum offload only, and frames cross whole with their checksums left to fill in. With \
--queues N every queue has rings of its own. \
The sizes are checked as the kernel does (powers of 2; at most 32768 slots, slots of \
2048 to 65536 bytes, at most 64 MiB mapped per file). Frames larger than a slot are \
dropped and counted (by the kernel towards the tap, as virtif-ring-too-long towards the \
virtif).

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
    /// The offload header on both sides (VIRTIF_F_VNET_HDR, IFF_VNET_HDR):
    /// GSO packets cross whole, checksums left to fill in.
    #[arg(long)]
    vnet_hdr: bool,
    /// Queues on each side (VIRTIF_F_MULTI_QUEUE, IFF_MULTI_QUEUE), one
    /// forwarding thread per queue pair.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=virtif::tap::MAX_QUEUES as i64))]
    queues: u32,
    /// Carry the virtif side through shared-memory rings
    /// (VIRTIF_ATTACH_RING, mmap) instead of read()/write().
    #[arg(long, conflicts_with_all = ["peer_tap", "batch"])]
    ring: bool,
    /// With --ring: slots of each ring (a power of 2, 1 to 32768)
    /// [default: 256, or 64 with slots of 65536 bytes].
    #[arg(long, value_name = "N", requires = "ring")]
    ring_slots: Option<u32>,
    /// With --ring: bytes per slot, its 8-byte header included (a power
    /// of 2, 2048 to 65536) [default: 65536 with --vnet-hdr, else the
    /// smallest that takes the MTU].
    #[arg(long, value_name = "BYTES", requires = "ring")]
    slot_size: Option<u32>,
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

/// Runs the loop between the `a` and `b` queues, pairwise: in this thread
/// for one pair, in one thread per pair for more.
fn forward<A: Port + Send, B: Port + Send>(
    a: Vec<A>,
    b: Vec<B>,
    popts: &pump::Options,
    sfd: &nix::sys::signalfd::SignalFd,
    names: (&str, &str),
) -> (std::io::Result<Exit>, Vec<Counters>) {
    let mut pairs: Vec<(A, B)> = a.into_iter().zip(b).collect();
    if let [(a, b)] = &mut pairs[..] {
        let mut c = Counters::new(names.0, names.1);
        let r = pump::run(a, b, popts, sfd, None, &mut c);
        return (r, vec![c]);
    }
    pump::run_parallel(&mut pairs, popts, sfd, names)
}

/// The rings of --ring: --ring-slots each way, slots of --slot-size or
/// of the smallest size that takes the virtif's largest frame.
fn ring_geometry(args: &Args, virtif: &str) -> Result<Geometry> {
    let mtu = virtif::net::if_mtu(virtif).with_context(|| format!("MTU of {virtif}"))?;
    // An Ethernet header, a VLAN tag, and the offload header.
    let max_frame = mtu as usize
        + 18
        + if args.vnet_hdr {
            virtif::VNET_HDR_LEN
        } else {
            0
        };
    let slot = match args.slot_size {
        Some(s) => s,
        // The largest slots take TCP GSO packets whole.
        None if args.vnet_hdr => virtif::ring::MAX_SLOT,
        None => Geometry::slot_size_for(max_frame)
            .with_context(|| format!("slots for the MTU of {virtif} ({mtu})"))?,
    };
    let slots = args
        .ring_slots
        .unwrap_or_else(|| Geometry::default_slots(slot));
    let geo = Geometry::new(slots, slots, slot).context("--ring")?;
    if geo.frame_room() < max_frame && !args.quiet {
        eprintln!(
            "virtif-tap: warning: slots of {slot} bytes take frames of {} bytes, \
             {virtif} sends up to {max_frame}: larger ones are dropped",
            geo.frame_room()
        );
    }
    Ok(geo)
}

fn run(args: &Args) -> Result<()> {
    let sfd = pump::termination_signals().context("block SIGINT/SIGTERM")?;
    let queues = args.queues as usize;
    // Checked before anything is opened.
    let geo = match (&args.virtif, args.ring) {
        (Some(virtif), true) => Some(ring_geometry(args, virtif)?),
        _ => None,
    };
    let topts = TapOptions {
        vnet_hdr: args.vnet_hdr,
        queues,
        // The tap makes no GSO packet larger than a slot takes.
        gso: match &geo {
            Some(g) if g.takes_tcp_gso() => TapGso::Tcp,
            Some(_) => TapGso::None,
            None => TapGso::All,
        },
    };
    let taps = Tap::open_queues(&args.tap, args.create_tap, "tap", &topts)
        .with_context(|| format!("open tap {}", args.tap))?;
    let popts = pump::Options {
        burst: args.burst as usize,
        // Rings are batches: move frames in bursts.
        batch: args.batch || args.ring,
        vnet_hdr: args.vnet_hdr,
    };
    let mut mode = if args.batch { "batch" } else { "single-frame" }.to_string();
    if args.vnet_hdr {
        mode += ", offload header";
    }
    if queues > 1 {
        mode += &format!(", {queues} queues");
    }
    let (names, (res, counters)) = if let Some(peer) = &args.peer_tap {
        let peer_taps = Tap::open_queues(peer, args.create_peer_tap, "peer", &topts)
            .with_context(|| format!("open tap {peer}"))?;
        if !args.quiet {
            eprintln!(
                "virtif-tap: {peer} <-> {} (two taps, {mode} mode)",
                args.tap
            );
        }
        let names = ("peer", "tap");
        (names, forward(peer_taps, taps, &popts, &sfd, names))
    } else {
        let virtif = args.virtif.as_deref().unwrap_or_default();
        let opts = Options {
            batch: args.batch,
            tx_drop: args.tx_drop,
            nonblocking: true,
            vnet_hdr: args.vnet_hdr,
            multi_queue: false,
        };
        let names = ("virtif", "tap");
        if let Some(geo) = geo {
            let eps = RingEndpoint::attach_queues(virtif, opts, geo, queues)
                .with_context(|| format!("attach /dev/virtif to {virtif} with rings"))?;
            let mut mode = format!(
                "shared-memory rings of {} slots of {} bytes",
                geo.tx_slots, geo.slot_size
            );
            if args.vnet_hdr && geo.takes_tcp_gso() {
                mode += ", offload header (checksums, TCP GSO)";
            } else if args.vnet_hdr {
                mode += ", offload header (checksums only)";
            }
            if queues > 1 {
                mode += &format!(", {queues} queues");
            }
            if !args.quiet {
                eprintln!("virtif-tap: {virtif} <-> {} ({mode})", args.tap);
            }
            (names, forward(eps, taps, &popts, &sfd, names))
        } else {
            let eps = Endpoint::attach_queues(virtif, opts, queues)
                .with_context(|| format!("attach /dev/virtif to {virtif}"))?;
            if !args.quiet {
                eprintln!("virtif-tap: {virtif} <-> {} ({mode} mode)", args.tap);
            }
            (names, forward(eps, taps, &popts, &sfd, names))
        }
    };
    match &res {
        Ok(Exit::Signal(signo)) if !args.quiet => eprintln!("virtif-tap: signal {signo}"),
        Ok(Exit::Gone(why)) => eprintln!("virtif-tap: {why}"),
        _ => {}
    }
    let mut total = Counters::new(names.0, names.1);
    total.vnet_hdr = args.vnet_hdr;
    if counters.len() > 1 {
        for (q, c) in counters.iter().enumerate() {
            eprintln!("virtif-tap: queue {q}: {}", c.summary());
        }
    }
    counters.iter().for_each(|c| total.merge(c));
    eprintln!("virtif-tap: {}", total.summary());
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
