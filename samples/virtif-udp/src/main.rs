// SPDX-License-Identifier: GPL-2.0
//! virtif-udp: Ethernet over UDP for a virtif interface (linkstr `user`).
//!
//! Each frame the virtif transmits becomes one UDP datagram to the remote
//! address; each datagram received from it is delivered to the virtif.
//! With --batch the virtif is in batch mode and the socket side uses
//! recvmmsg/sendmmsg, so one wake-up moves up to --burst frames each way
//! with one system call per side. The library's forwarding loop
//! (`virtif::pump`) carries the frames: when the socket is full it waits
//! for it and stops reading the virtif meanwhile. Exits 0 on SIGINT/SIGTERM
//! or when the virtif goes away, 1 on errors; prints its counters on exit.

#![forbid(unsafe_code)]

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use nix::errno::Errno;
use nix::libc;
use nix::sys::socket::{recvmmsg, sendmmsg, MsgFlags, MultiHeaders, SockaddrStorage};
use virtif::counters::{Dir, Drops};
use virtif::pump::{self, Exit, Outbox, Port, Recv, Sent};
use virtif::{BatchBuf, Counters, Endpoint, Options};

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

/// Drop reason: a datagram could not be sent (a shortage, ICMP errors).
const UDP_SEND_ERROR: &str = "udp-send-error";
/// Drop reason: receiving reported an error (ICMP errors, a shortage).
const UDP_RECV_ERROR: &str = "udp-recv-error";

/// Errors that lose one datagram but not the socket: shortages, and what a
/// connected UDP socket reports for earlier datagrams (ICMP).
fn transient_udp(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ECONNREFUSED)
            | Some(libc::EHOSTUNREACH)
            | Some(libc::ENETUNREACH)
            | Some(libc::EHOSTDOWN)
            | Some(libc::ENETDOWN)
            | Some(libc::ENOBUFS)
            | Some(libc::ENOMEM)
            | Some(libc::EMSGSIZE)
    )
}

/// The UDP side of the forwarder.
struct Udp {
    sock: UdpSocket,
    mmsg: bool,
    dgrams: Vec<Vec<u8>>,
    send_hdrs: MultiHeaders<SockaddrStorage>,
    recv_hdrs: MultiHeaders<SockaddrStorage>,
}

impl Udp {
    fn new(sock: UdpSocket, mmsg: bool, burst: usize) -> Self {
        let n = if mmsg { burst } else { 1 };
        Udp {
            sock,
            mmsg,
            dgrams: (0..n).map(|_| vec![0; DGRAM_BUF]).collect(),
            send_hdrs: MultiHeaders::preallocate(n, None),
            recv_hdrs: MultiHeaders::preallocate(n, None),
        }
    }
}

impl Port for Udp {
    fn kind(&self) -> &str {
        "udp"
    }

    fn rx_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }

    fn recv(&mut self, buf: &mut BatchBuf, max: usize, drops: &mut Drops) -> io::Result<Recv> {
        if !self.mmsg {
            let mut n = 0;
            while n < max {
                buf.reserve(virtif::record_space(DGRAM_BUF));
                match buf.push_with(DGRAM_BUF, |slot| self.sock.recv(slot)) {
                    Ok(_) => n += 1,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if transient_udp(&e) => drops.one(UDP_RECV_ERROR),
                    Err(e) => return Err(e),
                }
            }
            return Ok(Recv::Frames(n));
        }
        let want = max.min(self.dgrams.len());
        let lens: Vec<usize> = {
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = self.dgrams[..want]
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
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Ok(Recv::Frames(0)),
                Err(e) => {
                    let e = io::Error::from(e);
                    if transient_udp(&e) {
                        drops.one(UDP_RECV_ERROR);
                        return Ok(Recv::Frames(0));
                    }
                    return Err(e);
                }
            }
        };
        for (d, &n) in self.dgrams.iter().zip(&lens) {
            buf.push_grow(&d[..n]);
        }
        Ok(Recv::Frames(lens.len()))
    }

    fn send(&mut self, out: &mut Outbox, done: &mut Dir, drops: &mut Drops) -> io::Result<Sent> {
        if !self.mmsg {
            while let Some(frame) = out.frame() {
                match self.sock.send(frame) {
                    Ok(_) => done.add(frame.len()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Sent::Blocked),
                    Err(e) if transient_udp(&e) => drops.one(UDP_SEND_ERROR),
                    Err(e) => return Err(e),
                }
                out.advance();
            }
            return Ok(Sent::Done);
        }
        while !out.is_empty() {
            let lens: Vec<usize>;
            let res = {
                let chunk: Vec<[IoSlice<'_>; 1]> = out
                    .pending()
                    .take(self.dgrams.len())
                    .map(|(_, f)| [IoSlice::new(f)])
                    .collect();
                lens = chunk.iter().map(|iov| iov[0].len()).collect();
                let addrs = vec![None::<SockaddrStorage>; chunk.len()];
                let no_cmsgs: [nix::sys::socket::ControlMessage<'_>; 0] = [];
                sendmmsg(
                    self.sock.as_raw_fd(),
                    &mut self.send_hdrs,
                    &chunk,
                    &addrs,
                    no_cmsgs,
                    MsgFlags::MSG_DONTWAIT,
                )
                .map(|r| r.count())
            };
            match res {
                Ok(sent) => {
                    for len in &lens[..sent] {
                        done.add(*len);
                        out.advance();
                    }
                }
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => return Ok(Sent::Blocked),
                Err(e) => {
                    let e = io::Error::from(e);
                    if !transient_udp(&e) {
                        return Err(e);
                    }
                    // The first datagram of the chunk failed: count it.
                    drops.one(UDP_SEND_ERROR);
                    out.advance();
                }
            }
        }
        Ok(Sent::Done)
    }

    fn drop_reasons(&self) -> &'static [&'static str] {
        &[UDP_SEND_ERROR, UDP_RECV_ERROR]
    }
}

fn run(args: &Args) -> Result<()> {
    let sfd = pump::termination_signals().context("block SIGINT/SIGTERM")?;

    let sock = UdpSocket::bind(args.local).with_context(|| format!("bind {}", args.local))?;
    sock.connect(args.remote)
        .with_context(|| format!("connect {}", args.remote))?;
    sock.set_nonblocking(true)?;
    let opts = Options {
        batch: args.batch,
        tx_drop: args.tx_drop,
        nonblocking: true,
    };
    let mut ep = Endpoint::attach(&args.virtif, opts)
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
    let mut udp = Udp::new(sock, args.batch, burst);
    let popts = pump::Options {
        burst,
        batch: args.batch,
    };
    let mut c = Counters::new("virtif", "udp");
    let res = pump::run(&mut ep, &mut udp, &popts, &sfd, None, &mut c);
    match &res {
        Ok(Exit::Signal(signo)) if !args.quiet => eprintln!("virtif-udp: signal {signo}"),
        Ok(Exit::Gone(why)) => eprintln!("virtif-udp: {why}"),
        _ => {}
    }
    eprintln!("virtif-udp: {}", c.summary());
    res.map(drop).context("forwarding")
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
