#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Malformed and foreign datagrams never reach the interface: a Python
# sender in ub plays virtif-udp's remote and sends, for VXLAN, GENEVE and
# raw, good datagrams and bad ones of every kind (too short, wrong flags,
# reserved bits, wrong VNI, wrong version, wrong protocol type, critical
# options or the C flag, OAM, bad option lengths; and a good one from an
# address that is not a remote). Each bad one is counted under its reason
# (virtif-udp stats), the virtif receives exactly the good ones (its
# rx_packets), and its own drop counters do not move.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
underlay 10.50.0
ip -n ub addr add 10.50.0.3/24 dev ve1
user_virtif ua va 10.51.0.1/24
CTL=$UTMP/ctl

# send KIND PORT: the datagrams of send.py for KIND to 10.50.0.1:PORT.
cat >"$UTMP/send.py" <<'EOF'
import socket, struct, sys

kind, port = sys.argv[1], int(sys.argv[2])
FRAME = b"\xff" * 6 + b"\x02\x00\x00\x00\x50\x02" + struct.pack("!H", 0x88B5) + b"m" * 46
VNI = 42

def vxlan(flags=0x08, vni=VNI, r1=b"\0\0\0", r2=0, frame=FRAME):
    return bytes([flags]) + r1 + struct.pack("!I", vni)[1:] + bytes([r2]) + frame

def geneve(ver=0, oam=0, crit=0, proto=0x6558, vni=VNI, opts=b"", optlen=None, frame=FRAME):
    ol = len(opts) // 4 if optlen is None else optlen
    return (bytes([ver << 6 | ol, oam << 7 | crit << 6]) + struct.pack("!H", proto)
            + struct.pack("!I", vni)[1:] + b"\0" + opts + frame)

def opt(cls, typ, data=b""):
    return struct.pack("!HBB", cls, typ, len(data) // 4) + data

good = {"vxlan": vxlan(), "geneve": geneve(), "raw": FRAME}[kind]
bad = {
    "vxlan": [
        b"\x08\0\0",                      # short
        vxlan(frame=FRAME[:10]),          # short: no room for an Ethernet header
        vxlan(flags=0x00),                # bad-flags: no I flag
        vxlan(flags=0x0c),                # bad-flags: I and another
        vxlan(r1=b"\0\x01\0"),            # bad-flags: reserved bits
        vxlan(r2=1),                      # bad-flags: reserved bits
        vxlan(vni=43),                    # bad-vni
    ],
    "geneve": [
        b"\0\0\x65",                      # short
        geneve(optlen=20),                # short: options beyond the end
        geneve(ver=1),                    # bad-version
        geneve(proto=0x0800),             # bad-protocol
        geneve(vni=43),                   # bad-vni
        geneve(crit=1, opts=opt(0x0102, 0x81, b"abcd")),  # critical-option
        geneve(crit=1),                   # critical-option: the C flag
        geneve(opts=opt(0x0102, 0x80)),   # critical-option: the type's bit
        geneve(oam=1),                    # oam
        geneve(opts=opt(0x0102, 3, b"abcdefgh")[:8]),  # bad-option: longer than the area
    ],
    "raw": [FRAME[:10]],                  # short
}[kind]
extra = {"geneve": [geneve(opts=opt(0x0102, 3) + opt(0xffff, 0x7f, b"12345678"))]}.get(kind, [])

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.50.0.2", 0))
stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
stranger.bind(("10.50.0.3", 0))
dst = ("10.50.0.1", port)
s.sendto(good, dst)
for d in bad:
    s.sendto(d, dst)
for d in extra:                           # good, with options to skip
    s.sendto(d, dst)
stranger.sendto(good, dst)                # unknown-remote
s.sendto(good, dst)
EOF

# reason COUNT pairs per kind, and the good datagrams.
declare -A WANT GOOD
WANT[vxlan]="short 2 bad-flags 4 bad-vni 1 unknown-remote 1"
WANT[geneve]="short 2 bad-version 1 bad-protocol 1 bad-vni 1 critical-option 3 oam 1 bad-option 1 unknown-remote 1"
WANT[raw]="short 1 unknown-remote 1"
GOOD=([vxlan]=2 [geneve]=3 [raw]=2)

# The counters, once per check (each query starts a process: slow in TCG).
stats() { ip netns exec ua "$VUDP" stats --control "$CTL" >"$UTMP/stats"; }
drop() { awk -v r="$1" '$1 == "drop" && $2 == r { print $3 }' "$UTMP/stats"; }
drops_total() { awk '$1 == "drop" { n += $3 } END { print n + 0 }' "$UTMP/stats"; }
drops_ge() { stats && [ "$(drops_total)" -ge "$1" ]; }
rx_ge() { [ "$(counter ua va rx_packets)" -ge "$1" ]; }

for kind in vxlan geneve raw; do
	case $kind in
	vxlan) args=(--encap vxlan --vni 42 --local 10.50.0.1) port=4789 ;;
	geneve) args=(--encap geneve --vni 42 --local 10.50.0.1) port=6081 ;;
	raw) args=(--local 10.50.0.1:7000) port=7000 ;;
	esac
	ubg $kind.log ua "$VUDP" --virtif va "${args[@]}" --remote 10.50.0.2 --control "$CTL" --batch
	pa=$UPID
	expect_carrier ua va 1
	wait_for 10 test -S "$CTL" || fail "$kind: no control socket"
	rx0=$(counter ua va rx_packets)
	bad0=$(counter ua va rx_drop_bad_length)
	set -- ${WANT[$kind]}
	total=0
	while [ $# -gt 0 ]; do total=$((total + $2)); shift 2; done
	ip netns exec ub python3 "$UTMP/send.py" $kind $port || fail "$kind: send.py"
	wait_for 10 rx_ge $((rx0 + GOOD[$kind])) || fail "$kind: the good datagrams did not arrive"
	wait_for 10 drops_ge $total || fail "$kind: $(drops_total) drops counted, want $total"
	sed 's/^/# /' "$UTMP/stats"
	set -- ${WANT[$kind]}
	while [ $# -gt 0 ]; do
		expect_eq "$kind: drop $1" "$(drop "$1")" "$2"
		shift 2
	done
	expect_eq "$kind: all drops" "$(drops_total)" "$total"
	expect_eq "$kind: frames va received" "$(($(counter ua va rx_packets) - rx0))" "${GOOD[$kind]}"
	expect_eq "$kind: va rx_drop_bad_length" "$(counter ua va rx_drop_bad_length)" "$bad0"
	ustop "$pa" TERM || fail "$kind: virtif-udp exit status $?"
	sed 's/^/# /' "$UTMP/$kind.log"
	subtest ok "udp_malformed: $kind: every bad datagram dropped and counted by reason"
done
exit 0
