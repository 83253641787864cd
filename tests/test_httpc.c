/* test_httpc.c - the HTTP client: the key check, redaction of secrets and
 * URL user:password, header checks, then httpc_post against the scripted
 * server of tests/testsrv.h on an ephemeral 127.0.0.1 port: the bounded
 * body both ways, Retry-After, headers sent, and the error classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "httpc.h"
#include "testsrv.h"

/* The key check. */

static void
test_check_key(void **state)
{
	static const struct { const char *key; int ok; } t[] = {
		{ "sk-proj-AbC123_xyz", 1 },
		{ "!#$%&'*+-.^_`|~:/=?@[]{}\"\\", 1 },
		{ "a", 1 },
		{ "sk has space", 0 },
		{ " sk", 0 },
		{ "sk\t1", 0 },
		{ "sk\r\nX-Evil: 1", 0 },
		{ "sk\n", 0 },
		{ "sk\x01", 0 },
		{ "sk\x7f", 0 },
		{ "sk-caf\xc3\xa9", 0 },	/* UTF-8 */
		{ "sk-\xff", 0 },
		{ "sk-\x80", 0 },
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		if ((httpc_check_key(t[i].key, err, sizeof(err)) == 0) !=
		    t[i].ok)
			fail_msg("case %zu: %s", i, t[i].ok ? "refused" :
			    "accepted");
		if (!t[i].ok) {
			assert_string_equal(err, "contains white space, "
			    "control or non-ASCII characters");
			assert_null(strstr(err, "sk"));
		}
	}
}

/* Redaction. */

static void
buf_set(struct buf *b, const void *p, size_t n)
{
	buf_init(b, 1 << 20);
	assert_int_equal(buf_append(b, p, n), 0);
}

static void
test_redact(void **state)
{
	const char bin[] = "a\0KEY\0bKEYKEY";	/* bytes, NULs included */
	const char want[] = "a\0[redacted]\0b[redacted][redacted]";
	struct buf b;

	(void)state;
	buf_set(&b, bin, sizeof(bin) - 1);
	httpc_redact(&b, "KEY");
	assert_int_equal(b.len, sizeof(want) - 1);
	assert_memory_equal(b.data, want, b.len);
	assert_int_equal(b.limit, 1 << 20);
	/* NULL and "" do nothing; neither does an empty buffer. */
	httpc_redact(&b, NULL);
	httpc_redact(&b, "");
	assert_memory_equal(b.data, want, b.len);
	buf_cleanup(&b);
	buf_init(&b, 16);
	httpc_redact(&b, "KEY");
	assert_int_equal(b.len, 0);
	buf_cleanup(&b);
}

static void
test_scrub(void **state)
{
	char s[64], tiny[16];

	(void)state;
	snprintf(s, sizeof(s), "a KEY b KEYKEY c");
	httpc_scrub(s, sizeof(s), "KEY");
	assert_string_equal(s, "a [redacted] b [redacted][redacted] c");
	snprintf(s, sizeof(s), "nothing here");
	httpc_scrub(s, sizeof(s), "KEY");
	assert_string_equal(s, "nothing here");
	httpc_scrub(s, sizeof(s), NULL);
	assert_string_equal(s, "nothing here");
	httpc_scrub(s, sizeof(s), "");
	assert_string_equal(s, "nothing here");
	/* Longer after replacement than the buffer: cut, still no key. */
	snprintf(tiny, sizeof(tiny), "x k k k k k k k");
	httpc_scrub(tiny, sizeof(tiny), "k");
	assert_string_equal(tiny, "x [redacted] [r");
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static void
test_url_for_log(void **state)
{
	static const struct { const char *url, *want; } t[] = {
		{ "http://user:pa55@host:6006/v1/traces",
		    "http://[redacted]@host:6006/v1/traces" },
		{ "https://tok@host/", "https://[redacted]@host/" },
		{ "http://u:p@w@host?q", "http://[redacted]@host?q" },
		{ "http://host/path@x", "http://host/path@x" },
		{ "http://host?a=b@c", "http://host?a=b@c" },
		{ "http://host#f@g", "http://host#f@g" },
		{ "http://host:1", "http://host:1" },
		{ "no scheme@host", "no scheme@host" },
		{ "", "" },
	};
	char *got;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = httpc_url_for_log(t[i].url);
		if (strcmp(got, t[i].want) != 0)
			fail_msg("%s: got %s", t[i].url, got);
		free(got);
	}
}

static struct httpc *
client_for(const char *url, size_t body_max, int truncate, long timeout_ms)
{
	const struct httpc_config cfg = {
		.url = url,
		.connect_timeout_ms = timeout_ms,
		.timeout_ms = timeout_ms,
		.body_max = body_max,
		.body_truncate = truncate,
		.user_agent = "httpc-test/1",
	};
	struct httpc *c = httpc_new(&cfg);

	assert_non_null(c);
	return c;
}

