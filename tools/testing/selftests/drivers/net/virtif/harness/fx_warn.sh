#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: passes by its own checks, but the kernel WARNs.
. "${0%/*}/../lib.sh"
check insmod insmod "$SPLAT_KO" mode=warn
check rmmod rmmod virtif_splat
exit 0
