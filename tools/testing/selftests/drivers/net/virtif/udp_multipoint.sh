#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Three VXLAN endpoints on one segment (VNI 7): two virtif-udp (n1, n2),
# each with the other two as remotes, and a Linux vxlan device (n3) with
# its own FDB entries (all-zeros: flood to both). The underlay is a bridge
# in a fourth namespace.
#  - flooding: a broadcast from each endpoint reaches the two others;
#  - learning: once the addresses are known, pings from n1 to n2 and to n3
#    go to that remote only (virtif-udp's per-remote counters), and the
#    learned table (showmacs) lists each address behind its remote;
#  - ageing (a new virtif-udp for n1 with --ageing 10): a learned address
#    disappears after 10 s without a frame, and a frame to it is flooded
#    again; a static entry (--static) survives and its frames go to its
#    remote only.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
netns_add_quiet ul
ip -n ul link add br0 type bridge || fail "bridge"
ip -n ul link set br0 up
for i in 1 2 3; do
	netns_add_quiet "n$i"
	ip link add "u$i" netns "n$i" type veth peer name "p$i" netns ul || fail "veth $i"
	ip -n ul link set "p$i" master br0 up
	ip -n "n$i" addr add "10.40.0.$i/24" dev "u$i"
	ip -n "n$i" link set "u$i" up
done
user_virtif n1 v1 10.41.0.1/24
user_virtif n2 v2 10.41.0.2/24
# As in udp_vxlan.sh: vx3's inner checksums must be computed before the veth.
ip netns exec n3 ethtool -K u3 tx off >/dev/null || fail "u3: tx checksum offload off"
ip -n n3 link add vx3 type vxlan id 7 dstport 4789 local 10.40.0.3 dev u3 || fail "add vx3"
ip -n n3 link set vx3 up
ip -n n3 addr add 10.41.0.3/24 dev vx3
check "vx3 fdb to n1" bridge -n n3 fdb append 00:00:00:00:00:00 dev vx3 dst 10.40.0.1
check "vx3 fdb to n2" bridge -n n3 fdb append 00:00:00:00:00:00 dev vx3 dst 10.40.0.2
mac1=$(ip netns exec n1 cat /sys/class/net/v1/address)
mac2=$(ip netns exec n2 cat /sys/class/net/v2/address)
mac3=$(ip netns exec n3 cat /sys/class/net/vx3/address)
# Permanent neighbours: no ARP, no probes; the only frames are the test's.
for i in 1 2 3; do
	for j in 1 2 3; do
		[ $i = $j ] && continue
		dev=v$i
		[ $i = 3 ] && dev=vx3
		eval "m=\$mac$j"
		ip -n n$i neigh replace 10.41.0.$j lladdr "$m" dev $dev nud permanent ||
			fail "neighbour 10.41.0.$j in n$i"
	done
done
STATIC=02:00:00:00:77:77

# start_a LOG ARGS...: virtif-udp for v1; sets pa.
start_a() {
	local log=$1
	shift
	ubg "$log" n1 "$VUDP" --virtif v1 --encap vxlan --vni 7 --local 10.40.0.1 --remote 10.40.0.2 \
		--remote 10.40.0.3 --static "$STATIC=10.40.0.3" --control "$UTMP/a.ctl" --batch "$@"
	pa=$UPID
}
# For flooding and learning, the default ageing (300 s): the test's pauses
# cannot age an entry out, however slow the VM.
start_a a.log
ubg b.log n2 "$VUDP" --virtif v2 --encap vxlan --vni 7 --local 10.40.0.2 --remote 10.40.0.1 \
	--remote 10.40.0.3 --control "$UTMP/b.ctl"
pb=$UPID
expect_carrier n1 v1 1
expect_carrier n2 v2 1
wait_for 10 test -S "$UTMP/a.ctl" || fail "no control socket a"

# snap: a snapshot of the counters of n1's virtif-udp (each query starts
# processes, slow in TCG: one per check); rstat REMOTE FIELD: a per-remote
# counter of the last snapshot.
snap() { ip netns exec n1 "$VUDP" stats --control "$UTMP/a.ctl" >"$UTMP/a.stats" || fail "virtif-udp stats"; }
rstat() {
	awk -v r="$1" -v f="$2" '$1 == "remote" && $2 == r {
		for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }' "$UTMP/a.stats"
}
rstat_eq() { snap && [ "$(rstat "$1" "$2")" = "$3" ]; }
macs() { ip netns exec n1 "$VUDP" showmacs --control "$UTMP/a.ctl"; }
rx() { counter "$1" "$2" rx_packets; }
rx_ge() { [ "$(rx "$1" "$2")" -ge "$3" ]; }

# --- flooding ---------------------------------------------------------------
for src in "n1 v1" "n2 v2" "n3 vx3"; do
	set -- $src
	r=()
	for dst in "n1 v1" "n2 v2" "n3 vx3"; do
		[ "$dst" = "$src" ] && continue
		r+=("$dst $(rx $dst)")
	done
	ip netns exec "$1" "$SENDETH" "$2" ff:ff:ff:ff:ff:ff 5 || fail "sendeth on $2"
	for d in "${r[@]}"; do
		set -- $d
		wait_for 10 rx_ge "$1" "$2" $(($3 + 5)) ||
			fail "broadcast from ${src% *}: $2 got $(($(rx $1 $2) - $3)) of 5"
	done
