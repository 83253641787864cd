/* test_turn.c - one /chat turn end to end without a network: llm_complete
 * is replaced at link time (-Wl,--wrap=llm_complete, tests/unit.cmake) by
 * a double that records what it was given and answers as queued with
 * will_return. Spans go to a real spool in a temp dir and are read back
 * with json-c. json-c: every tree parsed here is put by its test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chat.h"
#include "llm.h"
#include "log.h"
#include "spool.h"
#include "testutil.h"
#include "turn.h"
#include "xalloc.h"

int __wrap_llm_complete(struct llm_client *c, const struct llm_message *msgs,
    size_t n, const char *traceparent, struct llm_result *res);

#define MAX_SEEN	8
#define PATH_LEN	400
#define REMOTE_TRACE	"0af7651916cd43dd8448eb211c80319c"
#define REMOTE_SPAN	"b7ad6b7169203331"
#define REMOTE_TP	"00-" REMOTE_TRACE "-" REMOTE_SPAN "-01"
#define REMOTE_TS	"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
#define REPLY_MODEL	"gpt-4o-mini-2024-07-18"

/* What the model double answers. */
struct fake_reply {
	int		 rc;
	enum llm_error	 error;
	long		 http_status;
	const char	*content, *model, *finish_reason, *errmsg;
	int64_t		 prompt, completion, total;
	/* cache_read, cache_write, prompt audio, reasoning, completion audio;
	 * NULL: none reported. */
	const int64_t	*details;
};

/* The detail attributes, in the order of fake_reply.details. */
static const char *const detail_keys[] = {
	"llm.token_count.prompt_details.cache_read",
	"llm.token_count.prompt_details.cache_write",
	"llm.token_count.prompt_details.audio",
	"llm.token_count.completion_details.reasoning",
	"llm.token_count.completion_details.audio",
};

static const struct fake_reply reply_ok = {
	.rc = 0, .http_status = 200, .content = "Tomato soup: ...",
	.model = REPLY_MODEL, .finish_reason = "stop",
	.prompt = 120, .completion = 45, .total = 165,
};
static const struct fake_reply reply_timeout = {
	.rc = -1, .error = LLM_ERR_TIMEOUT,
	.errmsg = "model endpoint timed out after 5 s",
	.prompt = -1, .completion = -1, .total = -1,
};
static const struct fake_reply reply_http500 = {
	.rc = -1, .error = LLM_ERR_HTTP, .http_status = 500,
	.errmsg = "model endpoint answered 500",
	.prompt = -1, .completion = -1, .total = -1,
};

/* What the double was given. */
static struct {
	int			 calls;
	struct llm_client	*client;
	char			 traceparent[64];
	int			 had_traceparent;
	size_t			 n;
	char			*role[MAX_SEEN], *content[MAX_SEEN];
} seen;

static void
seen_reset(void)
{
	for (size_t i = 0; i < MAX_SEEN; i++) {
		free(seen.role[i]);
		free(seen.content[i]);
	}
	memset(&seen, 0, sizeof(seen));
}

int
__wrap_llm_complete(struct llm_client *c, const struct llm_message *msgs,
    size_t n, const char *traceparent, struct llm_result *res)
{
	const struct fake_reply *r = mock_ptr_type(const struct fake_reply *);

	seen.calls++;
	seen.client = c;
	seen.had_traceparent = traceparent != NULL;
	if (traceparent != NULL)
		snprintf(seen.traceparent, sizeof(seen.traceparent), "%s",
		    traceparent);
	seen.n = n;
	for (size_t i = 0; i < n && i < MAX_SEEN; i++) {
		seen.role[i] = xstrdup(msgs[i].role);
		seen.content[i] = xstrdup(msgs[i].content);
	}
	llm_result_init(res);
	res->error = r->error;
	res->http_status = r->http_status;
	res->content = r->content ? xstrdup(r->content) : NULL;
	res->model = r->model ? xstrdup(r->model) : NULL;
	res->finish_reason = r->finish_reason ? xstrdup(r->finish_reason) :
	    NULL;
	res->prompt_tokens = r->prompt;
	res->completion_tokens = r->completion;
	res->total_tokens = r->total;
	if (r->details != NULL) {
		res->cache_read_tokens = r->details[0];
		res->cache_write_tokens = r->details[1];
		res->prompt_audio_tokens = r->details[2];
		res->reasoning_tokens = r->details[3];
		res->completion_audio_tokens = r->details[4];
	}
	if (r->errmsg != NULL)
		snprintf(res->errmsg, sizeof(res->errmsg), "%s", r->errmsg);
	return r->rc;
}

