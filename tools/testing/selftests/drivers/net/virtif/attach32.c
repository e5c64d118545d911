// SPDX-License-Identifier: GPL-2.0
/*
 * attach32 IFNAME: open /dev/virtif and VIRTIF_ATTACH it to IFNAME, as a
 * 32-bit program (built with -m32): the test of the driver's compat_ioctl.
 * Prints "attached" or "error: ERRNO-NAME" and exits 0 or 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/virtif.h>

int main(int argc, char **argv)
{
	struct virtif_attach a;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(a.ifname)) {
		fprintf(stderr, "usage: attach32 IFNAME\n");
		return 2;
	}
	fd = open("/dev/virtif", O_RDWR);
	if (fd < 0) {
		printf("error: open: %s\n", strerror(errno));
		return 1;
	}
	memset(&a, 0, sizeof(a));
	strcpy(a.ifname, argv[1]);
	if (ioctl(fd, VIRTIF_ATTACH, &a) < 0) {
		printf("error: %s\n", errno == ENOTTY ? "ENOTTY" : errno == EINVAL ? "EINVAL" :
		       errno == EPERM ? "EPERM" : errno == EBUSY ? "EBUSY" : strerror(errno));
		return 1;
	}
	printf("attached\n");
	close(fd);
	return 0;
}
