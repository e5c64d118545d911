#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The samples' own unit tests (cargo test): the batch record format, the
# library's single-frame and batch I/O and drain() over a socket pair, and
# the ioctl number against the uapi header. No kernel needed.
. "${0%/*}/lib.sh"

cd "$TOP/samples" || fail "no samples/"
out=$(cargo test --release --locked --quiet 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^test result|FAILED|panicked' | sed 's/^/cargo: /'
[ "$rc" = 0 ] || { printf '%s\n' "$out" | tail -n 30; fail "cargo test failed ($rc)"; }
# The library's tests must have run (not filtered away).
printf '%s\n' "$out" | grep -qE '^test result: ok\. [1-9][0-9]* passed' ||
	fail "no unit test ran"
exit 0
