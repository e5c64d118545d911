#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# virtif.ko carries the module information users and tools rely on.
. "${0%/*}/lib.sh"

info=$(modinfo "$VIRTIF_KO") || fail "modinfo failed"
echo "$info" | sed 's/^/# /'
expect_eq license "$(modinfo -F license "$VIRTIF_KO")" GPL
expect_eq name "$(modinfo -F name "$VIRTIF_KO")" virtif
[ -n "$(modinfo -F description "$VIRTIF_KO")" ] || fail "no description"
expect_eq vermagic-release "$(modinfo -F vermagic "$VIRTIF_KO" | cut -d' ' -f1)" "$(uname -r)"
exit 0