struct fx {
	char			 top[64];	/* mkdtemp */
	char			 dir[96];
	struct llm_config	 cfg;
	struct spool		*spool;
	struct turn_env		 env;
	char			*params;	/* env.invocation_params */
	struct turn_output	 out;
	json_object		*resp;		/* parsed out.body */
	json_object		*lines;		/* array of spool lines */
	json_object		*turn, *llm;	/* spans found in lines */
};

static char fake_client;	/* an address to pass as the client */
#define CLIENT	((struct llm_client *)(void *)&fake_client)

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	char err[256];

	if (testutil_mkdtemp(fx->top, sizeof(fx->top), "test_turn") == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/spool", fx->top);
	fx->spool = spool_open(fx->dir, NULL, err, sizeof(err));
	if (fx->spool == NULL)
		return -1;
	/* llm_config_cleanup frees every string: give it heap copies. */
	fx->cfg.model = xstrdup("gpt-4o-mini");
	fx->cfg.model_spec = xstrdup("openai/gpt-4o-mini");
	fx->cfg.provider = xstrdup("openai");
	fx->cfg.system = xstrdup("openai");
	fx->cfg.base_url = xstrdup("http://127.0.0.1:9");
	fx->cfg.api_key = NULL;
	fx->cfg.timeout_s = 5;
	fx->cfg.max_response = 1 << 20;
	fx->env.llm = &fx->cfg;
	fx->params = llm_invocation_parameters(&fx->cfg);
	fx->env.invocation_params = fx->params;
	fx->env.spool = fx->spool;
	fx->env.trust_traceparent = 0;
	fx->env.tracing = 1;
	seen_reset();
	log_init("test_turn", LOG_LVL_ERROR);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	json_object_put(fx->resp);
	json_object_put(fx->lines);
	free(fx->out.body);
	spool_close(fx->spool);
	free(fx->params);
	llm_config_cleanup(&fx->cfg);
	testutil_rmtree(fx->top);
	seen_reset();
	free(fx);
	return 0;
}

/* json-c asserts on arrays of the wrong type: these answer 0 / NULL. */
static size_t
arr_len(json_object *a)
{
	return json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;
}

static json_object *
arr_get(json_object *a, size_t i)
{
	return i < arr_len(a) ? json_object_array_get_idx(a, i) : NULL;
}

/* Reading the spool back. */

static void
read_segment(struct fx *fx, const char *name)
{
	char path[PATH_LEN];
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	json_object *o;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while ((len = getline(&line, &cap, fp)) > 0) {
		assert_int_equal(line[len - 1], '\n');
		o = json_tokener_parse(line);
		if (o == NULL)
			fail_msg("unparsable spool line: %s", line);
		json_object_array_add(fx->lines, o);
	}
	free(line);
	fclose(fp);
}

/* The span called name in the only spool line, or NULL. */
static json_object *
find_span(json_object *line, const char *name)
{
	json_object *rs, *ss, *spans, *sp, *nm;

	rs = arr_get(json_object_object_get(line,
	    "resourceSpans"), 0);
	ss = arr_get(json_object_object_get(rs,
	    "scopeSpans"), 0);
	spans = json_object_object_get(ss, "spans");
	for (size_t i = 0; i < arr_len(spans); i++) {
		sp = arr_get(spans, i);
		nm = json_object_object_get(sp, "name");
		if (nm != NULL && strcmp(json_object_get_string(nm), name) == 0)
			return sp;
	}
	return NULL;
}

static size_t
span_count(json_object *line)
{
	json_object *rs, *ss;

	rs = arr_get(json_object_object_get(line,
	    "resourceSpans"), 0);
	ss = arr_get(json_object_object_get(rs,
	    "scopeSpans"), 0);
	return arr_len(json_object_object_get(ss, "spans"));
}

/* Read every segment: one turn must have written exactly one line. */
static void
load_spool(struct fx *fx)
{
	struct dirent *de;
	DIR *d;

	fx->lines = json_object_new_array();
	d = opendir(fx->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "spans-", 6) == 0)
			read_segment(fx, de->d_name);
	closedir(d);
	assert_int_equal(arr_len(fx->lines), 1);
	fx->turn = find_span(arr_get(fx->lines, 0),
	    "chat_turn");
	fx->llm = find_span(arr_get(fx->lines, 0),
	    "completion");
	assert_non_null(fx->turn);
}

static void
run(struct fx *fx, const struct turn_input *in)
{
	turn_run(&fx->env, CLIENT, in, &fx->out);
	assert_non_null(fx->out.body);
	fx->resp = json_tokener_parse(fx->out.body);
	if (fx->resp == NULL)
		fail_msg("response is not JSON: %s", fx->out.body);
	load_spool(fx);
}

static void
run_body(struct fx *fx, const char *body)
{
	struct turn_input in = {
		.method = "POST", .body = body, .body_len = strlen(body),
	};

	run(fx, &in);
}

/* Span fields. */

