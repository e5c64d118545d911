#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: the guest runner dies (here: SIGKILL) while a test runs.
[ -n "${VIRTIF_RUNNER_PID:-}" ] || exit 1
kill -KILL "$VIRTIF_RUNNER_PID"
exit 0
