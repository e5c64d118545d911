// SPDX-License-Identifier: GPL-2.0
/*
 * virtif_splat: a test-only module that makes the kernel report a problem on
 * purpose, so that the harness's self-test (host_harness.sh) can prove that
 * the test runner and scripts/vm-run notice every kind of report.
 *
 *   insmod virtif_splat.ko mode=warn      WARN() once at load
 *   insmod virtif_splat.ko mode=leak      leak 16 allocations (kmemleak)
 *   insmod virtif_splat.ko mode=lockdep   lock a spinlock lockdep has never
 *                                         seen initialised ("trying to
 *                                         register non-static key"), after
 *                                         which lockdep switches itself off
 *   insmod virtif_splat.ko mode=hang secs=N
 *                                         sleep uninterruptibly for N s in
 *                                         init (the hung-task detector)
 *   insmod virtif_splat.ko mode=spin secs=N
 *                                         spin N s without scheduling (the
 *                                         soft-lockup detector)
 *   insmod virtif_splat.ko mode=rtnl secs=N
 *                                         hold RTNL for N s in init (a
 *                                         contended RTNL for the tests)
 *   insmod virtif_splat.ko mode=none      load quietly
 */
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "none, warn, leak, lockdep, hang, spin or rtnl");

static unsigned int secs = 10;
module_param(secs, uint, 0444);
MODULE_PARM_DESC(secs, "duration of mode=hang, spin and rtnl, in seconds");

static int __init virtif_splat_init(void)
{
	int i;

	if (!strcmp(mode, "warn")) {
		WARN(1, "virtif_splat: deliberate warning for the harness self-test\n");
	} else if (!strcmp(mode, "leak")) {
		/*
		 * Leak 16 objects: a pointer or two may survive in a register
		 * or on a stack that kmemleak scans, the rest must be reported.
		 */
		for (i = 0; i < 16; i++) {
			void *p = kmalloc(1000 + 8 * i, GFP_KERNEL);

			if (!p)
				return -ENOMEM;
			memset(p, 0x5a, 1000 + 8 * i);
			OPTIMIZER_HIDE_VAR(p);
		}
	} else if (!strcmp(mode, "lockdep")) {
		/* A dynamically allocated lock that spin_lock_init() never saw. */
		spinlock_t *lock = kzalloc(sizeof(*lock), GFP_KERNEL);

		if (!lock)
			return -ENOMEM;
		spin_lock(lock);
		spin_unlock(lock);
		kfree(lock);
	} else if (!strcmp(mode, "hang")) {
		/* msleep() sleeps in TASK_UNINTERRUPTIBLE: insmod is "hung". */
		msleep(secs * 1000);
	} else if (!strcmp(mode, "spin")) {
		unsigned long end = jiffies + secs * HZ;

		preempt_disable();
		while (time_before(jiffies, end))
			cpu_relax();
		preempt_enable();
	} else if (!strcmp(mode, "rtnl")) {
		rtnl_lock();
		pr_info("virtif_splat: holding RTNL for %u s\n", secs);
		msleep(secs * 1000);
		rtnl_unlock();
	} else if (strcmp(mode, "none")) {
		return -EINVAL;
	}
	return 0;
}
module_init(virtif_splat_init);

static void __exit virtif_splat_exit(void)
{
}
module_exit(virtif_splat_exit);

MODULE_DESCRIPTION("virtif selftests: deliberate kernel splats");
MODULE_LICENSE("GPL");