static const char *
str_field(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
attr_value(json_object *attrs, const char *key)
{
	json_object *kv;

	for (size_t i = 0; i < arr_len(attrs); i++) {
		kv = arr_get(attrs, i);
		if (strcmp(str_field(kv, "key"), key) == 0)
			return json_object_object_get(kv, "value");
	}
	return NULL;
}

/* A string attribute, or NULL when absent or of another type. */
static const char *
attr_str(json_object *span, const char *key)
{
	json_object *v = attr_value(json_object_object_get(span, "attributes"),
	    key);

	return v != NULL ? str_field(v, "stringValue") : NULL;
}

/* An integer attribute as OTLP/JSON writes it: a decimal string. */
static const char *
attr_int(json_object *span, const char *key)
{
	json_object *v = attr_value(json_object_object_get(span, "attributes"),
	    key), *i;

	if (v == NULL || !json_object_object_get_ex(v, "intValue", &i))
		return NULL;
	assert_true(json_object_is_type(i, json_type_string));
	return json_object_get_string(i);
}

static int
status_code(json_object *span)
{
	json_object *st = json_object_object_get(span, "status");

	return json_object_get_int(json_object_object_get(st, "code"));
}

static int
span_kind(json_object *span)
{
	return json_object_get_int(json_object_object_get(span, "kind"));
}

/* The one exception event of a span, checked, with its type. */
static void
assert_exception(json_object *span, const char *type)
{
	json_object *evs = json_object_object_get(span, "events"), *ev, *attrs,
	    *esc;

	assert_non_null(evs);
	assert_int_equal(arr_len(evs), 1);
	ev = arr_get(evs, 0);
	assert_string_equal(str_field(ev, "name"), "exception");
	attrs = json_object_object_get(ev, "attributes");
	assert_string_equal(str_field(attr_value(attrs, "exception.type"),
	    "stringValue"), type);
	assert_non_null(attr_value(attrs, "exception.message"));
	esc = attr_value(attrs, "exception.escaped");
	assert_non_null(esc);
	assert_true(json_object_get_boolean(json_object_object_get(esc,
	    "boolValue")));
}

static void
assert_error_turn(struct fx *fx, int status, const char *type)
{
	const char *msg;

	assert_int_equal(fx->out.status, status);
	msg = str_field(fx->resp, "detail");
	assert_non_null(msg);
	assert_true(strlen(msg) > 0);
	assert_int_equal(span_kind(fx->turn), 2);
	assert_int_equal(status_code(fx->turn), 2);
	assert_string_equal(str_field(json_object_object_get(fx->turn,
	    "status"), "message"), msg);
	assert_exception(fx->turn, type);
	assert_string_equal(attr_str(fx->turn, "openinference.span.kind"),
	    "AGENT");
	assert_string_equal(str_field(fx->turn, "traceId"), fx->out.trace_id);
}

/* Success. */

static const char two_turns[] =
    "{\"messages\":["
    "{\"role\":\"user\",\"content\":\"Something with eggs\"},"
    "{\"role\":\"assistant\",\"content\":\"Shakshuka: ...\"},"
    "{\"role\":\"user\",\"content\":\"Now a soup\"}],"
    "\"session_id\":\"sess-42\"}";

static void
test_ok_response(void **state)
{
	struct fx *fx = *state;
	json_object *msgs, *m;

	will_return(__wrap_llm_complete, &reply_ok);
	run_body(fx, two_turns);
	assert_int_equal(fx->out.status, 200);
	assert_int_equal(seen.calls, 1);
	assert_ptr_equal(seen.client, CLIENT);
	assert_string_equal(str_field(fx->resp, "session_id"), "sess-42");
	/* The body names its turn: the chat_turn span's ids. */
	assert_string_equal(str_field(fx->resp, "trace_id"), fx->out.trace_id);
	assert_string_equal(str_field(fx->resp, "span_id"), fx->out.span_id);
	assert_string_equal(str_field(fx->turn, "traceId"), fx->out.trace_id);
	assert_string_equal(str_field(fx->turn, "spanId"), fx->out.span_id);
	msgs = json_object_object_get(fx->resp, "messages");
	assert_int_equal(arr_len(msgs), 5);
	m = arr_get(msgs, 0);
	assert_string_equal(str_field(m, "role"), "system");
	assert_string_equal(str_field(m, "content"), chat_system_prompt);
	m = arr_get(msgs, 3);
	assert_string_equal(str_field(m, "content"), "Now a soup");
	m = arr_get(msgs, 4);
	assert_string_equal(str_field(m, "role"), "assistant");
	assert_string_equal(str_field(m, "content"), reply_ok.content);
	/* The model got the system prompt and the whole history. */
	assert_int_equal(seen.n, 4);
	assert_string_equal(seen.role[0], "system");
	assert_string_equal(seen.content[0], chat_system_prompt);
	assert_string_equal(seen.role[2], "assistant");
	assert_string_equal(seen.content[3], "Now a soup");
	assert_int_equal(span_count(arr_get(fx->lines, 0)),
	    2);
}

static void
test_ok_turn_span(void **state)
{
	struct fx *fx = *state;
	json_object *t;

	will_return(__wrap_llm_complete, &reply_ok);
	run_body(fx, two_turns);
	t = fx->turn;
	assert_int_equal(span_kind(t), 2);
	assert_string_equal(attr_str(t, "openinference.span.kind"), "AGENT");
	assert_string_equal(attr_str(t, "session.id"), "sess-42");
	assert_string_equal(attr_str(t, "input.value"), "Now a soup");
	assert_string_equal(attr_str(t, "output.value"), reply_ok.content);
	assert_string_equal(attr_str(t, "http.request.method"), "POST");
	assert_string_equal(attr_int(t, "http.response.status_code"), "200");
	assert_int_equal(status_code(t), 1);
	assert_false(json_object_object_get_ex(t, "parentSpanId", NULL));
	assert_false(json_object_object_get_ex(t, "links", NULL));
	assert_false(json_object_object_get_ex(t, "events", NULL));
	assert_string_equal(str_field(t, "traceId"), fx->out.trace_id);
	assert_int_equal(strlen(fx->out.trace_id), 32);
}

static void
test_ok_llm_span(void **state)
{
	struct fx *fx = *state;
	static const char *const roles[] = {
		"system", "user", "assistant", "user",
	};
	const char *contents[] = {
		chat_system_prompt, "Something with eggs", "Shakshuka: ...",
		"Now a soup",
	};
	json_object *l, *params, *input, *m;
	char key[64];

	will_return(__wrap_llm_complete, &reply_ok);
	run_body(fx, two_turns);
	l = fx->llm;
	assert_non_null(l);
	assert_int_equal(span_kind(l), 3);
	assert_string_equal(str_field(l, "parentSpanId"),
	    str_field(fx->turn, "spanId"));
	assert_string_equal(str_field(l, "traceId"),
	    str_field(fx->turn, "traceId"));
	assert_string_not_equal(str_field(l, "spanId"),
	    str_field(fx->turn, "spanId"));
	assert_string_equal(attr_str(l, "openinference.span.kind"), "LLM");
	assert_string_equal(attr_str(l, "llm.model_name"), REPLY_MODEL);
	assert_string_equal(attr_str(l, "llm.provider"), "openai");
	assert_string_equal(attr_str(l, "llm.system"), "openai");
	assert_string_equal(attr_str(l, "session.id"), "sess-42");
	params = json_tokener_parse(attr_str(l, "llm.invocation_parameters"));
	assert_non_null(params);
	assert_string_equal(str_field(params, "model"), "gpt-4o-mini");
	assert_false(json_object_object_get_ex(params, "messages", NULL));
	json_object_put(params);
	for (size_t i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "llm.input_messages.%zu.message.role",
		    i);
		assert_string_equal(attr_str(l, key), roles[i]);
		snprintf(key, sizeof(key),
		    "llm.input_messages.%zu.message.content", i);
		assert_string_equal(attr_str(l, key), contents[i]);
	}
	assert_null(attr_str(l, "llm.input_messages.4.message.role"));
	assert_string_equal(attr_str(l, "llm.output_messages.0.message.role"),
	    "assistant");
	assert_string_equal(attr_str(l,
	    "llm.output_messages.0.message.content"), reply_ok.content);
	assert_string_equal(attr_str(l, "llm.finish_reason"), "stop");
	assert_string_equal(attr_int(l, "llm.token_count.prompt"), "120");
	assert_string_equal(attr_int(l, "llm.token_count.completion"), "45");
	assert_string_equal(attr_int(l, "llm.token_count.total"), "165");
	/* Details the endpoint did not report are not written as 0. */
	for (size_t i = 0; i < sizeof(detail_keys) / sizeof(detail_keys[0]);
	    i++)
		assert_null(attr_value(json_object_object_get(l, "attributes"),
		    detail_keys[i]));
	assert_string_equal(attr_str(l, "output.value"), reply_ok.content);
	assert_string_equal(attr_str(l, "input.mime_type"), "application/json");
	input = json_tokener_parse(attr_str(l, "input.value"));
	assert_non_null(input);
	assert_true(json_object_is_type(input, json_type_array));
	assert_int_equal(arr_len(input), 4);
	for (size_t i = 0; i < 4; i++) {
		m = arr_get(input, i);
		assert_string_equal(str_field(m, "role"), roles[i]);
		assert_string_equal(str_field(m, "content"), contents[i]);
	}
	json_object_put(input);
	assert_int_equal(status_code(l), 1);
	assert_false(json_object_object_get_ex(l, "events", NULL));
}

