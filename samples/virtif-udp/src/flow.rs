// SPDX-License-Identifier: GPL-2.0
//! The outer UDP source port: a hash of the inner flow, spread over a port
//! range, as Linux's tunnels do with `udp_flow_src_port()`: the frames of
//! one flow (IP addresses, protocol, ports, in either direction) keep their
//! port, different flows spread over the range, so that ECMP in the
//! underlay spreads them over paths. A frame without a flow (ARP, ...) is
//! hashed by its Ethernet addresses (`use_eth`).

use std::hash::{BuildHasher, Hash};
use std::ops::RangeInclusive;

use crate::encap::ETH_HLEN;

const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_8021AD: u16 = 0x88a8;

/// The fields that make a flow, in a direction-independent order (as
/// Linux's flow dissector makes its hash "consistent").
#[derive(Hash, Debug, PartialEq, Eq)]
enum FlowKey<'a> {
    Ip {
        lo: &'a [u8],
        hi: &'a [u8],
        proto: u8,
        ports: (u16, u16),
    },
    Eth {
        lo: &'a [u8],
        hi: &'a [u8],
        ethertype: u16,
    },
}

fn ordered<'a>(a: &'a [u8], b: &'a [u8], pa: u16, pb: u16) -> (&'a [u8], &'a [u8], (u16, u16)) {
    if (a, pa) <= (b, pb) {
        (a, b, (pa, pb))
    } else {
        (b, a, (pb, pa))
    }
}

/// Transport protocols whose first 4 bytes are the ports.
fn has_ports(proto: u8) -> bool {
    matches!(proto, 6 | 17 | 33 | 132 | 136) // TCP, UDP, DCCP, SCTP, UDP-Lite
}

fn ports(l4: &[u8]) -> (u16, u16) {
    if l4.len() < 4 {
        return (0, 0);
    }
    (
        u16::from_be_bytes([l4[0], l4[1]]),
        u16::from_be_bytes([l4[2], l4[3]]),
    )
}

fn flow_key(frame: &[u8]) -> FlowKey<'_> {
    let eth = || {
        let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
        let (lo, hi, _) = ordered(&frame[0..6], &frame[6..12], 0, 0);
        FlowKey::Eth { lo, hi, ethertype }
    };
    let mut off = 12;
    let mut ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    for _ in 0..2 {
        if (ethertype == ETH_P_8021Q || ethertype == ETH_P_8021AD) && frame.len() >= off + 6 {
            off += 4;
            ethertype = u16::from_be_bytes([frame[off], frame[off + 1]]);
        }
    }
    let l3 = &frame[off + 2..];
    match ethertype {
        ETH_P_IP if l3.len() >= 20 && l3[0] >> 4 == 4 => {
            let ihl = (l3[0] & 0xf) as usize * 4;
            let proto = l3[9];
            let frag = u16::from_be_bytes([l3[6], l3[7]]) & 0x3fff;
            let (pa, pb) = if frag == 0 && has_ports(proto) && l3.len() >= ihl {
                ports(&l3[ihl..])
            } else {
                (0, 0)
            };
            let (lo, hi, ports) = ordered(&l3[12..16], &l3[16..20], pa, pb);
            FlowKey::Ip {
                lo,
                hi,
                proto,
                ports,
            }
        }
        ETH_P_IPV6 if l3.len() >= 40 && l3[0] >> 4 == 6 => {
            let proto = l3[6];
            let (pa, pb) = if has_ports(proto) {
                ports(&l3[40..])
            } else {
                (0, 0)
            };
            let (lo, hi, ports) = ordered(&l3[8..24], &l3[24..40], pa, pb);
            FlowKey::Ip {
                lo,
                hi,
                proto,
                ports,
            }
        }
        _ => eth(),
    }
}

/// Picks outer source ports.
#[derive(Clone, Debug)]
pub struct SrcPort<S: BuildHasher = std::hash::RandomState> {
    hasher: S,
    range: RangeInclusive<u16>,
}

impl SrcPort {
    /// Ports in `range`, hashed with a key random to this process (like
    /// the kernel's per-boot hash seed).
    pub fn new(range: RangeInclusive<u16>) -> Self {
        SrcPort::with_hasher(range, std::hash::RandomState::new())
    }
}

impl<S: BuildHasher> SrcPort<S> {
    /// Ports in `range`, hashed with `hasher`.
    pub fn with_hasher(range: RangeInclusive<u16>, hasher: S) -> Self {
        SrcPort { hasher, range }
    }

    /// The 32-bit flow hash of a frame (at least an Ethernet header).
    pub fn hash(&self, frame: &[u8]) -> u32 {
        debug_assert!(frame.len() >= ETH_HLEN);
        let v = self.hasher.hash_one(flow_key(frame));
        (v ^ (v >> 32)) as u32
    }

    /// The source port for a frame: `udp_flow_src_port()`'s arithmetic on
    /// our flow hash.
    pub fn port(&self, frame: &[u8]) -> u16 {
        scale(self.hash(frame), &self.range)
    }
}

