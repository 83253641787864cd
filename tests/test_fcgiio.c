/* test_fcgiio.c - FastCGI parameters, bounded body reading and whole
 * responses. FCGX_GetStr and FCGX_PutStr are replaced at link time
 * (-Wl,--wrap, tests/unit.cmake): each read returns at most the byte count
 * queued with will_return (0 = end of stream) from the test's body, and
 * every write lands in a test buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "buf.h"
#include "fcgiio.h"

int __wrap_FCGX_GetStr(char *str, int n, FCGX_Stream *stream);
int __wrap_FCGX_PutStr(const char *str, int n, FCGX_Stream *stream);

#define BODY_MAX	(64 * 1024)

/* Stand-ins for the request's streams: only their addresses matter. */
static char fake_in, fake_out;

static struct {
	const char	*body;		/* what the web server sends */
	size_t		 len, pos;
	int		 reads;		/* FCGX_GetStr calls */
	struct buf	 written;	/* everything FCGX_PutStr got */
	int		 writes;
} io;

int
__wrap_FCGX_GetStr(char *str, int n, FCGX_Stream *stream)
{
	int max = mock_type(int);
	size_t k;

	assert_ptr_equal(stream, (FCGX_Stream *)(void *)&fake_in);
	assert_true(n > 0);
	io.reads++;
	k = (size_t)(n < max ? n : max);
	if (k > io.len - io.pos)
		k = io.len - io.pos;
	memcpy(str, io.body + io.pos, k);
	io.pos += k;
	return (int)k;
}

int
__wrap_FCGX_PutStr(const char *str, int n, FCGX_Stream *stream)
{
	assert_ptr_equal(stream, (FCGX_Stream *)(void *)&fake_out);
	assert_true(n >= 0);
	io.writes++;
	assert_int_equal(buf_append(&io.written, str, (size_t)n), 0);
	return n;
}

static void
request_init(FCGX_Request *req, char **envp)
{
	memset(req, 0, sizeof(*req));
	req->envp = envp;
	req->in = (FCGX_Stream *)(void *)&fake_in;
	req->out = (FCGX_Stream *)(void *)&fake_out;
	req->ipcFd = -1;
}

static int
setup(void **state)
{
	(void)state;
	memset(&io, 0, sizeof(io));
	buf_init(&io.written, BODY_MAX);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	buf_cleanup(&io.written);
	return 0;
}

/* Parameters. */

static void
test_param(void **state)
{
	char *envp[] = {
		"REQUEST_METHOD=POST",
		"CONTENT_LENGTH=12",
		"HTTP_TRACEPARENTX=nope",
		"HTTP_TRACEPARENT=00-abc",
		"EMPTY=",
		NULL,
	};
	FCGX_Request req;

	(void)state;
	request_init(&req, envp);
	assert_string_equal(fcgiio_param(&req, "REQUEST_METHOD"), "POST");
	assert_string_equal(fcgiio_param(&req, "CONTENT_LENGTH"), "12");
	assert_string_equal(fcgiio_param(&req, "HTTP_TRACEPARENT"), "00-abc");
	assert_string_equal(fcgiio_param(&req, "EMPTY"), "");
	assert_null(fcgiio_param(&req, "CONTENT_TYPE"));
	assert_null(fcgiio_param(&req, "REQUEST"));
	assert_null(fcgiio_param(&req, "HTTP_TRACE"));
}

static void
test_param_count(void **state)
{
	char *envp[] = {
		"HTTP_TRACEPARENT=00-a",
		"HTTP_TRACEPARENTX=00-b",
		"HTTP_TRACEPAREN=00-c",
		"HTTP_TRACESTATE=k=v",
		"HTTP_TRACEPARENT=00-d",
		"XHTTP_TRACEPARENT=00-e",
		NULL,
	};
	FCGX_Request req;

	(void)state;
	request_init(&req, envp);
	assert_int_equal(fcgiio_param_count(&req, "HTTP_TRACEPARENT"), 2);
	assert_int_equal(fcgiio_param_count(&req, "HTTP_TRACESTATE"), 1);
	assert_int_equal(fcgiio_param_count(&req, "HTTP_TRACEPARENTX"), 1);
	assert_int_equal(fcgiio_param_count(&req, "HTTP_TRACE"), 0);
	assert_int_equal(fcgiio_param_count(&req, "CONTENT_LENGTH"), 0);
}

