#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest: guest_runner.sh [--dir DIR] [--env VAR=VALUE]... TEST...
#
# Runs each TEST (DIR/TEST.sh, DIR defaulting to this directory; a TEST may
# be in a subdirectory, e.g. stress/rmmod) with the given variables in its
# environment, and prints, for run_tests on the host to turn into TAP:
#   BEGIN NAME                 before the test starts
#   # ...                      the test's output
#   SUB ok|fail|skip NAME      a sub-result the test reported
#   END ok|fail|skip NAME SECONDS [REASON]
# and "RUNNER-DONE" after the last test. A test without an END line (the
# guest crashed or the runner died while it ran) and a test that never
# started are failures on the host side.
#
# A test fails if its exit status says so, if it runs over its time limit,
# or if, while it ran or when it ended:
#   - the kernel reported a splat (scripts/splat-check on its part of the log),
#   - the kernel got tainted (scripts/taint-check),
#   - lockdep switched itself off (debug_locks went to 0),
#   - it left the virtif module loaded, processes running (found by the
#     VIRTIF_TEST marker in their environment), interfaces or network
#     namespaces behind (the runner cleans up after it, so that the
#     next test starts from a clean guest).
cd "$(dirname "$0")" || exit 1
TOP=$(cd ../../../../../.. && pwd)
DIR=.
while [ $# -gt 0 ]; do
	case $1 in
	--dir) DIR=$2; shift 2 ;;
	--env) export "${2?}"; shift 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: guest_runner.sh [--dir DIR] [--env VAR=VALUE]... TEST..." >&2; exit 2; }
TIMEOUT=${VIRTIF_TEST_TIMEOUT:-300}
echo "guest_runner: $# test(s), $(nproc) CPUs, kernel $(uname -r)" >&2
export VIRTIF_RUNNER_PID=$$

module_loaded() { [ -d "/sys/module/$1" ]; }
# The kernel log since the runner started test $1: what the follower
# (dmesg -w, started before each test's begin marker) wrote into $KLOG.
test_dmesg() { sed -n "\|virtif-selftest: begin $1\$|,\$p" "$KLOG"; }
debug_locks() { awk '$1 == "debug_locks:" { print $2 }' /proc/lockdep_stats 2>/dev/null; }

# Interfaces that exist before any test (lo, dummy0 of the built-in dummy
# driver): a test must leave exactly these.
links() { ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort; }
links0=$(links)

for name in "$@"; do
	name=${name%.sh}
	reasons=()
	echo "BEGIN $name"
	# A full run logs more than the debug kernel's 128 kB ring buffer, and
	# so does one long test (stress/pair, 100 rounds). The ring buffer is
	# emptied before each test, and a follower copies the test's part of
	# the log into a file as it comes, so that all of it is there when it
	# is checked. (The console log, which vm-run checks whole at the end,
	# keeps everything too.)
	dmesg -C || reasons+=("cannot clear the kernel ring buffer")
	KLOG=$(mktemp)
	dmesg -w >"$KLOG" 2>/dev/null &
	follower=$!
	echo "virtif-selftest: begin $name" >/dev/kmsg
	taint0=$(cat /proc/sys/kernel/tainted)
	locks0=$(debug_locks)
	log=$(mktemp)
	start=$SECONDS
	# A test may ask for more time with a line '# timeout: SECONDS'.
	t=$(sed -n 's/^# timeout: \([0-9]\+\).*/\1/p' "$DIR/$name.sh" | head -n1)
	[ -n "$t" ] && [ "$t" -gt "$TIMEOUT" ] || t=$TIMEOUT
	VIRTIF_TEST=$name timeout -k 10 "$t" "$DIR/$name.sh" >"$log" 2>&1 </dev/null
	rc=$?
	secs=$((SECONDS - start))
	echo "virtif-selftest: end $name" >/dev/kmsg
	# The follower has the whole log once it has the end marker.
	for _ in $(seq 200); do
		grep -qx ".*virtif-selftest: end $name" "$KLOG" && break
		sleep 0.05
	done
	kill "$follower" 2>/dev/null
	wait "$follower" 2>/dev/null
	grep -qx ".*virtif-selftest: end $name" "$KLOG" ||
		reasons+=("kernel log: the follower (dmesg -w) did not see the test's end")
	grep -v '^ksft-subtest: ' "$log" | sed 's/^/# /'
	grep '^ksft-subtest: ' "$log" | while read -r _ res sub; do echo "SUB $res $sub"; done
	rm -f "$log"

	# What it left behind. Its processes: everything that still carries the
	# test's marker in its environment (found that way even if it started
	# a session of its own).
	left=$(grep -zlx "VIRTIF_TEST=$name" /proc/[0-9]*/environ 2>/dev/null | tr '\0' '\n' |
		sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p' | grep -vx "$$" | tr '\n' ' ')
	left=${left% }
	if [ -n "$left" ]; then
		reasons+=("left processes running:$(ps -o pid=,comm= -p "${left// /,}" 2>/dev/null | tr -s ' \n' ' ')")
		kill -KILL $left 2>/dev/null
		sleep 0.2
	fi
	if module_loaded virtif; then
		reasons+=("left the virtif module loaded")
		rmmod virtif 2>/dev/null || reasons+=("and it cannot be unloaded ($(cat /sys/module/virtif/refcnt 2>/dev/null) references)")
	fi
	ifs=$(comm -13 <(echo "$links0") <(links) | tr '\n' ' ')
	if [ -n "$ifs" ]; then
		reasons+=("left interfaces: $ifs")
		for i in $ifs; do ip link del "$i" 2>/dev/null; done
	fi
	ns=$(ip netns list 2>/dev/null | awk '{print $1}' | tr '\n' ' ')
	if [ -n "$ns" ]; then
		reasons+=("left network namespaces: $ns")
		for n in $ns; do ip netns del "$n" 2>/dev/null; done
	fi

	# Without its begin marker the test's log is missing: nothing could be
	# checked, which must not pass as clean.
	grep -qx ".*virtif-selftest: begin $name" "$KLOG" ||
		reasons+=("kernel log: the test's begin marker is missing, its log cannot be checked")
	splat=$(test_dmesg "$name" | "$TOP/scripts/splat-check" /dev/stdin)
	rm -f "$KLOG"
	if [ -n "$splat" ]; then
		echo "$splat" | sed 's/^/# /'
		reasons+=("kernel splat")
	fi
	taint1=$(cat /proc/sys/kernel/tainted)
	if [ "$taint1" != "$taint0" ] && bad=$("$TOP/scripts/taint-check" $((taint1 & ~taint0))); [ -n "${bad:-}" ]; then
		reasons+=("kernel tainted: $bad")
	fi
	bad=
	if [ -n "$locks0" ] && [ "$(debug_locks)" != "$locks0" ]; then
		reasons+=("lockdep switched itself off")
	fi

	case $rc in
	0) res=ok ;;
	4) res=skip ;;
	124) reasons+=("timed out after ${t}s"); res=fail ;;
	137) reasons+=("killed (SIGKILL: timeout or OOM)"); res=fail ;;
	*) reasons+=("exit status $rc"); res=fail ;;
	esac
	[ ${#reasons[@]} = 0 ] || res=fail
	reason=$(IFS=';'; echo "${reasons[*]}")
	echo "END $res $name $secs${reason:+ $reason}"
done
echo "RUNNER-DONE"
exit 0
