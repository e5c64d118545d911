/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * virtif: the user-space backend, /dev/virtif.
 *
 * An interface whose linkstr is "user" has no wire of its own: a process
 * carries its frames. It opens /dev/virtif, attaches the file to the
 * interface with VIRTIF_ATTACH, then
 *   - read()s the frames the interface transmits, and
 *   - write()s the frames the interface receives.
 * See Documentation/networking/virtif.rst for the full protocol.
 */
#ifndef _UAPI_LINUX_VIRTIF_H
#define _UAPI_LINUX_VIRTIF_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Attach flags. */
/* read()/write() move several frames per call, as struct virtif_frame records. */
#define VIRTIF_F_BATCH		(1U << 0)
/* When the transmit queue is full, drop (and count) instead of stopping it. */
#define VIRTIF_F_TX_DROP	(1U << 1)

struct virtif_attach {
	char	ifname[16];	/* IFNAMSIZ, NUL-terminated, in the caller's netns */
	__u32	flags;		/* VIRTIF_F_* */
	__u32	reserved;	/* must be 0 */
};

/* Attach this file to an interface whose linkstr is "user". */
#define VIRTIF_ATTACH		_IOW('v', 0xb0, struct virtif_attach)

/*
 * Batch mode (VIRTIF_F_BATCH): the buffer of a read() or write() is a
 * sequence of records. Each is a header, then len bytes of frame, then zero
 * padding up to the next multiple of VIRTIF_FRAME_ALIGN.
 */
struct virtif_frame {
	__u32	len;		/* frame length in bytes, excluding this header */
	__u32	flags;		/* 0 */
};

#define VIRTIF_FRAME_ALIGN	8
#define VIRTIF_FRAME_SPACE(len) \
	(sizeof(struct virtif_frame) + \
	 (((len) + VIRTIF_FRAME_ALIGN - 1) & ~(VIRTIF_FRAME_ALIGN - 1)))

/* The largest frame a write() accepts, whatever the MTU. */
#define VIRTIF_MAX_FRAME	65536

#endif /* _UAPI_LINUX_VIRTIF_H */