/* Repeated headers join into one list; what does not fit is left out. */
static void
test_param_join(void **state)
{
	char *envp[] = {
		"HTTP_TRACESTATE=a=1",
		"HTTP_TRACESTATEX=no",
		"HTTP_TRACESTATE=bb=22",
		"HTTP_TRACESTATE=ccc=333",
		NULL,
	};
	FCGX_Request req;
	char out[64], small[12];

	(void)state;
	request_init(&req, envp);
	assert_string_equal(fcgiio_param_join(&req, "HTTP_TRACESTATE", out,
	    sizeof(out)), "a=1, bb=22, ccc=333");
	assert_string_equal(fcgiio_param_join(&req, "HTTP_TRACESTATE", small,
	    sizeof(small)), "a=1, bb=22");
	assert_null(fcgiio_param_join(&req, "HTTP_NONE", out, sizeof(out)));
	assert_null(fcgiio_param_join(&req, "HTTP_TRACESTATE", out, 0));
}

static void
test_param_no_env(void **state)
{
	char *envp[] = { NULL };
	FCGX_Request req;

	(void)state;
	request_init(&req, envp);
	assert_null(fcgiio_param(&req, "CONTENT_LENGTH"));
	assert_int_equal(fcgiio_param_count(&req, "CONTENT_LENGTH"), 0);
	request_init(&req, NULL);
	assert_int_equal(fcgiio_param_count(&req, "CONTENT_LENGTH"), 0);
}

/* The body. */

static int
read_body(const char *content_length, size_t limit, struct buf *out,
    int *status, char *err, size_t errlen)
{
	char cl[64];
	char *envp[] = { "REQUEST_METHOD=POST", cl, NULL };
	FCGX_Request req;

	if (content_length != NULL)
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%s", content_length);
	else
		envp[1] = NULL;
	request_init(&req, envp);
	buf_init(out, limit);
	*status = 0;
	err[0] = '\0';
	return fcgiio_read_body(&req, out, status, err, errlen);
}

static void
test_body_no_content_length(void **state)
{
	struct buf out;
	char err[128];
	int status;

	(void)state;
	io.body = "ignored";
	io.len = 7;
	assert_int_equal(read_body(NULL, 100, &out, &status, err,
	    sizeof(err)), 0);
	assert_non_null(out.data);
	assert_string_equal(out.data, "");
	assert_int_equal(out.len, 0);
	assert_int_equal(io.reads, 0);
	buf_cleanup(&out);
	assert_int_equal(read_body("", 100, &out, &status, err,
	    sizeof(err)), 0);
	assert_string_equal(out.data, "");
	assert_int_equal(io.reads, 0);
	buf_cleanup(&out);
	assert_int_equal(read_body("0", 100, &out, &status, err,
	    sizeof(err)), 0);
	assert_string_equal(out.data, "");
	assert_int_equal(io.reads, 0);
	buf_cleanup(&out);
}

static void
test_body_small(void **state)
{
	static const char body[] = "{\"messages\":[]}";
	struct buf out;
	char err[128], cl[16];
	int status;

	(void)state;
	io.body = body;
	io.len = strlen(body);
	snprintf(cl, sizeof(cl), "%zu", io.len);
	will_return(__wrap_FCGX_GetStr, 1 << 20);
	assert_int_equal(read_body(cl, 100, &out, &status, err,
	    sizeof(err)), 0);
	assert_int_equal(out.len, io.len);
	assert_string_equal(out.data, body);
	assert_int_equal(io.reads, 1);
	buf_cleanup(&out);
}

