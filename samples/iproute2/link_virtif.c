// SPDX-License-Identifier: GPL-2.0
/*
 * link_virtif.so: the "virtif" link type for iproute2's ip(8).
 *
 *   ip link add NAME type virtif [ linkstr LINKSTR ]
 *   ip link add NAME type virtif peer [ name PEER ] [ netns NS ] [ ... ]
 *   ip link set NAME type virtif linkstr LINKSTR
 *   ip -d link show NAME                  # prints "virtif linkstr LINKSTR"
 *
 * ip(8) loads link_<kind>.so from $IP_LIB_DIR (default
 * /usr/lib/x86_64-linux-gnu/ip on Debian) when it meets a kind it does not
 * know, and looks up <kind>_link_util in it. The plugin uses functions the
 * ip binary exports (addattr_l, addattr_nest, iplink_parse, ...; a peer is
 * parsed like veth's); their declarations and struct link_util are repeated
 * here from iproute2's ip/ip_common.h, include/libnetlink.h and
 * include/json_print.h, whose layout has not changed since iproute2 4.x.
 * The attributes come from virtif's uapi header.
 */
#include <stdio.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtif.h>

struct link_util {
	struct link_util	*next;
	const char		*id;
	int			maxattr;
	int			(*parse_opt)(struct link_util *, int, char **,
					     struct nlmsghdr *);
	void			(*print_opt)(struct link_util *, FILE *,
					     struct rtattr *[]);
	void			(*print_xstats)(struct link_util *, FILE *,
						struct rtattr *);
	void			(*print_help)(struct link_util *, int, char **,
					      FILE *);
	int			(*parse_ifla_xstats)(struct link_util *,
						     int, char **);
	int			(*print_ifla_xstats)(struct nlmsghdr *, void *);
};

int addattr_l(struct nlmsghdr *n, int maxlen, int type, const void *data,
	      int alen);
struct rtattr *addattr_nest(struct nlmsghdr *n, int maxlen, int type);
int addattr_nest_end(struct nlmsghdr *n, struct rtattr *nest);
struct iplink_req;
int iplink_parse(int argc, char **argv, struct iplink_req *req, char **type);
void duparg(const char *key, const char *arg);
int print_color_string(int type, int color, const char *key,
		       const char *fmt, const char *value);

#define PRINT_ANY	4	/* enum output_type */
#define COLOR_NONE	6	/* enum color_attr; only used with ip -color */

static void virtif_explain(FILE *f)
{
	fprintf(f,
		"Usage: ... virtif [ linkstr LINKSTR ]\n"
		"       ... virtif peer [ name PEER ] [ netns NS ] [ address LLADDR ] ...\n"
		"\n"
		"LINKSTR := loop | pair:IFNAME | user\n"
		"(see Documentation/networking/virtif.rst)\n");
}

/* "peer ...": the rest of the command line describes the peer, as for veth. */
static int virtif_parse_peer(int argc, char **argv, struct nlmsghdr *n)
{
	struct ifinfomsg *ifm = NLMSG_DATA(n), *peer_ifm;
	unsigned int flags = ifm->ifi_flags, change = ifm->ifi_change;
	int index = ifm->ifi_index;
	struct rtattr *data;
	char *type = NULL;
	int err;

	ifm->ifi_flags = 0;
	ifm->ifi_change = 0;
	ifm->ifi_index = 0;
	data = addattr_nest(n, 1024, IFLA_VIRTIF_PEER);
	n->nlmsg_len += sizeof(struct ifinfomsg);
	/* Parses the peer's options into the request, its header into ifm. */
	err = iplink_parse(argc, argv, (struct iplink_req *)n, &type);
	if (err < 0)
		return err;
	if (type)
		duparg("type", argv[err]);
	peer_ifm = RTA_DATA(data);
	peer_ifm->ifi_index = ifm->ifi_index;
	peer_ifm->ifi_flags = ifm->ifi_flags;
	peer_ifm->ifi_change = ifm->ifi_change;
	ifm->ifi_flags = flags;
	ifm->ifi_change = change;
	ifm->ifi_index = index;
	addattr_nest_end(n, data);
	return argc - err;
}

static int virtif_parse_opt(struct link_util *lu, int argc, char **argv,
			    struct nlmsghdr *n)
{
	while (argc > 0) {
		if (strcmp(*argv, "peer") == 0)
			return virtif_parse_peer(argc - 1, argv + 1, n);
		if (strcmp(*argv, "linkstr") == 0) {
			if (argc < 2) {
				fprintf(stderr, "virtif: \"linkstr\" needs a value\n");
				return -1;
			}
			argc--, argv++;
			/* Sent with its NUL, like every string attribute. */
			if (addattr_l(n, 1024, IFLA_VIRTIF_LINKSTR, *argv,
				      strlen(*argv) + 1))
				return -1;
		} else if (strcmp(*argv, "help") == 0) {
			virtif_explain(stdout);
			return -1;
		} else {
			fprintf(stderr, "virtif: unknown option \"%s\"\n", *argv);
			virtif_explain(stderr);
			return -1;
		}
		argc--, argv++;
	}
	return 0;
}

static void virtif_print_opt(struct link_util *lu, FILE *f,
			     struct rtattr *tb[])
{
	struct rtattr *a;

	if (!tb || !(a = tb[IFLA_VIRTIF_LINKSTR]) || RTA_PAYLOAD(a) < 1)
		return;
	/* The driver sends it NUL-terminated; do not trust that blindly. */
	((char *)RTA_DATA(a))[RTA_PAYLOAD(a) - 1] = '\0';
	print_color_string(PRINT_ANY, COLOR_NONE, "linkstr", "linkstr %s ",
			   RTA_DATA(a));
}

static void virtif_print_help(struct link_util *lu, int argc, char **argv,
			      FILE *f)
{
	virtif_explain(f);
}

struct link_util virtif_link_util = {
	.id		= "virtif",
	.maxattr	= IFLA_VIRTIF_MAX,
	.parse_opt	= virtif_parse_opt,
	.print_opt	= virtif_print_opt,
	.print_help	= virtif_print_help,
};
