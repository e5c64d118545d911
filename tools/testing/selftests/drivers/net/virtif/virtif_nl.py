#!/usr/bin/env -S python3 -S
# SPDX-License-Identifier: GPL-2.0
"""Minimal rtnetlink client for virtif's IFLA_INFO_DATA attributes (the
attribute numbers come from the uapi header, through uapi.json).

It sets and reads the linkstr attribute directly, creates pairs, and prints
the kernel's extack message on errors, with nothing but Python:

  virtif_nl.py add NAME [--linkstr S | --linkstr-len N] [--address MAC]
                        [--peer NAME [--peer-netns-fd FD]]
  virtif_nl.py set NAME  --linkstr S | --linkstr-len N | --peer NAME (refused)
  virtif_nl.py get NAME

The request() function can make the Nth fault-injection point of a request
fail (FAIL_NTH; fault_config.py's campaigns use it).

On success prints the result (get: the linkstr) and exits 0. On error prints
"error: ERRNO_NAME (N): EXTACK MESSAGE" and exits 1.
"""
import argparse
import errno
import os
import socket
import struct
import sys

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, NLMSG_ERROR, NLMSG_DONE = 16, 17, 18, 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x200, 0x400
NLM_F_ACK_TLVS = 0x200
IFLA_ADDRESS, IFLA_IFNAME, IFLA_LINKINFO, IFLA_NET_NS_FD = 1, 3, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import virtif_uapi as U  # noqa: E402
from fault import Fault  # noqa: E402

IFLA_VIRTIF_LINKSTR, IFLA_VIRTIF_PEER = U.IFLA_VIRTIF_LINKSTR, U.IFLA_VIRTIF_PEER
NLA_F_NESTED = 0x8000
SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
NLMSGERR_ATTR_MSG = 1


def attr(kind, payload):
    hdr = struct.pack("HH", 4 + len(payload), kind)
    return hdr + payload + b"\0" * ((4 - len(payload) % 4) % 4)


def parse_attrs(data):
    out = {}
    while len(data) >= 4:
        length, kind = struct.unpack_from("HH", data)
        if length < 4:
            break
        out[kind & 0x3FFF] = data[4:length]
        data = data[(length + 3) & ~3:]
    return out


FAIL_NTH = 0
FAULT_HIT = None


_FAULT = []


def _fault():
    """One Fault (two open /proc files) for the whole process."""
    if not _FAULT:
        _FAULT.append(Fault())
    return _FAULT[0]


def request(msg_type, flags, payload):
    global FAULT_HIT
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    s.bind((0, 0))
    hdr = struct.pack("IHHII", 16 + len(payload), msg_type, flags | NLM_F_REQUEST, 1, 0)
    if FAIL_NTH:
        # The request is handled in this thread: its Nth fault-injection point fails.
        fault = _fault()
        fault.arm(FAIL_NTH)
    try:
        s.send(hdr + payload)
    except OSError as e:
        # The fault hit the send itself (the request's own buffer): the
        # request never reached rtnetlink.
        return e.errno, "", []
    finally:
        if FAIL_NTH:
            FAULT_HIT = fault.disarm()
    replies = []
    while True:
        data = s.recv(65536)
        while len(data) >= 16:
            length, rtype, rflags, _seq, _pid = struct.unpack_from("IHHII", data)
            body = data[16:length]
            if rtype == NLMSG_ERROR:
                err = -struct.unpack_from("i", body)[0]
                msg = ""
                if err and rflags & NLM_F_ACK_TLVS:
                    # Capped: the error code, then the original header only.
                    tlvs = parse_attrs(body[4 + 16:])
                    msg = tlvs.get(NLMSGERR_ATTR_MSG, b"").rstrip(b"\0").decode()
                return err, msg, replies
            if rtype == NLMSG_DONE:
                return 0, "", replies
            replies.append((rtype, body))
            data = data[(length + 3) & ~3:]
        if replies and not flags & NLM_F_ACK:
            return 0, "", replies


def ifinfo(index=0):
    return struct.pack("BxHiII", socket.AF_UNSPEC, 0, index, 0, 0)


def linkinfo(linkstr, peer=None):
    inner = b""
    if linkstr is not None:
        inner += attr(IFLA_VIRTIF_LINKSTR, linkstr)
    if peer is not None:
        inner += attr(IFLA_VIRTIF_PEER, peer)
    data = attr(NLA_F_NESTED | IFLA_INFO_DATA, inner) if inner else b""
    return attr(NLA_F_NESTED | IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"virtif\0") + data)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("cmd", choices=["add", "set", "get"])
    p.add_argument("name")
    p.add_argument("--linkstr")
    p.add_argument("--linkstr-len", type=int, help="use a linkstr of N 'x' bytes")
    p.add_argument("--address")
    p.add_argument("--peer", help="create a peer of this name with the interface")
    p.add_argument("--peer-netns-fd", type=int, help="in the namespace of this open file")
    a = p.parse_args()

    linkstr = None
    if a.linkstr is not None:
        linkstr = a.linkstr.encode() + b"\0"
    elif a.linkstr_len is not None:
        linkstr = b"x" * a.linkstr_len + b"\0"

    name = attr(IFLA_IFNAME, a.name.encode() + b"\0")
    peer = None
    if a.peer is not None:
        peer = ifinfo() + attr(IFLA_IFNAME, a.peer.encode() + b"\0")
        if a.peer_netns_fd is not None:
            peer += attr(IFLA_NET_NS_FD, struct.pack("I", a.peer_netns_fd))
    if a.cmd == "add":
        payload = ifinfo() + name + linkinfo(linkstr, peer)
        if a.address:
            payload += attr(IFLA_ADDRESS, bytes(int(x, 16) for x in a.address.split(":")))
        err, msg, _ = request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, payload)
    elif a.cmd == "set":
        if linkstr is None and peer is None:
            p.error("set needs --linkstr, --linkstr-len or --peer")
        err, msg, _ = request(RTM_NEWLINK, NLM_F_ACK, ifinfo() + name + linkinfo(linkstr, peer))
    else:
        err, msg, replies = request(RTM_GETLINK, 0, ifinfo() + name)
        if not err:
            for rtype, body in replies:
                if rtype != RTM_NEWLINK:
                    continue
                info = parse_attrs(parse_attrs(body[16:]).get(IFLA_LINKINFO, b""))
                data = parse_attrs(info.get(IFLA_INFO_DATA, b""))
                print(data.get(IFLA_VIRTIF_LINKSTR, b"").rstrip(b"\0").decode())
    if err:
        print(f"error: {errno.errorcode.get(err, '?')} ({err}): {msg}")
    return 1 if err else 0


if __name__ == "__main__":
    sys.exit(main())
