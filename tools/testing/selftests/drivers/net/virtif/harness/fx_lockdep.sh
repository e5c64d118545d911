#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a lockdep report that is not at the start of its line
# ("INFO: trying to register non-static key."); lockdep then switches
# itself off for the rest of the run.
. "${0%/*}/../lib.sh"
check insmod insmod "$SPLAT_KO" mode=lockdep
check rmmod rmmod virtif_splat
exit 0
