// SPDX-License-Identifier: GPL-2.0
//! The UDP side of virtif-udp: a [`Port`] that encapsulates the virtif's
//! frames towards any number of remotes and decapsulates what they send.
//!
//! Receiving: a UDP socket bound to the local address (`recvmmsg` in batch
//! mode). A datagram is accepted from a configured remote's IP address
//! (any source port: a VXLAN or GENEVE peer picks one per flow), checked
//! and decapsulated ([`Encap::decap`]); the frame's source address is
//! learned against that remote ([`Fdb`]).
//!
//! Sending: a frame goes to the remote its destination was learned behind,
//! or to every remote (broadcast, multicast, unknown unicast). VXLAN and
//! GENEVE datagrams leave through a raw socket, so that their UDP source
//! port can follow the inner flow ([`SrcPort`]) the way Linux's tunnels
//! choose it; `raw` datagrams leave from the bound UDP socket. A frame
//! whose datagram would not fit the underlay's MTU is dropped and counted.
//! When the socket is full (`EAGAIN`) the port reports
//! [`Sent::Blocked`] with its place in the outbox, down to the copy of a
//! flooded frame.

use std::collections::HashMap;
use std::fmt::Write;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::libc;
use nix::sys::socket::{
    recvmmsg, sendmmsg, sendmsg, ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage,
};
use virtif::counters::{Dir, Drops};
use virtif::pump::{Outbox, Port, Recv, Sent};
use virtif::BatchBuf;

use crate::encap::{Encap, Malformed, IPV4_HLEN, IPV6_HLEN, UDP_HLEN};
use crate::fdb::{showmacs, Dest, Fdb, Learn, Mac};
use crate::flow::SrcPort;

/// Drop reason: the frame's datagram would exceed the underlay's MTU.
pub const TOO_BIG: &str = "too-big";
/// Drop reason: no datagram of the frame could be sent (a shortage, ICMP
/// errors).
pub const UDP_SEND_ERROR: &str = "udp-send-error";
/// Drop reason: receiving reported an error (a shortage, ICMP errors).
pub const UDP_RECV_ERROR: &str = "udp-recv-error";
/// Drop reason: a datagram from an address that is not a remote.
pub const UNKNOWN_REMOTE: &str = "unknown-remote";
/// Drop reason: a frame whose source is the virtif's own address (a loop).
pub const LOOPED: &str = "looped";
/// Drop reason: a frame from a remote other than its source's static
/// entry.
pub const STATIC_CONFLICT: &str = "static-conflict";

/// Every reason this port counts, in report order.
pub const REASONS: [&str; 14] = [
    TOO_BIG,
    UDP_SEND_ERROR,
    UDP_RECV_ERROR,
    UNKNOWN_REMOTE,
    "short",
    "bad-flags",
    "bad-vni",
    "bad-version",
    "bad-protocol",
    "critical-option",
    "oam",
    "bad-option",
    LOOPED,
    STATIC_CONFLICT,
];

/// The largest datagram.
const DGRAM_BUF: usize = 65536;
/// UDP header and our largest header.
const HDR_MAX: usize = UDP_HLEN + 8;

/// Per-remote counters.
#[derive(Clone, Debug, Default)]
pub struct RemoteStats {
    /// Datagrams sent to it.
    pub tx_frames: u64,
    /// Their frames' bytes.
    pub tx_bytes: u64,
    /// Of those, copies of flooded frames.
    pub tx_flood: u64,
    /// Of those, frames to an address learned behind it.
    pub tx_unicast: u64,
    /// Datagrams to it that failed.
    pub tx_errors: u64,
    /// Frames received from it (and delivered).
    pub rx_frames: u64,
    /// Their bytes.
    pub rx_bytes: u64,
}

/// A remote tunnel endpoint.
#[derive(Clone, Debug)]
pub struct Remote {
    /// Its address and UDP port.
    pub addr: SocketAddr,
    /// Where datagrams go: the address and port for a UDP socket, the
    /// address alone for a raw one.
    sa: SockaddrStorage,
    /// Its counters.
    pub stats: RemoteStats,
}

