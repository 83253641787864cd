/* turn.c - one traced /chat turn (see turn.h). json-c trees belong to
 * struct chat_request; strings from chat_* and llm_* are freed here. */
#include "turn.h"
#include "hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "log.h"
#include "xalloc.h"

struct turn {
	const struct turn_env	*env;
	struct span		*span;		/* chat_turn */
	struct span		*llm_span;	/* completion, once started */
	struct chat_request	 req;
	int			 parsed;
	struct turn_output	*out;
};

/* Start chat_turn: a root span that links an incoming context, or its
 * child when the gateway in front is trusted. */
static struct span *
turn_start_span(const struct turn_env *env, const struct turn_input *in)
{
	struct tracectx remote;
	int have_remote = 0;
	struct span *s;

	memset(&remote, 0, sizeof(remote));
	if (in->traceparent != NULL && in->traceparent_count == 1 &&
	    tracectx_parse_traceparent(in->traceparent, &remote) == 0) {
		have_remote = 1;
		if (in->tracestate != NULL &&
		    tracectx_parse_tracestate(in->tracestate, &remote) == -1)
			remote.tracestate[0] = '\0';
	}
	s = span_start("chat_turn", SPAN_KIND_SERVER,
	    have_remote && env->trust_traceparent ? &remote : NULL);
	if (s == NULL)
		return NULL;
	if (have_remote && !env->trust_traceparent)
		span_add_link(s, &remote);
	span_set_str(s, "openinference.span.kind", "AGENT");
	span_set_str(s, "agent.name", "recipe-chatbot");
	return s;
}

static void
turn_fail(struct turn *t, int status, const char *type, const char *msg)
{
	t->out->status = status;
	t->out->body = chat_error_json(msg);
	span_add_exception(t->span, type, msg, 1);
	span_set_status(t->span, SPAN_STATUS_ERROR, msg);
}

static void
turn_set_context(struct span *s, const struct chat_request *req)
{
	span_set_str(s, "session.id", req->session_id);
}

static struct span *
turn_start_llm_span(struct turn *t)
{
	const struct llm_config *cfg = t->env->llm;
	const struct chat_request *req = &t->req;
	struct span *s;
	char key[64], *json;

	s = span_start("completion", SPAN_KIND_CLIENT, span_context(t->span));
	if (s == NULL)
		return NULL;
	span_set_str(s, "openinference.span.kind", "LLM");
	turn_set_context(s, req);
	span_set_str(s, "llm.model_name", cfg->model);
	span_set_str(s, "llm.provider", cfg->provider);
	span_set_str(s, "llm.system", cfg->system);
	span_set_str(s, "llm.invocation_parameters", t->env->invocation_params);
	for (size_t i = 0; i < req->n_messages; i++) {
		snprintf(key, sizeof(key), "llm.input_messages.%zu.message.role", i);
		span_set_str(s, key, req->messages[i].role);
		snprintf(key, sizeof(key), "llm.input_messages.%zu.message.content", i);
		span_set_str(s, key, req->messages[i].content);
	}
	json = chat_messages_json(req->messages, req->n_messages);
	span_set_str(s, "input.value", json);
	span_set_str(s, "input.mime_type", "application/json");
	free(json);
	return s;
}

/* The OpenInference token counts Phoenix prices a call by (docs/spans.md);
 * a count the endpoint did not report is left out, never written as 0. */
static void
turn_record_tokens(struct span *s, const struct llm_result *res)
{
	const struct {
		const char	*key;
		int64_t		 n;
	} counts[] = {
		{ "llm.token_count.prompt", res->prompt_tokens },
		{ "llm.token_count.completion", res->completion_tokens },
		{ "llm.token_count.total", res->total_tokens },
		{ "llm.token_count.prompt_details.cache_read",
		    res->cache_read_tokens },
		{ "llm.token_count.prompt_details.cache_write",
		    res->cache_write_tokens },
		{ "llm.token_count.prompt_details.audio",
		    res->prompt_audio_tokens },
		{ "llm.token_count.completion_details.reasoning",
		    res->reasoning_tokens },
		{ "llm.token_count.completion_details.audio",
		    res->completion_audio_tokens },
	};

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (counts[i].n >= 0)
			span_set_int(s, counts[i].key, counts[i].n);
}

static void
turn_record_reply(struct span *s, const struct llm_result *res)
{
	if (res->model != NULL)
		span_set_str(s, "llm.model_name", res->model);
	span_set_str(s, "llm.output_messages.0.message.role", "assistant");
	span_set_str(s, "llm.output_messages.0.message.content", res->content);
	if (res->finish_reason != NULL)
		span_set_str(s, "llm.finish_reason", res->finish_reason);
	turn_record_tokens(s, res);
	span_set_str(s, "output.value", res->content);
	span_set_str(s, "output.mime_type", "text/plain");
	span_set_status(s, SPAN_STATUS_OK, NULL);
}

static const char *
turn_llm_error_type(enum llm_error e)
{
	switch (e) {
	case LLM_ERR_TIMEOUT:	return "LLMTimeoutError";
	case LLM_ERR_CONNECT:	return "LLMConnectionError";
	case LLM_ERR_HTTP:	return "LLMHTTPError";
	case LLM_ERR_RESPONSE:	return "LLMResponseError";
	default:		return "LLMError";
	}
}

