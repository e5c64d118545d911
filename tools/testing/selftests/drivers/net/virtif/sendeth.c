// SPDX-License-Identifier: GPL-2.0
/*
 * sendeth: send raw Ethernet frames on an interface.
 *
 * A compiled program, not a script: the tests call it in loops, and in the
 * debug VM a Python interpreter takes seconds to start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fputs(
"usage: sendeth IFACE DST_MAC COUNT [--size N] [--src MAC] [--report]\n"
"\n"
"Sends COUNT frames to DST_MAC on IFACE through a packet socket. Each frame\n"
"has EtherType 0x88b5 (local experimental), N bytes in all (default 60,\n"
"at least 18) and its sequence number (big endian, 32 bits) right after the\n"
"header. The source address is the interface's, or MAC with --src.\n"
"\n"
"A frame the stack refuses (ENOBUFS: a full queue) is an error, unless\n"
"--report is given: then refused frames are counted and 'SENT REFUSED' is\n"
"printed at the end.\n", f);
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[ETH_ALEN];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &end) != ETH_ALEN)
		return -1;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

static long parse_num(const char *what, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "sendeth: bad %s '%s' (%ld..%ld)\n", what, s, min, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "src", required_argument, NULL, 'S' },
		{ "report", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned char dst[ETH_ALEN], src[ETH_ALEN], *frame;
	const char *src_arg = NULL;
	long size = 60, count, i, sent = 0, refused = 0;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int report = 0, opt, fd;
	unsigned int ifindex;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': size = parse_num("size", optarg, ETH_HLEN + 4, 65535 + ETH_HLEN + 4); break;
		case 'S': src_arg = optarg; break;
		case 'r': report = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 3) {
		usage(stderr);
		return 2;
	}
	ifindex = if_nametoindex(argv[optind]);
	if (!ifindex) {
		fprintf(stderr, "sendeth: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if (parse_mac(argv[optind + 1], dst) || (src_arg && parse_mac(src_arg, src))) {
		fprintf(stderr, "sendeth: bad MAC address\n");
		return 2;
	}
	count = parse_num("count", argv[optind + 2], 0, 1L << 30);

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("sendeth: socket");
		return 1;
	}
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("sendeth: bind");
		return 1;
	}
	if (!src_arg) {
		struct ifreq ifr = {};

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[optind]);
		if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
			perror("sendeth: SIOCGIFHWADDR");
			return 1;
		}
		memcpy(src, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	}
	frame = malloc(size);
	if (!frame)
		return 1;
	memset(frame, 'v', size);
	memcpy(frame, dst, ETH_ALEN);
	memcpy(frame + ETH_ALEN, src, ETH_ALEN);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (i = 0; i < count; i++) {
		unsigned int seq = htonl(i);

		memcpy(frame + ETH_HLEN, &seq, sizeof(seq));
		if (send(fd, frame, size, 0) == size) {
			sent++;
		} else if (report && errno == ENOBUFS) {
			refused++;
		} else {
			fprintf(stderr, "sendeth: send frame %ld: %s\n", i, strerror(errno));
			return 1;
		}
	}
	if (report)
		printf("%ld %ld\n", sent, refused);
	return 0;
}
