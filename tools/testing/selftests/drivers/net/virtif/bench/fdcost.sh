#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark, not a test (run_tests only picks up *.sh in the directory
# above): the cost of the file interface per frame, hot, in a loop
# (fdcost.c): a virtif through /dev/virtif (single-frame mode) against a tap,
# alternating, with no forwarder and no scheduling in the way. Run it in a
# guest with the release kernel, e.g.
#
#   scripts/vm-run --profile release -- \
#	tools/testing/selftests/drivers/net/virtif/bench/fdcost.sh [FRAMES] [RUNS]
#
# Each run of each kind measures three rounds of FRAMES frames (default
# 20000; RUNS default 2). Prints every round, then per metric the median of
# each kind in ns per frame and the ratio virtif / tap (lower is better).
. "${0%/*}/../lib.sh"

FRAMES=${1:-20000}
RUNS=${2:-2}
command -v gcc >/dev/null || skip "no gcc"
W=$(mktemp -d) || fail "mktemp"
on_exit 'rm -rf "$W"'
gcc -O2 -Wall -I"$TOP/drivers/net/virtif/uapi" -o "$W/fdcost" "$TESTDIR/bench/fdcost.c" ||
	fail "cannot compile bench/fdcost.c"
virtif_load

operational() { operstate_is fc fc0 up || operstate_is fc fc0 unknown; }

# one KIND: a run of fdcost on fc0 in namespace fc, its lines to $W/out.
one() {
	netns_add_quiet fc
	if [ "$1" = virtif ]; then
		ip -n fc link add fc0 type virtif || fail "add fc0"
		set_linkstr fc fc0 user
	fi
	rm -f "$W/go" && mkfifo "$W/go" || fail "mkfifo"
	ip netns exec fc taskset -c 0 "$W/fdcost" "$1" fc0 "$FRAMES" <"$W/go" >"$W/run" 2>&1 &
	local pid=$!
	exec 3>"$W/go"
	wait_for 30 grep -qx ready "$W/run" || fail "$1: fdcost did not start: $(cat "$W/run")"
	ip -n fc addr add 10.9.0.1/24 dev fc0 || fail "address"
	ip -n fc link set fc0 up || fail "up"
	ip -n fc neigh add 10.9.0.2 lladdr 02:00:00:00:00:42 dev fc0 nud permanent || fail "neighbour"
	# A tap's operstate stays "unknown"; a virtif's comes up with its carrier.
	wait_for 30 operational || fail "$1: fc0 not operational"
	echo go >&3
	exec 3>&-
	wait "$pid" || fail "$1: fdcost exit status $?: $(cat "$W/run")"
	grep -v '^ready$' "$W/run" | sed "s/^/$1 /" | tee -a "$W/out"
	netns_del fc
}

for ((r = 0; r < RUNS; r++)); do
	one virtif
	one tap
done
awk '
	{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1], ++n[$1, kv[1]]] = kv[2]; m[kv[1]] = 1 } }
	function median(k, key,   c, i, j, t, a) {
		c = n[k, key]
		for (i = 1; i <= c; i++) a[i] = v[k, key, i]
		for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
	}
	END {
		for (key in m) {
			x = median("virtif", key); y = median("tap", key)
			printf "%-14s virtif %6.0f  tap %6.0f  virtif/tap %.2f\n", key, x, y, x / y
		}
	}' "$W/out"
