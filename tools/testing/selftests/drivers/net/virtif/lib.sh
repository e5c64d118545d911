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