/* A reply with token details: each reported count becomes its
 * OpenInference attribute, 0 included; an unreported one stays out. */
static void
test_ok_token_details(void **state)
{
	static const int64_t details[] = { 1024, 0, -1, 64, -1 };
	static const struct fake_reply cached = {
		.rc = 0, .http_status = 200, .content = "Pho.",
		.model = "gpt-4o-mini", .prompt = 1200, .completion = 300,
		.total = 1500, .details = details,
	};
	struct fx *fx = *state;
	json_object *a;

	will_return(__wrap_llm_complete, &cached);
	run_body(fx, two_turns);
	assert_int_equal(fx->out.status, 200);
	a = json_object_object_get(fx->llm, "attributes");
	/* The prompt count stays the whole prompt, cached tokens included. */
	assert_string_equal(attr_int(fx->llm, "llm.token_count.prompt"),
	    "1200");
	assert_string_equal(attr_int(fx->llm, detail_keys[0]), "1024");
	assert_string_equal(attr_int(fx->llm, detail_keys[1]), "0");
	assert_null(attr_value(a, detail_keys[2]));
	assert_string_equal(attr_int(fx->llm, detail_keys[3]), "64");
	assert_null(attr_value(a, detail_keys[4]));
	/* They describe the model call, not the turn. */
	assert_null(attr_value(json_object_object_get(fx->turn, "attributes"),
	    detail_keys[0]));
}

