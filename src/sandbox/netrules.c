/* netrules.c — see netrules.h. The nf_tables messages are those `nft`
 * sends for the rules listed there (`nft --debug=netlink` shows the same
 * expressions), written by hand: a dozen fixed rules do not need a
 * library, and the child that sends them may not allocate. */
#include "sandbox/netrules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/nlbuf.h"

#define TABLE "airlock"
#define LO_IFINDEX 1 /* lo is always the first device of a namespace */

/* --- the nf_tables batch (parent) ---------------------------------------- */

static void
nft_begin(struct nlbuf *b, uint16_t msg, uint16_t flags)
{
	struct nfgenmsg g = {NFPROTO_INET, NFNETLINK_V0, 0};

	nlbuf_begin(b, (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | msg),
		    (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags), &g,
		    sizeof(g));
}

static void
batch_mark(struct nlbuf *b, uint16_t type)
{
	struct nfgenmsg g = {AF_UNSPEC, NFNETLINK_V0,
			     htons(NFNL_SUBSYS_NFTABLES)};

	nlbuf_begin(b, type, NLM_F_REQUEST, &g, sizeof(g));
	nlbuf_end(b);
}

static void
add_table(struct nlbuf *b)
{
	nft_begin(b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nlbuf_put_str(b, NFTA_TABLE_NAME, TABLE);
	nlbuf_end(b);
}

static void
add_chain(struct nlbuf *b, const char *name, const char *type, int prio)
{
	nft_begin(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nlbuf_put_str(b, NFTA_CHAIN_TABLE, TABLE);
	nlbuf_put_str(b, NFTA_CHAIN_NAME, name);
	nlbuf_nest_begin(b, NFTA_CHAIN_HOOK);
	nlbuf_put_be32(b, NFTA_HOOK_HOOKNUM, NF_INET_LOCAL_OUT);
	nlbuf_put_be32(b, NFTA_HOOK_PRIORITY, (uint32_t)prio);
	nlbuf_nest_end(b);
	nlbuf_put_be32(b, NFTA_CHAIN_POLICY, NF_ACCEPT);
	nlbuf_put_str(b, NFTA_CHAIN_TYPE, type);
	nlbuf_end(b);
}

/* One expression: its name, then its attributes until expr_end. */
static void
expr_begin(struct nlbuf *b, const char *name)
{
	nlbuf_nest_begin(b, NFTA_LIST_ELEM);
	nlbuf_put_str(b, NFTA_EXPR_NAME, name);
	nlbuf_nest_begin(b, NFTA_EXPR_DATA);
}

static void
expr_end(struct nlbuf *b)
{
	nlbuf_nest_end(b);
	nlbuf_nest_end(b);
}

static void
put_data(struct nlbuf *b, uint16_t type, const void *p, size_t n)
{
	nlbuf_nest_begin(b, type);
	nlbuf_put(b, NFTA_DATA_VALUE, p, n);
	nlbuf_nest_end(b);
}

/* meta KEY => reg 1; cmp OP reg 1 p[0..n) */
static void
match_meta(struct nlbuf *b, uint32_t key, uint8_t value)
{
	expr_begin(b, "meta");
	nlbuf_put_be32(b, NFTA_META_DREG, NFT_REG_1);
	nlbuf_put_be32(b, NFTA_META_KEY, key);
	expr_end(b);
	expr_begin(b, "cmp");
	nlbuf_put_be32(b, NFTA_CMP_SREG, NFT_REG_1);
	nlbuf_put_be32(b, NFTA_CMP_OP, NFT_CMP_EQ);
	put_data(b, NFTA_CMP_DATA, &value, 1);
	expr_end(b);
}

static void
match_payload(struct nlbuf *b, uint32_t base, uint32_t off, const void *p,
	      size_t n, uint32_t op)
{
	expr_begin(b, "payload");
	nlbuf_put_be32(b, NFTA_PAYLOAD_DREG, NFT_REG_1);
	nlbuf_put_be32(b, NFTA_PAYLOAD_BASE, base);
	nlbuf_put_be32(b, NFTA_PAYLOAD_OFFSET, off);
	nlbuf_put_be32(b, NFTA_PAYLOAD_LEN, (uint32_t)n);
	expr_end(b);
	expr_begin(b, "cmp");
	nlbuf_put_be32(b, NFTA_CMP_SREG, NFT_REG_1);
	nlbuf_put_be32(b, NFTA_CMP_OP, op);
	put_data(b, NFTA_CMP_DATA, p, n);
	expr_end(b);
}

/* The destination is (op EQ) or is not (op NEQ) the loopback of family:
 * the first byte of an IPv4 destination (offset 16) against 127, an IPv6
 * destination (offset 24) against ::1. */
static void
match_loopback(struct nlbuf *b, uint8_t family, uint32_t op)
{
	static const uint8_t net127 = 127;

	match_meta(b, NFT_META_NFPROTO, family);
	if (family == NFPROTO_IPV4)
		match_payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, &net127, 1,
			      op);
	else
		match_payload(b, NFT_PAYLOAD_NETWORK_HEADER, 24,
			      &in6addr_loopback, 16, op);
}

static void
redirect_to(struct nlbuf *b, uint16_t port)
{
	uint16_t be = htons(port);

	expr_begin(b, "immediate");
	nlbuf_put_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_1);
	put_data(b, NFTA_IMMEDIATE_DATA, &be, sizeof(be));
	expr_end(b);
	expr_begin(b, "redir");
	nlbuf_put_be32(b, NFTA_REDIR_REG_PROTO_MIN, NFT_REG_1);
	nlbuf_put_be32(b, NFTA_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
	expr_end(b);
}

static void
reject(struct nlbuf *b, uint8_t family)
{
	/* ICMP port unreachable (3) / ICMPv6 port unreachable (4). */
	uint8_t code = family == NFPROTO_IPV4 ? 3 : 4;

	expr_begin(b, "reject");
	nlbuf_put_be32(b, NFTA_REJECT_TYPE, NFT_REJECT_ICMP_UNREACH);
	nlbuf_put(b, NFTA_REJECT_ICMP_CODE, &code, 1);
	expr_end(b);
}

static void
rule_begin(struct nlbuf *b, const char *chain)
{
	nft_begin(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nlbuf_put_str(b, NFTA_RULE_TABLE, TABLE);
	nlbuf_put_str(b, NFTA_RULE_CHAIN, chain);
	nlbuf_nest_begin(b, NFTA_RULE_EXPRESSIONS);
}

static void
rule_end(struct nlbuf *b)
{
	nlbuf_nest_end(b);
	nlbuf_end(b);
}

/* ip daddr 127.0.0.1 / ip6 daddr ::1 tcp dport port redirect to :tport */
static void
add_forward(struct nlbuf *b, uint8_t family, uint16_t port, uint16_t tport)
{
	struct in_addr lo4 = {htonl(INADDR_LOOPBACK)};
	uint16_t be = htons(port);

	rule_begin(b, "nat");
	match_meta(b, NFT_META_NFPROTO, family);
	if (family == NFPROTO_IPV4)
		match_payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, &lo4, 4,
			      NFT_CMP_EQ);
	else
		match_payload(b, NFT_PAYLOAD_NETWORK_HEADER, 24,
			      &in6addr_loopback, 16, NFT_CMP_EQ);
	match_meta(b, NFT_META_L4PROTO, IPPROTO_TCP);
	match_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, &be, 2, NFT_CMP_EQ);
	redirect_to(b, tport);
	rule_end(b);
}

