// SPDX-License-Identifier: GPL-2.0

#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/preempt.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <net/net_namespace.h>
#include <net/sch_generic.h>

#ifdef CONFIG_NET

__rust_helper void *rust_helper_netdev_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

__rust_helper void rust_helper_dev_hold(struct net_device *dev)
{
	dev_hold(dev);
}

__rust_helper void rust_helper_dev_put(struct net_device *dev)
{
	dev_put(dev);
}

__rust_helper void rust_helper_netdev_hold(struct net_device *dev,
					   netdevice_tracker *tracker, gfp_t gfp)
{
	netdev_hold(dev, tracker, gfp);
}

__rust_helper void rust_helper_netdev_put(struct net_device *dev,
					  netdevice_tracker *tracker)
{
	netdev_put(dev, tracker);
}

__rust_helper struct net *rust_helper_dev_net(const struct net_device *dev)
{
	return dev_net(dev);
}

__rust_helper bool rust_helper_netif_running(const struct net_device *dev)
{
	return netif_running(dev);
}

/*
 * Copies the first ETH_ALEN bytes of dev->dev_addr into out, the way C code
 * reads the address (plain reads that may race with a change under RTNL).
 */
__rust_helper void rust_helper_netdev_copy_ether_addr(const struct net_device *dev, u8 *out)
{
	memcpy(out, dev->dev_addr, ETH_ALEN);
}

__rust_helper void rust_helper_netif_tx_start_all_queues(struct net_device *dev)
{
	netif_tx_start_all_queues(dev);
}

__rust_helper void rust_helper_netif_tx_stop_all_queues(struct net_device *dev)
{
	netif_tx_stop_all_queues(dev);
}

__rust_helper void rust_helper_netif_tx_wake_all_queues(struct net_device *dev)
{
	netif_tx_wake_all_queues(dev);
}

__rust_helper void rust_helper_netif_stop_subqueue(struct net_device *dev, u16 index)
{
	netif_stop_subqueue(dev, index);
}

__rust_helper void rust_helper_netif_wake_subqueue(struct net_device *dev, u16 index)
{
	netif_wake_subqueue(dev, index);
}

/*
 * Whether transmit queue `index` has a qdisc that can hold packets. Plain
 * rcu_read_lock(): callable with interrupts disabled, unlike the _bh flavour.
 */
__rust_helper bool rust_helper_netif_txq_has_qdisc(struct net_device *dev,
						   unsigned int index)
{
	bool ret;

	rcu_read_lock();
	ret = !qdisc_txq_has_no_queue(netdev_get_tx_queue(dev, index));
	rcu_read_unlock();
	return ret;
}

__rust_helper void rust_helper_eth_hw_addr_random(struct net_device *dev)
{
	eth_hw_addr_random(dev);
}

/*
 * `struct net_device` bitfields that bindgen cannot expose in a stable way.
 * Writers hold RTNL or own the device before registration.
 */
__rust_helper u32 rust_helper_netdev_get_priv_flags(const struct net_device *dev)
{
	return dev->priv_flags;
}

__rust_helper void rust_helper_netdev_set_priv_flags(struct net_device *dev,
						     u32 flags)
{
	dev->priv_flags = flags;
}

__rust_helper void rust_helper_netdev_set_lltx(struct net_device *dev, bool lltx)
{
	dev->lltx = lltx;
}

__rust_helper void rust_helper_netdev_set_pcpu_stat_type(struct net_device *dev,
							 enum netdev_stat_type type)
{
	dev->pcpu_stat_type = type;
}

/*
 * Per-CPU statistics. The C inline functions use this_cpu_ptr() and thus
 * expect to run with preemption disabled (usually in BH context); Rust
 * callers may also be preemptible (a process's write()), so the helpers
 * protect the update themselves. On 64-bit the counters are local64_t,
 * safe against any interrupting writer once preemption is off. On 32-bit
 * they are under a u64_stats seqcount, which a softirq (start_xmit) or a
 * netpoll writer with IRQs off must not interrupt: IRQs stay off for the
 * update there.
 */
static __always_inline unsigned long rust_dstats_begin(void)
{
	unsigned long flags = 0;

	if (IS_ENABLED(CONFIG_64BIT))
		preempt_disable();
	else
		local_irq_save(flags);
	return flags;
}

static __always_inline void rust_dstats_end(unsigned long flags)
{
	if (IS_ENABLED(CONFIG_64BIT))
		preempt_enable();
	else
		local_irq_restore(flags);
}

__rust_helper void rust_helper_dev_dstats_rx_add(struct net_device *dev,
						 unsigned int len)
{
	unsigned long flags = rust_dstats_begin();

	dev_dstats_rx_add(dev, len);
	rust_dstats_end(flags);
}

__rust_helper void rust_helper_dev_dstats_rx_dropped(struct net_device *dev)
{
	unsigned long flags = rust_dstats_begin();

	dev_dstats_rx_dropped(dev);
	rust_dstats_end(flags);
}

__rust_helper void rust_helper_dev_dstats_tx_add(struct net_device *dev,
						 unsigned int len)
{
	unsigned long flags = rust_dstats_begin();

	dev_dstats_tx_add(dev, len);
	rust_dstats_end(flags);
}

__rust_helper void rust_helper_dev_dstats_tx_dropped(struct net_device *dev)
{
	unsigned long flags = rust_dstats_begin();

	dev_dstats_tx_dropped(dev);
	rust_dstats_end(flags);
}

/* DEV_STATS_INC() of the fields the per-CPU statistics do not have. */
__rust_helper void rust_helper_dev_stats_inc_multicast(struct net_device *dev)
{
	DEV_STATS_INC(dev, multicast);
}

__rust_helper void rust_helper_dev_stats_inc_rx_length_errors(struct net_device *dev)
{
	DEV_STATS_INC(dev, rx_length_errors);
}

__rust_helper struct net_device *rust_helper_to_net_dev(struct device *dev)
{
	return to_net_dev(dev);
}

#endif

/*
 * The network namespace of the current task, or NULL once the task has
 * dropped its namespaces (exit_task_namespaces(): e.g. when its files are
 * closed at exit). Process context only.
 */
__rust_helper struct net *rust_helper_current_net(void)
{
	struct nsproxy *ns = current->nsproxy;

	return ns ? ns->net_ns : NULL;
}
