// SPDX-License-Identifier: GPL-2.0
//! The encapsulations: how a frame travels in a UDP datagram.
//!
//! - `raw`: the datagram is the frame (virtif-udp's own format);
//! - `vxlan` (RFC 7348): an 8-byte header, flags `I` (0x08) and a 24-bit
//!   VNI, then the frame; UDP port 4789;
//! - `geneve` (RFC 8926): an 8-byte header (version 0, options length,
//!   `O` and `C` flags, protocol type 0x6558 for Ethernet, 24-bit VNI),
//!   variable-length options, then the frame; UDP port 6081.
//!
//! [`Encap::decap`] checks a received datagram the way Linux's vxlan and
//! geneve drivers do and says why it drops one ([`Malformed`]).

use std::fmt;

/// The encapsulation of the frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// One frame per datagram, nothing else (virtif-udp's own format).
    Raw,
    /// VXLAN, RFC 7348.
    Vxlan,
    /// GENEVE, RFC 8926.
    Geneve,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Raw => "raw",
            Kind::Vxlan => "vxlan",
            Kind::Geneve => "geneve",
        })
    }
}

/// The Ethernet header.
pub const ETH_HLEN: usize = 14;
/// The UDP header.
pub const UDP_HLEN: usize = 8;
/// The IPv4 header without options.
pub const IPV4_HLEN: usize = 20;
/// The IPv6 header.
pub const IPV6_HLEN: usize = 40;
/// The VXLAN header.
pub const VXLAN_HLEN: usize = 8;
/// The GENEVE header without options.
pub const GENEVE_HLEN: usize = 8;
/// The VXLAN `I` flag: the VNI is valid.
pub const VXLAN_FLAG_I: u8 = 0x08;
/// GENEVE's protocol type for Ethernet frames (`ETH_P_TEB`).
pub const ETH_P_TEB: u16 = 0x6558;
/// The critical bit of a GENEVE option's type.
pub const GENEVE_OPT_CRITICAL: u8 = 0x80;

/// Why a received datagram is dropped. The names are the drop reasons of
/// the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than the header(s) plus an Ethernet header.
    Short,
    /// VXLAN: the `I` flag clear, or a reserved bit set.
    BadFlags,
    /// Not our VNI.
    BadVni,
    /// GENEVE: a version other than 0.
    BadVersion,
    /// GENEVE: a protocol type other than Ethernet (0x6558).
    BadProtocol,
    /// GENEVE: an option we must understand (its type's critical bit, or
    /// the header's `C` flag), and we understand none.
    CriticalOption,
    /// GENEVE: an OAM (control) packet, not for the interface.
    Oam,
    /// GENEVE: the options' lengths do not add up.
    BadOption,
}

impl Malformed {
    /// Every reason.
    #[cfg(test)]
    pub const ALL: [Malformed; 8] = [
        Malformed::Short,
        Malformed::BadFlags,
        Malformed::BadVni,
        Malformed::BadVersion,
        Malformed::BadProtocol,
        Malformed::CriticalOption,
        Malformed::Oam,
        Malformed::BadOption,
    ];

    /// Its name as a drop reason.
    pub fn reason(self) -> &'static str {
        match self {
            Malformed::Short => "short",
            Malformed::BadFlags => "bad-flags",
            Malformed::BadVni => "bad-vni",
            Malformed::BadVersion => "bad-version",
            Malformed::BadProtocol => "bad-protocol",
            Malformed::CriticalOption => "critical-option",
            Malformed::Oam => "oam",
            Malformed::BadOption => "bad-option",
        }
    }
}

/// An encapsulation with its parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Encap {
    /// Which one.
    pub kind: Kind,
    /// The VXLAN/GENEVE network identifier (24 bits).
    pub vni: u32,
}

/// The largest VNI (24 bits).
pub const VNI_MAX: u32 = (1 << 24) - 1;

impl Encap {
    /// The standard UDP port of the encapsulation (`raw` has none).
    pub fn default_port(kind: Kind) -> Option<u16> {
        match kind {
            Kind::Raw => None,
            Kind::Vxlan => Some(4789),
            Kind::Geneve => Some(6081),
        }
    }

    /// The bytes of our header before the frame.
    pub fn header_len(&self) -> usize {
        match self.kind {
            Kind::Raw => 0,
            Kind::Vxlan => VXLAN_HLEN,
            Kind::Geneve => GENEVE_HLEN, // we send no options
        }
    }

    /// What a frame costs on the underlay beyond its own bytes after the
    /// Ethernet header, i.e. underlay MTU - interface MTU: IP and UDP
    /// headers, our header and the inner Ethernet header (VXLAN over IPv4:
    /// 20 + 8 + 8 + 14 = 50, as Linux's vxlan reserves).
    pub fn overhead(&self, ipv6: bool) -> usize {
        let ip = if ipv6 { IPV6_HLEN } else { IPV4_HLEN };
        match self.kind {
            // A raw datagram is the frame, Ethernet header included.
            Kind::Raw => ip + UDP_HLEN + ETH_HLEN,
            _ => ip + UDP_HLEN + self.header_len() + ETH_HLEN,
        }
    }