done
snap
f2=$(rstat 10.40.0.2:4789 tx-flood)
f3=$(rstat 10.40.0.3:4789 tx-flood)
[ "$f2" -ge 5 ] && [ "$f3" -ge 5 ] || fail "virtif-udp a flooded $f2 and $f3 frames, want 5 each"
subtest ok "udp_multipoint: broadcasts reach every endpoint"

# --- learning -----------------------------------------------------------------
# The broadcasts taught every endpoint every address.
check "ping n1 -> n2" ip netns exec n1 ping -c 1 -W 5 10.41.0.2
check "ping n1 -> n3" ip netns exec n1 ping -c 1 -W 5 10.41.0.3
check "ping n2 -> n3" ip netns exec n2 ping -c 1 -W 5 10.41.0.3
# Known unicast: the pings to n2 go to 10.40.0.2 only, those to n3 to
# 10.40.0.3 only.
snap
u2=$(rstat 10.40.0.2:4789 tx-unicast)
t3=$(rstat 10.40.0.3:4789 tx-frames)
check "ping n1 -> n2 (learned)" ip netns exec n1 ping -c 10 -i 0.2 -W 5 10.41.0.2
snap
expect_eq "frames to n3 while pinging n2" "$(rstat 10.40.0.3:4789 tx-frames)" "$t3"
d=$(($(rstat 10.40.0.2:4789 tx-unicast) - u2))
[ "$d" -ge 10 ] || fail "only $d unicast frames to n2 for 10 pings"
t2=$(rstat 10.40.0.2:4789 tx-frames)
u3=$(rstat 10.40.0.3:4789 tx-unicast)
check "ping n1 -> n3 (learned)" ip netns exec n1 ping -c 10 -i 0.2 -W 5 10.41.0.3
snap
expect_eq "frames to n2 while pinging n3" "$(rstat 10.40.0.2:4789 tx-frames)" "$t2"
d=$(($(rstat 10.40.0.3:4789 tx-unicast) - u3))
[ "$d" -ge 10 ] || fail "only $d unicast frames to n3 for 10 pings"
macs >"$UTMP/macs" || fail "showmacs"
sed 's/^/# /' "$UTMP/macs"
grep -q "^10.40.0.2:4789	$mac2	no	" "$UTMP/macs" || fail "v2 not learned behind 10.40.0.2"
grep -q "^10.40.0.3:4789	$mac3	no	" "$UTMP/macs" || fail "vx3 not learned behind 10.40.0.3"
grep -q "^10.40.0.3:4789	$STATIC	no	" "$UTMP/macs" || fail "static entry missing"
grep -q "^v1	$mac1	yes	" "$UTMP/macs" || fail "v1 not listed as local"
# The Linux side learned v1 behind n1 too.
bridge -n n3 fdb show dev vx3 | grep -q "^$mac1 dst 10.40.0.1" ||
	fail "vx3 did not learn v1: $(bridge -n n3 fdb show dev vx3)"
subtest ok "udp_multipoint: learned unicast goes to one remote only"

# --- ageing and static entries ----------------------------------------------
# A new virtif-udp for v1 with --ageing 10, which learns v2 and vx3 again.
ustop "$pa" TERM || fail "virtif-udp a exit status $?"
sed 's/^/# a: /' "$UTMP/a.log"
rm -f "$UTMP/a.ctl"
start_a a2.log --ageing 10
expect_carrier n1 v1 1
wait_for 10 test -S "$UTMP/a.ctl" || fail "no control socket a (2)"
check "ping n1 -> n2 (relearn)" ip netns exec n1 ping -c 1 -W 5 10.41.0.2
check "ping n1 -> n3 (relearn)" ip netns exec n1 ping -c 1 -W 5 10.41.0.3
macs >"$UTMP/macs"
grep -q "	$mac2	no	" "$UTMP/macs" || fail "v2 not learned again: $(cat "$UTMP/macs")"
mac_gone() { ! macs | grep -q "	$1	"; }
wait_for 40 mac_gone "$mac2" || fail "v2's entry did not age out: $(macs)"
macs >"$UTMP/macs"
sed 's/^/# /' "$UTMP/macs"
grep -q "^10.40.0.3:4789	$STATIC	no	" "$UTMP/macs" || fail "the static entry aged out"
# A frame to the forgotten address is flooded again.
snap
f3=$(rstat 10.40.0.3:4789 tx-flood)
rx2=$(rx n2 v2)
ip netns exec n1 "$SENDETH" v1 "$mac2" 1 || fail "sendeth to v2"
wait_for 10 rx_ge n2 v2 $((rx2 + 1)) || fail "the frame to v2 did not arrive"
snap
expect_eq "flooded to n3 after ageing" "$(rstat 10.40.0.3:4789 tx-flood)" $((f3 + 1))
# Frames to the static address go to 10.40.0.3 only.
t2=$(rstat 10.40.0.2:4789 tx-frames)
u3=$(rstat 10.40.0.3:4789 tx-unicast)
ip netns exec n1 "$SENDETH" v1 "$STATIC" 3 || fail "sendeth to the static address"
wait_for 10 rstat_eq 10.40.0.3:4789 tx-unicast $((u3 + 3)) ||
	fail "frames to the static address: $(cat "$UTMP/a.stats")"
expect_eq "frames to n2 for the static address" "$(rstat 10.40.0.2:4789 tx-frames)" "$t2"
subtest ok "udp_multipoint: ageing forgets, static entries stay"

ustop "$pa" TERM || fail "virtif-udp a exit status $?"
ustop "$pb" TERM || fail "virtif-udp b exit status $?"
sed 's/^/# a: /' "$UTMP/a2.log"
sed 's/^/# b: /' "$UTMP/b.log"
exit 0
