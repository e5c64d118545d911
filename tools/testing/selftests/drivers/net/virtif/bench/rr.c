// SPDX-License-Identifier: GPL-2.0
/*
 * rr: request/response latency over TCP, like netperf's TCP_RR: one byte
 * each way, the next request when the response is in, TCP_NODELAY on both
 * ends. scripts/bench-guest compiles it with gcc at bench time.
 *
 *   rr server ADDR PORT
 *	serve one connection after another until killed; prints "listening"
 *	once the socket listens
 *   rr client ADDR PORT SECONDS
 *	round trips for SECONDS (after WARMUP ones that are not counted), then
 *	one line: "n=N p50_us=X p90_us=X p99_us=X mean_us=X min_us=X max_us=X"
 *	(percentiles by nearest rank over every round trip, measured with
 *	CLOCK_MONOTONIC around write() and read())
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 100

static void die(const char *what)
{
	fprintf(stderr, "rr: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "rr: bad IPv4 address '%s'\n", ip);
		exit(1);
	}
	return a;
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
}

/* One byte, retrying on EINTR; 0 at end of file. */
static int xfer(int fd, int out)
{
	char b = 'r';
	ssize_t n;

	do
		n = out ? write(fd, &b, 1) : read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die(out ? "write" : "read");
	return n;
}

static void __attribute__((noreturn)) server(const char *ip, const char *port)
{
	struct sockaddr_in a = addr_of(ip, port);
	int one = 1, ls, fd;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		die("socket");
	if (setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	if (listen(ls, 4))
		die("listen");
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		nodelay(fd);
		while (xfer(fd, 0))
			xfer(fd, 1);
		close(fd);
	}
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Nearest rank: the smallest value with at least p% of them at or below. */
static double pct_us(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)((p / 100.0) * n + 0.999999);

	if (k < 1)
		k = 1;
	return v[k - 1] / 1000.0;
}

static int client(const char *ip, const char *port, const char *secs)
{
	struct sockaddr_in a = addr_of(ip, port);
	uint64_t *v = NULL, t0, t1, end, sum = 0;
	size_t n = 0, cap = 0, i;
	double d = atof(secs);
	int fd;

	if (d <= 0) {
		fprintf(stderr, "rr: bad duration '%s'\n", secs);
		return 1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	nodelay(fd);
	for (i = 0; i < WARMUP; i++) {
		xfer(fd, 1);
		if (!xfer(fd, 0)) {
			fprintf(stderr, "rr: server closed the connection\n");
			return 1;
		}
	}
	end = now_ns() + (uint64_t)(d * 1e9);
	do {
		t0 = now_ns();
		xfer(fd, 1);
		if (!xfer(fd, 0)) {
			fprintf(stderr, "rr: server closed the connection\n");
			return 1;
		}
		t1 = now_ns();
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("realloc");
		}
		v[n++] = t1 - t0;
		sum += t1 - t0;
	} while (t1 < end);
	close(fd);
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("n=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f mean_us=%.1f min_us=%.1f max_us=%.1f\n",
	       n, pct_us(v, n, 50), pct_us(v, n, 90), pct_us(v, n, 99),
	       sum / 1000.0 / n, v[0] / 1000.0, v[n - 1] / 1000.0);
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "server"))
		server(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: rr server ADDR PORT | rr client ADDR PORT SECONDS\n");
	return 2;
}
