#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cpus: 2 (faults race traffic from other CPUs)
# Fault campaign, pairs (VIRTIF_ITER rounds). Each round: a pair across two
# namespaces; a counted burst from every CPU at once (the sums must hold
# exactly: sent = received + counted drops); then, under traffic seen
# flowing in the counters, in turn: MTU and address changes on both ends,
# rename of an end (the other's linkstr follows), deletion of one end (the
# other without carrier or backend, re-paired, traffic again), deletion of
# a namespace with an end inside; at last the module unloads.
. "${0%/*}/../lib.sh"

# rx_drops NS IF: the frames the receiving end dropped itself (the sum of its
# rx_drop_* counters). Not rx_dropped: that also counts what the stack
# dropped after the driver received it (the burst's frames carry no protocol
# the stack handles, so every one of them is counted there too).
rx_drops() { in_ns "$1" ethtool -S "$2" | awk '$1 ~ /^rx_drop_/ { s += $2 } END { print s + 0 }'; }

for ((r = 1; r <= ITER; r++)); do
	virtif_load
	for ns in sa sb; do netns_add_quiet $ns; done
	make_pair sa va sb vb
	dst=$(ip netns exec sb cat /sys/class/net/vb/address)
	tx0=$(counter sa va tx_packets) rx0=$(counter sb vb rx_packets) d0=$(rx_drops sb vb)
	sent=$(burst sa va "$dst" 500)
	expect_eq "round $r: sender's tx_packets" "$(counter sa va tx_packets)" $((tx0 + sent))
	expect_eq "round $r: received + dropped = sent" \
		$(( $(counter sb vb rx_packets) - rx0 + $(rx_drops sb vb) - d0 )) "$sent"

	# Broadcast: vb's address changes below, and frames to its old one
	# would rightly be filtered out.
	flood sa va ff:ff:ff:ff:ff:ff
	expect_flowing sb vb rx_packets
	ip -n sa link set va mtu $((1000 + r % 8000)) || fail "round $r: mtu"
	ip -n sb link set vb mtu 9000 || fail "round $r: mtu"
	ip -n sb link set vb address 02:00:00:5b:00:$(printf %02x $((r % 256))) || fail "round $r: address"
	expect_flowing sb vb rx_packets 10
	# Rename the receiving end (it goes down for that); the sender's
	# linkstr names it by its new name.
	ip -n sb link set vb down && ip -n sb link set vb name vb$r || fail "round $r: rename"
	expect_eq "round $r: linkstr after rename" "$(linkstr va sa)" "pair:vb$r"
	ip -n sb link set vb$r name vb && ip -n sb link set vb up || fail "round $r: rename back"
	flood_stop

	# Delete one end under traffic; alternate which.
	if ((r % 2)); then del=sa:va keep=sb:vb; else del=sb:vb keep=sa:va; fi
	flood "${keep%:*}" "${keep#*:}" ff:ff:ff:ff:ff:ff
	flood "${del%:*}" "${del#*:}" ff:ff:ff:ff:ff:ff
	expect_flowing "${keep%:*}" "${keep#*:}" rx_packets
	ip -n "${del%:*}" link del "${del#*:}" || fail "round $r: del ${del#*:}"
	wait_for 10 carrier_is "${keep%:*}" "${keep#*:}" 0 || fail "round $r: carrier of the survivor"
	expect_eq "round $r: survivor's linkstr" "$(linkstr "${keep#*:}" "${keep%:*}")" ""
	flood_stop
	# Re-pair the survivor with a new end; traffic flows again.
	ip -n "${del%:*}" link add "${del#*:}" type virtif || fail "round $r: add"
	ip -n "${del%:*}" link set "${del#*:}" netns "${keep%:*}" || fail "round $r: move"
	ip -n "${keep%:*}" link set "${keep#*:}" down
	set_linkstr "${keep%:*}" "${keep#*:}" "pair:${del#*:}"
	ip -n "${keep%:*}" link set "${del#*:}" netns "${del%:*}" || fail "round $r: move back"
	ip -n "${keep%:*}" link set "${keep#*:}" up && ip -n "${del%:*}" link set "${del#*:}" up || fail "round $r: up"
	flood sa va ff:ff:ff:ff:ff:ff
	expect_flowing sb vb rx_packets

	# Delete a namespace with an end inside, under traffic.
	netns_del sb || fail "round $r: netns del"
	NETNS=(sa)
	wait_for 20 carrier_is sa va 0 || fail "round $r: carrier after the peer's namespace went"
	round_end $r
done
exit 0
