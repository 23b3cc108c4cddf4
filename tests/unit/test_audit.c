/* test_audit.c — blocked ring, counters, audit-line shapes, the JSONL log. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/fdutil.h"
#include "proxy/audit.h"
#include "proxy/audit_log.h"

static struct audit_event
deny_event(const char *host)
{
	struct audit_event ev = {
		.ts_ms = 1735689600123,
		.decision = "deny",
		.reason = "not_allowed",
		.host = host,
		.port = 443,
		.protocol = "socks5",
		.source = "baseline_policy",
	};
	return ev;
}

static json_t *
parse_json(const char *p, size_t n)
{
	json_error_t jerr;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);

	if (j == NULL)
		fail_msg("bad json (%s): %.*s", jerr.text, (int)n, p);
	return j;
}

static const char *
jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_int_t
jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_non_null(v);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* --- blocked ring ----------------------------------------------------- */

static void
test_ring_after_205_records_keeps_last_200_from_example5(void **state)
{
	struct audit_ring *r = malloc(sizeof(*r));
	char host[32];
	int i;
	(void)state;
	audit_ring_init(r);
	for (i = 0; i < 205; i++) {
		struct audit_event ev;

		snprintf(host, sizeof(host), "example%d.com", i);
		ev = deny_event(host);
		audit_ring_record(r, &ev);
	}
	assert_int_equal(audit_ring_count(r), 200);
	assert_int_equal(r->total, 205);
	assert_string_equal(audit_ring_get(r, 0)->host, "example5.com");
	assert_string_equal(audit_ring_get(r, 199)->host, "example204.com");
	assert_null(audit_ring_get(r, 200));
	audit_ring_release(r);
	free(r);
}

static void
test_ring_snapshot_does_not_consume(void **state)
{
	struct audit_ring r;
	struct audit_event ev = deny_event("a.example");
	struct buf b1, b2;
	(void)state;
	audit_ring_init(&r);
	audit_ring_record(&r, &ev);
	buf_init(&b1, 1 << 16);
	buf_init(&b2, 1 << 16);
	assert_int_equal(audit_ring_render_json(&r, &b1), 0);
	assert_int_equal(audit_ring_render_json(&r, &b2), 0);
	assert_string_equal(b1.p, b2.p);
	assert_int_equal(audit_ring_count(&r), 1);
	buf_release(&b1);
	buf_release(&b2);
	audit_ring_release(&r);
}

static void
test_ring_clear_keeps_total(void **state)
{
	struct audit_ring r;
	struct audit_event ev = deny_event("a.example");
	(void)state;
	audit_ring_init(&r);
	audit_ring_record(&r, &ev);
	audit_ring_record(&r, &ev);
	audit_ring_clear(&r);
	assert_int_equal(audit_ring_count(&r), 0);
	assert_int_equal(r.total, 2);
	audit_ring_record(&r, &ev);
	assert_string_equal(audit_ring_get(&r, 0)->host, "a.example");
	audit_ring_release(&r);
}

static void
test_blocked_json_has_reference_shape(void **state)
{
	static const char prefix[] =
		"{\"blocked\":[{\"host\":\"google.com\",\"reason\":";
	struct audit_ring r;
	struct audit_event ev = deny_event("google.com");
	struct audit_event ev2 = deny_event("x.example");
	struct buf b;
	json_t *j, *arr, *e;
	(void)state;
	ev.method = "GET";
	ev.client = "127.0.0.1:50000";
	ev.mode = "limited";
	ev.protocol = "http";
	ev.port = 80;
	ev2.source = NULL;
	ev2.decision = NULL;
	audit_ring_init(&r);
	audit_ring_record(&r, &ev);
	audit_ring_record(&r, &ev2);
	buf_init(&b, 1 << 16);
	assert_int_equal(audit_ring_render_json(&r, &b), 0);
	assert_int_equal(strncmp(b.p, prefix, sizeof(prefix) - 1), 0);
	j = parse_json(b.p, b.len);
	assert_int_equal(jint(j, "total"), 2);
	arr = json_object_get(j, "blocked");
	assert_int_equal(json_array_size(arr), 2);
	e = json_array_get(arr, 0);
	assert_string_equal(jstr(e, "host"), "google.com");
	assert_string_equal(jstr(e, "reason"), "not_allowed");
	assert_string_equal(jstr(e, "client"), "127.0.0.1:50000");
	assert_string_equal(jstr(e, "method"), "GET");
	assert_string_equal(jstr(e, "mode"), "limited");
	assert_string_equal(jstr(e, "protocol"), "http");
	assert_string_equal(jstr(e, "decision"), "deny");
	assert_string_equal(jstr(e, "source"), "baseline_policy");
	assert_int_equal(jint(e, "port"), 80);
	assert_int_equal(jint(e, "timestamp"), 1735689600);
	assert_int_equal(jint(e, "timestamp_ms"), 1735689600123);
	assert_int_equal(json_object_size(e), 11);
	e = json_array_get(arr, 1);
	assert_true(json_is_null(json_object_get(e, "client")));
	assert_true(json_is_null(json_object_get(e, "method")));
	assert_true(json_is_null(json_object_get(e, "mode")));
	assert_null(json_object_get(e, "source"));
	assert_string_equal(jstr(e, "decision"), "deny");
	json_decref(j);
	buf_release(&b);
	audit_ring_release(&r);
}

