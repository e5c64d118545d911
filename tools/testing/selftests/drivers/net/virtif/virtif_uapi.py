# SPDX-License-Identifier: GPL-2.0
"""The user-visible constants of <linux/virtif.h>, for the Python helpers.

They are read from uapi.json, which the selftests' Makefile generates by
compiling uapi_dump.c against drivers/net/virtif/uapi/linux/virtif.h: the
header is the only place a number is written.

    import virtif_uapi as U
    fcntl.ioctl(fd, U.VIRTIF_ATTACH, ...)
"""
import json
import os
import sys

_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "uapi.json")
try:
    with open(_path) as _f:
        _values = json.load(_f)
except OSError as _e:
    sys.exit("virtif_uapi: %s missing (make -C %s): %s" % (_path, os.path.dirname(_path), _e))
globals().update(_values)
