# SPDX-License-Identifier: GPL-2.0
# The shell library of virtif's selftests, stress campaign and benchmark
# (sourced, not run). Tests are kselftest-style scripts: exit 0 = pass,
# 4 = skip, anything else = fail; they print diagnostics, guest_runner.sh
# turns their results into TAP.
#
# Sourcing it installs an EXIT trap that cleans up after the script: it runs
# the hooks registered with on_exit (last first), kills the background jobs
# started with bg, deletes the namespaces made with netns_add and unloads
# virtif. A refused rmmod fails the script: every test that loads the module
# must leave it unloadable.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# (Found with cd, not $(...): starting a process costs about 0.2 s in the
# debug guest under TCG, and every test sources this.)
__pwd=$PWD
case ${BASH_SOURCE[0]} in */*) cd "${BASH_SOURCE[0]%/*}" || exit 1 ;; esac
export TESTDIR=$PWD
cd ../../../../../.. && TOP=$PWD
cd "$__pwd" || exit 1
unset __pwd
VIRTIF_KO=$TOP/drivers/net/virtif/virtif.ko
SPLAT_KO=$TESTDIR/modules/virtif_splat.ko
NL="$TESTDIR/virtif_nl.py"
SENDETH="$TESTDIR/sendeth"
SAMPLES=${VIRTIF_SAMPLES:-$TOP/samples/target/release}
# The iproute2 plugin: "ip link add NAME type virtif linkstr X".
export IP_LIB_DIR=${IP_LIB_DIR:-$TOP/samples/target/iproute2}

fail() { echo "FAIL: $*" >&2; exit $KSFT_FAIL; }
skip() { echo "SKIP: $*" >&2; exit $KSFT_SKIP; }
info() { echo "# $*"; }

# check DESCRIPTION CMD...: run CMD, fail the test if it fails.
check() {
	local what=$1; shift
	"$@" || fail "$what (command: $*)"
}
# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
# expect_ge WHAT GOT MIN
expect_ge() { [ "$2" -ge "$3" ] 2>/dev/null || fail "$1: got '$2', want at least $3"; }
# expect_fail WHAT CMD...: CMD must fail.
expect_fail() {
	local what=$1; shift
	"$@" 2>/dev/null && fail "$what: succeeded (command: $*)"
	return 0
}

# Report a sub-result that the runner counts as a test of its own.
subtest() { echo "ksft-subtest: $1 $2"; }

# The kernel log since the runner started this test (it writes a marker
# into /dev/kmsg before each test, after emptying the ring buffer).
test_dmesg() { dmesg | sed -n "\|virtif-selftest: begin ${VIRTIF_TEST:-}\$|,\$p"; }

# --- exit handling ------------------------------------------------------------
__EXIT_HOOKS=()
BG_PIDS=()
NETNS=()
# on_exit CMD: run CMD (a string, eval'ed) when the script exits; it sees the
# exit status in $rc.
on_exit() { __EXIT_HOOKS+=("$1"); }
__exit() {
	local rc=$? i p ns
	set +e
	for ((i = ${#__EXIT_HOOKS[@]} - 1; i >= 0; i--)); do eval "${__EXIT_HOOKS[i]}"; done
	for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for ns in "${NETNS[@]}"; do netns_del "$ns" 2>/dev/null; done
	if module_loaded virtif && ! rmmod virtif; then
		echo "FAIL: rmmod virtif refused at the end of the test" \
			"($(cat /sys/module/virtif/refcnt 2>/dev/null) references)" >&2
		[ "$rc" != 0 ] && [ "$rc" != $KSFT_SKIP ] || rc=$KSFT_FAIL
	fi
	exit "$rc"
}
trap __exit EXIT

# --- background jobs ----------------------------------------------------------
BG_PID=
# bg CMD...: run CMD in the background (killed at exit); its pid in $BG_PID.
# With "ip netns exec NS CMD", ip execs CMD: $BG_PID is CMD's own pid. CMD
# must be a program, not a shell function (whose pid would be a subshell's).
bg() {
	"$@" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}
# bg_stop PID [SIGNAL]: signal (default TERM) PID, wait, return its status.
bg_stop() {
	local rc p keep=()
	kill -"${2:-TERM}" "$1" 2>/dev/null
	{ wait "$1"; } 2>/dev/null # no "Killed" job notice
	rc=$?
	for p in "${BG_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	BG_PIDS=("${keep[@]}")
	return $rc
}
# attach_hold NS IF [OPTIONS]: a process attached to IF in NS (virtif_user.py
# attach --hold) until killed; returns once it says it is attached. Its pid in
# $BG_PID.
attach_hold() {
	local ns=$1 dev=$2 out; shift 2
	out=$(mktemp)
	bg $(ns_exec "$ns") "$TESTDIR/virtif_user.py" attach "$dev" --hold "$@" >"$out"
	wait_log 60 "$out" "^(attached|error)" || fail "attach to $dev: no answer"
	grep -qx attached "$out" || fail "attach to $dev: $(cat "$out")"
	rm -f "$out"
}
# dead PID: PID has ended (a zombie that was not waited for counts as dead).
dead() { ! grep -qs '^State:[[:space:]]*[^ZX]' "/proc/$1/status"; }
# bg_wait PID: wait for PID to end by itself, return its status.
bg_wait() { bg_stop "$1" 0; }

# --- waiting for events (never for a fixed time) --------------------------------
# pause SECONDS: sleeps without starting a process (read -t on a pipe that
# nobody writes to).
exec {__PAUSE_FD}<> <(:)
pause() { read -r -t "$1" -u "$__PAUSE_FD"; return 0; }
# wait_for SECONDS CMD...: retry CMD until it succeeds; fail after SECONDS.
wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		pause 0.05
	done
}
# wait_log SECONDS FILE PATTERN: wait until FILE has a line matching PATTERN
# (a program saying it is ready, e.g. tcpdump's "listening on").
wait_log() { wait_for "$1" grep -qE -- "$3" "$2"; }
# listening NS PORT [tcp|udp]: a socket listens on PORT in NS.
listening() {
	local opt=-ltn
	[ "${3:-tcp}" = udp ] && opt=-lun
	ip netns exec "$1" ss -H "$opt" "sport = :$2" | grep -q .
}

# --- the module -----------------------------------------------------------------
module_loaded() { [ -d "/sys/module/$1" ]; }
virtif_load() {
	module_loaded virtif || insmod "$VIRTIF_KO" "$@" || fail "insmod virtif"
}
# virtif_unload: rmmod virtif if loaded; a refused rmmod fails the test.
virtif_unload() {
	if module_loaded virtif; then rmmod virtif || fail "rmmod virtif"; fi
}

# --- namespaces and links -------------------------------------------------------
# Each namespace made with netns_add gets its own sysfs mounted (from inside
# it, so that it shows its interfaces) at $NSSYS/NS: the helpers below read
# and write the attributes of its interfaces with shell redirections, where
# "ip netns exec NS cat ..." would start two processes (0.2 s each in the
# debug guest). The mount holds a reference to the namespace: netns_del
# unmounts it before deleting the namespace.
NSSYS=/run/virtif-sysfs
netns_add() {
	ip netns add "$1" || fail "ip netns add $1"
	NETNS+=("$1")
	ip -n "$1" link set lo up
	mkdir -p "$NSSYS/$1" && nsenter --net="/run/netns/$1" mount -t sysfs sysfs "$NSSYS/$1" ||
		fail "mount the sysfs of $1"
}
# netns_del NS: unmounts NS's sysfs and deletes NS.
netns_del() {
	local ns=$1
	if [ -d "$NSSYS/$ns/class" ] && ! umount "$NSSYS/$ns"; then
		echo "netns_del: cannot unmount $NSSYS/$ns" >&2
		return 1
	fi
	ip netns del "$ns"
}
# sysfs_root NS: sets SYSROOT to the sysfs that shows NS ("-" or "": the
# current namespace), or to nothing if NS has none of its own mounted.
sysfs_root() {
	case ${1:--} in
	-) SYSROOT=/sys ;;
	*) if [ -d "$NSSYS/$1/class" ]; then SYSROOT=$NSSYS/$1; else SYSROOT=; fi ;;
	esac
}
# sysfs_read NS PATH: the first line of the sysfs attribute PATH (under
# /sys) of NS in REPLY; fails if there is nothing to read (an empty
# attribute, or one that cannot be read now, e.g. the carrier of a device
# that is down).
sysfs_read() {
	REPLY=
	sysfs_root "$1"
	if [ -n "$SYSROOT" ]; then
		IFS= read -r REPLY 2>/dev/null <"$SYSROOT/$2" || [ -n "$REPLY" ]
	else
		REPLY=$(ip netns exec "$1" cat "/sys/$2" 2>/dev/null) && [ -n "$REPLY" ]
	fi
}
# netns_add_quiet NS: a namespace whose new interfaces get no IPv6 (no ND or
# MLD chatter), for tests that count frames exactly.
netns_add_quiet() {
	netns_add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}
# in_ns NS CMD...: CMD in NS ("-" or "" for the current namespace).
in_ns() {
	local ns=$1; shift
	if [ -z "$ns" ] || [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}
# set_linkstr [NS] IF LINKSTR: through sysfs (the same rules as netlink).
set_linkstr() {
	local ns=-
	[ $# = 3 ] && { ns=$1; shift; }
	sysfs_root "$ns"
	if [ -n "$SYSROOT" ]; then
		# One write() (printf is a builtin; its output goes out at once).
		printf %s "$2" 2>/dev/null >"$SYSROOT/class/net/$1/virtif/linkstr"
	else
		in_ns "$ns" sh -c 'printf %s "$2" >"/sys/class/net/$1/virtif/linkstr"' - "$1" "$2"
	fi || fail "linkstr '$2' on $1"
}
# linkstr IF [NS]: IF's linkstr (nothing without a backend); fails if IF
# does not exist.
linkstr() {
	sysfs_root "${2:-}"
	if [ -n "$SYSROOT" ]; then
		[ -e "$SYSROOT/class/net/$1/virtif/linkstr" ] || return 1
		sysfs_read "${2:-}" "class/net/$1/virtif/linkstr"
		printf '%s\n' "$REPLY"
	else
		in_ns "${2:-}" cat "/sys/class/net/$1/virtif/linkstr"
	fi
}
# user_iface NS NET [ip link add options...]: the interface u0 in NS, with
# the user backend, up, with the address NET.1/24 and a permanent neighbour
# NET.2 at 02:00:00:00:X:02 (X: NET's second number, 62 for 10.62.0), so
# that IP traffic to .2 leaves without ARP, for the user_*.py programs that
# carry it.
user_iface() {
	local ns=$1 net=$2; shift 2
	local x=${net#*.}
	x=${x%%.*}
	ip -n "$ns" link add u0 "$@" type virtif || fail "add u0"
	set_linkstr "$ns" u0 user
	ip -n "$ns" addr add "$net.1/24" dev u0 || fail "address on u0"
	ip -n "$ns" neigh replace "$net.2" lladdr "02:00:00:00:$x:02" dev u0 nud permanent ||
		fail "static neighbour"
	ip -n "$ns" link set u0 up || fail "u0 up"
}

# make_pair NS_A IF_A NS_B IF_B: a virtif pair with one end in each namespace.
make_pair() {
	ip link add "$2" type virtif || fail "ip link add $2"
	ip link add "$4" type virtif || fail "ip link add $4"
	set_linkstr "$2" "pair:$4"
	ip link set "$2" netns "$1" || fail "move $2 to $1"
	ip link set "$4" netns "$3" || fail "move $4 to $3"
	ip -n "$1" link set "$2" up || fail "set $2 up"
	ip -n "$3" link set "$4" up || fail "set $4 up"
}
# pair_across NS_A IF_A NS_B IF_B [NET]: two new namespaces joined by a virtif
# pair, both ends up; with NET (e.g. 10.9.0), IPv4 addresses NET.1/24 on
# IF_A and NET.2/24 on IF_B.
pair_across() {
	netns_add "$1"
	netns_add "$3"
	make_pair "$@"
	if [ -n "${5:-}" ]; then
		ip -n "$1" addr add "$5.1/24" dev "$2" || fail "address on $2"
		ip -n "$3" addr add "$5.2/24" dev "$4" || fail "address on $4"
	fi
}

# --- link state -----------------------------------------------------------------
# carrier NS IF: 1, 0, or ? (interface down or missing).
carrier() { if sysfs_read "$1" "class/net/$2/carrier"; then echo "$REPLY"; else echo "?"; fi; }
carrier_is() { sysfs_read "$1" "class/net/$2/carrier" && [ "$REPLY" = "$3" ]; }
operstate_is() { sysfs_read "$1" "class/net/$2/operstate" && [ "$REPLY" = "$3" ]; }
# expect_carrier NS IF 0|1: wait (up to 30 s) for it. For 1, also wait until
# the interface is operational: the core activates the qdisc after the
# carrier comes up, from the link-watch work that sets operstate, and
# frames sent before that meet the noop qdisc.
expect_carrier() {
	wait_for 30 carrier_is "$1" "$2" "$3" ||
		fail "carrier of $2 in $1: got '$(carrier "$1" "$2")', want '$3'"
	[ "$3" = 1 ] || return 0
	wait_for 30 operstate_is "$1" "$2" up ||
		fail "$2 in $1 has carrier but is not operational"
}

# --- counters -------------------------------------------------------------------
# counter NS IF COUNTER: a counter from sysfs (statistics/) or ethtool -S.
counter() {
	local v
	if sysfs_read "$1" "class/net/$2/statistics/$3"; then
		v=$REPLY
	else
		v=$(in_ns "$1" ethtool -S "$2" | awk -v k="$3:" '$1 == k { print $2 }')
	fi
	echo "${v:-missing}"
}
__counter_above() {
	local v
	if sysfs_read "$1" "class/net/$2/statistics/$3"; then v=$REPLY; else v=$(counter "$1" "$2" "$3"); fi
	[ "$v" -gt "$4" ] 2>/dev/null
}
# expect_flowing NS IF COUNTER [MIN]: traffic flows: COUNTER grows by more
# than MIN (default 100) within 20 s. Used before injecting a fault "under
# traffic", so that the traffic is known to be there.
expect_flowing() {
	local c0
	c0=$(counter "$1" "$2" "$3")
	wait_for 20 __counter_above "$1" "$2" "$3" $((c0 + ${4:-100})) ||
		fail "no traffic on $2 in $1: $3 went from $c0 to $(counter "$1" "$2" "$3")"
}

# --- fault injection (debug kernel) -------------------------------------------------
FAULT_DIR=/sys/kernel/debug
# fault_setup: arm failslab and fail_page_alloc for the tasks that ask for
# it: /proc/PID/fail-nth (the Nth injection point that task passes fails)
# and /proc/PID/make-it-fail (every allocation of that task fails, or only
# page allocations of at least FAULT_MIN_ORDER with fail_page_alloc).
# GFP_KERNEL allocations fail too; nothing is printed per fault.
# fault_set FILE VALUE: writes a fault-injection knob and reads it back (a
# knob left at its default, e.g. ignore-gfp-wait=Y, would quietly keep the
# campaign away from every GFP_KERNEL allocation).
fault_set() {
	echo "$2" >"$FAULT_DIR/$1" || fail "fault injection: cannot write $1"
	local got
	got=$(cat "$FAULT_DIR/$1") || fail "fault injection: cannot read $1"
	[ "$got" = "$2" ] || fail "fault injection: $1 is '$got' after writing '$2'"
}
fault_setup() {
	local f
	mountpoint -q $FAULT_DIR || mount -t debugfs debugfs $FAULT_DIR ||
		fail "cannot mount debugfs on $FAULT_DIR"
	for f in failslab fail_page_alloc; do
		[ -d $FAULT_DIR/$f ] || skip "no $f (kernel without FAULT_INJECTION_DEBUG_FS)"
		fault_set $f/ignore-gfp-wait N
		fault_set $f/verbose 0
		fault_set $f/task-filter Y
		fault_set $f/probability 100
		fault_set $f/interval 1
		fault_set $f/times -1
	done
	fault_set fail_page_alloc/ignore-gfp-highmem N
	fault_set fail_page_alloc/min-order "${FAULT_MIN_ORDER:-0}"
	# With FAULT_MIN_ORDER, only page allocations of that order and more
	# fail: slab allocations (small objects) go through.
	[ -z "${FAULT_MIN_ORDER:-}" ] || fault_set failslab/probability 0
	on_exit fault_reset
}
fault_reset() {
	local f
	for f in failslab fail_page_alloc; do
		echo 0 >$FAULT_DIR/$f/probability
		echo 1 >$FAULT_DIR/$f/times
	done
	echo 0 >$FAULT_DIR/fail_page_alloc/min-order
}
# sysfs_write FILE DATA: write DATA in one write(); prints "ok" or the errno
# name (EINVAL, EBUSY, ...). With FAIL_NTH=N in the environment, the Nth
# fault-injection point of the write fails, and FAULT_HIT tells whether it
# was reached ("hit" or "missed" is printed on a second line).
sysfs_write() {
	python3 -S - "$@" <<'PY'
import errno, os, sys
sys.path.insert(0, os.environ["TESTDIR"])
from fault import Fault
nth = int(os.environ.get("FAIL_NTH", "0"))
fd = os.open(sys.argv[1], os.O_WRONLY)
fault = Fault() if nth else None
if nth:
    fault.arm(nth)
try:
    n = os.write(fd, sys.argv[2].encode())
    res = "ok" if n == len(sys.argv[2]) else "short"
except OSError as e:
    res = errno.errorcode[e.errno]
hit = fault.disarm() if nth else None
print(res)
if nth:
    print("hit" if hit else "missed")
PY
}

# --- the fault campaign (stress/) --------------------------------------------------
ITER=${VIRTIF_ITER:-3}
# ns_exec NS: the command prefix that runs a program in NS ("-": here).
ns_exec() { [ "$1" = - ] || echo "ip netns exec $1"; }
# burst NS IF DST N: N frames of 100 bytes to DST from a sender pinned to each
# CPU, all at once; prints how many the stack accepted (sum of all senders).
burst() {
	local ns=$1 dev=$2 dst=$3 n=$4 c pids=() out sent=0 s
	out=$(mktemp -d)
	for ((c = 0; c < $(nproc); c++)); do
		bg $(ns_exec "$ns") taskset -c "$c" "$SENDETH" "$dev" "$dst" "$n" --size 100 --report >"$out/$c"
		pids+=("$BG_PID")
	done
	for c in "${pids[@]}"; do bg_wait "$c" || fail "sender $c"; done
	for s in "$out"/*; do read -r s _ <"$s"; sent=$((sent + s)); done
	rm -rf "$out"
	echo "$sent"
}
# flood NS IF DST: raw frames to DST from every CPU until killed (at exit, or
# with flood_stop); their pids in FLOOD_PIDS. The senders run at nice 19:
# they take every CPU cycle the test itself leaves, and the test's own
# commands (the faults) are not slowed down by them (under TCG a command
# costs about twice as long against senders of equal weight).
FLOOD_PIDS=()
flood() {
	local c
	for ((c = 0; c < $(nproc); c++)); do
		bg $(ns_exec "$1") nice -n 19 taskset -c "$c" "$SENDETH" "$2" "$3" 100000000 --size 100 --report >/dev/null 2>&1
		FLOOD_PIDS+=("$BG_PID")
	done
}
flood_stop() {
	local p
	for p in "${FLOOD_PIDS[@]}"; do bg_stop "$p" KILL; done
	FLOOD_PIDS=()
}
# round_end: everything of the round goes: namespaces, interfaces, the module.
# A reference left anywhere keeps rmmod waiting or makes the refcount tracker
# report (a splat); an interface left in the initial namespace is a failure.
round_end() {
	local ns
	flood_stop
	for ns in "${NETNS[@]}"; do netns_del "$ns" || fail "round $1: netns del $ns"; done
	NETNS=()
	[ -z "$(ip -o link show type virtif)" ] || fail "round $1: interfaces left: $(ip -o link show type virtif)"
	virtif_unload
}