static void
test_blocked_json_escapes_strings(void **state)
{
	struct audit_ring r;
	struct audit_event ev = deny_event("evil\"\n\\host");
	struct buf b;
	json_t *j;
	(void)state;
	audit_ring_init(&r);
	audit_ring_record(&r, &ev);
	buf_init(&b, 1 << 16);
	assert_int_equal(audit_ring_render_json(&r, &b), 0);
	j = parse_json(b.p, b.len);
	assert_string_equal(
		jstr(json_array_get(json_object_get(j, "blocked"), 0), "host"),
		"evil\"\n\\host");
	json_decref(j);
	buf_release(&b);
	audit_ring_release(&r);
}

static void
test_blocked_json_of_empty_ring(void **state)
{
	struct audit_ring r;
	struct buf b;
	(void)state;
	audit_ring_init(&r);
	buf_init(&b, 1024);
	assert_int_equal(audit_ring_render_json(&r, &b), 0);
	assert_string_equal(b.p, "{\"blocked\":[],\"total\":0}");
	buf_release(&b);
	audit_ring_release(&r);
}

static void
test_blocked_json_reports_full_buffer(void **state)
{
	struct audit_ring r;
	struct audit_event ev = deny_event("a.example");
	struct buf b;
	(void)state;
	audit_ring_init(&r);
	audit_ring_record(&r, &ev);
	buf_init(&b, 40);
	assert_int_equal(audit_ring_render_json(&r, &b), -1);
	buf_release(&b);
	audit_ring_release(&r);
}

/* --- counters --------------------------------------------------------- */

static void
test_metrics_render_prometheus_lines(void **state)
{
	struct audit_metrics m;
	struct audit_ring r;
	struct audit_event ev = deny_event("a.example");
	struct buf b;
	(void)state;
	audit_metrics_init(&m);
	audit_ring_init(&r);
	audit_ring_record(&r, &ev);
	audit_metrics_count(&m, "allow");
	audit_metrics_count(&m, "denied");
	audit_metrics_count(&m, "denied");
	audit_metrics_count(&m, "denied");
	assert_int_equal(audit_metrics_get(&m, "denied"), 3);
	assert_int_equal(audit_metrics_get(&m, "not_allowed"), 0);
	buf_init(&b, 4096);
	assert_int_equal(audit_metrics_render(&m, &r, &b), 0);
	assert_string_equal(
		b.p, "# HELP airlock_decisions_total Policy decisions by reason.\n"
		     "# TYPE airlock_decisions_total counter\n"
		     "airlock_decisions_total{reason=\"allow\"} 1\n"
		     "airlock_decisions_total{reason=\"denied\"} 3\n"
		     "# HELP airlock_blocked_total Blocked requests recorded.\n"
		     "# TYPE airlock_blocked_total counter\n"
		     "airlock_blocked_total 1\n");
	buf_release(&b);
	audit_ring_release(&r);
	audit_metrics_release(&m);
}

static void
test_metrics_escape_labels_and_cap_reasons(void **state)
{
	struct audit_metrics m;
	struct buf b;
	char name[32];
	int i;
	(void)state;
	audit_metrics_init(&m);
	audit_metrics_count(&m, "we\"ird\\\n");
	for (i = 0; i < AUDIT_REASONS_MAX + 5; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		audit_metrics_count(&m, name);
	}
	assert_int_equal(m.nreasons, AUDIT_REASONS_MAX);
	assert_int_equal(m.other, 6);
	buf_init(&b, 1 << 16);
	assert_int_equal(audit_metrics_render(&m, NULL, &b), 0);
	assert_non_null(strstr(b.p, "{reason=\"we\\\"ird\\\\\\n\"} 1\n"));
	assert_non_null(strstr(b.p, "{reason=\"other\"} 6\n"));
	assert_null(strstr(b.p, "airlock_blocked_total"));
	buf_release(&b);
	audit_metrics_release(&m);
}

