// SPDX-License-Identifier: GPL-2.0
//! The forwarding database: which remote each MAC address is behind, as a
//! bridge or Linux's vxlan learns it.
//!
//! The source address of each frame received from a remote is learned
//! against that remote; an entry not seen for the ageing time (300 s by
//! default, like a bridge; 0: never) is forgotten. Static entries are
//! never aged nor moved by learning (a frame from another remote with a
//! static entry's source is dropped, as Linux's vxlan does). A frame to a
//! known unicast address goes to its remote only; broadcast, multicast and
//! unknown unicast go to all remotes.
//!
//! Time is passed in (`now`), so that tests can drive the ageing.

use std::collections::HashMap;
use std::fmt::{self, Write};
use std::str::FromStr;
use std::time::{Duration, Instant};

/// An Ethernet address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The address at the start of `b` (6 bytes).
    pub fn from_slice(b: &[u8]) -> Mac {
        let mut m = [0; 6];
        m.copy_from_slice(&b[..6]);
        Mac(m)
    }

    /// Multicast (broadcast included): the group bit.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 != 0
    }

    /// 00:00:00:00:00:00.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }

    /// An address a station may have: neither multicast nor zero.
    pub fn is_valid_unicast(&self) -> bool {
        !self.is_multicast() && !self.is_zero()
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl FromStr for Mac {
    type Err = String;

    fn from_str(s: &str) -> Result<Mac, String> {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 6 {
            return Err(format!("bad MAC address {s:?}"));
        }
        let mut m = [0u8; 6];
        for (b, p) in m.iter_mut().zip(parts) {
            if p.is_empty() || p.len() > 2 {
                return Err(format!("bad MAC address {s:?}"));
            }
            *b = u8::from_str_radix(p, 16).map_err(|_| format!("bad MAC address {s:?}"))?;
        }
        Ok(Mac(m))
    }
}

/// How an entry got there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Learned from a received frame; ages.
    Learned,
    /// Configured; never ages nor moves.
    Static,
}

/// An entry: the remote (an index into the program's remotes) and when
/// the address was last seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The remote's index.
    pub remote: usize,
    /// Learned or static.
    pub kind: Kind,
    /// When a frame from it last came (or the entry was made).
    pub seen: Instant,
}

/// What [`Fdb::learn`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Learn {
    /// Nothing to learn (a multicast or zero source address).
    Ignored,
    /// A new entry.
    New,
    /// An existing entry refreshed.
    Refreshed,
    /// A learned entry moved to another remote.
    Moved,
    /// The address has a static entry on another remote: the frame is
    /// dropped.
    StaticConflict,
    /// The table is full: not learned (the frame is delivered).
    Full,
}

/// Where a frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    /// To this remote only (a known unicast destination).
    One(usize),
    /// To every remote (broadcast, multicast, unknown unicast).
    Flood,
}

/// The table.
#[derive(Clone, Debug)]
pub struct Fdb {
    entries: HashMap<Mac, Entry>,
    ageing: Duration,
    max: usize,
    last_sweep: Option<Instant>,
}

/// Entries at most (Linux's vxlan is unlimited by default; a bound keeps a
/// flood of forged sources from eating memory).
pub const MAX_ENTRIES: usize = 65536;

impl Fdb {
    /// An empty table whose learned entries expire after `ageing` (zero:
    /// never).
    pub fn new(ageing: Duration) -> Fdb {
        Fdb {
            entries: HashMap::new(),
            ageing,
            max: MAX_ENTRIES,
            last_sweep: None,
        }
    }

    fn expired(&self, e: &Entry, now: Instant) -> bool {
        e.kind == Kind::Learned
            && !self.ageing.is_zero()
            && now.saturating_duration_since(e.seen) > self.ageing
    }

    /// Adds a static entry.
    pub fn add_static(&mut self, mac: Mac, remote: usize, now: Instant) {
        self.entries.insert(
            mac,
            Entry {
                remote,
                kind: Kind::Static,
                seen: now,
            },
        );
    }

    /// Learns that `mac` is behind `remote`.
    pub fn learn(&mut self, mac: Mac, remote: usize, now: Instant) -> Learn {
        if !mac.is_valid_unicast() {
            return Learn::Ignored;
        }
        self.maybe_sweep(now);
        let expired = self.entries.get(&mac).is_some_and(|e| self.expired(e, now));
        match self.entries.get_mut(&mac) {
            Some(e) if e.kind == Kind::Static => {
                if e.remote != remote {
                    return Learn::StaticConflict;
                }
                e.seen = now;
                Learn::Refreshed
            }
            Some(e) if !expired => {
                e.seen = now;
                if e.remote == remote {
                    Learn::Refreshed
                } else {
                    e.remote = remote;
                    Learn::Moved
                }
            }
            _ => {
                if !self.entries.contains_key(&mac) && self.entries.len() >= self.max {
                    return Learn::Full;
                }
                self.entries.insert(
                    mac,
                    Entry {
                        remote,
                        kind: Kind::Learned,
                        seen: now,
                    },
                );
                Learn::New
            }
        }
    }