/// `udp_flow_src_port()`: fold the hash (only its upper 16 bits count,
/// and they should not leak it), then scale it into `[min, max]`
/// (`reciprocal_scale`).
pub fn scale(mut hash: u32, range: &RangeInclusive<u16>) -> u16 {
    let (min, max) = (*range.start() as u64, *range.end() as u64);
    hash ^= hash << 16;
    (((hash as u64) * (max - min + 1)) >> 32) as u16 + min as u16
}

/// The local port range of the current network namespace
/// (`net.ipv4.ip_local_port_range`), Linux's default for tunnels; 32768 to
/// 60999 if it cannot be read.
pub fn local_port_range() -> RangeInclusive<u16> {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|v| v.parse::<u16>());
            match (it.next(), it.next()) {
                (Some(Ok(a)), Some(Ok(b))) if a <= b => Some(a..=b),
                _ => None,
            }
        })
        .unwrap_or(32768..=60999)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasherDefault;

    type Fixed = BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

    fn ports() -> SrcPort<Fixed> {
        SrcPort::with_hasher(32768..=60999, Fixed::default())
    }

    /// An Ethernet frame with an IPv4 TCP header.
    fn tcp4(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        let mut ip = vec![0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0];
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&dst);
        f.extend_from_slice(&ip);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0; 16]);
        f
    }

    fn udp6(src: u8, dst: u8, sport: u16, dport: u16) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        let mut ip = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
        let mut a = [0u8; 16];
        a[0] = 0xfd;
        a[15] = src;
        ip.extend_from_slice(&a);
        a[15] = dst;
        ip.extend_from_slice(&a);
        f.extend_from_slice(&ip);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0, 8, 0, 0]);
        f
    }

    #[test]
    fn same_flow_same_port_both_ways() {
        let p = ports();
        let a = tcp4([10, 0, 0, 1], [10, 0, 0, 2], 40000, 80);
        let mut a2 = a.clone();
        a2.extend_from_slice(&[9; 100]); // more payload, same flow
        let back = tcp4([10, 0, 0, 2], [10, 0, 0, 1], 80, 40000);
        assert_eq!(p.port(&a), p.port(&a2));
        assert_eq!(p.port(&a), p.port(&back));
        let x = udp6(1, 2, 5000, 53);
        assert_eq!(p.port(&x), p.port(&udp6(2, 1, 53, 5000)));
        assert_ne!(p.hash(&x), p.hash(&udp6(1, 2, 5001, 53)));
    }

    #[test]
    fn flows_spread_over_the_range() {
        let p = ports();
        let mut seen = HashSet::new();
        for sport in 0..1000u16 {
            let port = p.port(&tcp4([10, 0, 0, 1], [10, 0, 0, 2], 10000 + sport, 80));
            assert!((32768..=60999).contains(&port));
            seen.insert(port);
        }
        // 1000 flows over 28232 ports: nearly all distinct.
        assert!(seen.len() > 950, "{} distinct ports", seen.len());
    }

    #[test]
    fn non_ip_hashes_the_addresses() {
        let p = ports();
        let mut arp = vec![0xff; 6];
        arp.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x06]);
        arp.extend_from_slice(&[0; 28]);
        let mut arp2 = arp.clone();
        arp2[20] = 1; // other ARP contents, same addresses
        assert_eq!(p.port(&arp), p.port(&arp2));
        let mut other = arp.clone();
        other[11] = 2; // another source
        assert_ne!(p.hash(&arp), p.hash(&other));
        // A VLAN tag is looked through.
        let t = tcp4([10, 0, 0, 1], [10, 0, 0, 2], 1, 2);
        let mut v = t[..12].to_vec();
        v.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        v.extend_from_slice(&t[12..]);
        assert_eq!(p.port(&t), p.port(&v));
    }

    #[test]
    fn fragments_hash_without_ports() {
        let p = ports();
        let mut a = tcp4([10, 0, 0, 1], [10, 0, 0, 2], 1, 2);
        let mut b = tcp4([10, 0, 0, 1], [10, 0, 0, 2], 3, 4);
        for f in [&mut a, &mut b] {
            f[14 + 6] = 0x20; // more fragments
        }
        assert_eq!(p.port(&a), p.port(&b));
    }

    #[test]
    fn scale_is_udp_flow_src_port() {
        // hash ^= hash << 16; (hash * (max - min + 1)) >> 32 + min
        assert_eq!(scale(0, &(32768..=60999)), 32768);
        assert_eq!(scale(0xffff_0000, &(32768..=60999)), 32768 + 28231);
        let h = 0x1234_5678u32;
        let folded = h ^ (h << 16);
        let want = ((folded as u64 * 28232) >> 32) as u16 + 32768;
        assert_eq!(scale(h, &(32768..=60999)), want);
        assert_eq!(scale(12345, &(5000..=5000)), 5000);
    }
}