/* --- audit-line shapes ------------------------------------------------ */

static void
test_time_is_rfc3339_utc_with_ms(void **state)
{
	char ts[32];
	(void)state;
	audit_format_time(0, ts, sizeof(ts));
	assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
	audit_format_time(1735689600123, ts, sizeof(ts));
	assert_string_equal(ts, "2025-01-01T00:00:00.123Z");
	audit_format_time(1735689599999, ts, sizeof(ts));
	assert_string_equal(ts, "2024-12-31T23:59:59.999Z");
}

static void
test_decision_line_shape(void **state)
{
	struct audit_event ev = {
		.ts_ms = 1735689600123,
		.decision = "allow",
		.reason = "allow",
		.host = "pypi.org",
		.port = 443,
		.protocol = "https_connect",
		.source = "baseline_policy",
		.matched = "pypi.org",
	};
	struct buf b;
	json_t *j;
	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(audit_format_decision(&ev, &b), 0);
	assert_int_equal(b.p[b.len - 1], '\n');
	assert_null(memchr(b.p, '\n', b.len - 1));
	assert_memory_equal(b.p, "{\"ts\":\"2025-01-01T00:00:00.123Z\",\"event\":"
				 "\"decision\",",
			    51);
	j = parse_json(b.p, b.len);
	assert_string_equal(jstr(j, "decision"), "allow");
	assert_string_equal(jstr(j, "reason"), "allow");
	assert_string_equal(jstr(j, "host"), "pypi.org");
	assert_int_equal(jint(j, "port"), 443);
	assert_string_equal(jstr(j, "protocol"), "https_connect");
	assert_string_equal(jstr(j, "method"), "none");
	assert_string_equal(jstr(j, "client"), "unknown");
	assert_string_equal(jstr(j, "source"), "baseline_policy");
	assert_string_equal(jstr(j, "matched"), "pypi.org");
	assert_int_equal(json_array_size(json_object_get(j, "addresses")), 0);
	assert_null(json_object_get(j, "detail"));
	assert_int_equal(json_object_size(j), 12);
	json_decref(j);
	buf_reset(&b);
	ev.matched = NULL;
	ev.method = "GET";
	assert_int_equal(audit_format_decision(&ev, &b), 0);
	j = parse_json(b.p, b.len);
	assert_true(json_is_null(json_object_get(j, "matched")));
	assert_string_equal(jstr(j, "method"), "GET");
	json_decref(j);
	buf_release(&b);
}

static void
test_decision_line_ends_with_the_request_rule_fields(void **state)
{
	struct audit_event ev = {
		.decision = "allow",
		.reason = "allow",
		.host = "api.example.com",
		.port = 443,
		.protocol = "https",
		.method = "GET",
		.rules = ",\"request_rule\":\"r\",\"request_actions\":[\"a\"],"
			 "\"request_headers_stripped\":[],"
			 "\"request_headers_injected\":"
			 "{\"authorization\":\"[injected]\"}",
	};
	struct buf b;
	json_t *j;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(audit_format_decision(&ev, &b), 0);
	j = parse_json(b.p, b.len);
	assert_string_equal(jstr(j, "request_rule"), "r");
	assert_string_equal(
		jstr(json_object_get(j, "request_headers_injected"),
		     "authorization"),
		"[injected]");
	assert_int_equal(json_object_size(j), 16);
	json_decref(j);
	buf_release(&b);
}

