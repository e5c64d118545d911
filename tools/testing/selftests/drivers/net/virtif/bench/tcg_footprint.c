// SPDX-License-Identifier: GPL-2.0
/*
 * tcg_footprint: a QEMU TCG plugin for tcg_footprint.sh. It counts, for
 * every translation block (TB) of the guest kernel, the guest instructions
 * it ran, how often it ran, and how often it ended in an indirect branch
 * (ret, call or jmp through a register or memory: a jump-cache lookup in
 * QEMU). User-space TBs are summed in one line.
 *
 *   qemu ... -plugin tcg_footprint.so,dir=DIR
 *
 * Snapshots on request: when DIR/snap appears, its first line is a label
 * (letters, digits, '-', '_'); the plugin writes DIR/LABEL.txt, one line
 * per kernel TB ("VADDR INSNS EXECS INDIRECT", hexadecimal address, counts
 * since boot) after a line "user INSNS EXECS 0", and then removes
 * DIR/snap. A TB translated again (after QEMU flushed its cache) gets a
 * line of its own; the counts of one address are summed when read.
 *
 * The counters are bumped by inline TCG operations, not atomically: with
 * two vCPUs running the same TB at once an increment can be lost, which
 * is rare next to the counts and does not matter for the comparison.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct tb_count {
	uint64_t vaddr, insns, execs, indirect;
	struct tb_count *next;
};

static struct tb_count *tbs;
static uint64_t user_insns, user_execs;
static pthread_mutex_t tbs_lock = PTHREAD_MUTEX_INITIALIZER;
static char dir[4096];

/* Whether the instruction at b (len bytes) is an indirect branch. */
static int indirect_branch(const uint8_t *b, size_t len)
{
	size_t i = 0;
	int reg;

	/* Segment, REP, operand-size and REX prefixes. */
	while (i < len && (b[i] == 0x2e || b[i] == 0x3e || b[i] == 0x66 ||
			   b[i] == 0xf2 || b[i] == 0xf3 || (b[i] & 0xf0) == 0x40))
		i++;
	if (i < len && (b[i] == 0xc3 || b[i] == 0xc2))
		return 1;	/* ret, ret imm16 */
	if (i + 1 < len && b[i] == 0xff) {
		reg = (b[i + 1] >> 3) & 7;
		return reg == 2 || reg == 4;	/* call r/m, jmp r/m */
	}
	return 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct qemu_plugin_insn *last;
	struct tb_count *c;

	if (vaddr < 0xffff800000000000ull) {
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &user_insns, n);
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &user_execs, 1);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->vaddr = vaddr;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &c->insns, n);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &c->execs, 1);
	last = qemu_plugin_tb_get_insn(tb, n - 1);
	if (indirect_branch(qemu_plugin_insn_data(last), qemu_plugin_insn_size(last)))
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &c->indirect, 1);
	pthread_mutex_lock(&tbs_lock);
	c->next = tbs;
	tbs = c;
	pthread_mutex_unlock(&tbs_lock);
}

static int valid_label(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static void snapshot(const char *label)
{
	char path[4200], tmp[4210];
	struct tb_count *c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.txt", dir, label);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	pthread_mutex_lock(&tbs_lock);
	c = tbs;
	pthread_mutex_unlock(&tbs_lock);
	fprintf(f, "user %llu %llu 0\n", (unsigned long long)user_insns,
		(unsigned long long)user_execs);
	/* Entries are only ever added at the head: the list from c on is stable. */
	for (; c; c = c->next)
		if (c->execs)
			fprintf(f, "%llx %llu %llu %llu\n", (unsigned long long)c->vaddr,
				(unsigned long long)c->insns, (unsigned long long)c->execs,
				(unsigned long long)c->indirect);
	fclose(f);
	rename(tmp, path);
}

static void *watch(void *arg)
{
	char req[4200], label[128];
	FILE *f;

	snprintf(req, sizeof(req), "%s/snap", dir);
	for (;;) {
		usleep(20000);
		f = fopen(req, "r");
		if (!f)
			continue;
		if (!fgets(label, sizeof(label), f))
			label[0] = 0;
		fclose(f);
		label[strcspn(label, "\n")] = 0;
		if (valid_label(label))
			snapshot(label);
		unlink(req);
	}
	return NULL;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	pthread_t t;
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "dir=", 4))
			snprintf(dir, sizeof(dir), "%s", argv[i] + 4);
	if (!dir[0]) {
		fprintf(stderr, "tcg_footprint: missing dir=DIR\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	if (pthread_create(&t, NULL, watch, NULL))
		return -1;
	pthread_detach(t);
	return 0;
}
