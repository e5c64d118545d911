#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark, not a test (run_tests only picks up *.sh in the directory
# above): iperf3 TCP throughput across virtif-tap (samples/), single-frame
# versus batch mode. A virtif (linkstr user) in namespace ua, the tap in ub.
# Run it in a guest, e.g.
#
#   scripts/vm-run -- tools/testing/selftests/drivers/net/virtif/bench/bench_user_tap.sh [SECONDS]
#
# Prints, per mode, the receiver's Mbit/s, the CPU time virtif-tap used, its
# wake-ups, and iperf3's own CPU figures. Numbers under TCG and the debug
# kernel (KASAN, lockdep) are only good for comparing the modes.
. "${0%/*}/../lib.sh"
. "${0%/*}/../user_lib.bash"

DURATION=${1:-10}
command -v iperf3 >/dev/null || skip "no iperf3"
user_setup
netns_add ua
netns_add ub
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

for mode in single batch; do
	opt=()
	[ $mode = batch ] && opt=(--batch)
	user_virtif ua vu 10.15.0.1/24
	tap_start ua vu ub tu 10.15.0.2/24 02:00:00:15:00:02 "${opt[@]}"
	ubg iperf-s.log ub iperf3 -s -1
	srv=$UPID
	wait_for 10 sh -c "ip netns exec ub ss -ltn | grep -q :5201" || fail "iperf3 did not listen"
	t0=$(cpu_ticks "$TAP_PID")
	s0=$SECONDS
	ip netns exec ua iperf3 -c 10.15.0.2 -t "$DURATION" -J >"$UTMP/iperf-$mode.json" ||
		fail "$mode: iperf3 client"
	el=$((SECONDS - s0))
	t1=$(cpu_ticks "$TAP_PID")
	wait "$srv"
	ustop "$TAP_PID" TERM || fail "$mode: virtif-tap exit status $?"
	ip -n ua link del vu
	python3 - "$UTMP/iperf-$mode.json" "$mode" "$(( (t1 - t0) * 100 / hz ))" "$el" "$(tail -n1 "$UTMP/tap-vu.log")" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
mode, cs, el, tapline = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
e = j["end"]
rx = e["sum_received"]["bits_per_second"] / 1e6
tx = e["sum_sent"]["bits_per_second"] / 1e6
retr = e["sum_sent"].get("retransmits", "?")
cpu = e.get("cpu_utilization_percent", {})
print(f"RESULT {mode}: {rx:.1f} Mbit/s received ({tx:.1f} sent, {retr} retransmits); "
      f"virtif-tap CPU {cs/100:.2f} s over ~{el} s ({cs/max(el,1):.0f}%); "
      f"iperf3 CPU client {cpu.get('host_total', 0):.0f}% server {cpu.get('remote_total', 0):.0f}%")
print(f"  {tapline}")
PY
done
exit 0