static void
test_body_in_chunks(void **state)
{
	const size_t len = 40000;	/* more than fcgiio's 16 KiB chunk */
	char *body = malloc(len);
	struct buf out;
	char err[128], cl[16];
	int status, i;

	(void)state;
	assert_non_null(body);
	for (size_t k = 0; k < len; k++)
		body[k] = (char)('a' + k % 26);
	io.body = body;
	io.len = len;
	snprintf(cl, sizeof(cl), "%zu", len);
	/* 5 reads of 7000, then whatever is left in pieces of <= 16384. */
	for (i = 0; i < 5; i++)
		will_return(__wrap_FCGX_GetStr, 7000);
	will_return(__wrap_FCGX_GetStr, 1);
	will_return(__wrap_FCGX_GetStr, 1 << 20);
	assert_int_equal(read_body(cl, len, &out, &status, err,
	    sizeof(err)), 0);
	assert_int_equal(io.reads, 7);
	assert_int_equal(io.pos, len);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, body, len);
	assert_int_equal(out.data[len], '\0');
	buf_cleanup(&out);
	free(body);
}

static void
test_body_limit_exact(void **state)
{
	struct buf out;
	char err[128];
	int status;

	(void)state;
	io.body = "0123456789";
	io.len = 10;
	will_return(__wrap_FCGX_GetStr, 4);
	will_return(__wrap_FCGX_GetStr, 6);
	assert_int_equal(read_body("10", 10, &out, &status, err,
	    sizeof(err)), 0);
	assert_string_equal(out.data, "0123456789");
	buf_cleanup(&out);
}

static void
test_body_over_limit_413(void **state)
{
	struct buf out;
	char err[128];
	int status;

	(void)state;
	io.body = "0123456789X";
	io.len = 11;
	/* No will_return: a read would fail the test. */
	assert_int_equal(read_body("11", 10, &out, &status, err,
	    sizeof(err)), -1);
	assert_int_equal(status, 413);
	assert_int_equal(io.reads, 0);
	assert_null(out.data);
	assert_int_equal(out.len, 0);
	assert_non_null(strstr(err, "10 bytes"));
	assert_int_equal(read_body("1099511627776", 10, &out, &status, err,
	    sizeof(err)), -1);
	assert_int_equal(status, 413);
	assert_int_equal(io.reads, 0);
}

static void
test_body_invalid_length_411(void **state)
{
	static const char *const bad[] = {
		"abc", "-1", "12x", "1.0", "0x10", "99999999999999999999",
		"1099511627777",	/* past the parser's 2^40 cap */
	};
	struct buf out;
	char err[128];
	int status;

	(void)state;
	io.body = "abc";
	io.len = 3;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (read_body(bad[i], 100, &out, &status, err,
		    sizeof(err)) != -1 || status != 411)
			fail_msg("Content-Length '%s': status %d", bad[i],
			    status);
		assert_non_null(strstr(err, "Content-Length"));
		assert_null(out.data);
	}
	assert_int_equal(io.reads, 0);
}

static void
test_body_ends_early_400(void **state)
{
	struct buf out;
	char err[128];
	int status;

	(void)state;
	io.body = "short";
	io.len = 5;
	will_return(__wrap_FCGX_GetStr, 3);
	will_return(__wrap_FCGX_GetStr, 1 << 20);	/* gives the last 2 */
	will_return(__wrap_FCGX_GetStr, 1 << 20);	/* gives 0: EOF */
	assert_int_equal(read_body("20", 100, &out, &status, err,
	    sizeof(err)), -1);
	assert_int_equal(status, 400);
	assert_int_equal(io.reads, 3);
	assert_non_null(strstr(err, "ended early"));
	buf_cleanup(&out);
}