    /// Writes our header (`header_len()` bytes) into `out`.
    pub fn write_header(&self, out: &mut [u8]) {
        let vni = (self.vni & VNI_MAX).to_be_bytes();
        match self.kind {
            Kind::Raw => {}
            Kind::Vxlan => {
                out[..8].copy_from_slice(&[VXLAN_FLAG_I, 0, 0, 0, vni[1], vni[2], vni[3], 0]);
            }
            Kind::Geneve => {
                let p = ETH_P_TEB.to_be_bytes();
                // Version 0, no options, no O/C flags.
                out[..8].copy_from_slice(&[0, 0, p[0], p[1], vni[1], vni[2], vni[3], 0]);
            }
        }
    }

    /// Checks a received datagram and returns the frame it carries.
    pub fn decap<'a>(&self, d: &'a [u8]) -> Result<&'a [u8], Malformed> {
        let frame = match self.kind {
            Kind::Raw => d,
            Kind::Vxlan => {
                if d.len() < VXLAN_HLEN {
                    return Err(Malformed::Short);
                }
                // Like vxlan_rcv(): the I flag must be set and nothing
                // else (Linux treats unknown flags and reserved bits as a
                // malformed packet).
                if d[0] != VXLAN_FLAG_I || d[1..4] != [0, 0, 0] || d[7] != 0 {
                    return Err(Malformed::BadFlags);
                }
                if vni_of(&d[4..7]) != self.vni {
                    return Err(Malformed::BadVni);
                }
                &d[VXLAN_HLEN..]
            }
            Kind::Geneve => {
                if d.len() < GENEVE_HLEN {
                    return Err(Malformed::Short);
                }
                let ver = d[0] >> 6;
                let opt_len = (d[0] & 0x3f) as usize * 4;
                let oam = d[1] & 0x80 != 0;
                let critical = d[1] & 0x40 != 0;
                let proto = u16::from_be_bytes([d[2], d[3]]);
                if ver != 0 {
                    return Err(Malformed::BadVersion);
                }
                if proto != ETH_P_TEB {
                    return Err(Malformed::BadProtocol);
                }
                if vni_of(&d[4..7]) != self.vni {
                    return Err(Malformed::BadVni);
                }
                let hlen = GENEVE_HLEN + opt_len;
                if d.len() < hlen {
                    return Err(Malformed::Short);
                }
                check_geneve_options(&d[GENEVE_HLEN..hlen])?;
                if critical {
                    // The C flag without a critical option is a lie; we
                    // drop like Linux does for any C flag.
                    return Err(Malformed::CriticalOption);
                }
                if oam {
                    return Err(Malformed::Oam);
                }
                &d[hlen..]
            }
        };
        if frame.len() < ETH_HLEN {
            return Err(Malformed::Short);
        }
        Ok(frame)
    }
}

fn vni_of(b: &[u8]) -> u32 {
    u32::from_be_bytes([0, b[0], b[1], b[2]])
}

