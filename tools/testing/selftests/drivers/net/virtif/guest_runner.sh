#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest:
#   guest_runner.sh [--dir DIR] [--queue QDIR] [--env VAR=VALUE]...
#                   [--list FILE] [TEST...]
#
# Runs each TEST (and each one FILE names, one a line) (DIR/TEST.sh, DIR defaulting to this directory; a TEST may
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
# With --queue QDIR (a directory the host shares with several guests, each
# running this runner on the same list), a guest runs a test only if it
# claims it first (mkdir QDIR/NAME, atomic on the host): the guests share
# out the list between them, each taking the next unclaimed test. A test
# that needs several CPUs says so with a line '# cpus: N' (senders on every
# CPU, multiqueue): a guest with fewer leaves it to the others.
#
# A test fails if its exit status says so, if it runs over its time limit,
# or if, while it ran or when it ended:
#   - the kernel reported a splat (scripts/splat-patterns, matched against
#     the test's part of the kernel log),
#   - the kernel got tainted (scripts/taint-check),
#   - lockdep switched itself off (debug_locks went to 0),
#   - it left the virtif module loaded, processes running (found by the
#     VIRTIF_TEST marker in their environment), interfaces, network
#     namespaces or their sysfs mounts (lib.sh's netns_add) behind (the runner cleans up after it, so that the
#     next test starts from a clean guest).
#
# Starting a process costs about 0.2 s in the debug guest under TCG: the
# runner's own bookkeeping between two tests uses bash builtins and starts
# only what it must (the test, its timeout, one grep for left processes).
cd "$(dirname "$0")" || exit 1
TESTS=$PWD
TOP=${TESTS%/tools/testing/selftests/drivers/net/virtif}
DIR=.
QUEUE=
listed=()
while [ $# -gt 0 ]; do
	case $1 in
	--dir) DIR=$2; shift 2 ;;
	--queue) QUEUE=$2; shift 2 ;;
	--env) export "${2?}"; shift 2 ;;
	--list) mapfile -t listed <"$2" || exit 2; shift 2 ;;
	*) break ;;
	esac
done
set -- "${listed[@]}" "$@"
[ $# -gt 0 ] || { echo "usage: guest_runner.sh [--dir DIR] [--queue QDIR] [--env VAR=VALUE]... [--list FILE] [TEST...]" >&2; exit 2; }
TIMEOUT=${VIRTIF_TEST_TIMEOUT:-300}
echo "guest_runner: $# test(s)${QUEUE:+ shared with other guests}, $(nproc) CPUs, kernel $(uname -r)" >&2
export VIRTIF_RUNNER_PID=$$
WORK=/tmp/guest_runner.$$
mkdir -p "$WORK" || exit 1

# The splat patterns, as one extended regular expression.
pats=()
while IFS= read -r p; do
	case $p in ''|'#'*) continue ;; esac
	pats+=("$p")
