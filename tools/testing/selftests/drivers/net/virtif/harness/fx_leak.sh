#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: leaks kernel memory; only the final kmemleak scan of the
# guest run can see it (the test itself passes).
. "${0%/*}/../lib.sh"
check insmod insmod "$SPLAT_KO" mode=leak
check rmmod rmmod virtif_splat
exit 0
