#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-tap --ring: the virtif side through shared-memory rings
# (VIRTIF_ATTACH_RING), end to end, virtif <-> virtif-tap --ring <-> tap, in
# namespaces without IPv6 (frames counted exactly):
# - rings of 256 slots: the rings are mapped (/proc/PID/maps), ping, 300 kB
#   TCP copies both ways intact (SHA-256); the virtif's own counters
#   (tx_packets, rx_packets) equal the frames virtif-tap counted each way,
#   nothing dropped on either side;
# - --vnet-hdr (slots of 64 KiB, the checksum offload and TCP GSO): the
#   same, a copy each way, TCP GSO packets crossing whole both ways;
# - --vnet-hdr --slot-size 2048 (checksum offload only): the same, no GSO
#   packet either way;
# - --ring-slots 8 (rings that fill up: the queue stops and is kicked) and
#   --queues 2: a copy towards the tap, both queues' rings carry frames;
# - --slot-size 2048 and a tap MTU of 4000: virtif-tap reads each frame of
#   the tap straight into an RX slot; the three 3042-byte frames of a large
#   ping are cut (the tap says how long they were) and dropped, counted as
#   virtif-ring-too-long, and no part of them reaches the virtif; small
#   frames still cross.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
netns_add_quiet ua
netns_add_quiet ub
head -c 300000 /dev/urandom >"$UTMP/in"
UWANT=$(sha256sum <"$UTMP/in")

# ring_round NAME NQUEUES COPIES GSO VIRTIF-TAP-OPTIONS...: a fresh vu with
# NQUEUES transmit queues, virtif-tap with the options, ping, the TCP
# copies (to: towards the tap, from: from it), then the counters. GSO: yes
# (the copies' data crosses as GSO packets, both ways), no (no GSO packet
# either way), - (no offload header).
ring_round() {
	local name=$1 nq=$2 copies=$3 gso=$4 to_tap to_vif k_tx k_rx n dir q maps g min=200 low=30; shift 4
	ip -n ua link add vu numtxqueues "$nq" type virtif || fail "$name: add vu"
	set_linkstr ua vu user
	ip -n ua addr add 10.12.0.1/24 dev vu || fail "$name: address on vu"
	ip -n ua link set vu up || fail "$name: vu up"
	tap_start ua vu ub tu 10.12.0.2/24 02:00:00:12:00:02 --ring "$@"
	grep -q "shared-memory rings" "$UTMP/tap-vu.log" ||
		fail "$name: virtif-tap does not say it uses rings: $(cat "$UTMP/tap-vu.log")"
	maps=$(grep -c /dev/virtif "/proc/$TAP_PID/maps")
	expect_eq "$name: /dev/virtif mappings of virtif-tap" "$maps" "$nq"
	check "$name: ping" ip netns exec ua ping -c 3 -i 0.2 -W 5 10.12.0.2
	s0=$SECONDS
	case $copies in *to*) tcp_copy_ns ub ua 10.12.0.2 ;; esac
	case $copies in *from*) tcp_copy_ns ua ub 10.12.0.1 ;; esac
	if [ "$nq" -gt 1 ]; then
		udp_flows ua 10.12.0.2
		udp_flows ub 10.12.0.1
	fi
	info "$name: TCP copies ($copies) in $((SECONDS - s0)) s"
	sleep 1
	ustop "$TAP_PID" TERM || fail "$name: virtif-tap exit status $? on SIGTERM"
	sed 's/^/# /' "$UTMP/tap-vu.log"
	to_tap=$(log_counter tap-vu.log "virtif->tap")
	to_vif=$(log_counter tap-vu.log "tap->virtif")
	# GSO packets of up to 64 KiB carry a copy in a few frames.
	[ "$gso" = yes ] && min=5 low=5
	expect_ge "$name: frames virtif->tap" "${to_tap:-0}" $low
	expect_ge "$name: frames tap->virtif" "${to_vif:-0}" $low
	case $copies in *to*) expect_ge "$name: frames virtif->tap" "$to_tap" $min ;; esac
	case $copies in *from*) expect_ge "$name: frames tap->virtif" "$to_vif" $min ;; esac
	case $gso in
	yes)
		grep -q "TCP GSO" "$UTMP/tap-vu.log" ||
			fail "$name: virtif-tap does not say its rings carry TCP GSO: $(cat "$UTMP/tap-vu.log")"
		for dir in "virtif->tap" "tap->virtif"; do
			g=$(log_gso tap-vu.log "$dir")
			info "$name: ${g:-no} GSO packets $dir"
			[ "${g:-0}" -gt 0 ] || fail "$name: no GSO packet crossed whole ($dir: '$g')"
		done ;;
	no)
		for dir in "virtif->tap" "tap->virtif"; do
			expect_eq "$name: GSO packets $dir" "$(log_gso tap-vu.log "$dir")" 0
		done ;;
	esac
	# The kernel's view of the same frames: every frame it put in the TX
	# rings was taken, every frame written in the RX rings received.
	k_tx=$(counter ua vu tx_packets)
	k_rx=$(counter ua vu rx_packets)
	info "$name: vu tx_packets $k_tx rx_packets $k_rx"
	expect_eq "$name: vu tx_packets = virtif-tap virtif->tap" "$k_tx" "$to_tap"
	expect_eq "$name: vu rx_packets = virtif-tap tap->virtif" "$k_rx" "$to_vif"
	for c in rx_dropped rx_length_errors tx_dropped; do
		expect_eq "$name: vu $c" "$(counter ua vu $c)" 0
	done
	for c in virtif-ring-bad-slot virtif-ring-too-long tap-write-error; do
		n=$(sed -n "s/.* $c \([0-9]\+\).*/\1/p" "$UTMP/tap-vu.log" | tail -n1)
		expect_eq "$name: virtif-tap $c" "${n:-?}" 0
	done
	if [ "$nq" -gt 1 ]; then
		for q in $(seq 0 $((nq - 1))); do
			for dir in "virtif->tap" "tap->virtif"; do
				n=$(log_queue tap-vu.log "$q" "$dir")
				[ "${n:-0}" -gt 0 ] || fail "$name: queue $q carried no frame $dir ('$n')"
			done
		done
	fi
	ip -n ua link del vu || fail "$name: del vu"
	subtest ok "user_tap_ring: $name"
}