static void
test_ok_traceparent_sent(void **state)
{
	struct fx *fx = *state;
	char want[64];
	int flags;

	will_return(__wrap_llm_complete, &reply_ok);
	run_body(fx, two_turns);
	assert_true(seen.had_traceparent);
	flags = json_object_get_int(json_object_object_get(fx->llm, "flags"));
	snprintf(want, sizeof(want), "00-%s-%s-%02x",
	    str_field(fx->llm, "traceId"), str_field(fx->llm, "spanId"),
	    flags & 0xff);
	assert_string_equal(seen.traceparent, want);
	assert_int_equal(strlen(seen.traceparent), 55);
	/* A new trace is sampled with a random id. */
	assert_int_equal(flags & 0xff, 0x03);
	assert_string_equal(str_field(fx->llm, "traceId"), fx->out.trace_id);
}

static void
test_ok_session_id_generated(void **state)
{
	struct fx *fx = *state;
	const char *sid;

	will_return(__wrap_llm_complete, &reply_ok);
	run_body(fx, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
	assert_int_equal(fx->out.status, 200);
	sid = str_field(fx->resp, "session_id");
	assert_non_null(sid);
	assert_true(chat_session_id_valid(sid));
	assert_string_equal(attr_str(fx->turn, "session.id"), sid);
	assert_string_equal(attr_str(fx->llm, "session.id"), sid);
}

static void
test_ok_without_optional_reply_fields(void **state)
{
	static const struct fake_reply bare = {
		.rc = 0, .http_status = 200, .content = "Soup.",
		.prompt = -1, .completion = -1, .total = -1,
	};
	struct fx *fx = *state;

	will_return(__wrap_llm_complete, &bare);
	run_body(fx, two_turns);
	assert_int_equal(fx->out.status, 200);
	/* Without a reported model the configured one stays. */
	assert_string_equal(attr_str(fx->llm, "llm.model_name"), "gpt-4o-mini");
	assert_null(attr_str(fx->llm, "llm.finish_reason"));
	assert_null(attr_int(fx->llm, "llm.token_count.prompt"));
	assert_null(attr_int(fx->llm, "llm.token_count.total"));
	assert_string_equal(attr_str(fx->llm, "output.value"), "Soup.");
}

static void
test_ok_provider_and_system_from_config(void **state)
{
	static const struct fake_reply gemini = {
		.rc = 0, .http_status = 200, .content = "Minestrone.",
		.model = "gemini-1.5-flash", .prompt = -1, .completion = -1,
		.total = -1,
	};
	struct fx *fx = *state;

	free(fx->cfg.provider);
	free(fx->cfg.system);
	free(fx->cfg.model);
	fx->cfg.provider = xstrdup("google");
	fx->cfg.system = xstrdup("vertexai");
	fx->cfg.model = xstrdup("gemini-1.5-flash");
	will_return(__wrap_llm_complete, &gemini);
	run_body(fx, two_turns);
	assert_int_equal(fx->out.status, 200);
	assert_string_equal(attr_str(fx->llm, "llm.provider"), "google");
	assert_string_equal(attr_str(fx->llm, "llm.system"), "vertexai");
	assert_string_equal(attr_str(fx->llm, "llm.model_name"),
	    "gemini-1.5-flash");
}

/* Errors before the model call. */

static void
test_get_405(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = { .method = "GET" };

	run(fx, &in);
	assert_error_turn(fx, 405, "MethodNotAllowed");
	assert_int_equal(seen.calls, 0);
	assert_null(fx->llm);
	assert_string_equal(attr_str(fx->turn, "http.request.method"), "GET");
	assert_string_equal(attr_int(fx->turn, "http.response.status_code"),
	    "405");
	assert_int_equal(span_count(arr_get(fx->lines, 0)),
	    1);
}

static void
test_no_method_405(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = { .method = NULL, .body = "{}", .body_len = 2 };

	run(fx, &in);
	assert_error_turn(fx, 405, "MethodNotAllowed");
	assert_int_equal(seen.calls, 0);
}

static void
test_body_read_failed_413(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = {
		.method = "POST", .body = NULL, .body_status = 413,
		.body_error = "request body is larger than 1048576 bytes",
	};

	run(fx, &in);
	assert_error_turn(fx, 413, "RequestError");
	assert_string_equal(str_field(fx->resp, "detail"), in.body_error);
	assert_int_equal(seen.calls, 0);
	assert_null(fx->llm);
}

static void
test_malformed_json_400(void **state)
{
	struct fx *fx = *state;

	run_body(fx, "{\"messages\": [");
	assert_error_turn(fx, 400, "JSONDecodeError");
	assert_int_equal(seen.calls, 0);
	assert_null(fx->llm);
}

static void
test_empty_messages_422(void **state)
{
	struct fx *fx = *state;

	run_body(fx, "{\"messages\": []}");
	assert_error_turn(fx, 422, "ValidationError");
	assert_int_equal(seen.calls, 0);
	assert_null(fx->llm);
}

static void
test_client_system_prompt_ignored(void **state)
{
	struct fx *fx = *state;

	/* The model gets the recipe prompt as its only system message. */
	will_return(__wrap_llm_complete, &reply_ok);
	run_body(fx, "{\"messages\":[{\"role\":\"system\",\"content\":"
	    "\"You are a pirate.\"},{\"role\":\"user\",\"content\":\"stew\"}]}");
	assert_int_equal(fx->out.status, 200);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.role[0], "system");
	assert_string_equal(seen.content[0], chat_system_prompt);
	assert_string_equal(seen.role[1], "user");
	assert_string_equal(seen.content[1], "stew");
	assert_null(strstr(attr_str(fx->llm, "input.value"), "pirate"));
}

