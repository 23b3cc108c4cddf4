/* test_prompt.c — the terminal prompt's pure parts: which bytes typed are
 * keys of their own (sandbox/keyscan.h), what each key answers, and the
 * prompt's text (sandbox/prompt.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "lib/buf.h"
#include "sandbox/keyscan.h"
#include "sandbox/prompt.h"

/* The keys keyscan finds in s (n bytes), in order, as a string. */
static void
keys_of(const char *s, size_t n, char *out, size_t cap)
{
	struct keyscan k;
	size_t i, o = 0;
	int c;

	keyscan_init(&k);
	for (i = 0; i < n && o + 1 < cap; i++)
		if ((c = keyscan_byte(&k, (unsigned char)s[i])) != KEYSCAN_PART)
			out[o++] = (char)c;
	out[o] = '\0';
}

#define KEYS(lit, want)                                                   \
	do {                                                              \
		char got_[64];                                            \
		keys_of(lit, sizeof(lit) - 1, got_, sizeof(got_));        \
		assert_string_equal(got_, want);                          \
	} while (0)

static void
test_plain_bytes_are_keys(void **state)
{
	(void)state;
	KEYS("yes\r", "yes\r");
	KEYS("\x03", "\x03");
}

static void
test_terminal_replies_are_not_keys(void **state)
{
	(void)state;
	/* Cursor position report, device attributes, arrow keys (CSI and
	 * SS3), a title report ended by ST and by BEL, a DCS reply. */
	KEYS("\033[12;40R", "");
	KEYS("\033[?1;2c", "");
	KEYS("\033[A\033OA", "");
	KEYS("\033]l yes \033\\", "");
	KEYS("\033]0;say y\007", "");
	KEYS("\033P1$r0m\033\\", "");
	/* C1 forms: CSI 0x9b and OSC 0x9d. */
	KEYS("\x9b" "1;1R", "");
	KEYS("\x9d" "0;y\007", "");
}

static void
test_a_reply_split_over_reads_stays_a_reply(void **state)
{
	struct keyscan k;
	const char *a = "\033]l y", *b = "es\033\\n";
	size_t i;

	(void)state;
	keyscan_init(&k);
	for (i = 0; i < strlen(a); i++)
		assert_int_equal(keyscan_byte(&k, (unsigned char)a[i]),
				 KEYSCAN_PART);
	for (i = 0; i + 1 < strlen(b); i++)
		assert_int_equal(keyscan_byte(&k, (unsigned char)b[i]),
				 KEYSCAN_PART);
	assert_int_equal(keyscan_byte(&k, 'n'), 'n');
}

static void
test_utf8_and_alt_keys_are_not_keys(void **state)
{
	(void)state;
	KEYS("\xc3\xbd", "");          /* ý */
	KEYS("\xe2\x82\xac" "y", "y"); /* € then y */
	KEYS("\033y", "");             /* Alt-y */
	/* The 8-bit ST is a continuation byte: it does not end a string. */
	KEYS("\033]x\x9cy", "");
}

static void
test_enter_and_ctrl_c_end_any_sequence(void **state)
{
	(void)state;
	KEYS("\033]unterminated\r", "\r");
	KEYS("\033[1;\x03", "\x03");
	KEYS("\033]x\ry", "\ry");
}

static void
test_each_key_answers(void **state)
{
	static const struct {
		int key;
		enum approval_answer a;
	} want[] = {
		{'y', APPROVAL_ALLOW_ONCE},  {'s', APPROVAL_ALLOW_SESSION},
		{'a', APPROVAL_ALLOW_ALWAYS}, {'n', APPROVAL_DENY},
		{'d', APPROVAL_DENY_ALWAYS}, {'\r', APPROVAL_DENY},
		{'\n', APPROVAL_DENY},       {0x03, APPROVAL_DENY},
	};
	enum approval_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(prompt_key_answer(want[i].key, &a), 0);
		assert_int_equal(a, want[i].a);
	}
	assert_int_equal(prompt_key_answer('Y', &a), -1);
	assert_int_equal(prompt_key_answer(' ', &a), -1);
	assert_int_equal(prompt_key_answer(-1, &a), -1);
}

static void
test_the_line_names_the_request(void **state)
{
	struct approval_request rq = {0};
	struct buf b;

	(void)state;
	rq.protocol = "https";
	rq.host = "api.example.com";
	rq.port = 443;
	rq.method = "CONNECT";
	rq.reason = "not_allowed";
	rq.command = "curl -s https://api.example.com/";
	buf_init(&b, 4096);
	prompt_format(&rq, &b);
	assert_string_equal(b.p,
			    "airlock: curl -s https://api.example.com/ wants "
			    "https api.example.com:443 CONNECT: not on the "
			    "allowlist. Allow? [y]once [s]ession [a]lways [n]o "
			    "[d]eny always (Enter = no) ");
	buf_release(&b);
}

