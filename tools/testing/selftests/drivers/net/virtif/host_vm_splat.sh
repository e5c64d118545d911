#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Negative tests of the harness: a command that succeeds but makes the kernel
# WARN, or leak memory, must fail scripts/vm-run and say why.
. "$(dirname "$0")/lib.sh"

[ -f "$SPLAT_KO" ] || fail "$SPLAT_KO not built (make test-modules)"
err=$(mktemp)

"$TOP/scripts/vm-run" -- sh -c "insmod $SPLAT_KO mode=warn && rmmod virtif_splat; true" >/dev/null 2>"$err"
rc=$?
sed 's/^/warn: /' "$err" | tail -n 5
[ "$rc" != 0 ] || fail "vm-run exited 0 after a WARN in the guest"
grep -q "deliberate warning" "$err" || fail "vm-run did not show the WARNING line"
grep -q "splat" "$err" || fail "vm-run did not say it failed because of a splat"

"$TOP/scripts/vm-run" -- sh -c "insmod $SPLAT_KO mode=leak && rmmod virtif_splat; true" >/dev/null 2>"$err"
rc=$?
sed 's/^/leak: /' "$err" | tail -n 5
[ "$rc" != 0 ] || fail "vm-run exited 0 after a kmemleak-visible leak in the guest"
grep -q "unreferenced object" "$err" || fail "vm-run did not report the leaked object"

rm -f "$err"
exit 0
