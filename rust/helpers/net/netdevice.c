// SPDX-License-Identifier: GPL-2.0

#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/preempt.h>
#include <linux/nsproxy.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>

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

__rust_helper bool rust_helper_netif_carrier_ok(const struct net_device *dev)
{
	return netif_carrier_ok(dev);
}

__rust_helper void rust_helper_netif_start_queue(struct net_device *dev)
{
	netif_start_queue(dev);
}

__rust_helper void rust_helper_netif_stop_queue(struct net_device *dev)
{
	netif_stop_queue(dev);
}

__rust_helper void rust_helper_netif_wake_queue(struct net_device *dev)
{
	netif_wake_queue(dev);
}

__rust_helper bool rust_helper_netif_queue_stopped(const struct net_device *dev)
{
	return netif_queue_stopped(dev);
}

__rust_helper void rust_helper_netif_stop_subqueue(struct net_device *dev,
						   u16 queue_index)
{
	netif_stop_subqueue(dev, queue_index);
}

__rust_helper void rust_helper_netif_wake_subqueue(struct net_device *dev,
						   u16 queue_index)
{
	netif_wake_subqueue(dev, queue_index);
}

__rust_helper bool
rust_helper___netif_subqueue_stopped(const struct net_device *dev,
				     u16 queue_index)
{
	return __netif_subqueue_stopped(dev, queue_index);
}

__rust_helper void rust_helper_eth_hw_addr_set(struct net_device *dev,
					       const u8 *addr)
{
	eth_hw_addr_set(dev, addr);
}

__rust_helper void rust_helper_eth_hw_addr_random(struct net_device *dev)
{
	eth_hw_addr_random(dev);
}

__rust_helper void rust_helper_netif_addr_lock_bh(struct net_device *dev)
{
	netif_addr_lock_bh(dev);
}

__rust_helper void rust_helper_netif_addr_unlock_bh(struct net_device *dev)
{
	netif_addr_unlock_bh(dev);
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
 * callers may also be preemptible, so disable preemption here.
 */
__rust_helper void rust_helper_dev_sw_netstats_rx_add(struct net_device *dev,
						      unsigned int len)
{
	preempt_disable();
	dev_sw_netstats_rx_add(dev, len);
	preempt_enable();
}

__rust_helper void rust_helper_dev_sw_netstats_tx_add(struct net_device *dev,
						      unsigned int packets,
						      unsigned int len)
{
	preempt_disable();
	dev_sw_netstats_tx_add(dev, packets, len);
	preempt_enable();
}

__rust_helper void rust_helper_dev_dstats_rx_add(struct net_device *dev,
						 unsigned int len)
{
	preempt_disable();
	dev_dstats_rx_add(dev, len);
	preempt_enable();
}

__rust_helper void rust_helper_dev_dstats_rx_dropped(struct net_device *dev)
{
	preempt_disable();
	dev_dstats_rx_dropped(dev);
	preempt_enable();
}

__rust_helper void rust_helper_dev_dstats_tx_add(struct net_device *dev,
						 unsigned int len)
{
	preempt_disable();
	dev_dstats_tx_add(dev, len);
	preempt_enable();
}

__rust_helper void rust_helper_dev_dstats_tx_dropped(struct net_device *dev)
{
	preempt_disable();
	dev_dstats_tx_dropped(dev);
	preempt_enable();
}

__rust_helper void rust_helper_dev_core_stats_rx_dropped_inc(struct net_device *dev)
{
	dev_core_stats_rx_dropped_inc(dev);
}

__rust_helper void rust_helper_dev_core_stats_tx_dropped_inc(struct net_device *dev)
{
	dev_core_stats_tx_dropped_inc(dev);
}

#endif

__rust_helper struct net_device *rust_helper_to_net_dev(struct device *dev)
{
	return to_net_dev(dev);
}

__rust_helper int rust_helper_restart_syscall(void)
{
	return restart_syscall();
}

/* The network namespace of the current task (process context only). */
__rust_helper struct net *rust_helper_current_net(void)
{
	return current->nsproxy->net_ns;
}