static void
test_secrets(void **state)
{
	struct httpc *c = client_for("http://alice:url-PASSWORD@127.0.0.1:9/",
	    64, 1, 1000);
	const char text[] = "alice:url-PASSWORD url-PASSWORD Bearer "
	    "tok-123456 tok-123456 abc public";
	struct buf b;

	(void)state;
	assert_int_equal(httpc_header(c, "Authorization", "Bearer tok-123456",
	    HTTPC_SECRET), 0);
	/* Too short to redact without mangling every message. */
	assert_int_equal(httpc_header(c, "X-Short", "abc", HTTPC_SECRET), 0);
	assert_int_equal(httpc_header(c, "X-Public", "public", 0), 0);
	assert_int_equal(httpc_secret_max(c), strlen("alice:url-PASSWORD"));
	buf_set(&b, text, sizeof(text) - 1);
	httpc_redact_secrets(c, &b);
	assert_string_equal(b.data, "[redacted] [redacted] [redacted] "
	    "[redacted] abc public");
	buf_cleanup(&b);
	httpc_free(c);
	/* No secret at all: nothing changes. */
	c = client_for("http://127.0.0.1:9/", 64, 1, 1000);
	assert_int_equal(httpc_secret_max(c), 0);
	buf_set(&b, text, sizeof(text) - 1);
	httpc_redact_secrets(c, &b);
	assert_string_equal(b.data, text);
	buf_cleanup(&b);
	httpc_free(c);
}

static void
test_header_refused(void **state)
{
	struct httpc *c = client_for("http://127.0.0.1:9/", 64, 1, 1000);

	(void)state;
	assert_int_equal(httpc_header(c, "X-Ok", "a\tb c \xc3\xa9", 0), 0);
	assert_int_equal(httpc_header(c, "X-Bad", "a\r\nX-Evil: 1", 0), -1);
	assert_int_equal(httpc_header(c, "X-Bad", "a\nb", 0), -1);
	assert_int_equal(httpc_header(c, "X-Bad", "a\x7f", 0), -1);
	assert_int_equal(httpc_header(c, "X-Bad: 1\r\nY", "v", 0), -1);
	assert_int_equal(httpc_header(c, "X Bad", "v", 0), -1);
	assert_int_equal(httpc_header(c, "", "v", 0), -1);
	httpc_free(c);
}

static void
test_parse_date(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(httpc_parse_date("Wed, 21 Oct 2015 07:28:00 GMT",
	    &t), 0);
	assert_int_equal(t, 1445412480);
	assert_int_equal(httpc_parse_date("not a date", &t), -1);
}

/* The scripted server (tests/testsrv.h) on a fresh port for each test. */

static int
srv_setup(void **state)
{
	*state = testsrv_start("/v1/x");
	return 0;
}

static int
srv_teardown(void **state)
{
	testsrv_stop(*state);
	return 0;
}

static void
test_post_answer(void **state)
{
	struct testsrv *s = *state;
	struct httpc *c = client_for(s->url, 1024, 0, 5000);
	struct httpc_request req = { .body = "{\"a\":1}", .len = 7 };
	struct httpc_response res;

	assert_int_equal(httpc_header(c, "Content-Type", "application/json",
	    0), 0);
	assert_int_equal(httpc_header(c, "Expect", NULL, 0), 0);
	assert_int_equal(httpc_header(c, "X-Empty", "", 0), 0);
	assert_int_equal(httpc_header(c, "Authorization", "Bearer sk-SECRET1",
	    HTTPC_SECRET), 0);
	req.headers[req.nheaders++] = "traceparent: 00-aa-bb-01";
	req.headers[req.nheaders++] = "X-Injected: 1\r\nX-Evil: 2";
	testsrv_answer(s, 200, "Retry-After: 7\r\n", "hello", 5);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.error, HTTPC_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.body_len, 5);
	assert_string_equal(res.body, "hello");
	assert_int_equal(res.truncated, 0);
	assert_string_equal(res.retry_after, "7");
	assert_string_equal(res.errmsg, "");
	assert_int_equal(strncmp(s->req, "POST /v1/x HTTP/1.1\r\n", 21), 0);
	assert_true(testsrv_got_line(s, "Content-Type: application/json"));
	assert_true(testsrv_got_line(s, "X-Empty:"));
	assert_true(testsrv_got_line(s, "Authorization: Bearer sk-SECRET1"));
	assert_true(testsrv_got_line(s, "traceparent: 00-aa-bb-01"));
	assert_true(testsrv_got_line(s, "User-Agent: httpc-test/1"));
	assert_true(testsrv_got_line(s, "Content-Length: 7"));
	assert_false(testsrv_got_name(s, "X-Injected"));
	assert_false(testsrv_got_name(s, "X-Evil"));
	assert_false(testsrv_got_name(s, "Expect"));
	assert_memory_equal(s->req + s->req_len - 7, "{\"a\":1}", 7);
	/* The per-request line was for that request only; an error status is
	 * an answer, and the next answer's Retry-After is its own. */
	req.nheaders = 0;
	testsrv_answer(s, 503, "", "", 0);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.status, 503);
	assert_int_equal(res.body_len, 0);
	assert_non_null(res.body);
	assert_string_equal(res.retry_after, "");
	assert_false(testsrv_got_name(s, "traceparent"));
	assert_int_equal(s->nreq, 2);
	httpc_free(c);
}