static void
test_decision_line_has_addresses_and_local_detail(void **state)
{
	static const char *const addrs[] = {"10.1.2.3", "fd00::1"};
	struct audit_event ev = {
		.decision = "deny",
		.reason = "not_allowed_local",
		.host = "registry.example",
		.port = 80,
		.protocol = "http",
		.addresses = addrs,
		.n_addresses = 2,
		.detail = "registry.example resolved to 10.1.2.3, a private "
			  "address: allow it with --allow 10.1.2.3",
	};
	struct audit_ring r;
	struct buf b;
	json_t *j, *a;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(audit_format_decision(&ev, &b), 0);
	j = parse_json(b.p, b.len);
	a = json_object_get(j, "addresses");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 0)),
			    "10.1.2.3");
	assert_string_equal(json_string_value(json_array_get(a, 1)),
			    "fd00::1");
	assert_string_equal(jstr(j, "detail"), ev.detail);
	json_decref(j);
	buf_release(&b);
	/* The ring keeps the detail for the run's summary. */
	audit_ring_init(&r);
	audit_ring_record(&r, &ev);
	assert_string_equal(audit_ring_get(&r, 0)->detail, ev.detail);
	audit_ring_release(&r);
}

static void
test_tunnel_close_line_shape(void **state)
{
	struct audit_tunnel t = {
		.ts_ms = 1735689600000,
		.host = "github.com",
		.port = 443,
		.protocol = "socks5_tcp",
		.client = "127.0.0.1:4000",
		.bytes_up = 517,
		.bytes_down = 123456789012ULL,
		.duration_ms = 1500,
	};
	struct buf b;
	json_t *j;
	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(audit_format_tunnel_close(&t, &b), 0);
	j = parse_json(b.p, b.len);
	assert_string_equal(jstr(j, "event"), "tunnel_close");
	assert_string_equal(jstr(j, "ts"), "2025-01-01T00:00:00.000Z");
	assert_string_equal(jstr(j, "host"), "github.com");
	assert_int_equal(jint(j, "port"), 443);
	assert_string_equal(jstr(j, "protocol"), "socks5_tcp");
	assert_string_equal(jstr(j, "client"), "127.0.0.1:4000");
	assert_int_equal(jint(j, "bytes_up"), 517);
	assert_int_equal(jint(j, "bytes_down"), 123456789012LL);
	assert_int_equal(jint(j, "duration_ms"), 1500);
	json_decref(j);
	buf_release(&b);
}

static void
test_unset_timestamp_means_now(void **state)
{
	struct audit_event ev = deny_event("a.example");
	struct audit_ring r;
	int64_t before = audit_now_ms();
	(void)state;
	ev.ts_ms = 0;
	audit_ring_init(&r);
	audit_ring_record(&r, &ev);
	assert_true(audit_ring_get(&r, 0)->ts_ms >= before);
	audit_ring_release(&r);
}

/* --- the JSONL log ---------------------------------------------------- */

/* A fresh directory per test, removed with its files at the end. */
struct tmpdir {
	char dir[64];
	char path[128];
};

static void
tmpdir_make(struct tmpdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_audit.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/audit.jsonl", t->dir);
}