    /// Where a frame to `dst` goes.
    pub fn lookup(&self, dst: Mac, now: Instant) -> Dest {
        if dst.is_multicast() {
            return Dest::Flood;
        }
        match self.entries.get(&dst) {
            Some(e) if !self.expired(e, now) => Dest::One(e.remote),
            _ => Dest::Flood,
        }
    }

    /// Forgets expired entries.
    pub fn sweep(&mut self, now: Instant) {
        let ageing = self.ageing;
        if ageing.is_zero() {
            return;
        }
        self.entries.retain(|_, e| {
            e.kind == Kind::Static || now.saturating_duration_since(e.seen) <= ageing
        });
        self.last_sweep = Some(now);
    }

    /// Sweeps at most once a second (learning calls it).
    fn maybe_sweep(&mut self, now: Instant) {
        if self
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(1))
        {
            self.sweep(now);
        }
    }

    /// The live entries, sorted by remote, then address.
    pub fn entries(&self, now: Instant) -> Vec<(Mac, Entry)> {
        let mut v: Vec<(Mac, Entry)> = self
            .entries
            .iter()
            .filter(|(_, e)| !self.expired(e, now))
            .map(|(m, e)| (*m, *e))
            .collect();
        v.sort_by_key(|(m, e)| (e.remote, *m));
        v
    }

    /// Counts of live learned and static entries.
    pub fn counts(&self, now: Instant) -> (usize, usize) {
        let live = self.entries(now);
        let stat = live.iter().filter(|(_, e)| e.kind == Kind::Static).count();
        (live.len() - stat, stat)
    }
}

/// The table in the form `brctl showmacs` prints a bridge's: a header,
/// then one line per address: the port (here the remote, or the virtif for
/// its own addresses), the address, whether it is local, and the ageing
/// timer (seconds since the address was last seen; 0.00 for local ones).
pub fn showmacs(
    fdb: &Fdb,
    now: Instant,
    local_port: &str,
    local: &[Mac],
    remote_name: impl Fn(usize) -> String,
) -> String {
    let mut s = String::from("port/remote\tmac addr\t\tis local?\tageing timer\n");
    let mut local: Vec<Mac> = local.to_vec();
    local.sort();
    local.dedup();
    for m in local {
        let _ = writeln!(s, "{local_port}\t{m}\tyes\t\t{:>7}", timer(Duration::ZERO));
    }
    for (m, e) in fdb.entries(now) {
        let age = now.saturating_duration_since(e.seen);
        let _ = writeln!(s, "{}\t{m}\tno\t\t{:>7}", remote_name(e.remote), timer(age));
    }
    s
}