static void
test_the_line_brackets_ipv6_and_omits_a_missing_method(void **state)
{
	struct approval_request rq = {0};
	struct buf b;

	(void)state;
	rq.protocol = "socks5_tcp";
	rq.host = "2001:db8::1";
	rq.port = 22;
	buf_init(&b, 4096);
	prompt_format(&rq, &b);
	assert_non_null(strstr(b.p, "the command wants socks5_tcp "
				    "[2001:db8::1]:22: not on the allowlist."));
	buf_release(&b);
}

static void
test_the_command_cannot_forge_the_line(void **state)
{
	struct approval_request rq = {0};
	char host[300];
	struct buf b;

	(void)state;
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	rq.protocol = "http";
	rq.host = host;
	rq.port = 80;
	rq.method = "GET";
	rq.command = "sh -c '\033[2K\r-> allowed\n\x9b'";
	buf_init(&b, 4096);
	prompt_format(&rq, &b);
	assert_null(strchr(b.p, '\033'));
	assert_null(strchr(b.p, '\r'));
	assert_null(strchr(b.p, '\n'));
	assert_null(strchr(b.p, '\x9b'));
	assert_non_null(strstr(b.p, "sh -c '?[2K?-> allowed?" "?'"));
	/* A long field is cut. */
	assert_non_null(strstr(b.p, "hhh...:80"));
	buf_release(&b);
}

/* The process behind the request, as whois names it, and what it says of
 * itself cannot forge the line either; every field at its longest still
 * leaves the question whole. */
static void
test_the_line_names_the_process_and_it_cannot_forge_it(void **state)
{
	struct approval_request rq = {0};
	char longest[300];
	struct buf b;

	(void)state;
	rq.protocol = "https";
	rq.host = "registry.npmjs.org";
	rq.port = 443;
	rq.method = "CONNECT";
	rq.command = "npm test";
	rq.process = "pid 12: curl -sS https://registry.npmjs.org/";
	buf_init(&b, 4096);
	prompt_format(&rq, &b);
	assert_non_null(strstr(b.p, "airlock: npm test (pid 12: curl -sS "
				    "https://registry.npmjs.org/) wants https "
				    "registry.npmjs.org:443 CONNECT"));
	buf_release(&b);

	rq.process = "pid 3: x\033[1A\r-> allowed once\n";
	buf_init(&b, 4096);
	prompt_format(&rq, &b);
	assert_null(strchr(b.p, '\033'));
	assert_null(strchr(b.p, '\r'));
	assert_null(strchr(b.p, '\n'));
	buf_release(&b);

	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	rq.command = rq.process = rq.host = rq.method = rq.reason = longest;
	rq.protocol = longest;
	buf_init(&b, PROMPT_LINE_SIZE);
	prompt_format(&rq, &b);
	assert_non_null(strstr(b.p, "(Enter = no) "));
	buf_release(&b);
}

static void
test_the_outcome_says_what_happened(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	prompt_format_outcome(APPROVAL_ALLOW_ONCE, "terminal", &b);
	assert_string_equal(b.p, "-> allowed once\r\n");
	buf_reset(&b);
	prompt_format_outcome(APPROVAL_ALLOW_ALWAYS, "terminal", &b);
	assert_string_equal(b.p,
			    "-> allowed always (saved in approvals.toml)\r\n");
	buf_reset(&b);
	prompt_format_outcome(APPROVAL_TIMEOUT, "no answer within 100 ms",
			      &b);
	assert_string_equal(b.p, "-> no answer within 100 ms: denied\r\n");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_bytes_are_keys),
		cmocka_unit_test(test_terminal_replies_are_not_keys),
		cmocka_unit_test(test_a_reply_split_over_reads_stays_a_reply),
		cmocka_unit_test(test_utf8_and_alt_keys_are_not_keys),
		cmocka_unit_test(test_enter_and_ctrl_c_end_any_sequence),
		cmocka_unit_test(test_each_key_answers),
		cmocka_unit_test(test_the_line_names_the_request),
		cmocka_unit_test(
			test_the_line_brackets_ipv6_and_omits_a_missing_method),
		cmocka_unit_test(test_the_command_cannot_forge_the_line),
		cmocka_unit_test(test_the_line_names_the_process_and_it_cannot_forge_it),
		cmocka_unit_test(test_the_outcome_says_what_happened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
