#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Harness fixture: a test that passes (the good path must stay good).
echo "fixture: output of a passing test"
exit 0
