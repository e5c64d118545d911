// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_dump: print the user-visible constants and struct layouts of
 * <linux/virtif.h> as JSON, for the Python test helpers (virtif_uapi.py).
 * The values come from the header itself: this file names them, it never
 * writes a number.
 */
#include <stddef.h>
#include <stdio.h>
#include <linux/virtif.h>

static int first = 1;

static void item(const char *name, long long value)
{
	printf("%s\n  \"%s\": %lld", first ? "{" : ",", name, value);
	first = 0;
}

#define C(x)		item(#x, (long long)(x))
#define SIZE(s)		item("sizeof_" #s, (long long)sizeof(struct s))
#define OFF(s, f)	item("offsetof_" #s "_" #f, (long long)offsetof(struct s, f))

int main(void)
{
	C(IFLA_VIRTIF_LINKSTR);
	C(IFLA_VIRTIF_PEER);
	C(IFLA_VIRTIF_MAX);
	C(VIRTIF_LINKSTR_MAX);
	C(VIRTIF_ATTACH);
	C(VIRTIF_F_BATCH);
	C(VIRTIF_F_TX_DROP);
	C(VIRTIF_F_VNET_HDR);
	C(VIRTIF_F_MULTI_QUEUE);
	C(VIRTIF_OFFLOAD_CSUM);
	C(VIRTIF_OFFLOAD_TSO4);
	C(VIRTIF_OFFLOAD_TSO6);
	C(VIRTIF_OFFLOAD_TSO_ECN);
	C(VIRTIF_OFFLOAD_USO);
	C(VIRTIF_VNET_HDR_LEN);
	C(VIRTIF_FRAME_ALIGN);
	C(VIRTIF_MAX_FRAME);
	C(VIRTIF_BATCH_MAX);
	SIZE(virtif_attach);
	OFF(virtif_attach, ifname);
	OFF(virtif_attach, flags);
	OFF(virtif_attach, offloads);
	SIZE(virtif_frame);
	OFF(virtif_frame, len);
	OFF(virtif_frame, flags);
	/* Shared-memory rings. */
	C(VIRTIF_ATTACH_RING);
	C(VIRTIF_KICK);
	C(VIRTIF_RING_MAX_SLOTS);
	C(VIRTIF_RING_MIN_SLOT);
	C(VIRTIF_RING_MAX_SLOT);
	C(VIRTIF_RING_MAX_MAP);
	C(VIRTIF_RING_STOPPED);
	C(VIRTIF_RING_NEED_KICK);
	C(VIRTIF_RING_CTL_SIZE);
	C(VIRTIF_RING_TX_OFFSET);
	/* The layout macros, at one sample geometry, to check the helpers' copy. */
	item("sample_VIRTIF_RING_RX_OFFSET_4_2048", (long long)VIRTIF_RING_RX_OFFSET(4, 2048));
	item("sample_VIRTIF_RING_MAP_SIZE_4_8_2048", (long long)VIRTIF_RING_MAP_SIZE(4, 8, 2048));
	SIZE(virtif_ring_attach);
	OFF(virtif_ring_attach, attach);
	OFF(virtif_ring_attach, tx_slots);
	OFF(virtif_ring_attach, rx_slots);
	OFF(virtif_ring_attach, slot_size);
	OFF(virtif_ring_attach, reserved);
	SIZE(virtif_ring_ctl);
	OFF(virtif_ring_ctl, tx_prod);
	OFF(virtif_ring_ctl, tx_flags);
	OFF(virtif_ring_ctl, tx_cons);
	OFF(virtif_ring_ctl, tx_wait);
	OFF(virtif_ring_ctl, rx_prod);
	OFF(virtif_ring_ctl, rx_cons);
	OFF(virtif_ring_ctl, rx_flags);
	SIZE(virtif_ring_slot);
	OFF(virtif_ring_slot, len);
	OFF(virtif_ring_slot, flags);
	printf("\n}\n");
	return 0;
}
