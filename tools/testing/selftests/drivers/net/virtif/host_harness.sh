#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The harness proves that it cannot pass a broken run. It runs the fixtures
# in harness/ (deliberately broken tests) through run_tests, in two guests
# booted side by side, and checks that every breakage is reported as a
# failure, with its reason:
#   run A: a plain failure, a WARN, a kmemleak leak, a lockdep report that
#          switches lockdep off, a hung task, a soft lockup, an OOM kill, a
#          test that leaves the module loaded and a process running, a test
#          whose rmmod is refused, and the runner killed half-way (the test
#          after it never runs: a missing result);
#   run B: a skipping test (a failure unless VIRTIF_ALLOW_SKIP=1), then a
#          guest kernel panic while a test runs.
# The passing fixture must pass in both, and vm-run must report the status
# of the command it ran and keep the guest's stdout and stderr apart.
. "$(dirname "$0")/lib.sh"

[ -f "$SPLAT_KO" ] || fail "$SPLAT_KO not built (make test-modules)"
A=(fx_pass fx_fail fx_warn fx_leak fx_lockdep fx_hang fx_spin fx_oom fx_modref fx_modref_lib fx_kill_runner fx_never)
B=(fx_pass fx_skip fx_crash fx_never)
out=$(mktemp -d)
on_exit "rm -rf $out"
"$TESTDIR/run_tests" --dir harness "${A[@]}" >"$out/a" 2>&1 &
pa=$!
VIRTIF_ALLOW_SKIP=0 "$TESTDIR/run_tests" --dir harness "${B[@]}" >"$out/b" 2>&1 &
pb=$!
wait $pa; rca=$?
wait $pb; rcb=$?

errors=0
bad() { echo "FAIL: $*" >&2; errors=$((errors + 1)); }
# result RUN NAME ok|not ok [REASON-REGEX]: the TAP line for NAME in RUN.
result() {
	local run=$1 name=$2 want=$3 why=${4:-} line
	line=$(grep -E "^(not )?ok [0-9]+ $name( |$)" "$out/$run" | head -n1)
	case $want in
	ok) [[ $line == "ok "* ]] || bad "run $run: $name: want ok, got '${line:-no line}'" ;;
	*) [[ $line == "not ok "* ]] || bad "run $run: $name: want not ok, got '${line:-no line}'" ;;
	esac
	[ -z "$why" ] || grep -qE -- "$why" <<<"$line" || bad "run $run: $name: reason not '$why': '$line'"
}
# logged RUN REGEX WHAT: RUN's output mentions REGEX.
logged() { grep -qE -- "$2" "$out/$1" || bad "run $1: no sign of $3 ('$2')"; }

[ "$rca" != 0 ] || bad "run A: run_tests exited 0"
[ "$rcb" != 0 ] || bad "run B: run_tests exited 0"

result a fx_pass ok
result a fx_fail "not ok" "exit status 1"
result a fx_warn "not ok" "kernel splat.*kernel tainted: W"
result a fx_lockdep "not ok" "kernel splat.*lockdep switched itself off"
logged a "trying to register non-static key" "the lockdep report"
result a fx_hang "not ok" "kernel splat"
logged a "INFO: task insmod:[0-9]+ blocked for more than" "the hung-task report"
result a fx_spin "not ok" "kernel splat.*kernel tainted: L"
logged a "BUG: soft lockup" "the soft-lockup report"
result a fx_oom "not ok" "kernel splat"
logged a "Out of memory: Killed process" "the OOM kill"
result a fx_modref "not ok" "left processes running.*left the virtif module loaded"
result a fx_modref_lib "not ok" "exit status 1"
logged a "rmmod virtif refused at the end of the test" "lib.sh's refused rmmod"
result a fx_kill_runner "not ok" "ended while it ran"
result a fx_never "not ok" "ended before it started"
result a "guest run:" "not ok" "runner did not finish.*splat"
logged a "^# vm: .*unreferenced object" "the leak found by the final kmemleak scan"
logged a "^# vm: checkers: lockdep switched itself off during the run" "lockdep off at the end"
logged a "^# vm: checkers: the kernel is tainted" "the taint at the end"
logged a "^# vm: .*command exit status 137" "the runner's exit status"
logged a "^# vm: guest_runner: 12 test" "the guest's stderr"
grep -qE "^# guest_runner:" "$out/a" && bad "run A: the guest's stderr leaked into its stdout"

result b fx_pass ok
result b fx_skip "not ok" "skipped"
result b fx_crash "not ok" "ended while it ran"
result b fx_never "not ok" "ended before it started"
result b "guest run:" "not ok" "crashed"
logged b "Kernel panic - not syncing" "the panic"

if [ "$errors" != 0 ]; then
	for r in a b; do echo "--- run $r:"; sed 's/^/  /' "$out/$r"; done
	fail "$errors check(s) of the harness failed"
fi
info "run A: $(tail -n1 "$out/a"); run B: $(tail -n1 "$out/b")"
exit 0
