/* test_httpc.c - the HTTP client: the key check, redaction of secrets and
 * URL user:password, header checks, then httpc_post against a scripted
 * server that this test opens on an ephemeral 127.0.0.1 port: the bounded
 * body both ways, Retry-After, headers sent, and the error classes. */
#define _GNU_SOURCE	/* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "httpc.h"

#define SRV_REQ_MAX	(64 * 1024)

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

/* A scripted HTTP/1.1 server on an ephemeral 127.0.0.1 port: one request
 * per connection. */

enum srv_mode {
	SRV_ANSWER,	/* the scripted answer */
	SRV_SILENT,	/* read the request, say nothing until the client goes */
	SRV_CLOSE,	/* read the request, close without a word */
};

struct srv {
	int		 fd;
	int		 port;
	char		 url[96];
	pthread_t	 th;
	atomic_int	 stop;
	pthread_mutex_t	 mu;
	enum srv_mode	 mode;
	int		 status;
	char		 extra[256];	/* more response header lines */
	char		*body;
	size_t		 body_len;
	int		 nreq;
	char		*req;		/* the last request, head and body */
	size_t		 req_len;
};

static int
srv_wait_readable(struct srv *s, int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;

	while (!atomic_load(&s->stop))
		if ((r = poll(&p, 1, 50)) != 0)
			return r;
	return -1;
}

/* The request head and body; NULL when the client went away. */
static char *
srv_read_request(struct srv *s, int fd, size_t *len)
{
	char *buf = calloc(1, SRV_REQ_MAX + 1), *end, *cl;
	size_t want = SRV_REQ_MAX;
	ssize_t n;

	*len = 0;
	while (*len < want) {
		if (srv_wait_readable(s, fd) <= 0 ||
		    (n = read(fd, buf + *len, SRV_REQ_MAX - *len)) <= 0) {
			free(buf);
			return NULL;
		}
		*len += (size_t)n;
		if ((end = memmem(buf, *len, "\r\n\r\n", 4)) != NULL) {
			cl = strcasestr(buf, "\r\ncontent-length:");
			want = (size_t)(end - buf) + 4 +
			    (cl != NULL && cl < end ? strtoul(cl + 17, NULL,
			    10) : 0);
		}
	}
	return buf;
}

static void
srv_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = send(fd, p, n, MSG_NOSIGNAL)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

static void
srv_answer(struct srv *s, int fd)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d Scripted\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", s->status,
	    s->body_len, s->extra);
	srv_write_all(fd, head, (size_t)n);
	srv_write_all(fd, s->body != NULL ? s->body : "", s->body_len);
}

static void
srv_handle(struct srv *s, int fd)
{
	size_t len;
	char *req = srv_read_request(s, fd, &len), c;

	if (req == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	free(s->req);
	s->req = req;
	s->req_len = len;
	s->nreq++;
	if (s->mode == SRV_ANSWER)
		srv_answer(s, fd);
	pthread_mutex_unlock(&s->mu);
	if (s->mode == SRV_SILENT)
		while (srv_wait_readable(s, fd) > 0 && read(fd, &c, 1) > 0)
			;
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	int fd;

	while (srv_wait_readable(s, s->fd) > 0) {
		if ((fd = accept(s->fd, NULL, NULL)) == -1)
			continue;
		srv_handle(s, fd);
		close(fd);
	}
	return NULL;
}

static void
srv_script(struct srv *s, enum srv_mode mode, int status, const char *extra,
    const char *body, size_t len)
{
	pthread_mutex_lock(&s->mu);
	s->mode = mode;
	s->status = status;
	snprintf(s->extra, sizeof(s->extra), "%s", extra);
	free(s->body);
	s->body = malloc(len + 1);
	memcpy(s->body, body, len);
	s->body_len = len;
	pthread_mutex_unlock(&s->mu);
}

static int
srv_setup(void **state)
{
	struct srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sa);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s == NULL || (s->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(s->fd, 8) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &slen) == -1)
		return -1;
	s->port = ntohs(sa.sin_port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/v1/x", s->port);
	pthread_mutex_init(&s->mu, NULL);
	srv_script(s, SRV_ANSWER, 200, "", "", 0);
	if (pthread_create(&s->th, NULL, srv_main, s) != 0)
		return -1;
	*state = s;
	return 0;
}

static int
srv_teardown(void **state)
{
	struct srv *s = *state;

	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
	free(s->req);
	free(s->body);
	free(s);
	return 0;
}

/* Whether the last request's head holds this exact line. */
static int
srv_got_line(struct srv *s, const char *line)
{
	char want[256];
	int found;

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	pthread_mutex_lock(&s->mu);
	found = s->req != NULL && strstr(s->req, want) != NULL;
	pthread_mutex_unlock(&s->mu);
	return found;
}

static int
srv_got_name(struct srv *s, const char *name)
{
	char want[64];
	int found;

	snprintf(want, sizeof(want), "\r\n%s:", name);
	pthread_mutex_lock(&s->mu);
	found = s->req != NULL && strcasestr(s->req, want) != NULL;
	pthread_mutex_unlock(&s->mu);
	return found;
}