/// How to set a tunnel up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The encapsulation.
    pub encap: Encap,
    /// The remotes.
    pub remotes: Vec<SocketAddr>,
    /// Static entries: an address and the index of its remote.
    pub statics: Vec<(Mac, usize)>,
    /// Ageing time of learned entries (0: never).
    pub ageing: Duration,
    /// Outer source ports (VXLAN, GENEVE).
    pub src_ports: std::ops::RangeInclusive<u16>,
    /// recvmmsg/sendmmsg.
    pub mmsg: bool,
    /// Datagrams per system call at most.
    pub burst: usize,
    /// The underlay's MTU (the smallest towards any remote).
    pub mtu: usize,
    /// The virtif, for its own address.
    pub virtif: String,
}

/// One datagram of a send plan: the frame's record offset and length, the
/// remote, the copy's index among the frame's destinations and whether it
/// is the last.
#[derive(Clone, Copy, Debug)]
struct Msg {
    at: usize,
    len: usize,
    remote: usize,
    copy: usize,
    last: bool,
    flood: bool,
}

/// The UDP side.
pub struct Tunnel {
    encap: Encap,
    rx: UdpSocket,
    raw: Option<OwnedFd>,
    ip_hlen: usize,
    mtu: usize,
    remotes: Vec<Remote>,
    by_ip: HashMap<IpAddr, usize>,
    fdb: Fdb,
    src: SrcPort,
    mmsg: bool,
    burst: usize,
    virtif: String,
    local_mac: Option<Mac>,
    mac_checked: Option<Instant>,
    /// Whether a datagram of the frame at the outbox's position went out
    /// (its copies may span calls).
    sent_any: bool,
    dgrams: Vec<Vec<u8>>,
    recv_hdrs: MultiHeaders<SockaddrStorage>,
    send_hdrs: MultiHeaders<SockaddrStorage>,
    hdrs: Vec<[u8; HDR_MAX]>,
    plan: Vec<Msg>,
}

fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// Errors that lose one datagram, not the socket: shortages, ICMP errors
/// reported on the socket, routes that come and go.
fn transient(e: &io::Error) -> bool {
    matches!(
        errno(e),
        libc::ECONNREFUSED
            | libc::EHOSTUNREACH
            | libc::ENETUNREACH
            | libc::EHOSTDOWN
            | libc::ENETDOWN
            | libc::ENOBUFS
            | libc::ENOMEM
            | libc::EMSGSIZE
            | libc::EPERM
            | libc::EADDRNOTAVAIL
    )
}