static void
tmpdir_remove(struct tmpdir *t)
{
	char p[160];

	unlink(t->path);
	snprintf(p, sizeof(p), "%s/rotated", t->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/target", t->dir);
	unlink(p);
	rmdir(t->dir);
}

static char *
slurp(const char *path, size_t *len)
{
	char *text = read_file_capped(path, 1 << 20, len, NULL);

	assert_non_null(text);
	return text;
}

static void
test_log_writes_one_json_line_per_event(void **state)
{
	struct tmpdir t;
	struct audit_log *l;
	struct audit_event ev = deny_event("a.example");
	struct audit_tunnel tun = {.host = "b.example", .port = 443,
				   .protocol = "https_connect"};
	struct stat st;
	char *text, *nl;
	size_t len;
	json_t *j;
	(void)state;
	tmpdir_make(&t);
	l = audit_log_open(t.path, NULL);
	assert_non_null(l);
	assert_int_equal(audit_log_decision(l, &ev), 0);
	assert_int_equal(audit_log_tunnel_close(l, &tun), 0);
	assert_int_equal(l->lines, 2);
	assert_int_equal(audit_log_failures(l), 0);
	assert_string_equal(audit_log_last_error(l), "");
	assert_int_equal(stat(t.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = slurp(t.path, &len);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	j = parse_json(text, (size_t)(nl - text));
	assert_string_equal(jstr(j, "event"), "decision");
	assert_string_equal(jstr(j, "host"), "a.example");
	json_decref(j);
	j = parse_json(nl + 1, len - (size_t)(nl + 1 - text));
	assert_string_equal(jstr(j, "event"), "tunnel_close");
	json_decref(j);
	assert_int_equal(text[len - 1], '\n');
	free(text);
	audit_log_free(l);
	tmpdir_remove(&t);
}

static void
test_log_appends_to_existing_file(void **state)
{
	struct tmpdir t;
	struct audit_log *l;
	struct audit_event ev = deny_event("a.example");
	char *text;
	size_t len;
	int fd;
	(void)state;
	tmpdir_make(&t);
	fd = open(t.path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old\n", 4), 4);
	close(fd);
	l = audit_log_open(t.path, NULL);
	assert_non_null(l);
	assert_int_equal(audit_log_decision(l, &ev), 0);
	text = slurp(t.path, &len);
	assert_memory_equal(text, "old\n{\"ts\":", 10);
	free(text);
	audit_log_free(l);
	tmpdir_remove(&t);
}

static void
test_log_refuses_symlink(void **state)
{
	struct tmpdir t;
	struct errbuf err;
	char target[160];
	(void)state;
	tmpdir_make(&t);
	snprintf(target, sizeof(target), "%s/target", t.dir);
	close(open(target, O_WRONLY | O_CREAT, 0600));
	assert_int_equal(symlink(target, t.path), 0);
	errbuf_init(&err);
	assert_null(audit_log_open(t.path, &err));
	assert_non_null(strstr(errbuf_str(&err), "symlink"));
	assert_non_null(strstr(errbuf_str(&err), t.path));
	errbuf_release(&err);
	tmpdir_remove(&t);
}

static void
test_log_open_failure_names_path(void **state)
{
	struct errbuf err;
	(void)state;
	errbuf_init(&err);
	assert_null(audit_log_open("/nonexistent-dir/x/audit.jsonl", &err));
	assert_non_null(strstr(errbuf_str(&err),
			       "/nonexistent-dir/x/audit.jsonl: cannot open"));
	errbuf_release(&err);
	assert_null(audit_log_open("/nonexistent-dir/x/audit.jsonl", NULL));
}

static void
test_log_write_to_full_device_is_counted_not_fatal(void **state)
{
	struct audit_log *l;
	struct audit_event ev = deny_event("a.example");
	struct buf b;
	(void)state;
	l = audit_log_open("/dev/full", NULL);
	if (l == NULL)
		skip();
	assert_int_equal(audit_log_decision(l, &ev), -1);
	assert_int_equal(audit_log_decision(l, &ev), -1);
	assert_int_equal(audit_log_failures(l), 2);
	assert_int_equal(l->lines, 0);
	assert_non_null(strstr(audit_log_last_error(l), "/dev/full: write: "));
	buf_init(&b, 4096);
	assert_int_equal(audit_log_render_metrics(l, &b), 0);
	assert_non_null(
		strstr(b.p, "\nairlock_audit_log_write_failures_total 2\n"));
	buf_release(&b);
	audit_log_free(l);
}

static void
test_log_write_to_closed_fd_is_counted(void **state)
{
	struct tmpdir t;
	struct audit_log *l;
	struct audit_tunnel tun = {.host = "h", .port = 1, .protocol = "p"};
	(void)state;
	tmpdir_make(&t);
	l = audit_log_open(t.path, NULL);
	assert_non_null(l);
	close(l->fd);
	l->fd = -1;
	assert_int_equal(audit_log_tunnel_close(l, &tun), -1);
	assert_int_equal(audit_log_failures(l), 1);
	assert_non_null(strstr(audit_log_last_error(l), "Bad file descriptor"));
	audit_log_free(l);
	tmpdir_remove(&t);
}

static void
test_log_line_over_cap_is_counted(void **state)
{
	struct tmpdir t;
	struct audit_log *l;
	struct audit_event ev;
	char *host = malloc(AUDIT_LOG_LINE_MAX + 1);
	(void)state;
	memset(host, 'a', AUDIT_LOG_LINE_MAX);
	host[AUDIT_LOG_LINE_MAX] = '\0';
	ev = deny_event(host);
	tmpdir_make(&t);
	l = audit_log_open(t.path, NULL);
	assert_non_null(l);
	assert_int_equal(audit_log_decision(l, &ev), -1);
	assert_int_equal(audit_log_failures(l), 1);
	assert_non_null(strstr(audit_log_last_error(l), "line longer than"));
	audit_log_free(l);
	free(host);
	tmpdir_remove(&t);
}

static void
test_log_null_is_accepted(void **state)
{
	struct audit_event ev = deny_event("a.example");
	struct buf b;
	(void)state;
	assert_int_equal(audit_log_decision(NULL, &ev), 0);
	assert_int_equal(audit_log_failures(NULL), 0);
	assert_string_equal(audit_log_last_error(NULL), "");
	audit_log_free(NULL);
	buf_init(&b, 4096);
	assert_int_equal(audit_log_render_metrics(NULL, &b), 0);
	assert_non_null(strstr(b.p, "airlock_audit_log_write_failures_total 0\n"));
	buf_release(&b);
}

static void
test_log_reopen_follows_rotation(void **state)
{
	struct tmpdir t;
	struct audit_log *l;
	struct audit_event ev = deny_event("first.example");
	char rotated[160], *text;
	size_t len;
	(void)state;
	tmpdir_make(&t);
	snprintf(rotated, sizeof(rotated), "%s/rotated", t.dir);
	l = audit_log_open(t.path, NULL);
	assert_non_null(l);
	assert_int_equal(audit_log_decision(l, &ev), 0);
	assert_int_equal(rename(t.path, rotated), 0);
	assert_int_equal(audit_log_reopen(l, NULL), 0);
	ev.host = "second.example";
	assert_int_equal(audit_log_decision(l, &ev), 0);
	text = slurp(t.path, &len);
	assert_non_null(strstr(text, "second.example"));
	assert_null(strstr(text, "first.example"));
	free(text);
	text = slurp(rotated, &len);
	assert_null(strstr(text, "second.example"));
	free(text);
	audit_log_free(l);
	tmpdir_remove(&t);
}

static void
test_log_failed_reopen_keeps_old_descriptor(void **state)
{
	struct tmpdir t;
	struct audit_log *l;
	struct audit_event ev = deny_event("kept.example");
	struct errbuf err;
	char rotated[160], *text;
	size_t len;
	(void)state;
	tmpdir_make(&t);
	snprintf(rotated, sizeof(rotated), "%s/rotated", t.dir);
	l = audit_log_open(t.path, NULL);
	assert_non_null(l);
	assert_int_equal(rename(t.path, rotated), 0);
	assert_int_equal(symlink("/etc/passwd", t.path), 0);
	errbuf_init(&err);
	assert_int_equal(audit_log_reopen(l, &err), -1);
	assert_non_null(strstr(errbuf_str(&err), "symlink"));
	errbuf_release(&err);
	assert_int_equal(audit_log_decision(l, &ev), 0);
	text = slurp(rotated, &len);
	assert_non_null(strstr(text, "kept.example"));
	free(text);
	audit_log_free(l);
	tmpdir_remove(&t);
}

#define AUDIT_LOG_TESTS \
	cmocka_unit_test(test_log_writes_one_json_line_per_event), \
	cmocka_unit_test(test_log_appends_to_existing_file), \
	cmocka_unit_test(test_log_refuses_symlink), \
	cmocka_unit_test(test_log_open_failure_names_path), \
	cmocka_unit_test(test_log_write_to_full_device_is_counted_not_fatal), \
	cmocka_unit_test(test_log_write_to_closed_fd_is_counted), \
	cmocka_unit_test(test_log_line_over_cap_is_counted), \
	cmocka_unit_test(test_log_null_is_accepted), \
	cmocka_unit_test(test_log_reopen_follows_rotation), \
	cmocka_unit_test(test_log_failed_reopen_keeps_old_descriptor),

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_after_205_records_keeps_last_200_from_example5),
		cmocka_unit_test(test_ring_snapshot_does_not_consume),
		cmocka_unit_test(test_ring_clear_keeps_total),
		cmocka_unit_test(test_blocked_json_has_reference_shape),
		cmocka_unit_test(test_blocked_json_escapes_strings),
		cmocka_unit_test(test_blocked_json_of_empty_ring),
		cmocka_unit_test(test_blocked_json_reports_full_buffer),
		cmocka_unit_test(test_metrics_render_prometheus_lines),
		cmocka_unit_test(test_metrics_escape_labels_and_cap_reasons),
		cmocka_unit_test(test_time_is_rfc3339_utc_with_ms),
		cmocka_unit_test(test_decision_line_shape),
		cmocka_unit_test(
			test_decision_line_ends_with_the_request_rule_fields),
		cmocka_unit_test(
			test_decision_line_has_addresses_and_local_detail),
		cmocka_unit_test(test_tunnel_close_line_shape),
		cmocka_unit_test(test_unset_timestamp_means_now),
		AUDIT_LOG_TESTS
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