/* Errors of the model call. */

static void
test_llm_timeout_504(void **state)
{
	struct fx *fx = *state;

	will_return(__wrap_llm_complete, &reply_timeout);
	run_body(fx, two_turns);
	assert_error_turn(fx, 504, "LLMTimeoutError");
	assert_int_equal(seen.calls, 1);
	assert_non_null(strstr(str_field(fx->resp, "detail"), "timed out"));
	assert_non_null(strstr(str_field(fx->resp, "detail"),
	    fx->out.trace_id));
	assert_null(strstr(str_field(fx->resp, "detail"), "after 5 s"));
	assert_non_null(fx->llm);
	assert_int_equal(status_code(fx->llm), 2);
	assert_exception(fx->llm, "LLMTimeoutError");
	assert_string_equal(str_field(json_object_object_get(fx->llm,
	    "status"), "message"), reply_timeout.errmsg);
	assert_null(attr_str(fx->llm, "output.value"));
	assert_null(attr_int(fx->llm, "http.response.status_code"));
	assert_string_equal(str_field(fx->llm, "parentSpanId"),
	    str_field(fx->turn, "spanId"));
	assert_null(attr_str(fx->turn, "output.value"));
	/* The request side of the LLM span is recorded even on failure. */
	assert_string_equal(attr_str(fx->llm,
	    "llm.input_messages.3.message.content"), "Now a soup");
}

static void
test_llm_http_error_502(void **state)
{
	struct fx *fx = *state;

	will_return(__wrap_llm_complete, &reply_http500);
	run_body(fx, two_turns);
	assert_error_turn(fx, 502, "LLMHTTPError");
	assert_int_equal(status_code(fx->llm), 2);
	assert_exception(fx->llm, "LLMHTTPError");
	assert_string_equal(attr_int(fx->llm, "http.response.status_code"),
	    "500");
	assert_string_equal(attr_int(fx->turn, "http.response.status_code"),
	    "502");
	/* The client learns the kind and the trace, not the endpoint's
	 * text, which the LLM span keeps. */
	assert_non_null(strstr(str_field(fx->resp, "detail"), "HTTP 500"));
	assert_non_null(strstr(str_field(fx->resp, "detail"),
	    fx->out.trace_id));
	assert_null(strstr(str_field(fx->resp, "detail"),
	    reply_http500.errmsg));
	assert_string_equal(str_field(json_object_object_get(fx->llm,
	    "status"), "message"), reply_http500.errmsg);
}

