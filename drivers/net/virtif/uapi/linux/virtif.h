/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * virtif: a cloneable Ethernet interface whose wire is a pluggable backend.
 *
 * Everything user space sees of virtif is defined here, once: the netlink
 * attributes of "ip link ... type virtif" and the user-space backend,
 * /dev/virtif. The driver reads this header through the kernel's bindings;
 * the samples and the tests generate their definitions from it.
 * See Documentation/networking/virtif.rst.
 */
#ifndef _UAPI_LINUX_VIRTIF_H
#define _UAPI_LINUX_VIRTIF_H

#include <linux/if_ether.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * rtnetlink: the attributes in IFLA_INFO_DATA of "ip link add/set ... type
 * virtif".
 */
enum {
	IFLA_VIRTIF_UNSPEC,
	/*
	 * The linkstr (string, at most VIRTIF_LINKSTR_MAX bytes): selects and
	 * configures the backend ("loop", "pair:IFNAME", "user"). Reported by
	 * link dumps.
	 */
	IFLA_VIRTIF_LINKSTR,
	/*
	 * Create a peer with the interface, joined to it by the pair backend:
	 * a struct ifinfomsg followed by IFLA_* attributes (IFLA_IFNAME,
	 * IFLA_ADDRESS, IFLA_NET_NS_FD, ...), like VETH_INFO_PEER.
	 */
	IFLA_VIRTIF_PEER,
	__IFLA_VIRTIF_MAX
};

#define IFLA_VIRTIF_MAX		(__IFLA_VIRTIF_MAX - 1)

/* The longest linkstr, in bytes. */
#define VIRTIF_LINKSTR_MAX	4096

/*
 * /dev/virtif: the user-space backend. An interface whose linkstr is "user"
 * has no wire of its own: a process carries its frames. It opens
 * /dev/virtif, attaches the file to the interface with VIRTIF_ATTACH, then
 *   - read()s the frames the interface transmits, and
 *   - write()s the frames the interface receives.
 */

/* Attach flags. */
/* read()/write() move several frames per call, as struct virtif_frame records. */
#define VIRTIF_F_BATCH		(1U << 0)
/* When the ring is full, drop (and count) instead of stopping the queue. */
#define VIRTIF_F_TX_DROP	(1U << 1)
/*
 * Every frame, both ways, starts with a struct virtio_net_hdr_v1 (12 bytes,
 * little endian, <linux/virtio_net.h>), like tun's IFF_VNET_HDR: a frame
 * read may be a whole GSO packet (up to 64 KiB) with a checksum still to
 * fill in, as the offloads field allows; a frame written may carry the
 * same, and the driver checks it (a bad header is EINVAL, and counted).
 */
#define VIRTIF_F_VNET_HDR	(1U << 2)
/*
 * One file per transmit queue, like tun's IFF_MULTI_QUEUE: up to
 * numtxqueues files attach to the interface, each carrying the queue it
 * was given (the interface uses as many queues as there are files). Every
 * file of the interface must be attached with the same flags and offloads.
 */
#define VIRTIF_F_MULTI_QUEUE	(1U << 3)

/*
 * Offloads the process accepts in the frames it reads (VIRTIF_F_VNET_HDR
 * only), like tun's TUN_F_*: the interface segments and checksums the rest
 * in software before they reach the ring.
 */
/* Frames with VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum is left to fill in. */
#define VIRTIF_OFFLOAD_CSUM	(1U << 0)
/* TCP over IPv4, IPv6 GSO packets (need VIRTIF_OFFLOAD_CSUM). */
#define VIRTIF_OFFLOAD_TSO4	(1U << 1)
#define VIRTIF_OFFLOAD_TSO6	(1U << 2)
/* TCP GSO packets with ECN (CWR) (with TSO4 or TSO6). */
#define VIRTIF_OFFLOAD_TSO_ECN	(1U << 3)
/* UDP GSO packets, VIRTIO_NET_HDR_GSO_UDP_L4 (need VIRTIF_OFFLOAD_CSUM). */
#define VIRTIF_OFFLOAD_USO	(1U << 4)

struct virtif_attach {
	char	ifname[16];	/* IFNAMSIZ, NUL-terminated, in the caller's netns */
	__u32	flags;		/* VIRTIF_F_* */
	__u32	offloads;	/* VIRTIF_OFFLOAD_*, 0 without VIRTIF_F_VNET_HDR */
};

/* The size of the offload header of VIRTIF_F_VNET_HDR. */
#define VIRTIF_VNET_HDR_LEN	12

/* Attach this file to an interface whose linkstr is "user". */
#define VIRTIF_ATTACH		_IOW('v', 0xb0, struct virtif_attach)

/*
 * Batch mode (VIRTIF_F_BATCH): the buffer of a read() or write() is a
 * sequence of records. Each is a header, then len bytes of frame, then zero
 * padding up to the next multiple of VIRTIF_FRAME_ALIGN. One call moves at
 * most VIRTIF_BATCH_MAX records: a write() of more returns a short count.
 */
struct virtif_frame {
	__u32	len;		/* frame length in bytes, excluding this header */
	__u32	flags;		/* 0 */
};

#define VIRTIF_FRAME_ALIGN	8
#define VIRTIF_FRAME_SPACE(len) \
	(sizeof(struct virtif_frame) + \
	 (((len) + VIRTIF_FRAME_ALIGN - 1) & ~(VIRTIF_FRAME_ALIGN - 1)))
#define VIRTIF_BATCH_MAX	64

