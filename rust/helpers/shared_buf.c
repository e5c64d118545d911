// SPDX-License-Identifier: GPL-2.0

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/shm.h>
#include <linux/vmalloc.h>

/*
 * `SharedBuf`: vmalloc_user() charged to the caller's memory cgroup, as BPF's
 * mmapable maps are. A process asks for the buffer (a ring it maps), so the
 * memory counts as its own; past the cgroup's limit the allocation fails
 * (ENOMEM) instead of invoking the OOM killer, and quietly.
 */
__rust_helper void *rust_helper_vmalloc_user_account(unsigned long size)
{
	return __vmalloc_node_range(size, SHMLBA, VMALLOC_START, VMALLOC_END,
				    GFP_KERNEL_ACCOUNT | __GFP_ZERO |
				    __GFP_RETRY_MAYFAIL | __GFP_NOWARN,
				    PAGE_KERNEL, VM_USERMAP, NUMA_NO_NODE,
				    __builtin_return_address(0));
}
