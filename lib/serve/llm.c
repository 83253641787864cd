/* llm.c - OpenAI-compatible chat completions client: provider resolution
 * from MODEL_NAME, request building and reply parsing; the transfer is
 * httpc's. json-c objects are created and put within the function that
 * parses or builds them; nothing json-c leaves this module. */
#define _GNU_SOURCE	/* asprintf, explicit_bzero */
#include "llm.h"
#include "buf.h"
#include "config.h"
#include "httpc.h"
#include "jsonval.h"
#include "jsonw.h"
#include "xalloc.h"

#include <json-c/json.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLM_DEFAULT_MODEL	"gpt-4o-mini"
#define LLM_DEFAULT_TIMEOUT	"120"
#define LLM_MAX_TIMEOUT		3600
#define LLM_CONNECT_TIMEOUT	10	/* s, or the whole timeout if less */
#define LLM_ERR_DETAIL_MAX	150	/* bytes of the endpoint's error text */
#define LLM_TRACEPARENT_MAX	256

struct llm_provider {
	const char	*prefix;	/* before the first '/', NULL: bare name */
	const char	*provider;
	const char	*system;
	const char	*base_env;	/* NULL: base_def is fixed */
	const char	*base_def;
	const char	*base_suffix;	/* appended unless already there */
	const char	*key_env;	/* NULL: no key */
};

static const struct llm_provider llm_providers[] = {
	{ "openai", "openai", "openai", "OPENAI_BASE_URL",
	    "https://api.openai.com/v1", "", "OPENAI_API_KEY" },
	{ "anthropic", "anthropic", "anthropic", NULL,
	    "https://api.anthropic.com/v1", "", "ANTHROPIC_API_KEY" },
	{ "gemini", "google", "vertexai", NULL,
	    "https://generativelanguage.googleapis.com/v1beta/openai", "",
	    "GEMINI_API_KEY" },
	{ "together_ai", "together_ai", "together_ai", NULL,
	    "https://api.together.xyz/v1", "", "TOGETHER_API_KEY" },
	{ "ollama", "ollama", "ollama", "OLLAMA_API_BASE",
	    "http://127.0.0.1:11434", "/v1", NULL },
};

struct llm_client {
	const struct llm_config	*cfg;
	struct httpc		*http;
};

/* Provider resolution. */

static const struct llm_provider *
llm_find_provider(const char *spec, const char **model)
{
	const char *slash = strchr(spec, '/');
	size_t plen;

	if (slash == NULL) {
		*model = spec;
		return &llm_providers[0];
	}
	plen = (size_t)(slash - spec);
	*model = slash + 1;
	for (size_t i = 0; i < sizeof(llm_providers) /
	    sizeof(llm_providers[0]); i++)
		if (strlen(llm_providers[i].prefix) == plen &&
		    strncmp(llm_providers[i].prefix, spec, plen) == 0)
			return &llm_providers[i];
	return NULL;
}

static char *
llm_make_base(const char *base, const char *suffix)
{
	size_t len = strlen(base), slen = strlen(suffix);

	while (len > 0 && base[len - 1] == '/')
		len--;
	if (slen > 0 && len >= slen && strncmp(base + len - slen, suffix,
	    slen) == 0)
		slen = 0;
	char *out = xmalloc(len + slen + 1);
	memcpy(out, base, len);
	memcpy(out + len, suffix, slen);
	out[len + slen] = '\0';
	return out;
}

static int
llm_load_provider(struct llm_config *cfg, const struct llm_provider *p,
    char *err, size_t errlen)
{
	const char *base = p->base_def, *key = NULL;
	struct config_entry table[] = {
		{ p->base_env, p->base_def, CONFIG_STR, 0, 0, &base,
		    "base URL", config_check_url },
		{ p->key_env, NULL, CONFIG_STR, 0, 0, &key, "API key",
		    httpc_check_key },
	};

	if (p->base_env != NULL &&
	    config_load(&table[0], 1, err, errlen) == -1)
		return -1;
	if (p->key_env != NULL && config_load(&table[1], 1, err, errlen) == -1)
		return -1;
	cfg->base_url = llm_make_base(base, p->base_suffix);
	if (config_check_url(cfg->base_url, err, errlen) == -1)
		return -1;
	cfg->provider = xstrdup(p->provider);
	cfg->system = xstrdup(p->system);
	cfg->api_key = key != NULL ? xstrdup(key) : NULL;
	return 0;
}