static void
test_body_empty_stream_400(void **state)
{
	struct buf out;
	char err[128];
	int status;

	(void)state;
	io.body = "";
	io.len = 0;
	will_return(__wrap_FCGX_GetStr, 0);
	assert_int_equal(read_body("1", 100, &out, &status, err,
	    sizeof(err)), -1);
	assert_int_equal(status, 400);
	buf_cleanup(&out);
}

/* Responses. */

static void
test_respond_exact(void **state)
{
	static const char body[] = "{\"detail\":\"x\"}";
	static const char want[] =
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 14\r\n"
	    "X-Trace-Id: 0af7651916cd43dd8448eb211c80319c\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n"
	    "{\"detail\":\"x\"}";
	FCGX_Request req;

	(void)state;
	request_init(&req, NULL);
	fcgiio_respond(&req, 200, "application/json",
	    "X-Trace-Id: 0af7651916cd43dd8448eb211c80319c\r\n"
	    "Cache-Control: no-store\r\n", body, strlen(body));
	assert_int_equal(io.written.len, strlen(want));
	assert_string_equal(io.written.data, want);
}

static void
test_respond_no_extra(void **state)
{
	static const char want[] =
	    "Status: 405 Method Not Allowed\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 3\r\n"
	    "\r\n"
	    "no\n";
	FCGX_Request req;

	(void)state;
	request_init(&req, NULL);
	fcgiio_respond(&req, 405, "text/plain", NULL, "no\n", 3);
	assert_string_equal(io.written.data, want);
}

static void
test_respond_empty_body(void **state)
{
	static const char want[] =
	    "Status: 504 Gateway Timeout\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 0\r\n"
	    "\r\n";
	FCGX_Request req;

	(void)state;
	request_init(&req, NULL);
	fcgiio_respond(&req, 504, "application/json", NULL, NULL, 0);
	assert_string_equal(io.written.data, want);
	assert_int_equal(io.writes, 1);
}

static void
test_respond_binary_body(void **state)
{
	static const char body[4] = { 'a', '\0', 'b', '\0' };
	static const char head[] =
	    "Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Length: 4\r\n\r\n";
	FCGX_Request req;

	(void)state;
	request_init(&req, NULL);
	fcgiio_respond(&req, 200, "application/octet-stream", NULL, body, 4);
	assert_int_equal(io.written.len, strlen(head) + 4);
	assert_memory_equal(io.written.data, head, strlen(head));
	assert_memory_equal(io.written.data + strlen(head), body, 4);
}

static void
test_respond_oversized_headers_500(void **state)
{
	char extra[1100];
	FCGX_Request req;

	(void)state;
	memset(extra, 'h', sizeof(extra) - 3);
	memcpy(extra + sizeof(extra) - 3, "\r\n", 3);
	request_init(&req, NULL);
	fcgiio_respond(&req, 200, "text/plain", extra, NULL, 0);
	assert_string_equal(io.written.data,
	    "Status: 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
}

static void
test_status_text(void **state)
{
	static const struct { int status; const char *text; } t[] = {
		{ 200, "OK" }, { 202, "Accepted" }, { 400, "Bad Request" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 411, "Length Required" },
		{ 413, "Payload Too Large" }, { 422, "Unprocessable Entity" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
		{ 0, "Unknown" }, { 201, "Unknown" }, { 418, "Unknown" },
		{ -1, "Unknown" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(fcgiio_status_text(t[i].status), t[i].text);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_param),
		T(test_param_count),
		T(test_param_join),
		T(test_param_no_env),
		T(test_body_no_content_length),
		T(test_body_small),
		T(test_body_in_chunks),
		T(test_body_limit_exact),
		T(test_body_over_limit_413),
		T(test_body_invalid_length_411),
		T(test_body_ends_early_400),
		T(test_body_empty_stream_400),
		T(test_respond_exact),
		T(test_respond_no_extra),
		T(test_respond_empty_body),
		T(test_respond_binary_body),
		T(test_respond_oversized_headers_500),
		T(test_status_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
