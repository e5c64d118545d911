// SPDX-License-Identifier: GPL-2.0
/*
 * virtif_splat: a test-only module that makes the kernel report a problem on
 * purpose, so the selftests can prove that scripts/vm-run notices splats.
 *
 *   insmod virtif_splat.ko mode=warn   WARN() once at load
 *   insmod virtif_splat.ko mode=leak   leak one allocation (kmemleak report)
 *   insmod virtif_splat.ko mode=none   load quietly
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/bug.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "none, warn or leak");

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
