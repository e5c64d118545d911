#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The offload header (VIRTIF_F_VNET_HDR, like tun's IFF_VNET_HDR): checksums
# and GSO packets the reader accepts come whole with their metadata, the
# others segmented and checksummed; written frames with metadata reach their
# sockets; bad headers are refused and counted; a TCP stream through a
# forwarder between virtif and a tap carries TSO packets whole both ways.
# See user_vnet.py.
. "${0%/*}/lib.sh"

virtif_load
netns_add_quiet uv
netns_add_quiet uw
user_iface uv 10.60.0
ip netns exec uv "$TESTDIR/user_vnet.py" || fail "user_vnet.py"
exit 0
