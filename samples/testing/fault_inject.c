// SPDX-License-Identifier: GPL-2.0
/*
 * fault_inject.so: make chosen system calls of a sample fail, for the
 * selftests of the samples' error paths (the debug kernel has no fault
 * injection). Loaded with LD_PRELOAD; the rules come from VIRTIF_FAULT:
 *
 *   VIRTIF_FAULT='RULE;RULE...'   RULE = key=value,key=value,...
 *
 *   call=NAME    write, writev, read, send, sendto, sendmsg or sendmmsg
 *   path=PREFIX  only on files whose /proc/self/fd link starts with PREFIX
 *                ("/dev/virtif", "/dev/net/tun", "socket:")
 *   len=N        only calls moving N bytes (write/writev/send*: the sum of
 *                the buffers; sendmmsg: any message of N bytes)
 *   minlen=N     only calls moving N bytes or more (the same way): a batch
 *                that holds a frame of N bytes among others
 *   skip=N       let the first N matching calls through
 *   times=N      act on N calls at most (default: all)
 *   errno=E      fail with E (ENOMEM, ENOBUFS, EAGAIN, ENXIO, EIO, or a
 *                number) without doing the call
 *   wait=FILE    instead: create FILE.reached, wait until FILE exists,
 *                then do the call (to let a test act between a program's
 *                poll() and its call)
 *
 * Every action is logged on stderr as "fault_inject: ...". Meant for the
 * single-threaded samples; not thread-safe.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 8

struct rule {
	char call[16];
	char path[64];
	long len;	/* -1: any */
	long minlen;	/* -1: any */
	long skip;
	long times;	/* -1: unlimited */
	int err;
	char wait[256];
};

static struct rule rules[MAX_RULES];
static int nrules = -1;

static int parse_errno(const char *s)
{
	static const struct { const char *name; int e; } names[] = {
		{ "ENOMEM", ENOMEM }, { "ENOBUFS", ENOBUFS }, { "EAGAIN", EAGAIN },
		{ "ENXIO", ENXIO }, { "EIO", EIO }, { "EINVAL", EINVAL },
		{ "EMSGSIZE", EMSGSIZE }, { "EHOSTUNREACH", EHOSTUNREACH },
		{ "ECONNREFUSED", ECONNREFUSED }, { "EPERM", EPERM },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].e;
	return atoi(s);
}

static void load_rules(void)
{
	const char *env = getenv("VIRTIF_FAULT");
	char *copy, *save_r, *r;

	nrules = 0;
	if (!env)
		return;
	copy = strdup(env);
	for (r = strtok_r(copy, ";", &save_r); r && nrules < MAX_RULES;
	     r = strtok_r(NULL, ";", &save_r)) {
		struct rule *ru = &rules[nrules++];
		char *save_k, *kv;

		memset(ru, 0, sizeof(*ru));
		ru->len = -1;
		ru->minlen = -1;
		ru->times = -1;
		for (kv = strtok_r(r, ",", &save_k); kv; kv = strtok_r(NULL, ",", &save_k)) {
			char *v = strchr(kv, '=');

			if (!v)
				continue;
			*v++ = 0;
			if (!strcmp(kv, "call"))
				snprintf(ru->call, sizeof(ru->call), "%s", v);
			else if (!strcmp(kv, "path"))
				snprintf(ru->path, sizeof(ru->path), "%s", v);
			else if (!strcmp(kv, "len"))
				ru->len = atol(v);
			else if (!strcmp(kv, "minlen"))
				ru->minlen = atol(v);
			else if (!strcmp(kv, "skip"))
				ru->skip = atol(v);
			else if (!strcmp(kv, "times"))
				ru->times = atol(v);
			else if (!strcmp(kv, "errno"))
				ru->err = parse_errno(v);
			else if (!strcmp(kv, "wait"))
				snprintf(ru->wait, sizeof(ru->wait), "%s", v);
			else
				fprintf(stderr, "fault_inject: unknown key %s\n", kv);
		}
	}
	free(copy);
}

static int path_matches(int fd, const char *prefix)
{
	char link[64], target[256];
	ssize_t n;

	if (!prefix[0])
		return 1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = 0;
	return !strncmp(target, prefix, strlen(prefix));
}

/* 0: do the call; -1 with errno set: fail it. */
static int fault(const char *call, int fd, long len, const long *lens, int nlens)
{
	if (nrules < 0)
		load_rules();
	for (int i = 0; i < nrules; i++) {
		struct rule *ru = &rules[i];
		int match = 0;

		if (strcmp(ru->call, call) || ru->times == 0 || !path_matches(fd, ru->path))
			continue;
		if (ru->len < 0 && ru->minlen < 0)
			match = 1;
		else if (lens) {
			for (int j = 0; j < nlens; j++)
				match |= ru->len >= 0 ? lens[j] == ru->len : lens[j] >= ru->minlen;
		} else
			match = ru->len >= 0 ? len == ru->len : len >= ru->minlen;
		if (!match)
			continue;
		if (ru->skip > 0) {
			ru->skip--;
			continue;
		}
		if (ru->times > 0)
			ru->times--;
		if (ru->wait[0]) {
			char reached[300];
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			int f;

			snprintf(reached, sizeof(reached), "%s.reached", ru->wait);
			f = open(reached, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (f >= 0)
				close(f);
			fprintf(stderr, "fault_inject: %s(fd %d, %ld bytes) waits for %s\n",
				call, fd, len, ru->wait);
			while (access(ru->wait, F_OK))
				nanosleep(&ts, NULL);
			return 0;
		}
		fprintf(stderr, "fault_inject: %s(fd %d, %ld bytes) -> %s\n", call, fd, len,
			strerrorname_np(ru->err) ?: "?");
		errno = ru->err;
		return -1;
	}
	return 0;
}

#define REAL(name) \
	static typeof(name) *real_##name; \
	if (!real_##name) \
		real_##name = (typeof(name) *)dlsym(RTLD_NEXT, #name)

static long iov_len(const struct iovec *iov, int n)
{
	long len = 0;

	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	return len;
}

ssize_t write(int fd, const void *buf, size_t count)
{
	REAL(write);
	if (fault("write", fd, count, NULL, 0))
		return -1;
	return real_write(fd, buf, count);
}

ssize_t read(int fd, void *buf, size_t count)
{
	REAL(read);
	if (fault("read", fd, count, NULL, 0))
		return -1;
	return real_read(fd, buf, count);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	REAL(writev);
	if (fault("writev", fd, iov_len(iov, iovcnt), NULL, 0))
		return -1;
	return real_writev(fd, iov, iovcnt);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	REAL(send);
	if (fault("send", fd, len, NULL, 0))
		return -1;
	return real_send(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *addr, socklen_t alen)
{
	REAL(sendto);
	if (fault("sendto", fd, len, NULL, 0))
		return -1;
	return real_sendto(fd, buf, len, flags, addr, alen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	REAL(sendmsg);
	if (fault("sendmsg", fd, iov_len(msg->msg_iov, msg->msg_iovlen), NULL, 0))
		return -1;
	return real_sendmsg(fd, msg, flags);
}

int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags)
{
	long lens[64];
	int n = vlen < 64 ? vlen : 64;

	REAL(sendmmsg);
	for (int i = 0; i < n; i++)
		lens[i] = iov_len(vec[i].msg_hdr.msg_iov, vec[i].msg_hdr.msg_iovlen);
	if (fault("sendmmsg", fd, n ? lens[0] : 0, lens, n))
		return -1;
	return real_sendmmsg(fd, vec, vlen, flags);
}
