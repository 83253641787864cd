/* test_route.c - chat-fcgi's routes: which handler each path goes to, the
 * body each is given, and the answers written. The FastCGI streams
 * (FCGX_GetStr, FCGX_PutStr), the turn (turn_run), the feedback contract
 * (feedback_handle) and the spool's counters (spool_get_stats) are
 * replaced at link time (tests/unit.cmake): the handlers have their own
 * tests; here only what route.c passes and answers is checked. */
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
#include "feedback.h"
#include "route.h"
#include "spool.h"
#include "turn.h"
#include "xalloc.h"

int __wrap_FCGX_GetStr(char *str, int n, FCGX_Stream *stream);
int __wrap_FCGX_PutStr(const char *str, int n, FCGX_Stream *stream);
void __wrap_turn_run(const struct turn_env *env, struct llm_client *llm,
    const struct turn_input *in, struct turn_output *out);
void __wrap_feedback_handle(struct spool *sp, const struct feedback_input *in,
    struct feedback_output *out);
void __wrap_spool_get_stats(struct spool *sp, struct spool_stats *st);

#define OUT_MAX		(64 * 1024)

/* Stand-ins for the request's streams and the spool: addresses only. */
static char fake_in, fake_out, fake_spool, fake_llm;

static struct {
	const char	*body;		/* what the web server sends */
	size_t		 len, pos;
	struct buf	 written;	/* everything FCGX_PutStr got */
	int		 turns, votes;	/* handler calls */
	char		 seen[256];	/* the body a handler got */
	const char	*seen_method;
	int		 seen_status;	/* its read error status */
	int		 answer;	/* the handler's status */
	int		 untraced;	/* the turn gives no ids */
} io;

int
__wrap_FCGX_GetStr(char *str, int n, FCGX_Stream *stream)
{
	size_t k = (size_t)n;

	assert_ptr_equal(stream, (FCGX_Stream *)(void *)&fake_in);
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
	assert_int_equal(buf_append(&io.written, str, (size_t)n), 0);
	return n;
}

static void
seen(const char *method, const char *body, size_t len, int status)
{
	io.seen_method = method;
	io.seen_status = status;
	snprintf(io.seen, sizeof(io.seen), "%.*s", (int)len,
	    body != NULL ? body : "");
}

void
__wrap_turn_run(const struct turn_env *env, struct llm_client *llm,
    const struct turn_input *in, struct turn_output *out)
{
	assert_ptr_equal(env->spool, (struct spool *)(void *)&fake_spool);
	assert_ptr_equal(llm, (struct llm_client *)(void *)&fake_llm);
	io.turns++;
	seen(in->method, in->body, in->body_len, in->body_status);
	memset(out, 0, sizeof(*out));	/* as turn_run does */
	out->status = io.answer;
	out->body = xstrdup("{\"turn\":1}");
	if (io.untraced)
		return;
	snprintf(out->trace_id, sizeof(out->trace_id), "%032x", 7);
	snprintf(out->span_id, sizeof(out->span_id), "%016x", 8);
}

void
__wrap_feedback_handle(struct spool *sp, const struct feedback_input *in,
    struct feedback_output *out)
{
	assert_ptr_equal(sp, (struct spool *)(void *)&fake_spool);
	io.votes++;
	seen(in->method, in->body, in->body_len, in->body_status);
	out->status = io.answer;
	out->body = xstrdup("{\"id\":\"fb-1\"}");
	out->headers = io.answer == 405 ? "Allow: POST\r\n" : NULL;
}

void
__wrap_spool_get_stats(struct spool *sp, struct spool_stats *st)
{
	assert_ptr_equal(sp, (struct spool *)(void *)&fake_spool);
	memset(st, 0, sizeof(*st));
	st->dropped_turns = 1;
	st->dropped_spans = 2;
	st->dropped_feedback = 3;
	st->capped_segments = 4;
	st->capped_bytes = 5;
}

static const struct turn_env env_turn = {
	.spool = (struct spool *)(void *)&fake_spool,
	.tracing = 1,
};
static const struct route_env env = { .turn = &env_turn,
    .chat_max_body = 1024 };
static const struct turn_env env_turn_off = {	/* OTEL_SDK_DISABLED */
	.spool = (struct spool *)(void *)&fake_spool,
};
static const struct route_env env_off = { .turn = &env_turn_off,
    .chat_max_body = 1024 };

/* Serve one request with these parameters (NULL-terminated) and body;
 * returns what was written, NUL-terminated. */