/* meta l4proto tcp ip(6) daddr != loopback redirect to :tport */
static void
add_redirect(struct nlbuf *b, uint8_t family, uint16_t tport)
{
	rule_begin(b, "nat");
	match_meta(b, NFT_META_L4PROTO, IPPROTO_TCP);
	match_loopback(b, family, NFT_CMP_NEQ);
	redirect_to(b, tport);
	rule_end(b);
}

/* meta l4proto udp ip(6) daddr != loopback reject */
static void
add_udp_reject(struct nlbuf *b, uint8_t family)
{
	rule_begin(b, "filter");
	match_meta(b, NFT_META_L4PROTO, IPPROTO_UDP);
	match_loopback(b, family, NFT_CMP_NEQ);
	reject(b, family);
	rule_end(b);
}

static bool
seen(const uint16_t *ports, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (ports[j] == ports[i])
			return true;
	return false;
}

static unsigned
build_nft(struct nlbuf *b, uint16_t tport, const uint16_t *ports, size_t n)
{
	unsigned before = b->seq;
	size_t i;

	batch_mark(b, NFNL_MSG_BATCH_BEGIN);
	add_table(b);
	add_chain(b, "nat", "nat", -100);
	add_chain(b, "filter", "filter", 0);
	for (i = 0; i < n; i++) {
		if (seen(ports, i))
			continue;
		add_forward(b, NFPROTO_IPV4, ports[i], tport);
		add_forward(b, NFPROTO_IPV6, ports[i], tport);
	}
	add_redirect(b, NFPROTO_IPV4, tport);
	add_redirect(b, NFPROTO_IPV6, tport);
	add_udp_reject(b, NFPROTO_IPV4);
	add_udp_reject(b, NFPROTO_IPV6);
	batch_mark(b, NFNL_MSG_BATCH_END);
	return b->seq - before - 2; /* all but the batch marks ask for one */
}

