#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# scripts/vm-run returns the guest command's stdout, stderr and exit status.
. "$(dirname "$0")/lib.sh"

out=$(mktemp) err=$(mktemp)
"$TOP/scripts/vm-run" -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 7' >"$out" 2>"$err"
rc=$?
cat "$err" | grep -v '^\[virtif\]' | sed 's/^/stderr: /'
expect_eq "exit status" "$rc" 7
grep -qx to-stdout "$out" || fail "guest stdout not returned: $(cat "$out")"
grep -qx to-stderr "$err" || fail "guest stderr not returned"
grep -q to-stderr "$out" && fail "guest stderr leaked into stdout"
rm -f "$out" "$err"
exit 0
