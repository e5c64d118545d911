#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Multiqueue (VIRTIF_F_MULTI_QUEUE, like tun's IFF_MULTI_QUEUE): up to
# numtxqueues files attach, each adding a transmit queue; flows spread over
# the files; a file leaving hands its queue to the last one without loss;
# mixing modes is refused. See user_mq.py.
. "$(dirname "$0")/lib.sh"

virtif_load
netns_add_quiet um
ip -n um link add u0 numtxqueues 4 type virtif || fail "add u0"
set_linkstr um u0 user
ip -n um addr add 10.61.0.1/24 dev u0
ip -n um neigh replace 10.61.0.2 lladdr 02:00:00:00:61:02 dev u0 nud permanent ||
	fail "static neighbour"
ip -n um link set u0 up || fail "u0 up"
ip netns exec um "$TESTDIR/user_mq.py" || fail "user_mq.py"
exit 0