/* --- the routes (parent) ------------------------------------------------- */

static void
add_route(struct nlbuf *b, unsigned char family)
{
	struct rtmsg rt;
	struct in_addr lo4 = {htonl(INADDR_LOOPBACK)};

	memset(&rt, 0, sizeof(rt));
	rt.rtm_family = family;
	rt.rtm_table = RT_TABLE_MAIN;
	rt.rtm_protocol = RTPROT_BOOT;
	rt.rtm_scope = family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	rt.rtm_type = RTN_UNICAST;
	nlbuf_begin(b, RTM_NEWROUTE,
		    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &rt,
		    sizeof(rt));
	nlbuf_put_u32(b, RTA_OIF, LO_IFINDEX);
	if (family == AF_INET)
		nlbuf_put(b, RTA_PREFSRC, &lo4, sizeof(lo4));
	nlbuf_end(b);
}

int
netrules_build(struct netrules *r, uint16_t tport, const uint16_t *ports,
	       size_t n, struct errbuf *err)
{
	struct nlbuf b;

	if (n > NETRULES_FORWARDS_MAX) {
		errbuf_add(err, "network rules: %zu forwarded loopback ports, "
				"at most %d", n, NETRULES_FORWARDS_MAX);
		return -1;
	}
	nlbuf_init(&b, r->nft, sizeof(r->nft));
	r->nft_acks = build_nft(&b, tport, ports, n);
	r->nft_len = b.len;
	if (!nlbuf_ok(&b)) {
		errbuf_add(err, "network rules: the nf_tables batch does not "
				"fit in %d bytes", NETRULES_NFT_MAX);
		return -1;
	}
	nlbuf_init(&b, r->route, sizeof(r->route));
	add_route(&b, AF_INET);
	r->route6_off = b.len;
	add_route(&b, AF_INET6);
	r->route_len = b.len;
	if (!nlbuf_ok(&b)) {
		errbuf_add(err, "network rules: the routes do not fit");
		return -1;
	}
	return 0;
}

/* --- sending (the namespace's first process: no allocation) ------------- */

/* Reads acknowledgements until want have come; -1 at the first error
 * (errno set to what the kernel said). */
static int
read_acks(int fd, unsigned want)
{
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	const struct nlmsghdr *h;
	const struct nlmsgerr *e;
	ssize_t n;
	int len;

	while (want > 0) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? (errno = EPROTO, -1) : -1;
		len = (int)n;
		for (h = (const struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			e = NLMSG_DATA(h);
			if (e->error != 0) {
				errno = -e->error;
				return -1;
			}
			if (want > 0)
				want--;
		}
	}
	return 0;
}

static int
send_all(int proto, const char *p, size_t n, unsigned acks, const char *what,
	 struct errbuf *err)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	ssize_t sent;

	if (fd == -1) {
		errbuf_add(err, "network rules: %s: netlink socket: %m", what);
		return -1;
	}
	do
		sent = sendto(fd, p, n, 0, (struct sockaddr *)&kernel,
			      sizeof(kernel));
	while (sent == -1 && errno == EINTR);
	if (sent != (ssize_t)n || read_acks(fd, acks) == -1) {
		errbuf_add(err, "network rules: %s: %m", what);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
netrules_apply(const struct netrules *r, struct errbuf *err)
{
	if (send_all(NETLINK_ROUTE, r->route, r->route6_off, 1,
		     "default route over lo", err) == -1)
		return -1;
	/* Without IPv6 (disabled on the kernel's command line or by sysctl)
	 * there is nothing to route: an IPv6 connect fails at once. */
	(void)send_all(NETLINK_ROUTE, r->route + r->route6_off,
		       r->route_len - r->route6_off, 1,
		       "IPv6 default route over lo", NULL);
	return send_all(NETLINK_NETFILTER, r->nft, r->nft_len, r->nft_acks,
			"nf_tables", err);
}