/* What a client is told of a failed model call: the kind of failure and
 * the trace to look up, never the endpoint's own text (it may echo the
 * request, a key or internal names); that text stays in the span and the
 * log. */
static void
turn_llm_detail(const struct llm_result *res, const char *trace_id,
    char *out, size_t outlen)
{
	char ref[48] = "";

	if (trace_id[0] != '\0')
		snprintf(ref, sizeof(ref), " (trace %s)", trace_id);
	switch (res->error) {
	case LLM_ERR_TIMEOUT:
		snprintf(out, outlen, "model endpoint timed out%s", ref);
		break;
	case LLM_ERR_HTTP:
		if (res->http_status > 0) {
			snprintf(out, outlen, "model endpoint answered HTTP %d%s",
			    (int)res->http_status, ref);
			break;
		}
		/* FALLTHROUGH */
	case LLM_ERR_RESPONSE:
		snprintf(out, outlen, "model endpoint gave an unusable "
		    "answer%s", ref);
		break;
	default:
		snprintf(out, outlen, "model endpoint unreachable%s", ref);
	}
}

/* The model call under its own span; fills the response or the error. */
static void
turn_call_model(struct turn *t, struct llm_client *llm)
{
	char traceparent[TRACECTX_TRACEPARENT_LEN + 1];
	struct llm_result res;
	const char *type;
	char detail[128];

	if (t->span != NULL) {
		if ((t->llm_span = turn_start_llm_span(t)) == NULL) {
			turn_fail(t, 500, "InternalError",
			    "no random bytes for span ids");
			return;
		}
		tracectx_format_traceparent(span_context(t->llm_span),
		    traceparent);
	}
	if (llm_complete(llm, t->req.messages, t->req.n_messages,
	    t->llm_span != NULL ? traceparent : NULL, &res) == 0) {
		turn_record_reply(t->llm_span, &res);
		span_set_str(t->span, "output.value", res.content);
		span_set_str(t->span, "output.mime_type", "text/plain");
		span_set_status(t->span, SPAN_STATUS_OK, NULL);
		t->out->status = 200;
		t->out->body = chat_response_json(&t->req, res.content,
		    t->span != NULL ? t->out->trace_id : NULL,
		    t->span != NULL ? t->out->span_id : NULL);
	} else {
		type = turn_llm_error_type(res.error);
		if (res.http_status > 0)
			span_set_int(t->llm_span, "http.response.status_code",
			    res.http_status);
		span_add_exception(t->llm_span, type, res.errmsg, 1);
		span_set_status(t->llm_span, SPAN_STATUS_ERROR, res.errmsg);
		turn_llm_detail(&res, t->out->trace_id, detail, sizeof(detail));
		turn_fail(t, res.error == LLM_ERR_TIMEOUT ? 504 : 502, type,
		    detail);
		log_warnx("trace %s session %s: %s", t->out->trace_id[0] ?
		    t->out->trace_id : "(off)", t->req.session_id, res.errmsg);
	}
	span_end(t->llm_span);
	llm_result_cleanup(&res);
}

static void
turn_handle(struct turn *t, struct llm_client *llm, const struct turn_input *in)
{
	char err[256];
	int status;

	span_set_str(t->span, "http.request.method", in->method ? in->method : "");
	if (in->method == NULL || strcmp(in->method, "POST") != 0) {
		turn_fail(t, 405, "MethodNotAllowed", "method not allowed: use POST");
		return;
	}
	if (in->body == NULL) {
		turn_fail(t, in->body_status ? in->body_status : 400,
		    "RequestError", in->body_error ? in->body_error :
		    "no request body");
		return;
	}
	t->parsed = 1;
	if (chat_parse_request(in->body, in->body_len, &t->req, &status, err,
	    sizeof(err)) == -1) {
		turn_fail(t, status, status == 400 ? "JSONDecodeError" :
		    "ValidationError", err);
		return;
	}
	turn_set_context(t->span, &t->req);
	span_set_str(t->span, "input.value",
	    t->req.last_user != NULL ? t->req.last_user : "");
	span_set_str(t->span, "input.mime_type", "text/plain");
	turn_call_model(t, llm);
}

static void
turn_write_spans(struct turn *t)
{
	const struct span *spans[2];
	size_t n = 0;

	if (t->span == NULL)
		return;

	if (t->llm_span != NULL)
		spans[n++] = t->llm_span;
	spans[n++] = t->span;
	if (spool_append(t->env->spool, spans, n) == -1)
		log_warnx("%s: spans of trace %s not spooled", __func__,
		    t->out->trace_id);
}

void
turn_run(const struct turn_env *env, struct llm_client *llm,
    const struct turn_input *in, struct turn_output *out)
{
	struct turn t = { .env = env, .out = out };

	memset(out, 0, sizeof(*out));
	if (env->tracing) {
		if ((t.span = turn_start_span(env, in)) == NULL) {
			out->status = 500;
			out->body = chat_error_json(
			    "internal error: no random bytes");
			return;
		}
		hex_encode(span_context(t.span)->trace_id, 16, out->trace_id);
		hex_encode(span_context(t.span)->span_id, 8, out->span_id);
	}
	turn_handle(&t, llm, in);
	span_set_int(t.span, "http.response.status_code", out->status);
	span_end(t.span);
	turn_write_spans(&t);
	if (t.parsed)
		chat_request_cleanup(&t.req);
	span_free(t.llm_span);
	span_free(t.span);
}