static const char *
serve_with(const struct route_env *e, char **envp, const char *body)
{
	FCGX_Request req;

	memset(&req, 0, sizeof(req));
	req.envp = envp;
	req.in = (FCGX_Stream *)(void *)&fake_in;
	req.out = (FCGX_Stream *)(void *)&fake_out;
	req.ipcFd = -1;
	io.body = body;
	io.len = body != NULL ? strlen(body) : 0;
	route_handle(&req, e, (struct llm_client *)(void *)&fake_llm);
	assert_int_equal(buf_append(&io.written, "", 1), 0);
	return io.written.data;
}

static const char *
serve(char **envp, const char *body)
{
	return serve_with(&env, envp, body);
}

static int
setup(void **state)
{
	(void)state;
	memset(&io, 0, sizeof(io));
	buf_init(&io.written, OUT_MAX);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	buf_cleanup(&io.written);
	return 0;
}

static void
test_find(void **state)
{
	(void)state;
	assert_int_equal(route_find("/chat"), ROUTE_CHAT);
	assert_int_equal(route_find("/feedback"), ROUTE_FEEDBACK);
	assert_int_equal(route_find("/healthz"), ROUTE_HEALTHZ);
	assert_int_equal(route_find("/chat/"), ROUTE_NOT_FOUND);
	assert_int_equal(route_find("/Chat"), ROUTE_NOT_FOUND);
	assert_int_equal(route_find("/"), ROUTE_NOT_FOUND);
	assert_int_equal(route_find(""), ROUTE_NOT_FOUND);
	assert_int_equal(route_find(NULL), ROUTE_NOT_FOUND);
}

static void
test_healthz_body(void **state)
{
	struct spool_stats st = { .dropped_turns = 10, .dropped_spans = 20,
	    .dropped_feedback = 30, .capped_segments = 40,
	    .capped_bytes = 50 };
	const char *want = "{\"status\":\"ok\",\"tracing\":true,\"spool\":{"
	    "\"dropped_turns\":10,\"dropped_spans\":20,"
	    "\"dropped_feedback\":30,\"capped_segments\":40}}";
	char out[320], small[16];

	(void)state;
	assert_int_equal(route_healthz_body(&st, 1, out, sizeof(out)),
	    (int)strlen(want));
	assert_string_equal(out, want);
	assert_int_equal(route_healthz_body(&st, 0, out, sizeof(out)),
	    (int)strlen(want) + 1);
	assert_non_null(strstr(out, "\"tracing\":false,"));
	assert_int_equal(route_healthz_body(&st, 1, small, sizeof(small)), -1);
}

/* /chat: the POST body goes to the turn; the answer carries its trace. */
static void
test_chat(void **state)
{
	char *envp[] = { "DOCUMENT_URI=/chat", "REQUEST_METHOD=POST",
	    "CONTENT_LENGTH=7", NULL };
	const char *w;

	(void)state;
	io.answer = 200;
	w = serve(envp, "{\"a\":1}");
	assert_int_equal(io.turns, 1);
	assert_int_equal(io.votes, 0);
	assert_string_equal(io.seen, "{\"a\":1}");
	assert_string_equal(io.seen_method, "POST");
	assert_string_equal(w, "Status: 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: 10\r\nX-Trace-Id: "
	    "00000000000000000000000000000007\r\n\r\n{\"turn\":1}");
}

/* A turn without trace ids (tracing off) gets no X-Trace-Id header. */
static void
test_chat_untraced(void **state)
{
	char *envp[] = { "DOCUMENT_URI=/chat", "REQUEST_METHOD=POST",
	    "CONTENT_LENGTH=7", NULL };
	const char *w;

	(void)state;
	io.answer = 200;
	io.untraced = 1;
	w = serve_with(&env_off, envp, "{\"a\":1}");
	assert_string_equal(w,
	    "Status: 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 10\r\n\r\n{\"turn\":1}");
	assert_int_equal(io.turns, 1);
}

/* With tracing off a vote has no span to annotate: 503, nothing read
 * and nothing handed to the feedback contract. */
static void
test_feedback_tracing_off(void **state)
{
	char *envp[] = { "DOCUMENT_URI=/feedback", "REQUEST_METHOD=POST",
	    "CONTENT_LENGTH=2", NULL };
	const char *w;

	(void)state;
	io.answer = 202;
	w = serve_with(&env_off, envp, "{}");
	assert_int_equal(io.votes, 0);
	assert_int_equal(io.pos, 0);
	assert_int_equal(strncmp(w, "Status: 503 ", 12), 0);
	assert_non_null(strstr(w, "OTEL_SDK_DISABLED"));
}

