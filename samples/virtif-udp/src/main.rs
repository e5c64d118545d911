// SPDX-License-Identifier: GPL-2.0
//! virtif-udp: carries a virtif interface's (linkstr `user`) frames over UDP
//! to any number of remote tunnel endpoints, in VXLAN (RFC 7348), GENEVE
//! (RFC 8926) or its own raw format, and learns like a bridge which MAC
//! address is behind which remote. It interoperates with Linux's `vxlan`
//! and `geneve` devices.
//!
//! The frames move through the library's forwarding loop (`virtif::pump`):
//! when the socket is full, it waits for it and stops reading the virtif,
//! so that the virtif's queue stops and the back-pressure reaches the
//! sender. Exits 0 on SIGINT/SIGTERM or when the virtif goes away, 1 on
//! errors, and prints its counters on exit.
//!
//! `virtif-udp showmacs --control PATH` and `virtif-udp stats --control
//! PATH` ask a running one (started with `--control PATH`) for its learned
//! table and its counters.

#![forbid(unsafe_code)]

mod encap;
mod fdb;
mod flow;
mod tunnel;

use std::fs;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand};
use virtif::control::{self, ControlServer};
use virtif::pump::{self, Exit};
use virtif::{Counters, Endpoint, Options};

use encap::{Encap, Kind, VNI_MAX};
use fdb::Mac;
use tunnel::{Config, Tunnel};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Carry a virtif interface's frames over UDP: VXLAN, GENEVE or raw, to any number \
             of remotes, learning MAC addresses like a bridge",
    long_about = None,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Examples:\n  \
virtif-udp --virtif v0 --encap vxlan --vni 42 --local 192.0.2.1 --remote 192.0.2.2 --remote 192.0.2.3 \\\n    \
--control /run/v0.ctl --set-mtu --batch\n  \
virtif-udp showmacs --control /run/v0.ctl\n  \
virtif-udp stats --control /run/v0.ctl"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the learned table of a running virtif-udp, in the form of
    /// `brctl showmacs`.
    Showmacs {
        /// Its control socket (its --control).
        #[arg(long, value_name = "PATH")]
        control: PathBuf,
    },
    /// Print the counters of a running virtif-udp: both directions, drops by
    /// reason, per remote.
    Stats {
        /// Its control socket (its --control).
        #[arg(long, value_name = "PATH")]
        control: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The virtif interface (linkstr user), in this network namespace.
    #[arg(long, value_name = "IF", required = true)]
    virtif: Option<String>,
    /// The encapsulation: vxlan (RFC 7348, port 4789), geneve (RFC 8926,
    /// port 6081), or raw (the frame is the datagram).
    #[arg(long, value_enum, default_value_t = Kind::Raw)]
    encap: Kind,
    /// The VXLAN or GENEVE network identifier (0 to 16777215).
    #[arg(long, value_name = "N")]
    vni: Option<u32>,
    /// Local address (IPv4 or IPv6) to bind; the port defaults to the
    /// encapsulation's (raw needs one). 0.0.0.0 or :: for any.
    #[arg(long, value_name = "ADDR[:PORT]", required = true)]
    local: Option<String>,
    /// A remote endpoint (repeat for several); the port defaults to the
    /// local one. Broadcast, multicast and unknown unicast go to all.
    #[arg(long = "remote", value_name = "ADDR[:PORT]")]
    remotes: Vec<String>,
    /// A file of remotes, one `ADDR[:PORT]` per line (# comments).
    #[arg(long, value_name = "FILE")]
    remotes_file: Option<PathBuf>,
    /// A static entry: MAC behind REMOTE (one of the remotes); never aged,
    /// never moved by learning. Repeat for several.
    #[arg(long = "static", value_name = "MAC=REMOTE")]
    statics: Vec<String>,
    /// Seconds after which a learned address not seen again is forgotten
    /// (0: never).
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    ageing: u64,
    /// Outer UDP source ports (VXLAN, GENEVE): a hash of the inner flow
    /// picks one. Default: net.ipv4.ip_local_port_range, like Linux.
    #[arg(long, value_name = "MIN-MAX")]
    srcport: Option<String>,
    /// A control socket (Unix stream) for `showmacs` and `stats`.
    #[arg(long, value_name = "PATH")]
    control: Option<PathBuf>,
    /// Set the virtif's MTU to what fits the underlay (underlay MTU minus
    /// the encapsulation's overhead).
    #[arg(long)]
    set_mtu: bool,
    /// Batch mode: VIRTIF_F_BATCH on the virtif, recvmmsg/sendmmsg on the
    /// sockets.
    #[arg(long)]
    batch: bool,
    /// Frames moved per wake-up and direction at most.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    burst: u32,
    /// Drop frames the virtif transmits while we lag behind
    /// (VIRTIF_F_TX_DROP) instead of back-pressure.
    #[arg(long)]
    tx_drop: bool,
    /// Print less.
    #[arg(short, long)]
    quiet: bool,
}

