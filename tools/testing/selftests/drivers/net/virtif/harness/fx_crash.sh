#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: the guest kernel panics while a test runs.
echo c >/proc/sysrq-trigger
sleep 60
exit 0