/// Walks GENEVE options (class 16 bits, type 8, 3 reserved bits and a
/// length of 5 bits in 4-byte words, then the data): we understand none,
/// so a critical one drops the packet; the others are skipped.
fn check_geneve_options(mut opts: &[u8]) -> Result<(), Malformed> {
    while !opts.is_empty() {
        if opts.len() < 4 {
            return Err(Malformed::BadOption);
        }
        let typ = opts[2];
        let len = 4 + (opts[3] & 0x1f) as usize * 4;
        if len > opts.len() {
            return Err(Malformed::BadOption);
        }
        if typ & GENEVE_OPT_CRITICAL != 0 {
            return Err(Malformed::CriticalOption);
        }
        opts = &opts[len..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: [u8; 20] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5, 1, 2, 3, 4, 5, 6,
    ];

    fn enc(kind: Kind, vni: u32) -> Encap {
        Encap { kind, vni }
    }

    fn packet(e: &Encap) -> Vec<u8> {
        let mut p = vec![0; e.header_len()];
        e.write_header(&mut p);
        p.extend_from_slice(&FRAME);
        p
    }

    #[test]
    fn overheads() {
        // What Linux reserves: VXLAN_HEADROOM / VXLAN6_HEADROOM, and
        // GENEVE without options the same.
        assert_eq!(enc(Kind::Vxlan, 1).overhead(false), 50);
        assert_eq!(enc(Kind::Vxlan, 1).overhead(true), 70);
        assert_eq!(enc(Kind::Geneve, 1).overhead(false), 50);
        assert_eq!(enc(Kind::Geneve, 1).overhead(true), 70);
        // Raw: IP + UDP + the frame's Ethernet header.
        assert_eq!(enc(Kind::Raw, 0).overhead(false), 42);
        assert_eq!(enc(Kind::Raw, 0).overhead(true), 62);
        assert_eq!(Encap::default_port(Kind::Vxlan), Some(4789));
        assert_eq!(Encap::default_port(Kind::Geneve), Some(6081));
    }

    #[test]
    fn vxlan_header() {
        let e = enc(Kind::Vxlan, 0x123456);
        let p = packet(&e);
        assert_eq!(&p[..8], &[0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
        assert_eq!(e.decap(&p), Ok(&FRAME[..]));
    }

    #[test]
    fn vxlan_malformed() {
        let e = enc(Kind::Vxlan, 42);
        let good = packet(&e);
        let with = |i: usize, v: u8| {
            let mut p = good.clone();
            p[i] = v;
            p
        };
        assert_eq!(e.decap(&good[..7]), Err(Malformed::Short));
        assert_eq!(e.decap(&good[..8 + 13]), Err(Malformed::Short));
        assert_eq!(e.decap(&with(0, 0)), Err(Malformed::BadFlags)); // no I flag
        assert_eq!(e.decap(&with(0, 0x0c)), Err(Malformed::BadFlags)); // I + another
        assert_eq!(e.decap(&with(2, 1)), Err(Malformed::BadFlags)); // reserved
        assert_eq!(e.decap(&with(7, 1)), Err(Malformed::BadFlags)); // reserved
        assert_eq!(e.decap(&with(6, 43)), Err(Malformed::BadVni));
        assert_eq!(e.decap(&with(4, 1)), Err(Malformed::BadVni));
    }

    #[test]
    fn geneve_header() {
        let e = enc(Kind::Geneve, 0xabcdef);
        let p = packet(&e);
        assert_eq!(&p[..8], &[0, 0, 0x65, 0x58, 0xab, 0xcd, 0xef, 0]);
        assert_eq!(e.decap(&p), Ok(&FRAME[..]));
    }

    /// A GENEVE packet with `opts` (a multiple of 4 bytes) and the flag
    /// byte `flags`.
    fn geneve_with(vni: u32, flags: u8, opts: &[u8]) -> Vec<u8> {
        let v = vni.to_be_bytes();
        let mut p = vec![
            (opts.len() / 4) as u8,
            flags,
            0x65,
            0x58,
            v[1],
            v[2],
            v[3],
            0,
        ];
        p.extend_from_slice(opts);
        p.extend_from_slice(&FRAME);
        p
    }

    #[test]
    fn geneve_options() {
        let e = enc(Kind::Geneve, 7);
        // Two non-critical options (4 and 12 bytes): skipped.
        let opts = [
            0x01, 0x02, 0x03, 0, // class 0x0102, type 3, no data
            0xff, 0xff, 0x7f, 2, 1, 2, 3, 4, 5, 6, 7, 8, // type 0x7f, 8 bytes of data
        ];
        assert_eq!(e.decap(&geneve_with(7, 0, &opts)), Ok(&FRAME[..]));
        // A critical option (type bit 7).
        let crit = [0x01, 0x02, 0x83, 0];
        assert_eq!(
            e.decap(&geneve_with(7, 0x40, &crit)),
            Err(Malformed::CriticalOption)
        );
        assert_eq!(
            e.decap(&geneve_with(7, 0, &crit)),
            Err(Malformed::CriticalOption)
        );
        // The C flag alone.
        assert_eq!(
            e.decap(&geneve_with(7, 0x40, &[])),
            Err(Malformed::CriticalOption)
        );
        // An option longer than the options area.
        let bad = [0x01, 0x02, 0x03, 3, 0, 0, 0, 0];
        assert_eq!(e.decap(&geneve_with(7, 0, &bad)), Err(Malformed::BadOption));
        // OAM.
        assert_eq!(e.decap(&geneve_with(7, 0x80, &[])), Err(Malformed::Oam));
    }

    #[test]
    fn geneve_malformed() {
        let e = enc(Kind::Geneve, 7);
        let good = geneve_with(7, 0, &[]);
        let with = |i: usize, v: u8| {
            let mut p = good.clone();
            p[i] = v;
            p
        };
        assert_eq!(e.decap(&good[..5]), Err(Malformed::Short));
        assert_eq!(e.decap(&with(0, 0x40)), Err(Malformed::BadVersion));
        assert_eq!(e.decap(&with(0, 0x80)), Err(Malformed::BadVersion));
        assert_eq!(e.decap(&with(3, 0x59)), Err(Malformed::BadProtocol));
        assert_eq!(e.decap(&with(2, 0x08)), Err(Malformed::BadProtocol));
        assert_eq!(e.decap(&with(6, 8)), Err(Malformed::BadVni));
        // Options announced beyond the end.
        assert_eq!(e.decap(&with(0, 0x3f)), Err(Malformed::Short));
        // Options fine, the frame too short.
        let mut p = geneve_with(7, 0, &[1, 2, 3, 0]);
        p.truncate(8 + 4 + 13);
        assert_eq!(e.decap(&p), Err(Malformed::Short));
    }

    #[test]
    fn raw() {
        let e = enc(Kind::Raw, 0);
        assert_eq!(e.header_len(), 0);
        assert_eq!(e.decap(&FRAME), Ok(&FRAME[..]));
        assert_eq!(e.decap(&FRAME[..13]), Err(Malformed::Short));
    }
}
