#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a test whose own shell still holds /dev/virtif open when
# it ends: lib.sh's exit handler must fail it because rmmod is refused.
. "${0%/*}/../lib.sh"
virtif_load
exec 7</dev/virtif
exit 0