/// brctl's timer format: seconds with two decimals.
fn timer(d: Duration) -> String {
    format!("{}.{:02}", d.as_secs(), d.subsec_millis() / 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(last: u8) -> Mac {
        Mac([2, 0, 0, 0, 0, last])
    }

    #[test]
    fn mac_parse_and_print() {
        let m: Mac = "02:AB:0c:00:00:ff".parse().unwrap();
        assert_eq!(m, Mac([2, 0xab, 0xc, 0, 0, 0xff]));
        assert_eq!(m.to_string(), "02:ab:0c:00:00:ff");
        assert!("02:ab:0c:00:00".parse::<Mac>().is_err());
        assert!("02:ab:0c:00:00:100".parse::<Mac>().is_err());
        assert!("zz:ab:0c:00:00:00".parse::<Mac>().is_err());
        assert!(Mac([0xff; 6]).is_multicast());
        assert!(Mac([0x01, 0, 0x5e, 0, 0, 1]).is_multicast());
        assert!(!mac(1).is_multicast());
        assert!(!Mac([0; 6]).is_valid_unicast());
    }

    #[test]
    fn learn_and_forward() {
        let t0 = Instant::now();
        let mut f = Fdb::new(Duration::from_secs(300));
        // Unknown unicast, broadcast and multicast flood.
        assert_eq!(f.lookup(mac(1), t0), Dest::Flood);
        assert_eq!(f.lookup(Mac([0xff; 6]), t0), Dest::Flood);
        assert_eq!(f.learn(mac(1), 0, t0), Learn::New);
        assert_eq!(f.learn(mac(2), 1, t0), Learn::New);
        assert_eq!(f.lookup(mac(1), t0), Dest::One(0));
        assert_eq!(f.lookup(mac(2), t0), Dest::One(1));
        assert_eq!(f.lookup(Mac([0x33, 0x33, 0, 0, 0, 1]), t0), Dest::Flood);
        // Multicast and zero sources are not learned.
        assert_eq!(f.learn(Mac([0xff; 6]), 0, t0), Learn::Ignored);
        assert_eq!(f.learn(Mac([0; 6]), 0, t0), Learn::Ignored);
        // Seen again: refreshed; seen behind another remote: moved.
        assert_eq!(f.learn(mac(1), 0, t0), Learn::Refreshed);
        assert_eq!(f.learn(mac(1), 1, t0), Learn::Moved);
        assert_eq!(f.lookup(mac(1), t0), Dest::One(1));
        assert_eq!(f.counts(t0), (2, 0));
    }

    #[test]
    fn ageing() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut f = Fdb::new(s(10));
        f.learn(mac(1), 0, t0);
        f.learn(mac(2), 0, t0);
        f.add_static(mac(3), 1, t0);
        // mac(2) is refreshed at 8 s.
        f.learn(mac(2), 0, t0 + s(8));
        assert_eq!(f.lookup(mac(1), t0 + s(10)), Dest::One(0));
        // After 10 s without a frame, mac(1) is gone: flooded again.
        assert_eq!(f.lookup(mac(1), t0 + s(11)), Dest::Flood);
        assert_eq!(f.lookup(mac(2), t0 + s(11)), Dest::One(0));
        assert_eq!(f.lookup(mac(2), t0 + s(19)), Dest::Flood);
        // The static entry does not age.
        assert_eq!(f.lookup(mac(3), t0 + s(1000)), Dest::One(1));
        let e: Vec<Mac> = f.entries(t0 + s(11)).iter().map(|(m, _)| *m).collect();
        assert_eq!(e, [mac(2), mac(3)]);
        f.sweep(t0 + s(11));
        assert_eq!(f.entries.len(), 2);
        // A new frame brings an expired address back.
        assert_eq!(f.learn(mac(1), 1, t0 + s(12)), Learn::New);
        // Ageing 0: never.
        let mut f = Fdb::new(Duration::ZERO);
        f.learn(mac(1), 0, t0);
        assert_eq!(f.lookup(mac(1), t0 + s(1_000_000)), Dest::One(0));
    }

    #[test]
    fn static_entries() {
        let t0 = Instant::now();
        let mut f = Fdb::new(Duration::from_secs(1));
        f.add_static(mac(9), 2, t0);
        // Learning does not move it; the frame is refused.
        assert_eq!(f.learn(mac(9), 0, t0), Learn::StaticConflict);
        assert_eq!(f.learn(mac(9), 2, t0), Learn::Refreshed);
        assert_eq!(
            f.lookup(mac(9), t0 + Duration::from_secs(100)),
            Dest::One(2)
        );
        assert_eq!(f.counts(t0), (0, 1));
    }

    #[test]
    fn full_table() {
        let t0 = Instant::now();
        let mut f = Fdb::new(Duration::from_secs(300));
        f.max = 2;
        assert_eq!(f.learn(mac(1), 0, t0), Learn::New);
        assert_eq!(f.learn(mac(2), 0, t0), Learn::New);
        assert_eq!(f.learn(mac(3), 0, t0), Learn::Full);
        assert_eq!(f.learn(mac(1), 1, t0), Learn::Moved);
    }

    #[test]
    fn showmacs_format() {
        let t0 = Instant::now();
        let mut f = Fdb::new(Duration::from_secs(300));
        f.learn(mac(2), 1, t0);
        f.learn(mac(1), 0, t0 + Duration::from_millis(1500));
        f.add_static(mac(7), 1, t0);
        let out = showmacs(
            &f,
            t0 + Duration::from_millis(12_345),
            "va",
            &[Mac([2, 0, 0, 0, 0, 0xaa])],
            |r| format!("10.0.0.{}:4789", r + 2),
        );
        assert_eq!(
            out,
            "port/remote\tmac addr\t\tis local?\tageing timer\n\
             va\t02:00:00:00:00:aa\tyes\t\t   0.00\n\
             10.0.0.2:4789\t02:00:00:00:00:01\tno\t\t  10.84\n\
             10.0.0.3:4789\t02:00:00:00:00:02\tno\t\t  12.34\n\
             10.0.0.3:4789\t02:00:00:00:00:07\tno\t\t  12.34\n"
        );
    }
}
