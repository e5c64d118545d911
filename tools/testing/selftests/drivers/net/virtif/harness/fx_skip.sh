#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a test that skips (exit 4). On the kernel make check
# builds, every test must run: a skip is reported as a failure.
echo "fixture: skipping on purpose"
exit 4
