#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The offload header (VIRTIF_F_VNET_HDR, like tun's IFF_VNET_HDR): checksums
# and GSO packets the reader accepts come whole with their metadata, the
# others segmented and checksummed; written frames with metadata reach their
# sockets; bad headers are refused and counted; a TCP stream through a
# forwarder between virtif and a tap carries TSO packets whole both ways.
# See user_vnet.py.
. "$(dirname "$0")/lib.sh"

virtif_load
netns_add_quiet uv
netns_add_quiet uw
ip -n uv link add u0 type virtif || fail "add u0"
set_linkstr uv u0 user
ip -n uv addr add 10.60.0.1/24 dev u0
ip -n uv neigh replace 10.60.0.2 lladdr 02:00:00:00:60:02 dev u0 nud permanent ||
	fail "static neighbour"
ip -n uv link set u0 up || fail "u0 up"
ip netns exec uv "$TESTDIR/user_vnet.py" || fail "user_vnet.py"
exit 0
