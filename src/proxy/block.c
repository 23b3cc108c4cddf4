/* block.c — block and error responses, byte-exact with reference §7.4.
 * See block.h for the wire format. */
#include "proxy/block.h"

#include <string.h>

struct reason_row {
	const char *reason;
	const char *header;
	const char *message;
};

static const struct reason_row reasons[] = {
	{"not_allowed", "blocked-by-allowlist", "Domain not in allowlist."},
	{"not_allowed_local", "blocked-by-allowlist",
	    "Sandbox policy blocks local/private network addresses."},
	{"denied", "blocked-by-denylist", "Domain denied by the sandbox policy."},
	{"method_not_allowed", "blocked-by-method-policy",
	    "Method not allowed in limited mode."},
	{"mitm_hook_denied", "blocked-by-mitm-hook",
	    "HTTPS request denied by MITM hook policy."},
	{"mitm_required", "blocked-by-mitm-required",
	    "MITM required for limited HTTPS."},
	{"airlock_listener", "blocked-by-policy",
	    "The destination is one of airlock's own listeners."},
	{"request_rule_not_matched", "blocked-by-request-rule",
	    "Request does not match any request rule of this host."},
};

static const struct reason_row other_reason = {
	NULL, "blocked-by-policy", "Request blocked by network policy."
};

static const struct reason_row *
reason_find(const char *reason)
{
	size_t i;

	for (i = 0; reason != NULL && i < sizeof(reasons) / sizeof(reasons[0]);
	    i++)
		if (strcmp(reason, reasons[i].reason) == 0)
			return &reasons[i];
	return &other_reason;
}

const char *
block_header_value(const char *reason)
{
	return reason_find(reason)->header;
}

const char *
block_message(const char *reason)
{
	return reason_find(reason)->message;
}

const char *
block_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

/* Status line and headers up to and including the blank line. */
static int
write_head(struct buf *out, int status, const char *type, const char *xpe,
    size_t body_len, bool close)
{
	if (buf_printf(out, "HTTP/1.1 %d %s\r\ncontent-type: %s\r\n", status,
	    block_status_text(status), type) == -1)
		return -1;
	if (xpe != NULL && buf_printf(out, "x-proxy-error: %s\r\n", xpe) == -1)
		return -1;
	if (buf_printf(out, "content-length: %zu\r\n", body_len) == -1)
		return -1;
	if (close && buf_addstr(out, "connection: close\r\n") == -1)
		return -1;
	return buf_addstr(out, "\r\n");
}

static int
json_field(struct buf *b, const char *key, const char *value)
{
	if (buf_printf(b, ",\"%s\":", key) == -1)
		return -1;
	return buf_add_json_string(b, value, strlen(value));
}

static int
json_body(struct buf *b, const struct block_details *d)
{
	const char *host = d->host != NULL ? d->host : "";
	const char *reason = d->reason != NULL ? d->reason : "";

	if (buf_addstr(b, "{\"status\":\"blocked\",\"host\":") == -1 ||
	    buf_add_json_string(b, host, strlen(host)) == -1 ||
	    json_field(b, "reason", reason) == -1)
		return -1;
	if (d->decision != NULL) {
		if (json_field(b, "decision", d->decision) == -1 ||
		    json_field(b, "source", d->source ? d->source : "") == -1 ||
		    json_field(b, "protocol",
		    d->protocol ? d->protocol : "http") == -1 ||
		    buf_printf(b, ",\"port\":%u", d->port) == -1 ||
		    json_field(b, "message", block_message(d->reason)) == -1)
			return -1;
	}
	if (d->detail != NULL && json_field(b, "detail", d->detail) == -1)
		return -1;
	return buf_addch(b, '}');
}

int
block_http(struct buf *out, const struct block_details *d, bool close)
{
	struct buf body;
	int rc = -1;

	buf_init(&body, 16 * 1024);
	if (json_body(&body, d) == -1)
		goto out;
	if (write_head(out, 403, "application/json",
	    block_header_value(d->reason), body.len, close) == -1)
		goto out;
	rc = buf_add(out, body.p, body.len);
out:
	buf_release(&body);
	return rc;
}

int
block_connect(struct buf *out, const char *reason, bool close)
{
	const char *msg = block_message(reason);

	if (write_head(out, 403, "text/plain", block_header_value(reason),
	    strlen(msg), close) == -1)
		return -1;
	return buf_addstr(out, msg);
}

int
block_for_reason(struct buf *out, const char *reason, const char *host,
    unsigned port, const char *source, bool connect, bool close)
{
	struct block_details d = {
		.host = host, .reason = reason, .decision = "deny",
		.source = source, .protocol = "http", .port = port,
	};

	if (connect)
		return block_connect(out, reason, close);
	return block_http(out, &d, close);
}

int
block_for_decision(struct buf *out, const struct policy_decision *d,
    bool connect, bool close)
{
	struct block_details bd = {
		.host = d->host.text, .reason = policy_reason_str(d->reason),
		.decision = "deny", .source = policy_source_str(d->source),
		.protocol = "http", .port = (unsigned)d->port,
	};
	struct buf detail;
	int rc;

	if (connect)
		return block_connect(out, bd.reason, close);
	buf_init(&detail, 4096);
	policy_local_detail(d, &detail);
	bd.detail = detail.len > 0 ? detail.p : NULL;
	rc = block_http(out, &bd, close);
	buf_release(&detail);
	return rc;
}

int
block_error(struct buf *out, int status, const char *text, bool close)
{
	if (write_head(out, status, "text/plain", NULL, strlen(text),
	    close) == -1)
		return -1;
	return buf_addstr(out, text);
}

int
block_connect_ok(struct buf *out)
{
	return buf_addstr(out, "HTTP/1.1 200 OK\r\n\r\n");
}
