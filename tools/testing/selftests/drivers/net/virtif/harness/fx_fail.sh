#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a test that fails by its exit status.
echo "fixture: failing on purpose"
exit 1
