/* route.c - chat-fcgi's routes: which handler a request goes to, its body
 * read under that route's limit, and the FastCGI answer. The contracts
 * themselves are chat.c's, turn.c's and feedback.c's. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chat.h"
#include "fcgiio.h"
#include "feedback.h"
#include "route.h"

/* A request body as the handlers take it: read for POST only. */
struct route_body {
	struct buf	 buf;
	const char	*data;		/* NULL when none was read */
	size_t		 len;
	int		 status;	/* HTTP status of a failed read, or 0 */
	const char	*error;		/* its message, or NULL */
	char		 err[160];
};

enum route_id
route_find(const char *uri)
{
	if (uri == NULL)
		return ROUTE_NOT_FOUND;
	if (strcmp(uri, "/chat") == 0)
		return ROUTE_CHAT;
	if (strcmp(uri, "/feedback") == 0)
		return ROUTE_FEEDBACK;
	if (strcmp(uri, "/healthz") == 0)
		return ROUTE_HEALTHZ;
	return ROUTE_NOT_FOUND;
}

int
route_healthz_body(const struct spool_stats *st, int tracing, char *out,
    size_t outlen)
{
	int n;

	n = snprintf(out, outlen, "{\"status\":\"ok\",\"tracing\":%s,"
	    "\"spool\":{\"dropped_turns\":%llu,\"dropped_spans\":%llu,"
	    "\"dropped_feedback\":%llu,\"capped_segments\":%llu}}",
	    tracing ? "true" : "false", st->dropped_turns, st->dropped_spans,
	    st->dropped_feedback, st->capped_segments);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

/* An error answer: {"detail": msg}, with extra header lines or NULL. */
static void
route_error(FCGX_Request *req, int status, const char *headers,
    const char *msg)
{
	char *body = chat_error_json(msg);

	fcgiio_respond(req, status, "application/json", headers, body,
	    strlen(body));
	free(body);
}

/* Read the body of a POST (other methods are the handler's 405). */
static void
route_read(FCGX_Request *req, const char *method, size_t max,
    struct route_body *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->buf, max);
	if (method == NULL || strcmp(method, "POST") != 0)
		return;
	if (fcgiio_read_body(req, &b->buf, &b->status, b->err,
	    sizeof(b->err)) == 0) {
		b->data = b->buf.data;
		b->len = b->buf.len;
	} else
		b->error = b->err;
}

static void
route_chat(FCGX_Request *req, const struct route_env *env,
    struct llm_client *llm)
{
	struct turn_input in = { 0 };
	struct turn_output out;
	struct route_body b;
	char hdr[80], tracestate[2048];

	in.method = fcgiio_param(req, "REQUEST_METHOD");
	in.traceparent = fcgiio_param(req, "HTTP_TRACEPARENT");
	in.traceparent_count = fcgiio_param_count(req, "HTTP_TRACEPARENT");
	/* Several tracestate headers make one list (W3C Trace Context). */
	in.tracestate = fcgiio_param_join(req, "HTTP_TRACESTATE", tracestate,
	    sizeof(tracestate));
	route_read(req, in.method, env->chat_max_body, &b);
	in.body = b.data;
	in.body_len = b.len;
	in.body_status = b.status;
	in.body_error = b.error;
	turn_run(env->turn, llm, &in, &out);
	snprintf(hdr, sizeof(hdr), "%s%s%s%s",
	    out.trace_id[0] != '\0' ? "X-Trace-Id: " : "", out.trace_id,
	    out.trace_id[0] != '\0' ? "\r\n" : "",
	    out.status == 405 ? "Allow: POST\r\n" : "");
	fcgiio_respond(req, out.status, "application/json", hdr, out.body,
	    strlen(out.body));
	free(out.body);
	buf_cleanup(&b.buf);
	if (in.body_len >= ROUTE_TRIM_AFTER)
		malloc_trim(0);
}

/* POST /feedback: the vote is in the spool before the answer. */
static void
route_feedback(FCGX_Request *req, const struct route_env *env)
{
	struct feedback_input in = { 0 };
	struct feedback_output out;
	struct route_body b;

	/* A vote annotates a span: with tracing off there is none. */
	if (!env->turn->tracing) {
		route_error(req, 503, NULL, "feedback is off: tracing is "
		    "disabled on this server (OTEL_SDK_DISABLED)");
		return;
	}
	in.method = fcgiio_param(req, "REQUEST_METHOD");
	route_read(req, in.method, FEEDBACK_MAX_BODY, &b);
	in.body = b.data;
	in.body_len = b.len;
	in.body_status = b.status;
	in.body_error = b.error;
	feedback_handle(env->turn->spool, &in, &out);
	fcgiio_respond(req, out.status, "application/json", out.headers,
	    out.body, strlen(out.body));
	free(out.body);
	buf_cleanup(&b.buf);
}

/* GET /healthz: this worker's spool drops (each worker has its own). */
static void
route_healthz(FCGX_Request *req, const struct route_env *env)
{
	const char *method = fcgiio_param(req, "REQUEST_METHOD");
	struct spool_stats st;
	char ok[320];
	int n;

	if (method == NULL || (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0)) {
		route_error(req, 405, "Allow: GET\r\n",
		    "method not allowed: use GET");
		return;
	}
	spool_get_stats(env->turn->spool, &st);
	if ((n = route_healthz_body(&st, env->turn->tracing, ok,
	    sizeof(ok))) == -1) {
		route_error(req, 500, NULL, "internal error");
		return;
	}
	fcgiio_respond(req, 200, "application/json", NULL, ok, (size_t)n);
}

void
route_handle(FCGX_Request *req, const struct route_env *env,
    struct llm_client *llm)
{
	switch (route_find(fcgiio_param(req, "DOCUMENT_URI"))) {
	case ROUTE_CHAT:
		route_chat(req, env, llm);
		break;
	case ROUTE_FEEDBACK:
		route_feedback(req, env);
		break;
	case ROUTE_HEALTHZ:
		route_healthz(req, env);
		break;
	default:
		route_error(req, 404, NULL, "not found");
		break;
	}
}
