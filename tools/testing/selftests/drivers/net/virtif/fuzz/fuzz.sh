#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cpus: 2 (its threads call at once)
# The fuzzer (fuzz/virtif_fuzz.py) against every input surface of virtif,
# for VIRTIF_FUZZ_DURATION seconds (default 60) with seed VIRTIF_FUZZ_SEED
# (default: a random one, printed) from 4 threads; then everything it made
# goes and the module unloads. Any call that returns an undocumented errno
# fails the run; the runner judges the kernel log.
. "${0%/*}/../lib.sh"

virtif_load
netns_add fuzz0
netns_add fuzz1
args=(--duration "${VIRTIF_FUZZ_DURATION:-60}" --threads "${VIRTIF_FUZZ_THREADS:-4}")
[ -z "${VIRTIF_FUZZ_SEED:-}" ] || args+=(--seed "$VIRTIF_FUZZ_SEED")
"$TESTDIR/fuzz/virtif_fuzz.py" "${args[@]}" || fail "the fuzzer saw undocumented results"
# Nothing may be stuck: every interface it left can be deleted at once.
for ns in - fuzz0 fuzz1; do
	for d in $(in_ns "$ns" ip -o link show type virtif | awk -F': ' '{print $2}' | cut -d@ -f1); do
		if ! timeout 30 $(ns_exec "$ns") ip link del "$d" 2>/dev/null &&
			in_ns "$ns" ip link show "$d" >/dev/null 2>&1; then
			fail "cannot delete $d in $ns"
		fi
	done
done
exit 0