impl Tunnel {
    /// A tunnel receiving on `rx` (bound, non-blocking) and sending VXLAN
    /// or GENEVE through `raw` (a raw UDP socket, non-blocking) or `raw`
    /// datagrams through `rx`.
    pub fn new(cfg: Config, rx: UdpSocket, raw: Option<OwnedFd>) -> io::Result<Tunnel> {
        let ipv6 = rx.local_addr()?.is_ipv6();
        let remotes: Vec<Remote> = cfg
            .remotes
            .iter()
            .map(|&addr| Remote {
                addr,
                sa: if raw.is_some() {
                    SockaddrStorage::from(SocketAddr::new(addr.ip(), 0))
                } else {
                    SockaddrStorage::from(addr)
                },
                stats: RemoteStats::default(),
            })
            .collect();
        let by_ip = remotes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.addr.ip(), i))
            .collect();
        let now = Instant::now();
        let mut fdb = Fdb::new(cfg.ageing);
        for &(mac, r) in &cfg.statics {
            fdb.add_static(mac, r, now);
        }
        let n = if cfg.mmsg { cfg.burst } else { 1 };
        let mut t = Tunnel {
            encap: cfg.encap,
            rx,
            raw,
            ip_hlen: if ipv6 { IPV6_HLEN } else { IPV4_HLEN },
            mtu: cfg.mtu,
            remotes,
            by_ip,
            fdb,
            src: SrcPort::new(cfg.src_ports),
            mmsg: cfg.mmsg,
            burst: cfg.burst.max(1),
            virtif: cfg.virtif,
            local_mac: None,
            mac_checked: None,
            sent_any: false,
            dgrams: (0..n).map(|_| vec![0; DGRAM_BUF]).collect(),
            recv_hdrs: MultiHeaders::preallocate(n, None),
            send_hdrs: MultiHeaders::preallocate(cfg.burst.max(1), None),
            hdrs: vec![[0; HDR_MAX]; cfg.burst.max(1)],
            plan: Vec::with_capacity(cfg.burst.max(1)),
        };
        t.refresh_mac(now);
        Ok(t)
    }

    /// The remotes and their counters.
    pub fn remotes(&self) -> &[Remote] {
        &self.remotes
    }

    /// Reads the virtif's address (it may change) at most once a second.
    fn refresh_mac(&mut self, now: Instant) {
        if self
            .mac_checked
            .is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        self.mac_checked = Some(now);
        if let Ok(m) = virtif::net::if_mac(&self.virtif) {
            self.local_mac = m.map(Mac);
        }
    }

    /// Checks and decapsulates datagram `i` of `self.dgrams` (`len` bytes
    /// from `from`), learns its source, and appends its frame to `buf`.
    /// Returns whether it did.
    fn accept(
        &mut self,
        i: usize,
        len: usize,
        from: Option<IpAddr>,
        buf: &mut BatchBuf,
        drops: &mut Drops,
        now: Instant,
    ) -> bool {
        let Some(r) = from.and_then(|ip| self.by_ip.get(&ip).copied()) else {
            drops.one(UNKNOWN_REMOTE);
            return false;
        };
        let frame = match self.encap.decap(&self.dgrams[i][..len]) {
            Ok(f) => f,
            Err(m) => {
                drops.one(Malformed::reason(m));
                return false;
            }
        };
        let src = Mac::from_slice(&frame[6..12]);
        if Some(src) == self.local_mac {
            drops.one(LOOPED);
            return false;
        }
        if self.fdb.learn(src, r, now) == Learn::StaticConflict {
            drops.one(STATIC_CONFLICT);
            return false;
        }
        let st = &mut self.remotes[r].stats;
        st.rx_frames += 1;
        st.rx_bytes += frame.len() as u64;
        buf.push_grow(frame);
        true
    }

    /// Where a frame goes: a remote, or all of them.
    fn dest(&self, frame: &[u8], now: Instant) -> Dest {
        if self.remotes.len() == 1 {
            return Dest::One(0);
        }
        self.fdb.lookup(Mac::from_slice(&frame[..6]), now)
    }

    /// Plans up to `burst` datagrams from the outbox's position.
    fn make_plan(&mut self, out: &Outbox, now: Instant) {
        self.plan.clear();
        let nrem = self.remotes.len();
        for (at, frame) in out.pending() {
            let first = if at == out.pos { out.sub } else { 0 };
            // Copy `copy` of the frame goes to `one`, or to remote `copy`
            // in a flood (no list of destinations: nothing allocated per
            // frame).
            let (one, ndest) = match self.dest(frame, now) {
                Dest::One(r) => (Some(r), 1),
                Dest::Flood => (None, nrem),
            };
            for copy in first..ndest {
                if self.plan.len() == self.burst {
                    return;
                }
                self.plan.push(Msg {
                    at,
                    len: frame.len(),
                    remote: one.unwrap_or(copy),
                    copy,
                    last: copy + 1 == ndest,
                    flood: one.is_none() && nrem > 1,
                });
            }
            if ndest <= first {
                // The destinations changed under a flood in progress:
                // nothing left of this frame.
                self.plan.push(Msg {
                    at,
                    len: frame.len(),
                    remote: usize::MAX,
                    copy: first,
                    last: true,
                    flood: false,
                });
            }
            if self.plan.len() == self.burst {
                return;
            }
        }
    }

    /// Fills `self.hdrs[k]` for message `k` of the plan: the UDP header
    /// and ours (raw sockets only).
    fn fill_header(&mut self, k: usize, frame: &[u8]) {
        let m = self.plan[k];
        let hl = self.encap.header_len();
        let h = &mut self.hdrs[k];
        let sport = self.src.port(frame);
        let dport = self.remotes[m.remote].addr.port();
        let ulen = (UDP_HLEN + hl + frame.len()) as u16;
        h[0..2].copy_from_slice(&sport.to_be_bytes());
        h[2..4].copy_from_slice(&dport.to_be_bytes());
        h[4..6].copy_from_slice(&ulen.to_be_bytes());
        // Checksum: 0 over IPv4 (as Linux's vxlan and geneve send by
        // default); over IPv6 the kernel computes it (IPV6_CHECKSUM).
        h[6..8].copy_from_slice(&[0, 0]);
        self.encap.write_header(&mut h[UDP_HLEN..UDP_HLEN + hl]);
    }

    /// Whether a frame's datagram fits the underlay.
    fn fits(&self, len: usize) -> bool {
        self.ip_hlen + UDP_HLEN + self.encap.header_len() + len <= self.mtu
    }

    /// Sends the planned datagrams (`sendable` of them: the plan minus a
    /// trailing placeholder), returns how many went and the error that
    /// stopped the rest.
    fn transmit(&mut self, out: &Outbox, sendable: usize) -> (usize, Option<io::Error>) {
        let recs = out.buf.records();
        let frame = |m: &Msg| frame_at(recs, m.at, m.len);
        let raw = self.raw.is_some();
        let hl = UDP_HLEN + self.encap.header_len();
        for k in 0..sendable {
            if raw {
                let f = frame(&self.plan[k]);
                self.fill_header(k, f);
            }
        }
        let fd = match &self.raw {
            Some(r) => r.as_raw_fd(),
            None => self.rx.as_raw_fd(),
        };
        if !self.mmsg {
            let mut sent = 0;
            for k in 0..sendable {
                let m = self.plan[k];
                let f = frame(&m);
                let hdr = &self.hdrs[k][..if raw { hl } else { 0 }];
                let iov = [IoSlice::new(hdr), IoSlice::new(f)];
                let iov = if raw { &iov[..] } else { &iov[1..] };
                let r = sendmsg(
                    fd,
                    iov,
                    &[],
                    MsgFlags::MSG_DONTWAIT,
                    Some(&self.remotes[m.remote].sa),
                );
                match r {
                    Ok(_) => sent += 1,
                    Err(Errno::EINTR) => return (sent, None),
                    Err(e) => return (sent, Some(e.into())),
                }
            }
            return (sent, None);
        }
        let iovs: Vec<[IoSlice<'_>; 2]> = (0..sendable)
            .map(|k| {
                let m = &self.plan[k];
                let hdr = &self.hdrs[k][..if raw { hl } else { 0 }];
                [IoSlice::new(hdr), IoSlice::new(frame(m))]
            })
            .collect();
        let addrs: Vec<Option<SockaddrStorage>> = (0..sendable)
            .map(|k| Some(self.remotes[self.plan[k].remote].sa))
            .collect();
        let no_cmsgs: [ControlMessage<'_>; 0] = [];
        match sendmmsg(
            fd,
            &mut self.send_hdrs,
            &iovs,
            &addrs,
            no_cmsgs,
            MsgFlags::MSG_DONTWAIT,
        ) {
            Ok(r) => (r.count(), None),
            Err(Errno::EINTR) => (0, None),
            Err(e) => (0, Some(e.into())),
        }
    }

    /// Counts a datagram of the plan as sent (`ok`) or failed, and moves
    /// the outbox past it.
    fn account(&mut self, m: Msg, ok: bool, out: &mut Outbox, done: &mut Dir, drops: &mut Drops) {
        if m.remote != usize::MAX {
            let multi = self.remotes.len() > 1;
            let st = &mut self.remotes[m.remote].stats;
            if ok {
                st.tx_frames += 1;
                st.tx_bytes += m.len as u64;
                if m.flood {
                    st.tx_flood += 1;
                } else if multi {
                    st.tx_unicast += 1;
                }
                self.sent_any = true;
            } else {
                st.tx_errors += 1;
            }
        }
        if m.last {
            if self.sent_any {
                done.add(m.len);
            } else {
                drops.one(UDP_SEND_ERROR);
            }
            self.sent_any = false;
            out.advance();
        } else {
            out.sub = m.copy + 1;
        }
    }
}

impl AsFd for Tunnel {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.rx.as_fd()
    }
}