static void
test_post_answer(void **state)
{
	struct srv *s = *state;
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
	srv_script(s, SRV_ANSWER, 200, "Retry-After: 7\r\n", "hello", 5);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.error, HTTPC_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.body_len, 5);
	assert_string_equal(res.body, "hello");
	assert_int_equal(res.truncated, 0);
	assert_string_equal(res.retry_after, "7");
	assert_string_equal(res.errmsg, "");
	assert_int_equal(strncmp(s->req, "POST /v1/x HTTP/1.1\r\n", 21), 0);
	assert_true(srv_got_line(s, "Content-Type: application/json"));
	assert_true(srv_got_line(s, "X-Empty:"));
	assert_true(srv_got_line(s, "Authorization: Bearer sk-SECRET1"));
	assert_true(srv_got_line(s, "traceparent: 00-aa-bb-01"));
	assert_true(srv_got_line(s, "User-Agent: httpc-test/1"));
	assert_true(srv_got_line(s, "Content-Length: 7"));
	assert_false(srv_got_name(s, "X-Injected"));
	assert_false(srv_got_name(s, "X-Evil"));
	assert_false(srv_got_name(s, "Expect"));
	assert_memory_equal(s->req + s->req_len - 7, "{\"a\":1}", 7);
	/* The per-request line was for that request only; an error status is
	 * an answer, and the next answer's Retry-After is its own. */
	req.nheaders = 0;
	srv_script(s, SRV_ANSWER, 503, "", "", 0);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.status, 503);
	assert_int_equal(res.body_len, 0);
	assert_non_null(res.body);
	assert_string_equal(res.retry_after, "");
	assert_false(srv_got_name(s, "traceparent"));
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
	struct srv *s = *state;
	struct httpc *c = client_for(s->url, 100, 1, 5000);
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;
	char *big = letters(200000);

	/* Past the limit the answer is read away, the first bytes kept. */
	srv_script(s, SRV_ANSWER, 200, "", big, 200000);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.truncated, 1);
	assert_int_equal(res.body_len, 100);
	assert_memory_equal(res.body, big, 100);
	assert_int_equal(res.body[100], '\0');
	/* Exactly the limit is not truncated. */
	srv_script(s, SRV_ANSWER, 200, "", big, 100);
	assert_int_equal(httpc_post(c, &req, &res), 0);
	assert_int_equal(res.truncated, 0);
	assert_int_equal(res.body_len, 100);
	httpc_free(c);
	free(big);
}

static void
test_body_limit_fails(void **state)
{
	struct srv *s = *state;
	struct httpc *c = client_for(s->url, 100, 0, 5000);
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;
	char *big = letters(200000);

	srv_script(s, SRV_ANSWER, 200, "", big, 101);
	assert_int_equal(httpc_post(c, &req, &res), -1);
	assert_int_equal(res.error, HTTPC_ERR_RESPONSE);
	assert_int_equal(res.truncated, 1);
	assert_string_equal(res.errmsg, "response larger than 100 bytes");
	srv_script(s, SRV_ANSWER, 200, "", big, 200000);
	assert_int_equal(httpc_post(c, &req, &res), -1);
	assert_int_equal(res.error, HTTPC_ERR_RESPONSE);
	/* The client is usable again, the body starts empty. */
	srv_script(s, SRV_ANSWER, 200, "", big, 100);
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
	struct srv *s = *state;
	struct httpc *c = client_for(s->url, 100, 0, 300);
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;
	struct timespec t0, t1;
	long ms;

	srv_script(s, SRV_SILENT, 0, "", "", 0);
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
	struct srv *s = *state;
	struct httpc *c = client_for(s->url, 100, 0, 5000);
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;

	srv_script(s, SRV_CLOSE, 0, "", "", 0);
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
	struct srv *s = *state;
	char url[128];
	struct httpc *c;
	const struct httpc_request req = { .body = "x", .len = 1 };
	struct httpc_response res;

	snprintf(url, sizeof(url), "http://bob:hunter2-pw@127.0.0.1:%d/",
	    s->port);
	c = client_for(url, 100, 0, 5000);
	assert_int_equal(httpc_header(c, "X-Token", "Empty reply",
	    HTTPC_SECRET), 0);
	srv_script(s, SRV_CLOSE, 0, "", "", 0);
	assert_int_equal(httpc_post(c, &req, &res), -1);
	assert_int_equal(res.error, HTTPC_ERR_CONNECT);
	assert_null(strstr(res.errmsg, "Empty"));
	assert_null(strstr(res.errmsg, "reply"));
	assert_null(strstr(res.errmsg, "hunter2"));
	assert_non_null(strstr(res.errmsg, HTTPC_REDACTED));
	/* The URL's user:password went out as Basic authentication. */
	assert_true(srv_got_name(s, "Authorization"));
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
	const char *proxies[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
	    "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY" };
	int rc;

	/* Nothing here may leave 127.0.0.1. */
	for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	if (httpc_global_init() == -1)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	httpc_global_cleanup();
	return rc;
}
