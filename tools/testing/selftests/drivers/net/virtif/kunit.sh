#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the KUnit suites built into virtif.ko (they run when the module loads)
# and report every test case as a result of its own.
. "${0%/*}/lib.sh"

[ -d /sys/kernel/debug/kunit ] || [ -e /sys/module/kunit ] || skip "kernel built without CONFIG_KUNIT"
virtif_unload
check "insmod virtif.ko" insmod "$VIRTIF_KO"
check "rmmod virtif" rmmod virtif

# KTAP from the kernel log: "# Subtest: SUITE" ... "ok N CASE" ... "ok N SUITE".
results=$(test_dmesg | sed -E 's/^\[[^]]*\] ?//' | awk '
	/# Subtest: / { suite=$NF; depth=1; next }
	suite != "" && /^ +(not )?ok [0-9]+ / {
		res = ($1 == "not") ? "fail" : "ok"
		name = ($1 == "not") ? $4 : $3
		if ($0 ~ /# SKIP/) res = "skip"
		print res, suite "." name; next
	}
	suite != "" && /^(not )?ok [0-9]+ / { suite="" }')
[ -n "$results" ] || fail "no KUnit results in the kernel log after loading virtif"
nfail=0
while read -r res name; do
	subtest "$res" "kunit.$name"
	[ "$res" = fail ] && nfail=$((nfail + 1))
done <<<"$results"
[ "$nfail" = 0 ] || fail "$nfail KUnit case(s) failed"
exit 0