/* Incoming trace context. */

static struct turn_input
traced_input(const char *tp, int count, const char *ts)
{
	struct turn_input in = {
		.method = "POST", .body = two_turns,
		.body_len = sizeof(two_turns) - 1,
		.traceparent = tp, .traceparent_count = count,
		.tracestate = ts,
	};

	return in;
}

static void
assert_fresh_root(struct fx *fx)
{
	assert_false(json_object_object_get_ex(fx->turn, "parentSpanId",
	    NULL));
	assert_string_not_equal(str_field(fx->turn, "traceId"), REMOTE_TRACE);
	assert_int_not_equal(strncmp(seen.traceparent + 3, REMOTE_TRACE, 32),
	    0);
	assert_int_equal(strncmp(seen.traceparent + 3, fx->out.trace_id, 32),
	    0);
}

static void
test_traceparent_untrusted_links(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = traced_input(REMOTE_TP, 1, REMOTE_TS);
	json_object *links, *l;

	will_return(__wrap_llm_complete, &reply_ok);
	run(fx, &in);
	assert_int_equal(fx->out.status, 200);
	assert_fresh_root(fx);
	links = json_object_object_get(fx->turn, "links");
	assert_non_null(links);
	assert_int_equal(arr_len(links), 1);
	l = arr_get(links, 0);
	assert_string_equal(str_field(l, "traceId"), REMOTE_TRACE);
	assert_string_equal(str_field(l, "spanId"), REMOTE_SPAN);
	assert_string_equal(str_field(l, "traceState"), REMOTE_TS);
	assert_int_equal(json_object_get_int(json_object_object_get(l,
	    "flags")) & 0xff, 0x01);
	/* The remote tracestate belongs to the link, not to our trace. */
	assert_false(json_object_object_get_ex(fx->turn, "traceState", NULL));
	assert_false(json_object_object_get_ex(fx->llm, "links", NULL));
}

static void
test_traceparent_trusted_parent(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = traced_input(REMOTE_TP, 1, REMOTE_TS);
	char want[64];

	fx->env.trust_traceparent = 1;
	will_return(__wrap_llm_complete, &reply_ok);
	run(fx, &in);
	assert_int_equal(fx->out.status, 200);
	assert_string_equal(str_field(fx->turn, "traceId"), REMOTE_TRACE);
	assert_string_equal(str_field(fx->turn, "parentSpanId"), REMOTE_SPAN);
	assert_string_equal(fx->out.trace_id, REMOTE_TRACE);
	assert_false(json_object_object_get_ex(fx->turn, "links", NULL));
	assert_string_equal(str_field(fx->turn, "traceState"), REMOTE_TS);
	assert_string_equal(str_field(fx->llm, "traceId"), REMOTE_TRACE);
	assert_string_equal(str_field(fx->llm, "parentSpanId"),
	    str_field(fx->turn, "spanId"));
	/* The caller's flags travel on: sampled, not random. */
	snprintf(want, sizeof(want), "00-%s-%s-01", REMOTE_TRACE,
	    str_field(fx->llm, "spanId"));
	assert_string_equal(seen.traceparent, want);
}

static void
test_traceparent_twice_ignored(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = traced_input(REMOTE_TP, 2, REMOTE_TS);

	fx->env.trust_traceparent = 1;
	will_return(__wrap_llm_complete, &reply_ok);
	run(fx, &in);
	assert_int_equal(fx->out.status, 200);
	assert_fresh_root(fx);
	assert_false(json_object_object_get_ex(fx->turn, "links", NULL));
	assert_false(json_object_object_get_ex(fx->turn, "traceState", NULL));
}

static void
test_traceparent_twice_untrusted_ignored(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = traced_input(REMOTE_TP, 2, NULL);

	will_return(__wrap_llm_complete, &reply_ok);
	run(fx, &in);
	assert_fresh_root(fx);
	assert_false(json_object_object_get_ex(fx->turn, "links", NULL));
}

static void
test_traceparent_invalid_ignored(void **state)
{
	static const char *const bad[] = {
		"00-" REMOTE_TRACE "-" REMOTE_SPAN "-0",
		"00-00000000000000000000000000000000-" REMOTE_SPAN "-01",
		"00-" REMOTE_TRACE "-0000000000000000-01",
		"ff-" REMOTE_TRACE "-" REMOTE_SPAN "-01",
		"00-0AF7651916CD43DD8448EB211C80319C-" REMOTE_SPAN "-01",
		"garbage",
		"",
	};
	int trust;

	for (size_t i = 0; i < 2 * sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx *fx;
		struct turn_input in;

		trust = (int)(i % 2);
		assert_int_equal(setup(state), 0);
		fx = *state;
		fx->env.trust_traceparent = trust;
		in = traced_input(bad[i / 2], 1, REMOTE_TS);
		will_return(__wrap_llm_complete, &reply_ok);
		run(fx, &in);
		assert_int_equal(fx->out.status, 200);
		assert_fresh_root(fx);
		if (json_object_object_get_ex(fx->turn, "links", NULL))
			fail_msg("'%s' (trust %d) was linked", bad[i / 2], trust);
		assert_false(json_object_object_get_ex(fx->turn, "traceState",
		    NULL));
		teardown(state);
	}
	*state = NULL;
}

