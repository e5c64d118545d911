#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif-udp's error paths (errors injected with the samples'
# fault_inject.so), in single-frame and batch mode:
#  1. ENOMEM writing /dev/virtif is a lost frame, counted: the daemon goes
#     on (frames of 1000 bytes fail, others pass);
#  2. ENOMEM and ENOBUFS sending a datagram: the same (for datagrams of
#     1000 bytes);
#  3. the interface deleted between poll() and write() (ENXIO): a clean
#     exit, status 0, with a message;
#  4. (batch) a write of 4 records where the 2nd is refused by the kernel
#     (longer than MTU + 18: a short write, then EINVAL) and the one after
#     it fails with ENOMEM: every record is accounted for (2 delivered, 1
#     refused, 1 out of memory) and the one after the failure is
#     delivered.
. "${0%/*}/lib.sh"
. "${0%/*}/user_lib.bash"

user_setup
FAULT_SO=$TOP/samples/target/testing/fault_inject.so
[ -e "$FAULT_SO" ] || fail "$FAULT_SO missing: run scripts/build-samples"

underlay 10.12.0

# drop_count LOG REASON: the count after REASON in a daemon's exit line
# (0 if it is not there: only non-zero counters are printed).
drop_count() {
	local n
	n=$(sed -n "s/.*$2 \([0-9]\+\).*/\1/p" "$UTMP/$1" | tail -n1)
	echo "${n:-0}"
}
injected() { grep -c "fault_inject: .* -> $2" "$UTMP/$1"; }

# start MODE RULES: virtif-udp for va (under the fault rules RULES, if
# any) and for vb, both carrying; sets pa and pb.
start() {
	local opt=() env=()
	[ "$1" = batch ] && opt=(--batch)
	[ -n "$2" ] && env=(env LD_PRELOAD="$FAULT_SO" VIRTIF_FAULT="$2")
	ubg udp-a.log ua "${env[@]}" "$VUDP" --virtif va --local 10.12.0.1:7000 \
		--remote 10.12.0.2:7000 "${opt[@]}"
	pa=$UPID
	ubg udp-b.log ub "$VUDP" --virtif vb --local 10.12.0.2:7000 --remote 10.12.0.1:7000 "${opt[@]}"
	pb=$UPID
	expect_carrier ua va 1
	expect_carrier ub vb 1
}
stop() {
	ustop "$pa" TERM || fail "$1: virtif-udp a exit status $?"
	ustop "$pb" TERM || fail "$1: virtif-udp b exit status $?"
	sed 's/^/# a: /' "$UTMP/udp-a.log"
}
# rules CALLS ARGS: one fault rule per call in CALLS with ARGS.
rules() {
	local c r=()
	for c in $1; do r+=("call=$c,$2"); done
	(IFS=';'; echo "${r[*]}")
}

for mode in single batch; do
	user_virtif ua va 10.13.0.1/24
	user_virtif ub vb 10.13.0.2/24

	# 1. ENOMEM on /dev/virtif for 1000-byte frames (1008 bytes in a
	# batch write of one record).
	r=$(rules "write writev" "path=/dev/virtif,len=1000,errno=ENOMEM")
	r+=";$(rules "write writev" "path=/dev/virtif,len=1008,errno=ENOMEM")"
	start $mode "$r"
	# 958 bytes of ICMP payload: 1000-byte frames.
	ip netns exec ub ping -c 3 -i 0.2 -W 1 -s 958 10.13.0.1 >/dev/null &&
		fail "$mode: 1000-byte pings came back through a failing write"
	check "$mode: ping after ENOMEM" ip netns exec ub ping -c 3 -i 0.2 -W 5 10.13.0.1
	dead "$pa" && fail "$mode: virtif-udp died of ENOMEM on /dev/virtif"
	stop "$mode: ENOMEM on /dev/virtif"
	n=$(injected udp-a.log ENOMEM)
	[ "$n" -ge 3 ] || fail "$mode: only $n ENOMEM injected"
	expect_eq "$mode: frames lost to ENOMEM on /dev/virtif" \
		"$(drop_count udp-a.log "virtif-nomem")" "$n"
	subtest ok "udp_errors: $mode: ENOMEM writing /dev/virtif is counted"

	# 2. Sending the datagrams of 1000-byte frames fails with ENOMEM
	# twice, then with ENOBUFS twice: 4 of 6 such pings are lost.
	r=$(rules "send sendto sendmsg sendmmsg" "len=1000,errno=ENOMEM,times=2")
	r+=";$(rules "send sendto sendmsg sendmmsg" "len=1000,errno=ENOBUFS,times=2")"
	start $mode "$r"
	check "$mode: ping before the failures" ip netns exec ua ping -c 2 -i 0.2 -W 5 10.13.0.2
	ip netns exec ua ping -c 6 -i 0.3 -W 5 -s 958 10.13.0.2 >"$UTMP/ping.out"
	sed 's/^/# /' "$UTMP/ping.out"
	grep -q "6 packets transmitted, 2 received" "$UTMP/ping.out" ||
		fail "$mode: want 2 of 6 pings through 4 failing sends"
	dead "$pa" && fail "$mode: virtif-udp died of a send error"
	stop "$mode: ENOMEM/ENOBUFS on the socket"
	expect_eq "$mode: ENOMEM injected" "$(injected udp-a.log ENOMEM)" 2
	expect_eq "$mode: ENOBUFS injected" "$(injected udp-a.log ENOBUFS)" 2
	expect_eq "$mode: datagrams lost to send errors" \
		"$(drop_count udp-a.log "udp-send-error")" 4
	subtest ok "udp_errors: $mode: ENOMEM and ENOBUFS sending are counted"

	# 3. va deleted while virtif-udp is between poll() and write().
	rm -f "$UTMP/go" "$UTMP/go.reached"
	start $mode "$(rules "write writev" "path=/dev/virtif,wait=$UTMP/go,times=1")"
	ubg ping-b.log ub ping -c 5 -i 0.2 -W 1 10.13.0.1
	pping=$UPID
	wait_for 20 test -e "$UTMP/go.reached" || fail "$mode: virtif-udp never wrote to va"
	ip -n ua link del va || fail "del va"
	touch "$UTMP/go"
	wait_for 10 dead "$pa" || fail "$mode: virtif-udp runs on after va is gone"
	ustop "$pa"
	rc=$?
	sed 's/^/# a: /' "$UTMP/udp-a.log"
	expect_eq "$mode: exit status when va vanished before a write" "$rc" 0
	grep -q "va is gone" "$UTMP/udp-a.log" || fail "$mode: no message that va is gone"
	ustop "$pping" INT
	ustop "$pb" TERM || fail "$mode: virtif-udp b exit status $?"
	ip -n ub link del vb || fail "del vb"
	subtest ok "udp_errors: $mode: the interface vanishing before a write is a clean exit"