int
llm_config_from_env(struct llm_config *cfg, char *err, size_t errlen)
{
	const char *spec = LLM_DEFAULT_MODEL, *model;
	long long timeout = 120;
	const struct llm_provider *p;
	const struct config_entry table[] = {
		{ "MODEL_NAME", LLM_DEFAULT_MODEL, CONFIG_STR, 0, 0, &spec,
		    "model in litellm form", NULL },
		{ "LLM_TIMEOUT_S", LLM_DEFAULT_TIMEOUT, CONFIG_INT, 1,
		    LLM_MAX_TIMEOUT, &timeout, "model call timeout", NULL },
	};

	memset(cfg, 0, sizeof(*cfg));
	if (config_load(table, 2, err, errlen) == -1)
		return -1;
	if ((p = llm_find_provider(spec, &model)) == NULL) {
		snprintf(err, errlen, "MODEL_NAME: unknown provider prefix in "
		    "'%s' (openai, anthropic, gemini, together_ai, ollama)",
		    spec);
		return -1;
	}
	if (*model == '\0') {
		snprintf(err, errlen, "MODEL_NAME: no model after the "
		    "provider in '%s'", spec);
		return -1;
	}
	if (llm_load_provider(cfg, p, err, errlen) == -1) {
		llm_config_cleanup(cfg);
		return -1;
	}
	cfg->model = xstrdup(model);
	cfg->model_spec = xstrdup(spec);
	cfg->timeout_s = (long)timeout;
	cfg->max_response = LLM_MAX_RESPONSE;
	return 0;
}

void
llm_config_cleanup(struct llm_config *cfg)
{
	free(cfg->model);
	free(cfg->model_spec);
	free(cfg->provider);
	free(cfg->system);
	free(cfg->base_url);
	free(cfg->api_key);
	memset(cfg, 0, sizeof(*cfg));
}

/* Request building. */

int
llm_message_write(struct buf *b, const char *role, const char *content)
{
	if (buf_append(b, "{\"role\":", 8) == -1 ||
	    jsonw_cstring(b, role) == -1 ||
	    buf_append(b, ",\"content\":", 11) == -1 ||
	    jsonw_cstring(b, content) == -1 || buf_append(b, "}", 1) == -1)
		return -1;
	return 0;
}

/* Written as text, not as a json-c tree: it is built on every turn. */
char *
llm_request_body(const struct llm_config *cfg, const struct llm_message *msgs,
    size_t n)
{
	struct buf b;

	buf_init(&b, LLM_BODY_MAX);
	if (buf_append(&b, "{\"model\":", 9) == -1 ||
	    jsonw_cstring(&b, cfg->model) == -1 ||
	    buf_append(&b, ",\"messages\":[", 13) == -1)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_append(&b, ",", 1) == -1) ||
		    llm_message_write(&b, msgs[i].role, msgs[i].content) == -1)
			abort();
	if (buf_append(&b, "]}", 2) == -1)
		abort();
	return buf_take(&b);
}

char *
llm_invocation_parameters(const struct llm_config *cfg)
{
	json_object *root = json_object_new_object();
	char *out;

	json_object_object_add(root, "model",
	    json_object_new_string(cfg->model));
	out = xstrdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}

/* Reply parsing. */