static void
test_traceparent_bad_tracestate_dropped(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = traced_input(REMOTE_TP, 1, "Bad Key=1");
	json_object *links, *l;

	will_return(__wrap_llm_complete, &reply_ok);
	run(fx, &in);
	links = json_object_object_get(fx->turn, "links");
	assert_non_null(links);
	l = arr_get(links, 0);
	assert_non_null(l);
	assert_string_equal(str_field(l, "traceId"), REMOTE_TRACE);
	assert_false(json_object_object_get_ex(l, "traceState", NULL));
}

static void
test_error_turn_keeps_link(void **state)
{
	struct fx *fx = *state;
	struct turn_input in = traced_input(REMOTE_TP, 1, NULL);
	json_object *links;

	in.method = "PUT";
	run(fx, &in);
	assert_error_turn(fx, 405, "MethodNotAllowed");
	links = json_object_object_get(fx->turn, "links");
	assert_non_null(links);
	assert_int_equal(arr_len(links), 1);
	assert_string_equal(str_field(arr_get(links, 0),
	    "traceId"), REMOTE_TRACE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* OTEL_SDK_DISABLED: the same turn with no span, no traceparent to the
 * model, no ids in the answer and nothing in the spool. */
static size_t
spool_segments(const struct fx *fx)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(fx->dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "spans-", 6) == 0 ||
		    strncmp(de->d_name, ".spans-", 7) == 0;
	closedir(d);
	return n;
}

static void
run_untraced(struct fx *fx, const char *body)
{
	struct turn_input in = { .method = "POST", .body = body,
	    .body_len = strlen(body),
	    .traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	    .traceparent_count = 1 };

	fx->env.tracing = 0;
	turn_run(&fx->env, CLIENT, &in, &fx->out);
	assert_non_null(fx->out.body);
	fx->resp = json_tokener_parse(fx->out.body);
	assert_non_null(fx->resp);
	assert_string_equal(fx->out.trace_id, "");
	assert_string_equal(fx->out.span_id, "");
	assert_int_equal(spool_segments(fx), 0);
	assert_int_equal(seen.calls, 1);
	assert_false(seen.had_traceparent);
}

static void
test_tracing_off_ok(void **state)
{
	struct fx *fx = *state;
	json_object *msgs;

	will_return(__wrap_llm_complete, &reply_ok);
	run_untraced(fx, two_turns);
	assert_int_equal(fx->out.status, 200);
	assert_string_equal(str_field(fx->resp, "session_id"), "sess-42");
	assert_null(json_object_object_get(fx->resp, "trace_id"));
	assert_null(json_object_object_get(fx->resp, "span_id"));
	msgs = json_object_object_get(fx->resp, "messages");
	assert_int_equal(arr_len(msgs), 5);
	assert_string_equal(str_field(arr_get(msgs, 4), "content"),
	    reply_ok.content);
	assert_int_equal(seen.n, 4);
}

static void
test_tracing_off_error(void **state)
{
	struct fx *fx = *state;

	will_return(__wrap_llm_complete, &reply_timeout);
	run_untraced(fx, two_turns);
	assert_int_equal(fx->out.status, 504);
	assert_string_equal(str_field(fx->resp, "detail"),
	    "model endpoint timed out");
}

static int
setup_none(void **state)
{
	*state = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ok_response),
		T(test_ok_turn_span),
		T(test_ok_llm_span),
		T(test_ok_token_details),
		T(test_ok_traceparent_sent),
		T(test_ok_session_id_generated),
		T(test_ok_without_optional_reply_fields),
		T(test_ok_provider_and_system_from_config),
		T(test_get_405),
		T(test_no_method_405),
		T(test_body_read_failed_413),
		T(test_malformed_json_400),
		T(test_empty_messages_422),
		T(test_client_system_prompt_ignored),
		T(test_llm_timeout_504),
		T(test_llm_http_error_502),
		T(test_traceparent_untrusted_links),
		T(test_traceparent_trusted_parent),
		T(test_traceparent_twice_ignored),
		T(test_traceparent_twice_untrusted_ignored),
		cmocka_unit_test_setup(test_traceparent_invalid_ignored,
		    setup_none),
		T(test_traceparent_bad_tracestate_dropped),
		T(test_error_turn_keeps_link),
		T(test_tracing_off_ok),
		T(test_tracing_off_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