done

# 4. A bad record in the middle of a batch write, then ENOMEM. virtif-udp
# for va only (vb is not needed: a Python socket in ub plays the peer);
# stopped while four datagrams queue on its socket, so that one recvmmsg
# gets them all and one write carries them: 60 bytes (delivered), 1600
# (longer than va's MTU + 18: the kernel stops the write there, then
# refuses it), 100 and 120 (the write of these two, 112 + 128 = 240 bytes
# of records, fails with ENOMEM: the 100 is lost, the 120 must follow).
user_virtif ua va 10.13.0.1/24
ubg udp-a.log ua env LD_PRELOAD="$FAULT_SO" \
	VIRTIF_FAULT="call=write,path=/dev/virtif,len=240,errno=ENOMEM,times=1" \
	"$VUDP" --virtif va --local 10.12.0.1:7000 --remote 10.12.0.2:7000 --batch
pa=$UPID
expect_carrier ua va 1
# IP datagrams ua delivered to its sockets (counted once the socket has
# queued them; UDP's InDatagrams only counts what was read).
delivered() {
	ip netns exec ua awk '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) n[$i] = i; h = 1 }
		else print $(n["InDelivers"]) }' /proc/net/snmp
}
delivered_ge() { [ "$(delivered)" -ge "$1" ]; }
rx_ge() { [ "$(counter "$1" "$2" rx_packets)" -ge "$3" ]; }
rx0=$(counter ua va rx_packets)
in0=$(delivered)
kill -STOP "$pa"
ip netns exec ub python3 - <<'EOF' || fail "send the four datagrams"
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.12.0.2", 7000))
for n, tag in ((60, 1), (1600, 2), (100, 3), (120, 4)):
    frame = b"\xff" * 6 + bytes([2, 0, 0, 0, 0, tag]) + struct.pack("!H", 0x88B5)
    s.sendto(frame + bytes([tag]) * (n - len(frame)), ("10.12.0.1", 7000))
EOF
wait_for 10 delivered_ge $((in0 + 4)) ||
	fail "the four datagrams did not reach the stopped virtif-udp ($(delivered) - $in0)"
kill -CONT "$pa"
wait_for 10 rx_ge ua va $((rx0 + 2))
rx=$(($(counter ua va rx_packets) - rx0))
ustop "$pa" TERM || fail "batch: virtif-udp exit status $?"
sed 's/^/# a: /' "$UTMP/udp-a.log"
expect_eq "ENOMEM injected" "$(injected udp-a.log ENOMEM)" 1
expect_eq "frames va received (the 60 and the 120)" "$rx" 2
expect_eq "udp->virtif frames" "$(log_counter udp-a.log "udp->virtif")" 2
expect_eq "virtif-refused" "$(drop_count udp-a.log "virtif-refused")" 1
expect_eq "lost to ENOMEM" "$(drop_count udp-a.log "virtif-nomem")" 1
subtest ok "udp_errors: batch: a bad record and ENOMEM in a batch are counted, the rest delivered"
exit 0