static char *
letters(size_t n)
{
	char *p = malloc(n + 1);

	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + i % 26);
	p[n] = '\0';
	return p;
}

static void
test_body_truncate(void **state)
{
	struct testsrv *s = *state;
	struct httpc *c = client_for(s->url, 100, 1, 5000);
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;
	char *big = letters(200000);

	/* Past the limit the answer is read away, the first bytes kept. */
	testsrv_answer(s, 200, "", big, 200000);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.truncated, 1);
	assert_int_equal(res.body_len, 100);
	assert_memory_equal(res.body, big, 100);
	assert_int_equal(res.body[100], '\0');
	/* Exactly the limit is not truncated. */
	testsrv_answer(s, 200, "", big, 100);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.truncated, 0);
	assert_int_equal(res.body_len, 100);
	httpc_free(c);
	free(big);
}

static void
test_body_limit_fails(void **state)
{
	struct testsrv *s = *state;
	struct httpc *c = client_for(s->url, 100, 0, 5000);
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;
	char *big = letters(200000);

	testsrv_answer(s, 200, "", big, 101);
	assert_int_equal(httpc_post(c, &req, &res), -1);
	assert_int_equal(res.error, HTTPC_ERR_RESPONSE);
	assert_int_equal(res.truncated, 1);
	assert_string_equal(res.errmsg, "response larger than 100 bytes");
	testsrv_answer(s, 200, "", big, 200000);
	assert_int_equal(httpc_post(c, &req, &res), -1);
	assert_int_equal(res.error, HTTPC_ERR_RESPONSE);
	/* The client is usable again, the body starts empty. */
	testsrv_answer(s, 200, "", big, 100);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.truncated, 0);
	assert_int_equal(res.body_len, 100);
	assert_memory_equal(res.body, big, 100);
	httpc_free(c);
	free(big);
}

static void
test_timeout(void **state)
{
	struct testsrv *s = *state;
	struct httpc *c = client_for(s->url, 100, 0, 300);
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;
	struct timespec t0, t1;
	long ms;

	testsrv_mode(s, TESTSRV_SILENT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(httpc_post(c, &req, &res), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	assert_int_equal(res.error, HTTPC_ERR_TIMEOUT);
	assert_int_equal(res.status, 0);
	assert_true(res.errmsg[0] != '\0');
	assert_in_range(ms, 250, 3000);
	httpc_free(c);
}

/* The server takes the request and hangs up: no answer at all. */
static void
test_no_answer(void **state)
{
	struct testsrv *s = *state;
	struct httpc *c = client_for(s->url, 100, 0, 5000);
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;

	testsrv_mode(s, TESTSRV_CLOSE);
	assert_int_equal(httpc_post(c, &req, &res), -1);
	assert_int_equal(res.error, HTTPC_ERR_CONNECT);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.body_len, 0);
	assert_non_null(strstr(res.errmsg, "Empty reply"));
	httpc_free(c);
}

/* libcurl's words go through the client's secrets before they are shown:
 * here a secret header whose value is what libcurl will say. */
static void
test_errmsg_redacted(void **state)
{
	struct testsrv *s = *state;
	char url[128];
	struct httpc *c;
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;

	snprintf(url, sizeof(url), "http://bob:hunter2-pw@127.0.0.1:%d/",
	    s->port);
	c = client_for(url, 100, 0, 5000);
	assert_int_equal(httpc_header(c, "X-Token", "Empty reply",
	    HTTPC_SECRET), 0);
	testsrv_mode(s, TESTSRV_CLOSE);
	assert_int_equal(httpc_post(c, &req, &res), -1);
	assert_int_equal(res.error, HTTPC_ERR_CONNECT);
	assert_null(strstr(res.errmsg, "Empty"));
	assert_null(strstr(res.errmsg, "reply"));
	assert_null(strstr(res.errmsg, "hunter2"));
	assert_non_null(strstr(res.errmsg, HTTPC_REDACTED));
	/* The URL's user:password went out as Basic authentication. */
	assert_true(testsrv_got_name(s, "Authorization"));
	httpc_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_key),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_url_for_log),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_header_refused),
		cmocka_unit_test(test_parse_date),
		cmocka_unit_test_setup_teardown(test_post_answer, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_body_truncate, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_body_limit_fails,
		    srv_setup, srv_teardown),
		cmocka_unit_test_setup_teardown(test_timeout, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_no_answer, srv_setup,
		    srv_teardown),
		cmocka_unit_test_setup_teardown(test_errmsg_redacted,
		    srv_setup, srv_teardown),
	};
	int rc;

	testsrv_no_proxy();
	if (httpc_global_init() == -1)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	httpc_global_cleanup();
	return rc;
}
