#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a test that forgets its cleanup: it leaves virtif loaded
# and pinned by a process that keeps /dev/virtif open. (It does not use
# lib.sh, whose exit handler would catch it.)
TOP=$(cd "$(dirname "$0")/../../../../../../.." && pwd)
insmod "$TOP/drivers/net/virtif/virtif.ko" || exit 1
sleep 600 </dev/virtif >/dev/null 2>&1 &
exit 0
