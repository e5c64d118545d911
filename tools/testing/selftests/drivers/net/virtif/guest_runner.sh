#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest: every guest test (*.sh but lib.sh, guest_runner.sh
# and host_*.sh), in name order, or the ones named on the command line.
# Prints one "RESULT ok|fail|skip NAME" line per test and sub-test, and the
# test's own output as "# " lines; run_tests on the host turns that into TAP.
#
# A test fails if its exit status says so, if it runs over its time limit,
# or if the kernel reported a splat while it ran.
cd "$(dirname "$0")" || exit 1
. ./lib.sh
TIMEOUT=${VIRTIF_TEST_TIMEOUT:-300}

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	for t in *.sh; do
		case "$t" in lib.sh|guest_runner.sh|host_*) continue ;; esac
		tests+=("${t%.sh}")
	done
fi

for name in "${tests[@]}"; do
	name=${name%.sh}
	echo "virtif-selftest: begin $name" >/dev/kmsg
	log=$(mktemp)
	start=$SECONDS
	VIRTIF_TEST=$name timeout -k 10 "$TIMEOUT" "./$name.sh" >"$log" 2>&1
	rc=$?
	echo "virtif-selftest: end $name" >/dev/kmsg
	grep -v '^ksft-subtest: ' "$log" | sed 's/^/# /'
	grep '^ksft-subtest: ' "$log" | while read -r _ res sub; do
		echo "RESULT $res $sub"
	done
	splat=$(VIRTIF_TEST=$name test_dmesg | "$TOP/scripts/splat-check" /dev/stdin)
	if [ -n "$splat" ]; then
		echo "$splat" | sed 's/^/# /'
		echo "# kernel splat while $name ran"
		rc=1
	fi
	case $rc in
	0) res=ok ;;
	4) res=skip ;;
	124) echo "# timed out after ${TIMEOUT}s"; res=fail ;;
	*) res=fail ;;
	esac
	echo "RESULT $res $name ($((SECONDS - start))s)"
	rm -f "$log"
done
exit 0
