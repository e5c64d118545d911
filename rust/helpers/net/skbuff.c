// SPDX-License-Identifier: GPL-2.0

#include <linux/highmem.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/virtio_net.h>
#include <net/dst.h>

#ifdef CONFIG_NET

__rust_helper struct skb_shared_info *rust_helper_skb_shinfo(const struct sk_buff *skb)
{
	return skb_shinfo(skb);
}

__rust_helper struct page *rust_helper_skb_frag_page(const skb_frag_t *frag)
{
	return skb_frag_page(frag);
}

__rust_helper unsigned int rust_helper_skb_frag_off(const skb_frag_t *frag)
{
	return skb_frag_off(frag);
}

__rust_helper unsigned int rust_helper_skb_frag_size(const skb_frag_t *frag)
{
	return skb_frag_size(frag);
}

__rust_helper bool rust_helper_skb_frag_must_loop(struct page *p)
{
	return skb_frag_must_loop(p);
}

/* Returns the `n`-th page of the (possibly compound) page of `frag`. */
__rust_helper struct page *rust_helper_skb_frag_nth_page(const skb_frag_t *frag,
							 unsigned int n)
{
	return skb_frag_page(frag) + n;
}

__rust_helper bool rust_helper_skb_has_shared_frag(const struct sk_buff *skb)
{
	return skb_has_shared_frag(skb);
}

__rust_helper bool rust_helper_skb_zcopy(struct sk_buff *skb)
{
	return skb_zcopy(skb);
}

__rust_helper bool rust_helper_skb_has_frag_list(const struct sk_buff *skb)
{
	return skb_has_frag_list(skb);
}

__rust_helper bool rust_helper_skb_is_gso(const struct sk_buff *skb)
{
	return skb_is_gso(skb);
}

__rust_helper void rust_helper_skb_reserve(struct sk_buff *skb, int len)
{
	skb_reserve(skb, len);
}

__rust_helper int rust_helper_virtio_net_hdr_from_skb(const struct sk_buff *skb,
						      struct virtio_net_hdr *hdr,
						      bool little_endian)
{
	return virtio_net_hdr_from_skb(skb, hdr, little_endian, false, 0);
}

__rust_helper int rust_helper_virtio_net_hdr_to_skb(struct sk_buff *skb,
						    const struct virtio_net_hdr *hdr,
						    bool little_endian)
{
	return virtio_net_hdr_to_skb(skb, hdr, little_endian);
}

__rust_helper int rust_helper_skb_linearize(struct sk_buff *skb)
{
	return skb_linearize(skb);
}

__rust_helper struct sk_buff *
rust_helper_netdev_alloc_skb_ip_align(struct net_device *dev, unsigned int length)
{
	return netdev_alloc_skb_ip_align(dev, length);
}

__rust_helper void *rust_helper_skb_put_data(struct sk_buff *skb, const void *data,
					     unsigned int len)
{
	return skb_put_data(skb, data, len);
}

__rust_helper unsigned int rust_helper_skb_tailroom(const struct sk_buff *skb)
{
	return skb_tailroom(skb);
}

__rust_helper bool rust_helper_pskb_may_pull(struct sk_buff *skb, unsigned int len)
{
	return pskb_may_pull(skb, len);
}

__rust_helper void rust_helper_skb_orphan(struct sk_buff *skb)
{
	skb_orphan(skb);
}

__rust_helper int rust_helper_skb_orphan_frags_rx(struct sk_buff *skb, gfp_t gfp)
{
	return skb_orphan_frags_rx(skb, gfp);
}

__rust_helper void rust_helper_nf_reset_ct(struct sk_buff *skb)
{
	nf_reset_ct(skb);
}

__rust_helper void rust_helper_skb_dst_drop(struct sk_buff *skb)
{
	skb_dst_drop(skb);
}

__rust_helper void rust_helper_skb_tx_timestamp(struct sk_buff *skb)
{
	skb_tx_timestamp(skb);
}

/* `struct sk_buff` bitfields. */
__rust_helper u8 rust_helper_skb_get_ip_summed(const struct sk_buff *skb)
{
	return skb->ip_summed;
}

__rust_helper void rust_helper_skb_set_protocol(struct sk_buff *skb, __be16 protocol)
{
	skb->protocol = protocol;
}

#endif
