// SPDX-License-Identifier: GPL-2.0
//! The counters of a forwarder: frames and bytes each way, and frames
//! dropped, by reason.
//!
//! Every frame a port reads ends up either delivered (counted in its
//! direction's [`Dir`]) or dropped (counted under one reason in [`Drops`]).
//! Programs print [`Counters::summary`] when they exit, e.g.
//!
//! ```text
//! virtif->tap 12 frames (1480 bytes), tap->virtif 10 frames (980 bytes),
//! virtif-refused 0, virtif-nomem 0, tap-write-error 0, wake-ups 25
//! ```

use std::fmt::Write;

/// Frames delivered in one direction.
#[derive(Clone, Debug, Default)]
pub struct Dir {
    /// The direction's name, e.g. `virtif->udp`.
    pub name: String,
    /// Frames delivered.
    pub frames: u64,
    /// Their bytes (Ethernet header included, and the offload header if
    /// the frames have one).
    pub bytes: u64,
    /// Of the frames read in this direction, the GSO packets (with the
    /// offload header only: frames that crossed whole, larger than the MTU).
    pub gso: u64,
}

impl Dir {
    /// Counts one delivered frame of `len` bytes.
    pub fn add(&mut self, len: usize) {
        self.frames += 1;
        self.bytes += len as u64;
    }

    /// Adds the counts of `other` (same direction, another queue).
    pub fn merge(&mut self, other: &Dir) {
        self.frames += other.frames;
        self.bytes += other.bytes;
        self.gso += other.gso;
    }
}

/// Dropped frames by reason. Reasons are short kebab-case names
/// (`virtif-refused`, `too-big`, ...); a registered reason is reported even
/// while it is 0, in the order of registration.
#[derive(Clone, Debug, Default)]
pub struct Drops {
    reasons: Vec<(&'static str, u64)>,
}

impl Drops {
    /// Makes `reasons` appear in reports, in this order, even while 0.
    pub fn register(&mut self, reasons: &[&'static str]) {
        for r in reasons {
            self.add(r, 0);
        }
    }

    /// Counts `n` frames dropped for `reason`.
    pub fn add(&mut self, reason: &'static str, n: u64) {
        match self.reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, c)) => *c += n,
            None => self.reasons.push((reason, n)),
        }
    }

    /// Counts one frame dropped for `reason`.
    pub fn one(&mut self, reason: &'static str) {
        self.add(reason, 1);
    }

    /// The count of `reason` (0 if it never happened).
    pub fn get(&self, reason: &str) -> u64 {
        self.reasons
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, c)| *c)
    }

    /// All drops.
    pub fn total(&self) -> u64 {
        self.reasons.iter().map(|(_, c)| c).sum()
    }

    /// The reasons and their counts, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.reasons.iter().copied()
    }
}

/// The counters of a forwarder between two ports `a` and `b`.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// Frames from `a` delivered to `b`.
    pub ab: Dir,
    /// Frames from `b` delivered to `a`.
    pub ba: Dir,
    /// Frames dropped, either way.
    pub drops: Drops,
    /// Times the loop woke up.
    pub wakeups: u64,
    /// The frames carry the offload header: report GSO packets too.
    pub vnet_hdr: bool,
}

impl Counters {
    /// Counters for ports named `a` and `b` (`virtif`, `tap`, `udp`, ...).
    pub fn new(a: &str, b: &str) -> Self {
        Counters {
            ab: Dir {
                name: format!("{a}->{b}"),
                ..Dir::default()
            },
            ba: Dir {
                name: format!("{b}->{a}"),
                ..Dir::default()
            },
            ..Counters::default()
        }
    }

    /// Adds the counts of `other` (the counters of another queue of the
    /// same ports).
    pub fn merge(&mut self, other: &Counters) {
        self.ab.merge(&other.ab);
        self.ba.merge(&other.ba);
        for (r, n) in other.drops.iter() {
            self.drops.add(r, n);
        }
        self.wakeups += other.wakeups;
        self.vnet_hdr |= other.vnet_hdr;
    }

    /// One line: both directions, every registered drop reason, wake-ups;
    /// with the offload header, each direction's GSO packets too
    /// (`virtif->tap 12 frames (90480 bytes, 4 GSO)`).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for d in [&self.ab, &self.ba] {
            if self.vnet_hdr {
                let _ = write!(
                    s,
                    "{} {} frames ({} bytes, {} GSO), ",
                    d.name, d.frames, d.bytes, d.gso
                );
            } else {
                let _ = write!(s, "{} {} frames ({} bytes), ", d.name, d.frames, d.bytes);
            }
        }
        for (r, n) in self.drops.iter() {
            let _ = write!(s, "{r} {n}, ");
        }
        let _ = write!(s, "wake-ups {}", self.wakeups);
        s
    }

    /// One counter per line (`NAME frames N`, `NAME bytes N`, `drop REASON
    /// N`, `wake-ups N`), for a control socket's `stats`.
    pub fn lines(&self) -> String {
        let mut s = String::new();
        for d in [&self.ab, &self.ba] {
            let _ = writeln!(s, "{} frames {}", d.name, d.frames);
            let _ = writeln!(s, "{} bytes {}", d.name, d.bytes);
            if self.vnet_hdr {
                let _ = writeln!(s, "{} gso {}", d.name, d.gso);
            }
        }
        for (r, n) in self.drops.iter() {
            let _ = writeln!(s, "drop {r} {n}");
        }
        let _ = writeln!(s, "wake-ups {}", self.wakeups);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_lines() {
        let mut c = Counters::new("virtif", "tap");
        c.drops.register(&["virtif-refused", "tap-write-error"]);
        c.ab.add(60);
        c.ab.add(100);
        c.ba.add(42);
        c.drops.one("tap-write-error");
        c.drops.add("too-big", 2);
        c.wakeups = 3;
        assert_eq!(
            c.summary(),
            "virtif->tap 2 frames (160 bytes), tap->virtif 1 frames (42 bytes), \
             virtif-refused 0, tap-write-error 1, too-big 2, wake-ups 3"
        );
        assert_eq!(c.drops.get("too-big"), 2);
        assert_eq!(c.drops.get("nothing"), 0);
        assert_eq!(c.drops.total(), 3);
        assert!(c.lines().contains("virtif->tap frames 2\n"));
        assert!(c.lines().contains("drop too-big 2\n"));
        assert!(!c.lines().contains("gso"));
    }

    #[test]
    fn gso_and_merge() {
        let mut q0 = Counters::new("virtif", "tap");
        q0.vnet_hdr = true;
        q0.drops.register(&["virtif-refused"]);
        q0.ab.add(65000);
        q0.ab.gso += 1;
        q0.wakeups = 2;
        let mut q1 = q0.clone();
        q1.ba.add(66);
        q1.drops.one("virtif-refused");
        q1.drops.one("tap-write-error");
        let mut all = Counters::new("virtif", "tap");
        all.merge(&q0);
        all.merge(&q1);
        assert_eq!(
            all.summary(),
            "virtif->tap 2 frames (130000 bytes, 2 GSO), tap->virtif 1 frames (66 bytes, 0 GSO), \
             virtif-refused 1, tap-write-error 1, wake-ups 4"
        );
        assert!(all.lines().contains("virtif->tap gso 2\n"));
    }
}