ring_round "--ring" 1 "to from" -
ring_round "--ring --vnet-hdr" 1 "to from" yes --vnet-hdr
ring_round "--ring --vnet-hdr --slot-size 2048" 1 "to from" no --vnet-hdr --slot-size 2048
# Eight slots: the TX ring fills under the copy (STOPPED, kicks), the RX
# ring too under the ACKs and the UDP flows. Two queues, a multiqueue tap.
ring_round "--ring --ring-slots 8 --queues 2" 2 "to" - --ring-slots 8 --queues 2

name="--ring --slot-size 2048, tap MTU 4000"
ip -n ua link add vu type virtif || fail "$name: add vu"
set_linkstr ua vu user
ip -n ua addr add 10.12.0.1/24 dev vu || fail "$name: address on vu"
ip -n ua link set vu up || fail "$name: vu up"
tap_start ua vu ub tu 10.12.0.2/24 02:00:00:12:00:02 --ring --slot-size 2048
ip -n ub link set tu mtu 4000 || fail "$name: tu mtu 4000"
check "$name: ping" ip netns exec ua ping -c 2 -i 0.2 -W 5 10.12.0.2
rx0=$(counter ua vu rx_packets)
expect_fail "$name: ping of 3000 bytes from the tap side" \
	ip netns exec ub ping -c 3 -i 0.2 -W 1 -s 3000 10.12.0.1
check "$name: ping after" ip netns exec ua ping -c 2 -i 0.2 -W 5 10.12.0.2
ustop "$TAP_PID" TERM || fail "$name: virtif-tap exit status $? on SIGTERM"
sed 's/^/# /' "$UTMP/tap-vu.log"
n=$(sed -n "s/.* virtif-ring-too-long \([0-9]\+\).*/\1/p" "$UTMP/tap-vu.log" | tail -n1)
expect_eq "$name: virtif-tap virtif-ring-too-long" "${n:-?}" 3
# Only the two echo replies of the ping after reached vu meanwhile.
expect_eq "$name: vu rx_packets during the large ping" "$(($(counter ua vu rx_packets) - rx0))" 2
for c in rx_dropped rx_length_errors; do
	expect_eq "$name: vu $c" "$(counter ua vu $c)" 0
done
ip -n ua link del vu || fail "$name: del vu"
subtest ok "user_tap_ring: $name"
exit 0