done <"$TOP/scripts/splat-patterns"
[ ${#pats[@]} -gt 0 ] || { echo "guest_runner: no splat patterns" >&2; exit 2; }
SPLAT=$(IFS='|'; echo "${pats[*]}")

# The helpers below set REPLY instead of printing: a command substitution
# would start a process.
debug_locks() { # lockdep's debug_locks (empty without lockdep)
	local k v
	REPLY=
	while read -r k v; do
		[ "$k" = debug_locks: ] && { REPLY=$v; return; }
	done </proc/lockdep_stats 2>/dev/null
}
forks() { # processes started since boot
	local k v
	while read -r k v; do [ "$k" = processes ] && { REPLY=$v; return; }; done </proc/stat
}
# Interfaces and namespaces that exist before any test (lo, dummy0 of the
# built-in dummy driver): a test must leave exactly these.
links() { local l; REPLY=; for l in /sys/class/net/*; do REPLY+="${l##*/} "; done; }
netns() { local n; REPLY=; for n in /run/netns/*; do [ -e "$n" ] && REPLY+="${n##*/} "; done; }
links
links0=$REPLY

# The kernel log, followed for the whole run by one reader (dmesg -w) into
# $KLOG; the runner reads each test's part of it through its own file
# descriptor, which stays where the previous test's part ended. (A full run
# logs far more than the debug kernel's 128 kB ring buffer; the follower
# keeps all of it. The console log, which vm-run checks whole at the end,
# has everything too.)
KLOG=$WORK/kernel.log
: >"$KLOG"
dmesg -w >"$KLOG" 2>/dev/null &
follower=$!
exec 7<"$KLOG"
# A pipe nobody writes to: "read -t" on it is a pause without a process.
mkfifo "$WORK/pause" && exec 8<>"$WORK/pause" || exit 1
# klog_until MARKER: reads the log up to and including the line that ends
# with MARKER (waiting up to 10 s for it); the lines that match a splat
# pattern are in $splats, the lines read are counted in $klines. Returns 1
# if the marker did not come.
klog_until() {
	local line part= deadline=$((SECONDS + 10))
	splats= klines=0
	while :; do
		while IFS= read -r -u 7 line || { part+=$line; line=; false; }; do
			line=$part$line part=
			klines=$((klines + 1))
			[[ $line =~ $SPLAT ]] && splats+="$line"$'\n'
			[[ $line == *"$1" ]] && return 0
		done
		[ $SECONDS -lt $deadline ] || return 1
		read -r -t 0.05 -u 8
	done
}
# The follower must be reading before the first marker is written.
echo "virtif-selftest: runner $$ starts" >/dev/kmsg
klog_until "virtif-selftest: runner $$ starts" || {
	echo "guest_runner: the kernel log follower (dmesg -w) does not work" >&2
	exit 2
}

# A test may ask for more time with a line '# timeout: SECONDS', and for
# CPUs with '# cpus: N': sets LIMIT and NEED.
hints() {
	local line
	LIMIT=$TIMEOUT NEED=1
	while IFS= read -r line; do
		if [[ $line =~ ^#\ timeout:\ ([0-9]+) ]]; then
			[ "${BASH_REMATCH[1]}" -gt "$LIMIT" ] && LIMIT=${BASH_REMATCH[1]}
		elif [[ $line =~ ^#\ cpus:\ ([0-9]+) ]]; then
			NEED=${BASH_REMATCH[1]}
		fi
	done <"$1"
}
CPUS=$(nproc)

for name in "$@"; do
	name=${name%.sh}
	hints "$DIR/$name.sh"
	if [ -n "$QUEUE" ]; then
		# Not for a guest with fewer CPUs than it needs, or claimed by
		# another guest already: not ours.
		[ "$NEED" -le "$CPUS" ] || continue
		mkdir "$QUEUE/${name//\//_}" 2>/dev/null || continue
	fi
	reasons=()
	echo "BEGIN $name"
	echo "virtif-selftest: begin $name" >/dev/kmsg
	klog_until "virtif-selftest: begin $name" ||
		reasons+=("kernel log: the follower did not see the test's begin marker")
	read -r taint0 </proc/sys/kernel/tainted
	debug_locks; locks0=$REPLY
	t=$LIMIT
	[ "$NEED" -le "$CPUS" ] || echo "# $name: wants $NEED CPUs, runs on $CPUS"
	log=$WORK/test.log
	start=$SECONDS
	forks; forks0=$REPLY
	VIRTIF_TEST=$name timeout -k 10 "$t" "$DIR/$name.sh" >"$log" 2>&1 </dev/null 7<&- 8<&-
	rc=$?
	secs=$((SECONDS - start))
	forks; nforks=$((REPLY - forks0))
	echo "virtif-selftest: end $name" >/dev/kmsg
	while IFS= read -r line; do
		case $line in
		"ksft-subtest: "*) read -r _ res sub <<<"$line"; echo "SUB $res $sub" ;;
		*) echo "# $line" ;;
		esac
	done <"$log"

	# What it left behind. Its processes: everything that still carries the
	# test's marker in its environment (found that way even if it started
	# a session of its own).
	left=()
	mapfile -t envs < <(grep -zlx "VIRTIF_TEST=$name" /proc/[0-9]*/environ 2>/dev/null)
	for f in "${envs[@]}"; do
		f=${f#/proc/}
		f=${f%/environ}
		[ "$f" = $$ ] || [ "$f" = "$BASHPID" ] || left+=("$f")
	done
	if [ ${#left[@]} -gt 0 ]; then
		what=
		for p in "${left[@]}"; do read -r comm 2>/dev/null <"/proc/$p/comm" && what+=" $p $comm"; done
		reasons+=("left processes running:$what")
		kill -KILL "${left[@]}" 2>/dev/null
		sleep 0.2
	fi
	if [ -d /sys/module/virtif ]; then
		reasons+=("left the virtif module loaded")
		read -r refs </sys/module/virtif/refcnt 2>/dev/null
		rmmod virtif 2>/dev/null || reasons+=("and it cannot be unloaded (${refs:-?} references)")
	fi
	ifs=
	links
	for i in $REPLY; do [[ " $links0 " == *" $i "* ]] || ifs+="$i "; done
	if [ -n "$ifs" ]; then
		reasons+=("left interfaces: $ifs")
		for i in $ifs; do ip link del "$i" 2>/dev/null; done
	fi
	# The sysfs of a namespace (lib.sh mounts one per namespace it makes)
	# keeps the namespace alive while it is mounted.
	mnts=()
	while read -r _ m _; do [[ $m == /run/virtif-sysfs/* ]] && mnts+=("$m"); done </proc/mounts
	if [ ${#mnts[@]} -gt 0 ]; then
		reasons+=("left sysfs mounts of namespaces: ${mnts[*]}")
		umount "${mnts[@]}"
	fi
	netns; ns=$REPLY
	if [ -n "$ns" ]; then
		reasons+=("left network namespaces: $ns")
		for n in $ns; do ip netns del "$n" 2>/dev/null; done
	fi

	# The test's part of the kernel log, up to its end marker. Without the
	# marker its log is incomplete, which must not pass as clean.
	klog_until "virtif-selftest: end $name" ||
		reasons+=("kernel log: the follower (dmesg -w) did not see the test's end")
	if [ -n "$splats" ]; then
		printf '%s' "$splats" | head -n 40 | sed 's/^/# kernel: /'
		reasons+=("kernel splat")
	fi
	read -r taint1 </proc/sys/kernel/tainted
	if [ "$taint1" != "$taint0" ] && bad=$("$TOP/scripts/taint-check" $((taint1 & ~taint0))); [ -n "${bad:-}" ]; then
		reasons+=("kernel tainted: $bad")
	fi
	bad=
	debug_locks
	if [ -n "$locks0" ] && [ "$REPLY" != "$locks0" ]; then
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
	reason=
	for r in "${reasons[@]}"; do reason+="${reason:+;}$r"; done
	echo "# $name: $nforks processes, $klines kernel log lines"
	echo "END $res $name $secs${reason:+ $reason}"
done
kill "$follower" 2>/dev/null
wait "$follower" 2>/dev/null
rm -rf "$WORK"
echo "RUNNER-DONE"
exit 0