impl Port for Tunnel {
    fn kind(&self) -> &str {
        "udp"
    }

    fn rx_fd(&self) -> BorrowedFd<'_> {
        self.rx.as_fd()
    }

    fn tx_fd(&self) -> BorrowedFd<'_> {
        match &self.raw {
            Some(r) => r.as_fd(),
            None => self.rx.as_fd(),
        }
    }

    fn recv(&mut self, buf: &mut BatchBuf, max: usize, drops: &mut Drops) -> io::Result<Recv> {
        let now = Instant::now();
        self.refresh_mac(now);
        let mut n = 0;
        if !self.mmsg {
            for _ in 0..max {
                match nix::sys::socket::recvfrom::<SockaddrStorage>(
                    self.rx.as_raw_fd(),
                    &mut self.dgrams[0],
                ) {
                    Ok((len, from)) => {
                        n +=
                            usize::from(self.accept(0, len, from.and_then(ip_of), buf, drops, now));
                    }
                    Err(Errno::EAGAIN) => break,
                    Err(Errno::EINTR) => {}
                    Err(e) => {
                        let e = io::Error::from(e);
                        if !transient(&e) {
                            return Err(e);
                        }
                        drops.one(UDP_RECV_ERROR);
                    }
                }
            }
            return Ok(Recv::Frames(n));
        }
        let want = max.min(self.dgrams.len());
        let got: Vec<(usize, Option<IpAddr>)> = {
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = self.dgrams[..want]
                .iter_mut()
                .map(|b| [IoSliceMut::new(b)])
                .collect();
            match recvmmsg(
                self.rx.as_raw_fd(),
                &mut self.recv_hdrs,
                iovs.iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            ) {
                Ok(res) => res.map(|m| (m.bytes, m.address.and_then(ip_of))).collect(),
                Err(Errno::EAGAIN) | Err(Errno::EINTR) => return Ok(Recv::Frames(0)),
                Err(e) => {
                    let e = io::Error::from(e);
                    if !transient(&e) {
                        return Err(e);
                    }
                    drops.one(UDP_RECV_ERROR);
                    return Ok(Recv::Frames(0));
                }
            }
        };
        for (i, (len, from)) in got.into_iter().enumerate() {
            n += usize::from(self.accept(i, len, from, buf, drops, now));
        }
        Ok(Recv::Frames(n))
    }

    fn send(&mut self, out: &mut Outbox, done: &mut Dir, drops: &mut Drops) -> io::Result<Sent> {
        let now = Instant::now();
        if out.sub == 0 {
            self.sent_any = false;
        }
        loop {
            // Frames that do not fit are dropped before anything is planned.
            while let Some(f) = out.frame() {
                if out.sub > 0 || self.fits(f.len()) {
                    break;
                }
                drops.one(TOO_BIG);
                out.advance();
            }
            if out.is_empty() {
                return Ok(Sent::Done);
            }
            self.make_plan(out, now);
            // Stop the plan before a frame that does not fit (the next
            // round drops it).
            let cut = self
                .plan
                .iter()
                .position(|m| m.copy == 0 && !self.fits(m.len))
                .unwrap_or(self.plan.len());
            self.plan.truncate(cut.max(1));
            let sendable = self
                .plan
                .iter()
                .position(|m| m.remote == usize::MAX)
                .unwrap_or(self.plan.len());
            let (sent, err) = if sendable > 0 {
                self.transmit(out, sendable)
            } else {
                (0, None)
            };
            for k in 0..sent {
                let m = self.plan[k];
                self.account(m, true, out, done, drops);
            }
            if sent < sendable {
                match err {
                    None => continue, // interrupted, or a partial sendmmsg: go on
                    Some(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Sent::Blocked),
                    Some(e) if transient(&e) => {
                        let m = self.plan[sent];
                        self.account(m, false, out, done, drops);
                        continue;
                    }
                    Some(e) => return Err(e),
                }
            }
            // A placeholder (a flood whose destinations shrank) ends the frame.
            if sendable < self.plan.len() {
                let m = self.plan[sendable];
                self.account(m, false, out, done, drops);
            }
        }
    }

    fn drop_reasons(&self) -> &'static [&'static str] {
        &REASONS
    }

    fn control(&mut self, cmd: &str) -> Option<String> {
        let now = Instant::now();
        match cmd {
            "showmacs" => {
                self.fdb.sweep(now);
                self.mac_checked = None;
                self.refresh_mac(now);
                let local: Vec<Mac> = self.local_mac.into_iter().collect();
                let remotes = &self.remotes;
                Some(showmacs(&self.fdb, now, &self.virtif, &local, |r| {
                    remotes[r].addr.to_string()
                }))
            }
            "stats" => {
                let mut s = String::new();
                for r in &self.remotes {
                    let st = &r.stats;
                    let _ = writeln!(
                        s,
                        "remote {} tx-frames {} tx-bytes {} tx-flood {} tx-unicast {} \
                         tx-errors {} rx-frames {} rx-bytes {}",
                        r.addr,
                        st.tx_frames,
                        st.tx_bytes,
                        st.tx_flood,
                        st.tx_unicast,
                        st.tx_errors,
                        st.rx_frames,
                        st.rx_bytes
                    );
                }
                let (learned, stat) = self.fdb.counts(now);
                let _ = writeln!(s, "fdb learned {learned} static {stat}");
                let _ = writeln!(s, "underlay-mtu {}", self.mtu);
                Some(s)
            }
            _ => None,
        }
    }
}