/* /chat by GET: no body is read, and the turn's 405 names POST. */
static void
test_chat_get(void **state)
{
	char *envp[] = { "DOCUMENT_URI=/chat", "REQUEST_METHOD=GET",
	    "CONTENT_LENGTH=7", NULL };
	const char *w;

	(void)state;
	io.answer = 405;
	w = serve(envp, "{\"a\":1}");
	assert_int_equal(io.turns, 1);
	assert_string_equal(io.seen, "");
	assert_int_equal(io.pos, 0);
	assert_non_null(strstr(w, "Status: 405 "));
	assert_non_null(strstr(w, "X-Trace-Id: "
	    "00000000000000000000000000000007\r\nAllow: POST\r\n\r\n"));
}

/* A body over CHAT_MAX_BODY is the turn's 413, not read. */
static void
test_chat_too_large(void **state)
{
	char *envp[] = { "DOCUMENT_URI=/chat", "REQUEST_METHOD=POST",
	    "CONTENT_LENGTH=2048", NULL };

	(void)state;
	io.answer = 413;
	serve(envp, "{}");
	assert_int_equal(io.turns, 1);
	assert_int_equal(io.seen_status, 413);
	assert_int_equal(io.pos, 0);
}

/* /feedback: the body to the feedback contract, its answer as given. */
static void
test_feedback(void **state)
{
	char *envp[] = { "DOCUMENT_URI=/feedback", "REQUEST_METHOD=POST",
	    "CONTENT_LENGTH=2", NULL };
	const char *w;

	(void)state;
	io.answer = 202;
	w = serve(envp, "{}");
	assert_int_equal(io.votes, 1);
	assert_int_equal(io.turns, 0);
	assert_string_equal(io.seen, "{}");
	assert_int_equal(strncmp(w, "Status: 202 ", 12), 0);
	assert_non_null(strstr(w, "\r\nContent-Type: application/json\r\n"
	    "Content-Length: 13\r\n\r\n{\"id\":\"fb-1\"}"));
}

/* /feedback has its own limit, larger than this /chat's. */
static void
test_feedback_limit(void **state)
{
	char len[64];
	char *envp[] = { "DOCUMENT_URI=/feedback", "REQUEST_METHOD=POST",
	    len, NULL };

	(void)state;
	io.answer = 202;
	snprintf(len, sizeof(len), "CONTENT_LENGTH=%d", FEEDBACK_MAX_BODY + 1);
	serve(envp, "{}");
	assert_int_equal(io.seen_status, 413);
	snprintf(len, sizeof(len), "CONTENT_LENGTH=%d", 2000);
	serve(envp, "{}");
	/* Not 413: the body ended early (400), it was read. */
	assert_int_equal(io.seen_status, 400);
}

static void
test_healthz(void **state)
{
	char *get[] = { "DOCUMENT_URI=/healthz", "REQUEST_METHOD=GET", NULL };
	char *head[] = { "DOCUMENT_URI=/healthz", "REQUEST_METHOD=HEAD", NULL };
	const char *want = "Status: 200 OK\r\nContent-Type: application/json"
	    "\r\nContent-Length: 117\r\n\r\n{\"status\":\"ok\",\"tracing\":true,\"spool\":{"
	    "\"dropped_turns\":1,\"dropped_spans\":2,\"dropped_feedback\":3,"
	    "\"capped_segments\":4}}";

	(void)state;
	assert_string_equal(serve(get, NULL), want);
	io.written.len = 0;
	assert_string_equal(serve(head, NULL), want);
}

static void
test_healthz_post(void **state)
{
	char *envp[] = { "DOCUMENT_URI=/healthz", "REQUEST_METHOD=POST",
	    "CONTENT_LENGTH=2", NULL };

	(void)state;
	assert_string_equal(serve(envp, "{}"), "Status: 405 Method Not "
	    "Allowed\r\nContent-Type: application/json\r\nContent-Length: "
	    "40\r\nAllow: GET\r\n\r\n"
	    "{\"detail\":\"method not allowed: use GET\"}");
	assert_int_equal(io.pos, 0);
}

static void
test_not_found(void **state)
{
	char *other[] = { "DOCUMENT_URI=/v1/chat", "REQUEST_METHOD=POST",
	    NULL };
	char *none[] = { "REQUEST_METHOD=GET", NULL };
	const char *want = "Status: 404 Not Found\r\nContent-Type: "
	    "application/json\r\nContent-Length: 22\r\n\r\n"
	    "{\"detail\":\"not found\"}";

	(void)state;
	assert_string_equal(serve(other, NULL), want);
	io.written.len = 0;
	assert_string_equal(serve(none, NULL), want);
	assert_int_equal(io.turns + io.votes, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_healthz_body),
		cmocka_unit_test_setup_teardown(test_chat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chat_untraced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_feedback_tracing_off, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_chat_too_large, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_feedback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feedback_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz_post, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
