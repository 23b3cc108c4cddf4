/* sni_check.c — see sni_check.h. */
#include "proxy/sni_check.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "net/tls_hello.h"

/* Records the refusal and says so. name is the SNI as normalized, or
 * NULL when the hello gave no usable name. */
static int
refuse(struct sni_check *k, const char *name, const char *why)
{
	struct audit_event ev = {0};

	ev.decision = "deny";
	ev.reason = "sni_mismatch";
	ev.host = name != NULL ? name : k->host;
	ev.port = k->port;
	ev.protocol = k->protocol;
	ev.client = k->client;
	ev.source = "tls_sni";
	proxy_record_event(k->px, &ev);
	log_info("%s %s: tunnel to %s:%u refused: %s", k->protocol, k->client,
		 k->host, k->port, why);
	return RELAY_HOLD_REFUSE;
}

int
sni_check_judge(void *arg, const char *p, size_t n)
{
	struct sni_check *k = arg;
	struct tls_hello h;
	struct host sni;
	const char *why = NULL;
	char msg[HOST_TEXT_MAX + 64];
	int rc = tls_hello_parse(p, n, &h);

	if (rc == TLS_HELLO_NOT_TLS)
		return RELAY_HOLD_PASS;
	if (rc == TLS_HELLO_INCOMPLETE && n < SNI_CHECK_HOLD_MAX)
		return RELAY_HOLD_MORE;
	if (rc == TLS_HELLO_INCOMPLETE || rc == TLS_HELLO_TOO_BIG)
		return refuse(k, NULL, "TLS ClientHello too large to check");
	if (rc < 0)
		return refuse(k, NULL, "unreadable TLS ClientHello");
	if (!h.has_sni)
		return RELAY_HOLD_PASS;
	if (host_normalize(h.sni, h.sni_len, HOST_NO_PORT, &sni, &why) == -1 ||
	    sni.len == 0)
		return refuse(k, NULL, "TLS server name is not a host name");
	if (strcmp(sni.text, k->host) == 0)
		return RELAY_HOLD_PASS;
	snprintf(msg, sizeof(msg), "TLS server name %s", sni.text);
	return refuse(k, sni.text, msg);
}

int
sni_check_init(struct sni_check *k, struct proxy *px, const char *host,
	       uint16_t port, const char *protocol, const char *client)
{
	struct host h;
	const char *why = NULL;

	if (host_normalize(host, strlen(host), HOST_NO_PORT, &h, &why) == -1)
		return -1;
	k->px = px;
	memcpy(k->host, h.text, h.len + 1);
	k->port = port;
	k->protocol = protocol;
	snprintf(k->client, sizeof(k->client), "%s", client);
	return 0;
}

const struct relay_hold *
sni_check_hold(struct sni_check *k, struct relay_hold *hold, struct proxy *px,
	       const struct proxy_state *st, const char *host, uint16_t port,
	       const char *protocol, const char *client)
{
	if (!st->require_sni_match ||
	    sni_check_init(k, px, host, port, protocol, client) == -1)
		return NULL;
	hold->fn = sni_check_judge;
	hold->arg = k;
	hold->max = SNI_CHECK_HOLD_MAX;
	hold->deadline_ms = (int)st->header_timeout_ms;
	return hold;
}