/*
 * Shared-memory rings. VIRTIF_ATTACH_RING attaches a file like
 * VIRTIF_ATTACH, and its frames then move through two rings of slots in
 * memory the process maps, instead of through read() and write():
 *
 *	mmap(NULL, VIRTIF_RING_MAP_SIZE(tx_slots, rx_slots, slot_size),
 *	     PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
 *
 * The mapping starts with the control block (struct virtif_ring_ctl, in
 * VIRTIF_RING_CTL_SIZE bytes), then the tx_slots slots of the TX ring
 * (frames the interface transmits, for the process), then the rx_slots
 * slots of the RX ring (frames the process writes, for the interface to
 * receive). Slot i of a ring holds the frame of index i % slots. Indices
 * are free-running 32-bit counters: a ring holds prod - cons frames.
 *
 * TX ring: the kernel fills slots and advances tx_prod (release); the
 * process reads them and advances tx_cons (release). When the ring is full
 * the interface stops its queue and sets VIRTIF_RING_STOPPED in tx_flags:
 * a process that sees it after advancing tx_cons calls VIRTIF_KICK. To
 * sleep, the process sets tx_wait, then (after a full barrier) checks
 * tx_prod once more, then poll()s for POLLIN; the kernel wakes pollers
 * only while tx_wait is set.
 *
 * RX ring: the process fills slots and advances rx_prod (release); the
 * kernel takes them and advances rx_cons. While the kernel is not looking
 * at the ring, rx_flags has VIRTIF_RING_NEED_KICK: a process that sees it
 * after advancing rx_prod (and a full barrier) calls VIRTIF_KICK. While
 * frames keep coming the kernel keeps taking them without kicks.
 *
 * Frames are at most slot_size - sizeof(struct virtif_ring_slot) bytes,
 * the offload header first with VIRTIF_F_VNET_HDR; larger ones the process
 * writes are dropped and counted. GSO packets of the types the process
 * accepts cross whole when they fit a slot; larger ones the kernel
 * segments first (65536-byte slots take a 64 KiB TCP GSO packet).
 * The kernel trusts nothing in the mapping: it keeps its own copies of
 * tx_prod and rx_cons, checks every index and length it reads, and copies
 * each frame out of its slot once before looking at it.
 */
struct virtif_ring_attach {
	struct virtif_attach attach;	/* as for VIRTIF_ATTACH; no VIRTIF_F_BATCH */
	__u32	tx_slots;	/* power of 2, 1 .. VIRTIF_RING_MAX_SLOTS */
	__u32	rx_slots;	/* power of 2, 1 .. VIRTIF_RING_MAX_SLOTS */
	__u32	slot_size;	/* power of 2, VIRTIF_RING_MIN_SLOT .. VIRTIF_RING_MAX_SLOT */
	__u32	reserved;	/* must be 0 */
};

#define VIRTIF_ATTACH_RING	_IOW('v', 0xb1, struct virtif_ring_attach)
/* Have the interface look at the rings again (see above). */
#define VIRTIF_KICK		_IO('v', 0xb2)

#define VIRTIF_RING_MAX_SLOTS	32768
#define VIRTIF_RING_MIN_SLOT	2048
#define VIRTIF_RING_MAX_SLOT	65536
/* The largest mapping: larger rings are refused (EINVAL). */
#define VIRTIF_RING_MAX_MAP	(64U << 20)

struct virtif_ring_ctl {
	__u32	tx_prod;	/* kernel */
	__u32	tx_flags;	/* kernel: VIRTIF_RING_STOPPED */
	__u32	__pad0[14];
	__u32	tx_cons;	/* process */
	__u32	tx_wait;	/* process: nonzero while waiting in poll() */
	__u32	__pad1[14];
	__u32	rx_prod;	/* process */
	__u32	__pad2[15];
	__u32	rx_cons;	/* kernel */
	__u32	rx_flags;	/* kernel: VIRTIF_RING_NEED_KICK */
	__u32	__pad3[14];
};

/* tx_flags: the TX ring filled up and the interface's queue is stopped. */
#define VIRTIF_RING_STOPPED	(1U << 0)
/* rx_flags: the kernel is not looking at the RX ring. */
#define VIRTIF_RING_NEED_KICK	(1U << 0)

/* A slot: this header, then len bytes of frame. */
struct virtif_ring_slot {
	__u32	len;
	__u32	flags;		/* 0 */
};

#define VIRTIF_RING_CTL_SIZE	4096
#define VIRTIF_RING_TX_OFFSET	VIRTIF_RING_CTL_SIZE
#define VIRTIF_RING_RX_OFFSET(tx_slots, slot_size) \
	(VIRTIF_RING_CTL_SIZE + (__u64)(tx_slots) * (slot_size))
#define VIRTIF_RING_MAP_SIZE(tx_slots, rx_slots, slot_size) \
	(VIRTIF_RING_CTL_SIZE + ((__u64)(tx_slots) + (rx_slots)) * (slot_size))

/*
 * The largest frame: the largest MTU, an Ethernet header and one 802.1Q tag
 * (4 bytes); GSO packets are no larger either. A read() buffer of
 * VIRTIF_MAX_FRAME bytes (plus VIRTIF_VNET_HDR_LEN with VIRTIF_F_VNET_HDR)
 * always takes the next frame.
 */
#define VIRTIF_MAX_FRAME	(ETH_MAX_MTU + ETH_HLEN + 4)

#endif /* _UAPI_LINUX_VIRTIF_H */