void
llm_result_init(struct llm_result *res)
{
	memset(res, 0, sizeof(*res));
	res->prompt_tokens = -1;
	res->completion_tokens = -1;
	res->total_tokens = -1;
	res->cache_read_tokens = -1;
	res->cache_write_tokens = -1;
	res->prompt_audio_tokens = -1;
	res->reasoning_tokens = -1;
	res->completion_audio_tokens = -1;
}

void
llm_result_cleanup(struct llm_result *res)
{
	free(res->content);
	free(res->finish_reason);
	free(res->model);
	res->content = res->finish_reason = res->model = NULL;
}

static int
llm_fail(struct llm_result *res, enum llm_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
llm_fail(struct llm_result *res, enum llm_error e, const char *fmt, ...)
{
	va_list ap;

	res->error = e;
	va_start(ap, fmt);
	vsnprintf(res->errmsg, sizeof(res->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *
llm_get_string(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A token count: an integer in [0, LLM_MAX_TOKENS], else -1 (absent,
 * null, text, a fraction, negative or past belief). */
static int64_t
llm_get_count(json_object *obj, const char *key)
{
	json_object *v;
	int64_t n;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	n = json_object_get_int64(v);
	return n < 0 || n > LLM_MAX_TOKENS ? -1 : n;
}

/* The member key of obj when it is an object, else NULL. */
static json_object *
llm_get_object(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/* The first of two places a count may be reported in that holds one. */
static int64_t
llm_get_either(json_object *a, const char *akey, json_object *b,
    const char *bkey)
{
	int64_t n = llm_get_count(a, akey);

	return n != -1 ? n : llm_get_count(b, bkey);
}

/* The parts Phoenix prices apart (docs/spans.md). OpenAI puts them in
 * prompt_tokens_details and completion_tokens_details; Anthropic (native
 * names, also passed on by LiteLLM) beside prompt_tokens; OpenRouter has
 * cache_write_tokens in prompt_tokens_details. */
static void
llm_parse_details(json_object *usage, struct llm_result *res)
{
	json_object *pd = llm_get_object(usage, "prompt_tokens_details");
	json_object *cd = llm_get_object(usage, "completion_tokens_details");

	res->cache_read_tokens = llm_get_either(pd, "cached_tokens", usage,
	    "cache_read_input_tokens");
	res->cache_write_tokens = llm_get_either(usage,
	    "cache_creation_input_tokens", pd, "cache_write_tokens");
	res->prompt_audio_tokens = llm_get_count(pd, "audio_tokens");
	res->reasoning_tokens = llm_get_count(cd, "reasoning_tokens");
	res->completion_audio_tokens = llm_get_count(cd, "audio_tokens");
}

/* prompt_tokens is taken as it is: the OpenAI-compatible usage counts the
 * cached tokens into it, as Arize's SDK records it, and Phoenix subtracts
 * the details from it when it prices the rest as input. */
static void
llm_parse_usage(json_object *root, struct llm_result *res)
{
	json_object *usage = llm_get_object(root, "usage");

	if (usage == NULL)
		return;
	res->prompt_tokens = llm_get_count(usage, "prompt_tokens");
	res->completion_tokens = llm_get_count(usage, "completion_tokens");
	res->total_tokens = llm_get_count(usage, "total_tokens");
	if (res->total_tokens == -1 && res->prompt_tokens >= 0 &&
	    res->completion_tokens >= 0)
		res->total_tokens = res->prompt_tokens +
		    res->completion_tokens;
	llm_parse_details(usage, res);
}

static int
llm_parse_choice(json_object *root, struct llm_result *res)
{
	json_object *choices, *choice, *msg, *content;
	const char *s;

	if (!json_object_object_get_ex(root, "choices", &choices) ||
	    !json_object_is_type(choices, json_type_array) ||
	    json_object_array_length(choices) == 0)
		return llm_fail(res, LLM_ERR_RESPONSE,
		    "model endpoint reply has no choices");
	choice = json_object_array_get_idx(choices, 0);
	if (!json_object_is_type(choice, json_type_object) ||
	    !json_object_object_get_ex(choice, "message", &msg) ||
	    !json_object_is_type(msg, json_type_object))
		return llm_fail(res, LLM_ERR_RESPONSE,
		    "model endpoint reply has no message");
	if (!json_object_object_get_ex(msg, "content", &content) ||
	    content == NULL)
		res->content = xstrdup("");
	else if (json_object_is_type(content, json_type_string))
		res->content = xstrdup(json_object_get_string(content));
	else
		return llm_fail(res, LLM_ERR_RESPONSE,
		    "model endpoint reply content is not text");
	if ((s = llm_get_string(choice, "finish_reason")) != NULL)
		res->finish_reason = xstrdup(s);
	return 0;
}

/* The endpoint's error.message, if any. */
static const char *
llm_error_message(json_object *root)
{
	json_object *err;

	if (json_object_is_type(root, json_type_array) &&
	    json_object_array_length(root) > 0)
		root = json_object_array_get_idx(root, 0);
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "error", &err))
		return NULL;
	if (json_object_is_type(err, json_type_object))
		return llm_get_string(err, "message");
	if (json_object_is_type(err, json_type_string))
		return json_object_get_string(err);
	return NULL;
}

/* Copy msg without the secret, made safe for a log line and cut short on a
 * UTF-8 boundary. The secret goes first so that no piece of it survives the
 * cut. */
static void
llm_error_detail(const char *msg, const char *secret, char *out,
    size_t outlen)
{
	struct buf b;
	const char *clean;
	size_t n;

	buf_init(&b, (size_t)-1 / 2);
	if (buf_append(&b, msg, strlen(msg)) == -1)
		abort();	/* only out of address space */
	httpc_redact(&b, secret);
	clean = b.data != NULL ? b.data : "";
	n = b.len;

	if (n >= outlen) {
		n = outlen - 1;
		while (n > 0 && ((unsigned char)clean[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = ((unsigned char)clean[i] < ' ' || clean[i] == 0x7f) ?
		    ' ' : clean[i];
	out[n] = '\0';
	buf_cleanup(&b);
}

static int
llm_parse_http_error(long status, json_object *root, const char *secret,
    struct llm_result *res)
{
	char detail[LLM_ERR_DETAIL_MAX + 1];
	const char *msg = llm_error_message(root);

	if (msg == NULL || *msg == '\0')
		return llm_fail(res, LLM_ERR_HTTP,
		    "model endpoint answered HTTP %ld", status);
	llm_error_detail(msg, secret, detail, sizeof(detail));
	return llm_fail(res, LLM_ERR_HTTP,
	    "model endpoint answered HTTP %ld: %s", status, detail);
}

int
llm_parse_reply(long status, const char *body, size_t len,
    const char *secret, struct llm_result *res)
{
	json_object *root = NULL;
	const char *model;
	char why[JSONVAL_ERR_MAX];
	int rc = -1;

	/* Not JSON is the same as JSON of the wrong shape: root stays NULL. */
	if (jsonval_parse(body, len, 0, &root, why, sizeof(why), NULL) == -1)
		root = NULL;
	res->http_status = status;
	if (status < 200 || status > 299) {
		rc = llm_parse_http_error(status, root, secret, res);
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		rc = llm_fail(res, LLM_ERR_RESPONSE,
		    "model endpoint reply is not a JSON object");
		goto out;
	}
	if (llm_parse_choice(root, res) == -1)
		goto out;
	if ((model = llm_get_string(root, "model")) != NULL)
		res->model = xstrdup(model);
	llm_parse_usage(root, res);
	res->error = LLM_OK;
	rc = 0;
out:
	json_object_put(root);
	return rc;
}

/* The client. */

static int
llm_headers(struct llm_client *c)
{
	const struct llm_config *cfg = c->cfg;
	char *auth;
	int rc;

	if (httpc_header(c->http, "Content-Type", "application/json", 0) ||
	    httpc_header(c->http, "Accept", "application/json", 0) ||
	    httpc_header(c->http, "Expect", NULL, 0))
		return -1;
	if (cfg->api_key == NULL)
		return 0;
	if (asprintf(&auth, "Bearer %s", cfg->api_key) == -1)
		abort();
	rc = httpc_header(c->http, "Authorization", auth, HTTPC_SECRET);
	explicit_bzero(auth, strlen(auth));
	free(auth);
	return rc;
}

struct llm_client *
llm_client_new(const struct llm_config *cfg)
{
	struct llm_client *c = xcalloc(1, sizeof(*c));
	struct httpc_config hc = {
		.connect_timeout_ms = 1000L * (cfg->timeout_s <
		    LLM_CONNECT_TIMEOUT ? cfg->timeout_s : LLM_CONNECT_TIMEOUT),
		.timeout_ms = 1000L * cfg->timeout_s,
		.body_max = cfg->max_response,
		.body_truncate = 0,	/* an oversized reply is an error */
	};
	char *url;

	c->cfg = cfg;
	if (asprintf(&url, "%s/chat/completions", cfg->base_url) == -1)
		abort();
	hc.url = url;
	c->http = httpc_new(&hc);
	free(url);
	if (c->http == NULL || llm_headers(c) == -1) {
		llm_client_free(c);
		return NULL;
	}
	return c;
}

void
llm_client_free(struct llm_client *c)
{
	if (c == NULL)
		return;
	httpc_free(c->http);
	free(c);
}

/* A traceparent is short printable ASCII; anything else could forge
 * headers, so it is not sent. */
static bool
llm_traceparent_ok(const char *tp)
{
	size_t n = 0;

	for (; tp[n] != '\0'; n++)
		if ((unsigned char)tp[n] <= ' ' || tp[n] == 0x7f)
			return false;
	return n > 0 && n <= LLM_TRACEPARENT_MAX;
}

static int
llm_transfer_fail(const struct llm_client *c,
    const struct httpc_response *hr, struct llm_result *res)
{
	switch (hr->error) {
	case HTTPC_ERR_TIMEOUT:
		return llm_fail(res, LLM_ERR_TIMEOUT,
		    "model endpoint timed out after %ld s", c->cfg->timeout_s);
	case HTTPC_ERR_RESPONSE:
		if (hr->truncated)
			return llm_fail(res, LLM_ERR_RESPONSE, "model endpoint "
			    "response larger than %zu bytes",
			    c->cfg->max_response);
		return llm_fail(res, LLM_ERR_RESPONSE,
		    "bad answer from model endpoint: %s", hr->errmsg);
	case HTTPC_ERR_SETUP:
		return llm_fail(res, LLM_ERR_CONNECT,
		    "cannot set up the model request");
	default:
		return llm_fail(res, LLM_ERR_CONNECT,
		    "model endpoint unreachable: %s", hr->errmsg);
	}
}

int
llm_complete(struct llm_client *c, const struct llm_message *msgs,
    size_t n, const char *traceparent, struct llm_result *res)
{
	char line[LLM_TRACEPARENT_MAX + sizeof("traceparent: ")];
	struct httpc_request req = { 0 };
	struct httpc_response hr;
	char *body;
	int rc;

	llm_result_init(res);
	body = llm_request_body(c->cfg, msgs, n);
	req.body = body;
	req.len = strlen(body);
	if (traceparent != NULL && llm_traceparent_ok(traceparent)) {
		snprintf(line, sizeof(line), "traceparent: %s", traceparent);
		req.headers[req.nheaders++] = line;
	}
	if (httpc_post(c->http, &req, &hr) == -1) {
		res->http_status = hr.status;
		rc = llm_transfer_fail(c, &hr, res);
	} else
		rc = llm_parse_reply(hr.status, hr.body, hr.body_len,
		    c->cfg->api_key, res);
	free(body);
	if (rc == -1)
		httpc_scrub(res->errmsg, sizeof(res->errmsg), c->cfg->api_key);
	return rc;
}
