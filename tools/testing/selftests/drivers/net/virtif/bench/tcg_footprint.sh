#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark, not a test (run_tests only picks up *.sh in the directory
# above). Usage below.
set -uo pipefail

usage() {
	cat <<'EOF'
tcg_footprint.sh: what a request/response transaction runs in the guest,
virtif-tap against tap-tap, counted by a QEMU TCG plugin.

usage: tools/testing/selftests/drivers/net/virtif/bench/tcg_footprint.sh
           [--rounds N] [--seconds S] [--top N] [--out DIR]

On the host: builds tcg_footprint.c as a QEMU plugin (with the
qemu-plugin.h of the installed QEMU, fetched once from Debian's source
package into ~/.cache/virtif/qemu-plugin), the release kernel, the module
and the samples if needed, and boots one 2-CPU guest under TCG with the
plugin. In the guest, for each of N rounds (default 2): request/response
(bench/rr.c, client on CPU 0, server on CPU 1) through virtif-tap, then
through tap-tap (the same forwarder between two taps), S seconds each
(default 4), with a snapshot of the plugin's counters before and after.
Then prints, per transaction and for each link: the guest instructions,
the translation blocks run, those ending in an indirect branch (a lookup
in QEMU's jump cache), and the distinct blocks run at least once per two
transactions (the code footprint), split into user space, the kernel and
the virtif module; then the N kernel functions (default 30) whose
instructions per transaction differ most. The snapshots and the report
stay in DIR (default ~/.cache/virtif/footprint/DATE).

Under TCG, QEMU empties its TLB and its jump cache at every address-space
switch, so the first run of a block after one costs far more than a
repeat: request/response latency follows the footprint more than the
instruction count. The plugin slows the guest down; its latencies are
printed but are not the benchmark's.
EOF
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# --- guest side: tcg_footprint.sh --guest DIR ROUNDS SECONDS -------------------
if [ "${1:-}" = --guest ]; then
	OUT=$2 ROUNDS=$3 SECS=$4
	TOPDIR=$(cd "$HERE/../../../../../../.." && pwd)
	VTAP=$TOPDIR/samples/target/release/virtif-tap
	export IP_LIB_DIR=$TOPDIR/samples/target/iproute2
	W=$(mktemp -d)
	fail() { echo "tcg_footprint (guest): $*" >&2; exit 1; }
	gcc -O2 -Wall -o "$W/rr" "$HERE/rr.c" || fail "cannot compile rr.c"
	insmod "$TOPDIR/drivers/net/virtif/virtif.ko" || fail "insmod virtif"
	echo 0 >/proc/sys/kernel/kptr_restrict
	cat /proc/kallsyms >"$OUT/kallsyms"
	: >"$OUT/rr.txt"
	# snap LABEL: the plugin's counters to $OUT/LABEL.txt.
	snap() {
		echo "$1" >"$OUT/snap.tmp" && mv "$OUT/snap.tmp" "$OUT/snap" || fail "snap $1"
		for _ in $(seq 600); do
			[ -e "$OUT/snap" ] || { [ -s "$OUT/$1.txt" ] && return 0; }
			sleep 0.05
		done
		fail "the plugin did not answer snapshot $1 (is it loaded?)"
	}
	# one KIND ROUND: set up KIND (virtif or tap), measure, tear down.
	one() {
		local kind=$1 round=$2 fwd srv rr
		ip netns add fa && ip netns add fb || fail "netns"
		if [ "$kind" = virtif ]; then
			ip -n fa link add va type virtif linkstr user || fail "virtif va"
			ip -n fa addr add 10.9.0.1/24 dev va
			ip netns exec fa "$VTAP" --quiet --virtif va --tap tb --create-tap >"$W/fwd.log" 2>&1 &
			fwd=$!
			sleep 1
			ip -n fa link set va up
		else
			ip netns exec fa "$VTAP" --quiet --tap tb --create-tap --peer-tap ta \
				--create-peer-tap >"$W/fwd.log" 2>&1 &
			fwd=$!
			sleep 1
			ip -n fa addr add 10.9.0.1/24 dev ta
			ip -n fa link set ta up
		fi
		ip -n fa link set tb netns fb || fail "$kind: no tb ($(cat "$W/fwd.log"))"
		ip -n fb addr add 10.9.0.2/24 dev tb
		ip -n fb link set tb up
		sleep 1.5
		ip netns exec fa ping -q -c 1 -W 5 10.9.0.2 >/dev/null || fail "$kind: no ping"
		ip netns exec fb taskset -c 1 "$W/rr" server 10.9.0.2 5202 >"$W/srv.log" 2>&1 &
		srv=$!
		sleep 0.5
		ip netns exec fa taskset -c 0 "$W/rr" client 10.9.0.2 5202 1 >/dev/null || fail "$kind: rr warm-up"
		snap "start-$kind-$round"
		rr=$(ip netns exec fa taskset -c 0 "$W/rr" client 10.9.0.2 5202 "$SECS") || fail "$kind: rr"
		snap "end-$kind-$round"
		echo "rr kind=$kind round=$round $rr" | tee -a "$OUT/rr.txt"
		kill "$srv" "$fwd"
		wait "$srv" "$fwd" 2>/dev/null
		ip netns del fa
		ip netns del fb
		sleep 1
	}
	for ((r = 1; r <= ROUNDS; r++)); do
		one virtif "$r"
		one tap "$r"
	done
	rmmod virtif
	rm -rf "$W"
	exit 0
fi

# --- host side -------------------------------------------------------------------
. "$HERE/../../../../../../../scripts/lib.sh"
ROUNDS=2 SECS=4 TOPN=30 OUT=
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) ROUNDS=$2; shift 2 ;;
	--seconds) SECS=$2; shift 2 ;;
	--top) TOPN=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
