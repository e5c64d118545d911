// SPDX-License-Identifier: GPL-2.0
/*
 * fdcost: the cost of the file interface per frame, hot, in a loop: a virtif
 * attached with /dev/virtif (single-frame mode) against a tap, with nothing
 * else in the way (no forwarder, no scheduling). fdcost.sh runs it.
 *
 *   fdcost virtif|tap IFNAME N
 *
 * virtif: IFNAME exists (linkstr user) and is attached here; tap: IFNAME is
 * created here (IFF_TAP | IFF_NO_PI). fdcost then prints "ready" and waits for
 * a line on stdin: by then IFNAME must be up with 10.9.0.1/24, and 10.9.0.2 a
 * neighbour (any MAC). Then three rounds of N frames each, one line per round:
 *
 *   write_recv_ns=W send_read_ns=S poll_empty_ns=P
 *
 * W: write() of a 64-byte UDP frame to 10.9.0.1:7000, recv() of its payload
 *    from the socket bound there (the frame crosses the driver's receive path
 *    and the stack);
 * S: send() of 18 bytes to 10.9.0.2 from that socket, read() of the frame
 *    from the file (the transmit path, the queue, the read);
 * P: poll() with nothing queued, then a read() that fails with EAGAIN (what
 *    a forwarder pays per wake-up besides the frames).
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtif.h>

static void die(const char *what)
{
	fprintf(stderr, "fdcost: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static unsigned short ip_csum(const unsigned char *p, int n)
{
	unsigned int s = 0;

	for (int i = 0; i < n; i += 2)
		s += (p[i] << 8) | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

static int open_file(const char *kind, const char *ifname)
{
	int fd;

	if (!strcmp(kind, "virtif")) {
		struct virtif_attach a = { 0 };

		fd = open("/dev/virtif", O_RDWR);
		if (fd < 0)
			die("open /dev/virtif");
		snprintf(a.ifname, sizeof(a.ifname), "%s", ifname);
		if (ioctl(fd, VIRTIF_ATTACH, &a))
			die("VIRTIF_ATTACH");
	} else if (!strcmp(kind, "tap")) {
		struct ifreq r = { 0 };

		fd = open("/dev/net/tun", O_RDWR);
		if (fd < 0)
			die("open /dev/net/tun");
		snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", ifname);
		r.ifr_flags = IFF_TAP | IFF_NO_PI;
		if (ioctl(fd, TUNSETIFF, &r))
			die("TUNSETIFF");
	} else {
		errno = EINVAL;
		die(kind);
	}
	return fd;
}

int main(int argc, char **argv)
{
	unsigned char frame[14 + 20 + 8 + 18] = { 0 }, buf[2048];
	struct sockaddr_in here = { .sin_family = AF_INET, .sin_port = htons(7000) };
	struct sockaddr_in there = { .sin_family = AF_INET, .sin_port = htons(7001) };
	const unsigned char peer[6] = { 2, 0, 0, 0, 0, 0x42 };
	unsigned char *ip = frame + 14, *udp = ip + 20;
	struct ifreq r = { 0 };
	unsigned short c;
	int fd, s, n;
	char line[8];

	if (argc != 4 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: fdcost virtif|tap IFNAME N\n");
		return 1;
	}
	fd = open_file(argv[1], argv[2]);
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		die("stdin");

	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	inet_pton(AF_INET, "10.9.0.1", &here.sin_addr);
	inet_pton(AF_INET, "10.9.0.2", &there.sin_addr);
	if (bind(s, (struct sockaddr *)&here, sizeof(here)))
		die("bind");
	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", argv[2]);
	if (ioctl(s, SIOCGIFHWADDR, &r))
		die("SIOCGIFHWADDR");

	/* 10.9.0.2:7001 -> 10.9.0.1:7000, 18 bytes, no UDP checksum. */
	memcpy(frame, r.ifr_hwaddr.sa_data, 6);
	memcpy(frame + 6, peer, 6);
	frame[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 18;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &there.sin_addr, 4);
	memcpy(ip + 16, &here.sin_addr, 4);
	c = ip_csum(ip, 20);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	udp[0] = 7001 >> 8;
	udp[1] = 7001 & 0xff;
	udp[2] = 7000 >> 8;
	udp[3] = 7000 & 0xff;
	udp[5] = 8 + 18;

	for (int round = 0; round < 3; round++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double t0, t1, t2, t3;

		t0 = now_ns();
		for (int i = 0; i < n; i++) {
			if (write(fd, frame, sizeof(frame)) != sizeof(frame))
				die("write");
			if (recv(s, buf, sizeof(buf), 0) != 18)
				die("recv");
		}
		t1 = now_ns();
		for (int i = 0; i < n; i++) {
			if (sendto(s, buf, 18, 0, (struct sockaddr *)&there, sizeof(there)) != 18)
				die("sendto");
			if (read(fd, buf, sizeof(buf)) < 60)
				die("read");
		}
		t2 = now_ns();
		if (fcntl(fd, F_SETFL, O_NONBLOCK))
			die("O_NONBLOCK");
		for (int i = 0; i < n; i++) {
			if (poll(&p, 1, 0) < 0)
				die("poll");
			if (read(fd, buf, sizeof(buf)) >= 0 || errno != EAGAIN) {
				fprintf(stderr, "fdcost: a frame nobody sent, or an error: %s\n",
					strerror(errno));
				return 1;
			}
		}
		t3 = now_ns();
		if (fcntl(fd, F_SETFL, 0))
			die("O_NONBLOCK off");
		printf("write_recv_ns=%.0f send_read_ns=%.0f poll_empty_ns=%.0f\n",
		       (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n);
	}
	return 0;
}