/// The frame of the record at `at`, `len` bytes.
fn frame_at(recs: &[u8], at: usize, len: usize) -> &[u8] {
    &recs[at + virtif::RECORD_HDR_LEN..at + virtif::RECORD_HDR_LEN + len]
}

fn ip_of(sa: SockaddrStorage) -> Option<IpAddr> {
    if let Some(v4) = sa.as_sockaddr_in() {
        return Some(IpAddr::V4(v4.ip()));
    }
    sa.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
}

/// The raw socket VXLAN and GENEVE datagrams leave through: UDP header
/// and all are ours, the kernel adds the IP header. It receives nothing
/// (a filter drops all), and over IPv6 the kernel fills in the UDP
/// checksum.
pub fn raw_socket(local: IpAddr) -> io::Result<OwnedFd> {
    use nix::sys::socket::{bind, socket, AddressFamily, SockFlag, SockProtocol, SockType};
    let family = if local.is_ipv6() {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    let fd = socket(
        family,
        SockType::Raw,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        SockProtocol::Udp,
    )?;
    virtif::net::drop_all_input(fd.as_fd())?;
    if local.is_ipv6() {
        virtif::net::set_ipv6_checksum(fd.as_fd(), 6)?;
    }
    if !local.is_unspecified() {
        bind(
            fd.as_raw_fd(),
            &SockaddrStorage::from(SocketAddr::new(local, 0)),
        )?;
    }
    Ok(fd)
}

/// The underlay MTU towards `remote` from `local` (the route's, as the
/// kernel knows it).
pub fn path_mtu(local: IpAddr, remote: SocketAddr) -> io::Result<u32> {
    let s = UdpSocket::bind(SocketAddr::new(local, 0))?;
    s.connect(remote)?;
    virtif::net::path_mtu(&s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encap::Kind;
    use std::net::Ipv4Addr;

    /// A tunnel over loopback whose remotes are UDP sockets of this test
    /// (raw encapsulation: no privileges needed).
    fn lo_tunnel(nremotes: usize, mmsg: bool, burst: usize) -> (Tunnel, Vec<UdpSocket>) {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let peers: Vec<UdpSocket> = (0..nremotes)
            .map(|i| {
                let s = UdpSocket::bind(SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i as u8)),
                    0,
                ))
                .unwrap();
                s.set_nonblocking(true).unwrap();
                s
            })
            .collect();
        let cfg = Config {
            encap: Encap {
                kind: Kind::Raw,
                vni: 0,
            },
            remotes: peers.iter().map(|p| p.local_addr().unwrap()).collect(),
            statics: Vec::new(),
            ageing: Duration::from_secs(300),
            src_ports: 32768..=60999,
            mmsg,
            burst,
            mtu: 1500,
            virtif: "lo".into(),
        };
        (Tunnel::new(cfg, rx, None).unwrap(), peers)
    }

    fn frame(dst: u8, src: u8, len: usize) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 0x88, 0xb5];
        f.resize(len, src);
        f
    }

    fn drain(s: &UdpSocket) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut b = [0u8; 2048];
        while let Ok(n) = s.recv(&mut b) {
            out.push(b[..n].to_vec());
        }
        out
    }

    /// Flooding, learning, known unicast to one remote only, too-big
    /// frames dropped and counted, in both modes.
    #[test]
    fn flood_learn_unicast() {
        for mmsg in [false, true] {
            let (mut t, peers) = lo_tunnel(2, mmsg, 8);
            let mut c = virtif::Counters::new("virtif", "udp");
            let mut out = Outbox::new(0);
            // A broadcast and an unknown unicast: to both remotes.
            let mut bcast = frame(0xff, 1, 60);
            bcast[..6].fill(0xff);
            out.buf.push_grow(&bcast);
            out.buf.push_grow(&frame(9, 1, 70));
            // Too big for the 1500-byte underlay: 20 + 8 + 1473 > 1500.
            out.buf.push_grow(&frame(9, 1, 1473));
            assert_eq!(
                t.send(&mut out, &mut c.ab, &mut c.drops).unwrap(),
                Sent::Done
            );
            assert_eq!(c.ab.frames, 2);
            assert_eq!(c.drops.get(TOO_BIG), 1);
            for p in &peers {
                let got = drain(p);
                assert_eq!(got, [bcast.clone(), frame(9, 1, 70)]);
            }
            // Peer 1 answers from 02:..:09: learned against remote 1.
            peers[1]
                .send_to(&frame(1, 9, 64), t.rx.local_addr().unwrap())
                .unwrap();
            // A datagram from an unknown address is dropped.
            let stranger = UdpSocket::bind("127.0.0.9:0").unwrap();
            stranger
                .send_to(&frame(1, 8, 64), t.rx.local_addr().unwrap())
                .unwrap();
            std::thread::sleep(Duration::from_millis(50));
            let mut buf = BatchBuf::new(0);
            assert_eq!(t.recv(&mut buf, 8, &mut c.drops).unwrap(), Recv::Frames(1));
            assert_eq!(c.drops.get(UNKNOWN_REMOTE), 1);
            // Now unicast to 02:..:09 goes to remote 1 only.
            out.clear();
            out.buf.push_grow(&frame(9, 1, 80));
            assert_eq!(
                t.send(&mut out, &mut c.ab, &mut c.drops).unwrap(),
                Sent::Done
            );
            assert_eq!(drain(&peers[0]).len(), 0);
            assert_eq!(drain(&peers[1]), [frame(9, 1, 80)]);
            let s0 = &t.remotes()[0].stats;
            let s1 = &t.remotes()[1].stats;
            assert_eq!((s0.tx_frames, s0.tx_flood, s0.tx_unicast), (2, 2, 0));
            assert_eq!((s1.tx_frames, s1.tx_flood, s1.tx_unicast), (3, 2, 1));
            assert_eq!((s1.rx_frames, s0.rx_frames), (1, 0));
            let macs = t.control("showmacs").unwrap();
            assert!(macs.contains("02:00:00:00:00:09\tno"), "{macs}");
            let stats = t.control("stats").unwrap();
            assert!(stats.contains("tx-unicast 1"), "{stats}");
        }
    }

    /// Every reason of the decapsulation is reported.
    #[test]
    fn reasons_cover_malformed() {
        for m in Malformed::ALL {
            assert!(REASONS.contains(&m.reason()), "{m:?}");
        }
    }

    /// A flood interrupted by a full socket resumes at the next copy.
    #[test]
    fn plan_resumes_inside_a_flood() {
        let (mut t, _peers) = lo_tunnel(3, true, 2);
        let mut out = Outbox::new(0);
        let mut b = frame(0xff, 1, 60);
        b[..6].fill(0xff);
        out.buf.push_grow(&b);
        out.buf.push_grow(&frame(0x07, 1, 60));
        let now = Instant::now();
        t.make_plan(&out, now);
        let p: Vec<(usize, usize, bool)> =
            t.plan.iter().map(|m| (m.at, m.remote, m.last)).collect();
        assert_eq!(p, [(0, 0, false), (0, 1, false)]);
        out.sub = 2;
        t.make_plan(&out, now);
        let p: Vec<(usize, usize, bool)> =
            t.plan.iter().map(|m| (m.at, m.remote, m.last)).collect();
        assert_eq!(p, [(0, 2, true), (72, 0, false)]);
    }
}