/// `ADDR[:PORT]` (IPv6 with a port: `[ADDR]:PORT`).
fn parse_addr(s: &str, default_port: Option<u16>) -> Result<SocketAddr> {
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(sa);
    }
    let ip: IpAddr = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| anyhow!("bad address {s:?} (ADDR, ADDR:PORT or [ADDR]:PORT)"))?;
    let port = default_port.ok_or_else(|| anyhow!("{s}: a port is needed"))?;
    Ok(SocketAddr::new(ip, port))
}

fn parse_range(s: &str) -> Result<RangeInclusive<u16>> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| anyhow!("bad port range {s:?} (MIN-MAX)"))?;
    let (a, b): (u16, u16) = (a.trim().parse()?, b.trim().parse()?);
    if a == 0 || a > b {
        bail!("bad port range {s:?}");
    }
    Ok(a..=b)
}

/// The remotes of the command line and of the remotes file.
fn remotes(args: &RunArgs, local: SocketAddr) -> Result<Vec<SocketAddr>> {
    let mut specs: Vec<String> = args.remotes.clone();
    if let Some(f) = &args.remotes_file {
        let text = fs::read_to_string(f).with_context(|| format!("read {}", f.display()))?;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if !line.is_empty() {
                specs.push(line.to_string());
            }
        }
    }
    if specs.is_empty() {
        bail!("no remote: give --remote (or --remotes-file)");
    }
    let mut out: Vec<SocketAddr> = Vec::new();
    for s in &specs {
        let r = parse_addr(s, Some(local.port()))?;
        if r.is_ipv4() != local.is_ipv4() {
            bail!("remote {r} and local address {local} are not of the same family");
        }
        if r.ip().is_unspecified() || r.ip().is_multicast() {
            bail!("remote {r}: a unicast address is needed");
        }
        if out.iter().any(|o| o.ip() == r.ip()) {
            bail!("remote {} given twice", r.ip());
        }
        out.push(r);
    }
    Ok(out)
}

/// `MAC=REMOTE` entries, REMOTE one of `remotes` (by address, or address
/// and port).
fn statics(args: &RunArgs, remotes: &[SocketAddr]) -> Result<Vec<(Mac, usize)>> {
    args.statics
        .iter()
        .map(|s| {
            let (mac, remote) = s
                .split_once('=')
                .ok_or_else(|| anyhow!("bad --static {s:?} (MAC=REMOTE)"))?;
            let mac: Mac = mac.parse().map_err(|e: String| anyhow!(e))?;
            if !mac.is_valid_unicast() {
                bail!("--static {s}: not a unicast address");
            }
            let r = parse_addr(remote, Some(0))?;
            let i = remotes
                .iter()
                .position(|o| o.ip() == r.ip() && (r.port() == 0 || r.port() == o.port()))
                .ok_or_else(|| anyhow!("--static {s}: {remote} is not a remote"))?;
            Ok((mac, i))
        })
        .collect()
}

