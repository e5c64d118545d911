# SPDX-License-Identifier: GPL-2.0
# Helpers for virtif selftests (sourced). Tests are kselftest-style scripts:
# exit 0 = pass, 4 = skip, anything else = fail. They print diagnostics on
# stderr/stdout; the runner turns their results into TAP.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$TESTDIR/../../../../../.." && pwd)
VIRTIF_KO=$TOP/drivers/net/virtif/virtif.ko
SPLAT_KO=$TESTDIR/modules/virtif_splat.ko

fail() { echo "FAIL: $*" >&2; exit $KSFT_FAIL; }
skip() { echo "SKIP: $*" >&2; exit $KSFT_SKIP; }
info() { echo "# $*"; }

# check DESCRIPTION CMD...: run CMD, fail the test if it fails.
check() {
	local what=$1; shift
	"$@" || fail "$what (command: $*)"
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

module_loaded() { [ -d "/sys/module/$1" ]; }

# Remove virtif if a previous test left it loaded.
virtif_unload() {
	if module_loaded virtif; then rmmod virtif || fail "rmmod virtif"; fi
}

# The kernel log since the runner started this test (it writes a marker
# into /dev/kmsg before each test; the ring buffer is never cleared).
test_dmesg() {
	dmesg | sed -n "/virtif-selftest: begin ${VIRTIF_TEST:-}\$/,\$p"
}

# Report a sub-result that the runner counts as a test of its own.
subtest() { echo "ksft-subtest: $1 $2"; }

# --- virtif helpers ---------------------------------------------------------
NL="$TESTDIR/virtif_nl.py"
SENDETH="$TESTDIR/sendeth.py"

virtif_load() {
	module_loaded virtif || insmod "$VIRTIF_KO" "$@" || fail "insmod virtif"
}

# Namespaces created by a test, removed by cleanup (run at exit).
NETNS=()
netns_add() {
	ip netns add "$1" || fail "ip netns add $1"
	NETNS+=("$1")
	ip -n "$1" link set lo up
}
# netns_add_quiet NS: a namespace whose new interfaces get no IPv6 (no ND or
# MLD chatter), for tests that count frames exactly.
netns_add_quiet() {
	netns_add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}
cleanup() {
	local ns
	for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	virtif_unload_quiet
}
trap cleanup EXIT
virtif_unload_quiet() { module_loaded virtif && rmmod virtif 2>/dev/null; true; }

# make_pair NS_A IF_A NS_B IF_B: a virtif pair with one end in each namespace.
make_pair() {
	ip link add "$2" type virtif || fail "ip link add $2"
	ip link add "$4" type virtif || fail "ip link add $4"
	"$NL" set "$2" --linkstr "pair:$4" >/dev/null || fail "pair $2 with $4"
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

# counter NS IF COUNTER: a counter from sysfs (statistics/) or ethtool -S.
counter() {
	local v
	v=$(ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3" 2>/dev/null) ||
		v=$(ip netns exec "$1" ethtool -S "$2" | awk -v k="$3:" '$1 == k { print $2 }')
	echo "${v:-missing}"
}

# wait_for SECONDS CMD...: retry CMD until it succeeds.
wait_for() {
	local t=$1; shift
	local end=$((SECONDS + t))
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
