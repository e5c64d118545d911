// SPDX-License-Identifier: GPL-2.0
//! virtif-udp: Ethernet over UDP for a virtif interface (linkstr `user`).
//!
//! Each frame the virtif transmits becomes one UDP datagram to the remote
//! address; each datagram received from it is delivered to the virtif.
//! With --batch the virtif is in batch mode and the socket side uses
//! recvmmsg/sendmmsg, so one wake-up moves up to --burst frames each way
//! with one system call per side. Exits 0 on SIGINT/SIGTERM or when the
//! virtif goes away (end of file), 1 on errors; prints its counters on exit.

#![forbid(unsafe_code)]

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use nix::errno::Errno;
use nix::sys::signalfd::SignalFd;
use nix::sys::socket::{recvmmsg, sendmmsg, MsgFlags, MultiHeaders, SockaddrStorage};
use virtif::shovel::{self, termination_signals};
use virtif::{BatchBuf, Drained, Endpoint, Options};

#[derive(Parser, Debug)]
#[command(version, about = "Carry a virtif interface's frames over UDP")]
struct Args {
    /// The virtif interface (linkstr user), in this network namespace.
    #[arg(long, value_name = "IF")]
    virtif: String,
    /// Local address to bind.
    #[arg(long, value_name = "ADDR:PORT")]
    local: SocketAddr,
    /// Peer to send frames to (and the only one we accept frames from).
    #[arg(long, value_name = "ADDR:PORT")]
    remote: SocketAddr,
    /// Batch mode: VIRTIF_F_BATCH on the virtif, recvmmsg/sendmmsg on the socket.
    #[arg(long)]
    batch: bool,
    /// Frames moved per wake-up and direction at most.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    burst: u32,
    /// Drop frames the virtif transmits while we lag behind (VIRTIF_F_TX_DROP).
    #[arg(long)]
    tx_drop: bool,
    /// Print less.
    #[arg(short, long)]
    quiet: bool,
}

/// A UDP payload is at most 65507 bytes; frames are at most 64 KiB.
const DGRAM_BUF: usize = 65536;

#[derive(Default, Debug)]
struct Counters {
    to_udp: u64,
    to_udp_bytes: u64,
    to_virtif: u64,
    to_virtif_bytes: u64,
    udp_errors: u64,
    virtif_rejected: u64,
    virtif_nomem: u64,
    virtif_unsent: u64,
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// Errors a connected UDP socket reports for earlier datagrams (ICMP) or
/// transient shortages: count them, go on.
fn transient_udp(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(nix::libc::ECONNREFUSED)
            | Some(nix::libc::EHOSTUNREACH)
            | Some(nix::libc::ENETUNREACH)
            | Some(nix::libc::ENOBUFS)
            | Some(nix::libc::EMSGSIZE)
    )
}

struct Pump {
    ep: Endpoint,
    sock: UdpSocket,
    burst: usize,
    c: Counters,
    // single-frame mode
    buf: Vec<u8>,
    // batch mode
    rx: BatchBuf,
    tx: BatchBuf,
    dgrams: Vec<Vec<u8>>,
    send_hdrs: MultiHeaders<SockaddrStorage>,
    recv_hdrs: MultiHeaders<SockaddrStorage>,
}

/// Sends one frame as a datagram; a transient failure is a lost frame,
/// counted.
fn send_udp(sock: &UdpSocket, c: &mut Counters, frame: &[u8]) -> Result<()> {
    match sock.send(frame) {
        Ok(_) => {
            c.to_udp += 1;
            c.to_udp_bytes += frame.len() as u64;
        }
        Err(e) if would_block(&e) || transient_udp(&e) => c.udp_errors += 1,
        Err(e) => return Err(e).context("send UDP"),
    }
    Ok(())
}

impl Pump {
    fn deliver(&mut self, n: usize) -> Result<()> {
        match self.ep.send(&self.buf[..n]) {
            Ok(_) => {
                self.c.to_virtif += 1;
                self.c.to_virtif_bytes += n as u64;
            }
            Err(e) if e.raw_os_error() == Some(nix::libc::EINVAL) => self.c.virtif_rejected += 1,
            Err(e) => return Err(e).context("write /dev/virtif"),
        }
        Ok(())
    }