fn run(args: &RunArgs) -> Result<()> {
    let virtif = args.virtif.as_deref().unwrap_or_default();
    let sfd = pump::termination_signals().context("block SIGINT/SIGTERM")?;
    let vni = match (args.encap, args.vni) {
        (Kind::Raw, None) => 0,
        (Kind::Raw, Some(_)) => bail!("--vni is for vxlan and geneve"),
        (_, None) => bail!("--encap {} needs --vni", args.encap),
        (_, Some(v)) if v > VNI_MAX => bail!("--vni {v}: at most {VNI_MAX}"),
        (_, Some(v)) => v,
    };
    let encap = Encap {
        kind: args.encap,
        vni,
    };
    let local = parse_addr(
        args.local.as_deref().unwrap_or_default(),
        Encap::default_port(args.encap),
    )?;
    let remotes = remotes(args, local)?;
    let statics = statics(args, &remotes)?;
    let src_ports = match &args.srcport {
        Some(s) => parse_range(s)?,
        None => flow::local_port_range(),
    };

    // The MTU: the smallest path MTU towards a remote, minus the overhead.
    let ipv6 = local.is_ipv6();
    let mut underlay = u32::MAX;
    for r in &remotes {
        let m = tunnel::path_mtu(local.ip(), *r).with_context(|| format!("route to {r}"))?;
        underlay = underlay.min(m);
    }
    let overhead = encap.overhead(ipv6) as u32;
    if underlay <= overhead + 68 {
        bail!("the underlay's MTU ({underlay}) leaves no room for frames");
    }
    let fits = underlay - overhead;
    let current = virtif::net::if_mtu(virtif).with_context(|| format!("MTU of {virtif}"))?;
    eprintln!(
        "virtif-udp: underlay MTU {underlay}, {encap_name} over IPv{v} costs {overhead} bytes: \
         the MTU of {virtif} that fits is {fits} (it is {current})",
        encap_name = args.encap,
        v = if ipv6 { 6 } else { 4 },
    );
    if args.set_mtu && current != fits {
        virtif::net::set_if_mtu(virtif, fits).with_context(|| format!("set MTU of {virtif}"))?;
        eprintln!("virtif-udp: set the MTU of {virtif} to {fits}");
    } else if current > fits {
        eprintln!(
            "virtif-udp: frames longer than that MTU allows will be dropped (too-big); \
             --set-mtu sets the MTU"
        );
    }

    let rx = UdpSocket::bind(local).with_context(|| format!("bind {local}"))?;
    rx.set_nonblocking(true)?;
    let raw = match args.encap {
        Kind::Raw => None,
        _ => Some(tunnel::raw_socket(local.ip()).context("raw socket (needs CAP_NET_RAW)")?),
    };
    let burst = args.burst as usize;
    let cfg = Config {
        encap,
        remotes: remotes.clone(),
        statics,
        ageing: Duration::from_secs(args.ageing),
        src_ports,
        mmsg: args.batch,
        burst,
        mtu: underlay as usize,
        virtif: virtif.to_string(),
    };
    let mut tun = Tunnel::new(cfg, rx, raw).context("tunnel")?;
    let mut ctl = match &args.control {
        Some(p) => Some(
            ControlServer::bind(p).with_context(|| format!("control socket {}", p.display()))?,
        ),
        None => None,
    };
    let opts = Options {
        batch: args.batch,
        tx_drop: args.tx_drop,
        nonblocking: true,
        ..Options::default()
    };
    let mut ep = Endpoint::attach(virtif, opts)
        .with_context(|| format!("attach /dev/virtif to {virtif}"))?;
    if !args.quiet {
        let list: Vec<String> = remotes.iter().map(|r| r.to_string()).collect();
        eprintln!(
            "virtif-udp: {virtif} <-> {} udp {local} -> {} ({} mode{})",
            args.encap,
            list.join(", "),
            if args.batch { "batch" } else { "single-frame" },
            match &args.control {
                Some(p) => format!(", control {}", p.display()),
                None => String::new(),
            }
        );
    }
    let popts = pump::Options {
        burst,
        batch: args.batch,
        vnet_hdr: false,
    };
    let mut c = Counters::new("virtif", "udp");
    let res = pump::run(&mut ep, &mut tun, &popts, &sfd, ctl.as_mut(), &mut c);
    match &res {
        Ok(Exit::Signal(signo)) if !args.quiet => eprintln!("virtif-udp: signal {signo}"),
        Ok(Exit::Gone(why)) => eprintln!("virtif-udp: {why}"),
        _ => {}
    }
    eprintln!("virtif-udp: {}", c.summary());
    if !args.quiet {
        for r in tun.remotes() {
            let st = &r.stats;
            eprintln!(
                "virtif-udp: remote {}: sent {} frames ({} flooded, {} unicast, {} errors), \
                 received {}",
                r.addr, st.tx_frames, st.tx_flood, st.tx_unicast, st.tx_errors, st.rx_frames
            );
        }
    }
    res.map(drop).context("forwarding")
}

