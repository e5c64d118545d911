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
	printf("\n}\n");
	return 0;
}