    /// virtif -> UDP.
    fn pull_virtif(&mut self) -> Result<Drained> {
        if !self.ep.is_batch() {
            let Pump {
                ep,
                sock,
                c,
                rx,
                burst,
                ..
            } = self;
            return ep
                .drain(rx, *burst, |frame| send_udp(sock, c, frame))
                .context("read /dev/virtif");
        }
        let frames = match self.ep.recv_batch(&mut self.rx) {
            Ok(f) if f.is_empty() => return Ok(Drained::Eof),
            Ok(f) => f,
            Err(e) if would_block(&e) || e.kind() == io::ErrorKind::Interrupted => {
                return Ok(Drained::Empty)
            }
            Err(e) => return Err(e).context("read /dev/virtif"),
        };
        // One sendmmsg for all of them (in chunks of `burst`).
        let iovs: Vec<[IoSlice<'_>; 1]> = frames.map(|f| [IoSlice::new(f)]).collect();
        let mut off = 0;
        while off < iovs.len() {
            let chunk = &iovs[off..iovs.len().min(off + self.burst)];
            let addrs = vec![None::<SockaddrStorage>; chunk.len()];
            let no_cmsgs: [nix::sys::socket::ControlMessage<'_>; 0] = [];
            match sendmmsg(
                self.sock.as_raw_fd(),
                &mut self.send_hdrs,
                chunk,
                &addrs,
                no_cmsgs,
                MsgFlags::MSG_DONTWAIT,
            ) {
                Ok(res) => {
                    let sent = res.count();
                    for iov in &chunk[..sent] {
                        self.c.to_udp += 1;
                        self.c.to_udp_bytes += iov[0].len() as u64;
                    }
                    off += sent.max(1);
                    if sent == 0 {
                        self.c.udp_errors += 1;
                    }
                }
                Err(Errno::EINTR) => {}
                Err(e) => {
                    let e = io::Error::from(e);
                    if would_block(&e) || transient_udp(&e) {
                        // Drop the first frame of the chunk and go on.
                        self.c.udp_errors += 1;
                        off += 1;
                    } else {
                        return Err(e).context("sendmmsg");
                    }
                }
            }
        }
        Ok(Drained::Limit)
    }

    /// UDP -> virtif.
    fn pull_udp(&mut self) -> Result<()> {
        if !self.ep.is_batch() {
            for _ in 0..self.burst {
                match self.sock.recv(&mut self.buf) {
                    Ok(n) => self.deliver(n)?,
                    Err(e) if would_block(&e) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if transient_udp(&e) => self.c.udp_errors += 1,
                    Err(e) => return Err(e).context("recv UDP"),
                }
            }
            return Ok(());
        }
        // One recvmmsg for up to `burst` datagrams, then one write of records.
        let lens: Vec<usize> = {
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = self
                .dgrams
                .iter_mut()
                .map(|b| [IoSliceMut::new(b)])
                .collect();
            match recvmmsg(
                self.sock.as_raw_fd(),
                &mut self.recv_hdrs,
                iovs.iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            ) {
                Ok(res) => res.map(|m| m.bytes).collect(),
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Ok(()),
                Err(e) => {
                    let e = io::Error::from(e);
                    if transient_udp(&e) {
                        self.c.udp_errors += 1;
                        return Ok(());
                    }
                    return Err(e).context("recvmmsg");
                }
            }
        };
        self.tx.clear();
        for (d, &n) in self.dgrams.iter().zip(&lens) {
            self.tx.push_grow(&d[..n]);
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
        Ok(())
    }
}

fn run(args: &Args) -> Result<()> {
    let sfd = termination_signals().context("block SIGINT/SIGTERM")?;

    let sock = UdpSocket::bind(args.local).with_context(|| format!("bind {}", args.local))?;
    sock.connect(args.remote)
        .with_context(|| format!("connect {}", args.remote))?;
    sock.set_nonblocking(true)?;
    let opts = Options {
        batch: args.batch,
        tx_drop: args.tx_drop,
        nonblocking: true,
    };
    let ep = Endpoint::attach(&args.virtif, opts)
        .with_context(|| format!("attach /dev/virtif to {}", args.virtif))?;
    if !args.quiet {
        eprintln!(
            "virtif-udp: {} <-> udp {} -> {} ({} mode)",
            args.virtif,
            args.local,
            args.remote,
            if args.batch { "batch" } else { "single-frame" }
        );
    }
    let burst = args.burst as usize;
    let nbufs = if args.batch { burst } else { 0 };
    let mut p = Pump {
        ep,
        sock,
        burst,
        c: Counters::default(),
        buf: vec![0; DGRAM_BUF],
        rx: BatchBuf::new(256 * 1024),
        tx: BatchBuf::new(burst * virtif::record_space(1514)),
        dgrams: (0..nbufs).map(|_| vec![0; DGRAM_BUF]).collect(),
        send_hdrs: MultiHeaders::preallocate(burst, None),
        recv_hdrs: MultiHeaders::preallocate(nbufs.max(1), None),
    };
    let res = pump(args, &mut p, &sfd);
    eprintln!(
        "virtif-udp: virtif->udp {} frames ({} bytes), udp->virtif {} frames ({} bytes), \
         udp errors {}, refused by virtif {}, virtif out of memory {}, unsent {}",
        p.c.to_udp,
        p.c.to_udp_bytes,
        p.c.to_virtif,
        p.c.to_virtif_bytes,
        p.c.udp_errors,
        p.c.virtif_rejected,
        p.c.virtif_nomem,
        p.c.virtif_unsent
    );
    res
}

fn pump(args: &Args, p: &mut Pump, sfd: &SignalFd) -> Result<()> {
    loop {
        let ready = shovel::wait(&p.ep, p.sock.as_fd(), sfd).context("poll")?;
        if let Some(signo) = ready.signal {
            if !args.quiet {
                eprintln!("virtif-udp: signal {signo}");
            }
            return Ok(());
        }
        // POLLHUP comes with POLLIN: the read returns end of file.
        if !ready.virtif.is_empty() && p.pull_virtif()? == Drained::Eof {
            if !args.quiet {
                eprintln!("virtif-udp: {} is gone (end of file)", args.virtif);
            }
            return Ok(());
        }
        if !ready.other.is_empty() {
            p.pull_udp()?;
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("virtif-udp: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
