#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Multiqueue (VIRTIF_F_MULTI_QUEUE, like tun's IFF_MULTI_QUEUE): up to
# numtxqueues files attach, each adding a transmit queue; flows spread over
# the files; a file leaving hands its queue to the last one without loss;
# mixing modes is refused. See user_mq.py.
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet um
user_iface um 10.61.0 numtxqueues 4
ip netns exec um "$TESTDIR/user_mq.py" || fail "user_mq.py"
exit 0