for v in "$ROUNDS" "$SECS" "$TOPN"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || die "--rounds, --seconds and --top take a positive integer, not '$v'"
done
[ -n "$OUT" ] || OUT=$CACHE/footprint/$(date '+%Y%m%d-%H%M%S')
mkdir -p "$OUT" || die "cannot make $OUT"
OUT=$(cd "$OUT" && pwd)
# Only what an earlier run of this script left there.
rm -f "$OUT"/start-*.txt "$OUT"/end-*.txt "$OUT/rr.txt" "$OUT/report.txt" "$OUT/snap" "$OUT/kallsyms"

"$TOP/scripts/install-deps" || die "install-deps failed"

# qemu-plugin.h of the installed QEMU: from the upstream tarball of its
# Debian source package (the header is not in any binary package).
ver=$(dpkg-query -W -f='${source:Upstream-Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed (scripts/install-deps installs it)"
hdir=$CACHE/qemu-plugin/$ver
if [ ! -s "$hdir/qemu-plugin.h" ]; then
	mirror=$(sed -n 's|^URIs: *\(http[^ ]*\).*|\1|p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
	mirror=${mirror:-http://deb.debian.org/debian}
	url=$mirror/pool/main/q/qemu/qemu_$ver.orig.tar.xz
	log "tcg_footprint: fetching qemu-plugin.h from $url"
	rm -rf "$hdir.tmp" && mkdir -p "$hdir.tmp" || die "cannot make $hdir.tmp"
	curl -fsSL "$url" | tar -xJ -C "$hdir.tmp" --wildcards --strip-components=3 '*/include/qemu/qemu-plugin.h' ||
		die "cannot get qemu-plugin.h from $url"
	mkdir -p "$hdir" && mv "$hdir.tmp/qemu-plugin.h" "$hdir/" && rm -rf "$hdir.tmp" ||
		die "cannot store qemu-plugin.h in $hdir"
fi
gcc -O2 -Wall -shared -fPIC -I"$hdir" -o "$OUT/tcg_footprint.so" "$HERE/tcg_footprint.c" -lpthread ||
	die "cannot build the plugin"

"$TOP/scripts/build-kernel" --profile release >&2 || die "kernel build failed"
make -C "$TOP" --no-print-directory modules PROFILE=release >&2 || die "module build failed"
[ -x "$TOP/samples/target/release/virtif-tap" ] || "$TOP/scripts/build-samples" >&2 ||
	die "cannot build the samples"

log "tcg_footprint: $ROUNDS rounds of ${SECS}s per link, in a TCG guest with the plugin"
VIRTIF_ACCEL=tcg "$TOP/scripts/vm-run" --profile release --cpus 2 --share "$OUT" \
	--qemu-opts "-plugin $OUT/tcg_footprint.so,dir=$OUT" -- \
	"$HERE/tcg_footprint.sh" --guest "$OUT" "$ROUNDS" "$SECS" || die "the guest run failed"
python3 "$HERE/tcg_footprint.py" "$OUT" "$TOPN" | tee "$OUT/report.txt"
log "tcg_footprint: snapshots and report in $OUT"