fn ask(path: &Path, cmd: &str) -> Result<()> {
    let answer = control::request(path, cmd)
        .with_context(|| format!("control socket {}", path.display()))?;
    if let Some(e) = answer.strip_prefix("error: ") {
        bail!("{}", e.trim());
    }
    print!("{answer}");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match &cli.cmd {
        Some(Cmd::Showmacs { control }) => ask(control, "showmacs"),
        Some(Cmd::Stats { control }) => ask(control, "stats"),
        None => run(&cli.run),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("virtif-udp: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_addr("192.0.2.1", Some(4789)).unwrap(),
            "192.0.2.1:4789".parse().unwrap()
        );
        assert_eq!(
            parse_addr("192.0.2.1:7", Some(4789)).unwrap(),
            "192.0.2.1:7".parse().unwrap()
        );
        assert_eq!(
            parse_addr("fd00::1", Some(6081)).unwrap(),
            "[fd00::1]:6081".parse().unwrap()
        );
        assert_eq!(
            parse_addr("[fd00::1]", Some(6081)).unwrap(),
            "[fd00::1]:6081".parse().unwrap()
        );
        assert!(parse_addr("192.0.2.1", None).is_err());
        assert!(parse_addr("nonsense", Some(1)).is_err());
        assert_eq!(parse_range("1000-2000").unwrap(), 1000..=2000);
        assert!(parse_range("2000-1000").is_err());
        assert!(parse_range("2000").is_err());
    }

    #[test]
    fn cli() {
        let c = Cli::try_parse_from(["virtif-udp", "showmacs", "--control", "/x"]).unwrap();
        assert!(matches!(c.cmd, Some(Cmd::Showmacs { .. })));
        assert!(Cli::try_parse_from(["virtif-udp", "--local", "1.2.3.4"]).is_err());
        let c = Cli::try_parse_from([
            "virtif-udp",
            "--virtif",
            "v0",
            "--encap",
            "vxlan",
            "--vni",
            "5",
            "--local",
            "10.0.0.1",
            "--remote",
            "10.0.0.2",
            "--remote",
            "10.0.0.3:9999",
            "--static",
            "02:00:00:00:00:01=10.0.0.3",
        ])
        .unwrap();
        let local = parse_addr(c.run.local.as_deref().unwrap(), Some(4789)).unwrap();
        let r = remotes(&c.run, local).unwrap();
        assert_eq!(r[0], "10.0.0.2:4789".parse().unwrap());
        assert_eq!(r[1], "10.0.0.3:9999".parse().unwrap());
        let s = statics(&c.run, &r).unwrap();
        assert_eq!(s, [(Mac([2, 0, 0, 0, 0, 1]), 1)]);
    }
}
