#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The harness proves that it cannot pass a broken run.
#
# 1. The kernel-log patterns find the kernel's reports and nothing else
#    (scripts/splat-check --self-test).
# 2. One guest, booted once, runs the fixtures in harness/ (deliberately
#    broken tests) through run_tests, and every breakage must be reported
#    as a failure, with its reason: a plain failure, a WARN, a kmemleak
#    leak, a lockdep report that switches lockdep off, a hung task, a soft
#    lockup, an OOM kill, a test that leaves the module loaded and a process
#    running, a test whose rmmod is refused, a skipping test (a failure
#    unless VIRTIF_ALLOW_SKIP=1), then a guest kernel panic while a test
#    runs (the test after it never runs: a missing result). The passing
#    fixture must pass, and vm-run must report the status of the command it
#    ran and keep the guest's stdout and stderr apart.
# 3. The runner dying half-way (killed, e.g. by the OOM killer) while the
#    guest lives on, with one guest and with two sharing the tests out:
#    run_tests with a stand-in for vm-run (harness/fake-vm-run, no VM)
#    must report the test that was running and the ones that never ran.
# 4. The guest's time limit: an hour for make check, the sum of the
#    per-test limits when a campaign sets them (make stress, make fuzz)
#    and that is more, so that 100 rounds are never cut short.
. "${0%/*}/lib.sh"

[ -f "$SPLAT_KO" ] || fail "$SPLAT_KO not built (make test-modules)"
"$TOP/scripts/splat-check" --self-test || fail "scripts/splat-check --self-test"

A=(fx_pass fx_fail fx_warn fx_leak fx_lockdep fx_hang fx_spin fx_oom fx_modref fx_modref_lib fx_skip fx_crash fx_never)
out=$(mktemp -d)
on_exit "rm -rf $out"
# 3 first (no VM, a second), then 2. The stand-in passes every test but
# fx_kill_runner, whatever the fixture would do.
FAKE=(fx_pass fx_fail fx_kill_runner fx_never)
VIRTIF_VM_RUN=$TESTDIR/harness/fake-vm-run "$TESTDIR/run_tests" --jobs 1 --dir harness "${FAKE[@]}" >"$out/k" 2>&1
rck=$?
FAKE2=(fx_pass fx_fail fx_warn fx_kill_runner fx_never fx_leak)
VIRTIF_VM_RUN=$TESTDIR/harness/fake-vm-run "$TESTDIR/run_tests" --jobs 2 --dir harness "${FAKE2[@]}" >"$out/m" 2>&1
rcm=$?
# 4: the limit given to vm-run, the default's and a campaign's.
VIRTIF_VM_RUN=$TESTDIR/harness/fake-vm-run "$TESTDIR/run_tests" --jobs 1 --dir harness fx_pass >"$out/t1" 2>&1
VIRTIF_TEST_TIMEOUT=12600 VIRTIF_VM_RUN=$TESTDIR/harness/fake-vm-run "$TESTDIR/run_tests" --jobs 1 \
	--dir harness fx_pass fx_fail fx_never >"$out/t2" 2>&1
VIRTIF_ALLOW_SKIP=0 "$TESTDIR/run_tests" --jobs 1 --dir harness "${A[@]}" >"$out/a" 2>&1
rca=$?

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

[ "$rca" != 0 ] || bad "run a: run_tests exited 0"
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
result a fx_skip "not ok" "skipped"
result a fx_crash "not ok" "ended while it ran"
result a fx_never "not ok" "ended before it started"
result a "guest run:" "not ok" "runner did not finish.*crashed"
logged a "Kernel panic - not syncing" "the panic"
logged a "^# vm: guest_runner: 13 test" "the guest's stderr"
grep -qE "^# guest_runner:" "$out/a" && bad "run a: the guest's stderr leaked into its stdout"

# The runner killed half-way, one guest.
[ "$rck" != 0 ] || bad "run k: run_tests exited 0"
result k fx_pass ok
result k fx_fail ok
result k fx_kill_runner "not ok" "ended while it ran"
result k fx_never "not ok" "ended before it started"
result k "guest run:" "not ok" "runner did not finish.*vm-run exited 137"
# Two guests: one runner dies, the other goes on with what is left.
[ "$rcm" != 0 ] || bad "run m: run_tests exited 0"
for t in fx_pass fx_fail fx_warn fx_never fx_leak; do result m "$t" ok; done
result m fx_kill_runner "not ok" "ended while it ran"
[ "$(grep -cE '^(not )?ok [0-9]+ fx_' "$out/m")" = 6 ] || bad "run m: want one result per test"
[ "$(grep -cE '^not ok [0-9]+ guest run [12] of 2:.*vm-run exited 137' "$out/m")" = 1 ] ||
	bad "run m: want exactly one failed guest run (exit 137)"
[ "$(grep -cE '^ok [0-9]+ guest run [12] of 2:' "$out/m")" = 1 ] || bad "run m: want one guest run ok"

# The time limits.
logged t1 "^# fake vm-run: --timeout 3600$" "the default limit of an hour"
logged t2 "^# fake vm-run: --timeout 38400$" "the campaign's limit (3 x 12600 + 600 s)"

if [ "$errors" != 0 ]; then
	for r in a k m t1 t2; do echo "--- run $r:"; sed 's/^/  /' "$out/$r"; done
	fail "$errors check(s) of the harness failed"
fi
info "run a: $(tail -n1 "$out/a"); runner killed, one guest: $(tail -n1 "$out/k"); two guests: $(tail -n1 "$out/m")"
exit 0
