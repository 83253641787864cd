/* test_llm.c - provider resolution, request building and reply parsing
 * (pure, tests/data/llm_replies.test), then the client against a mock-llm
 * subprocess on a free loopback port. */
#define _GNU_SOURCE
#include "httpc.h"
#include "llm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define TEST_KEY	"sk-test-Zq7uniqueKEY-4242"
#define DATA_SECRET	"sk-data-SECRET-77"

static const char *const env_vars[] = {
	"MODEL_NAME", "LLM_TIMEOUT_S", "OPENAI_BASE_URL", "OPENAI_API_KEY",
	"ANTHROPIC_API_KEY", "GEMINI_API_KEY", "TOGETHER_API_KEY",
	"OLLAMA_API_BASE", "http_proxy", "HTTP_PROXY", "https_proxy",
	"HTTPS_PROXY", "all_proxy", "ALL_PROXY",
};

static int
clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	return 0;
}

/* Provider resolution. */

struct provider_case {
	const char	*model_name;	/* NULL: unset */
	const char	*env[4];	/* NAME=value pairs to set */
	const char	*model, *provider, *system, *base_url, *api_key;
};

static const struct provider_case provider_cases[] = {
	{ NULL, { NULL }, "gpt-4o-mini", "openai", "openai",
	    "https://api.openai.com/v1", NULL },
	{ "gpt-4o", { "OPENAI_API_KEY=k1" }, "gpt-4o", "openai", "openai",
	    "https://api.openai.com/v1", "k1" },
	{ "openai/gpt-4o-mini", { "OPENAI_API_KEY=k2",
	    "OPENAI_BASE_URL=http://127.0.0.1:8080/v1///" }, "gpt-4o-mini",
	    "openai", "openai", "http://127.0.0.1:8080/v1", "k2" },
	{ "anthropic/claude-3-5-haiku", { "ANTHROPIC_API_KEY=k3",
	    "OPENAI_API_KEY=wrong", "OPENAI_BASE_URL=http://127.0.0.1:1" },
	    "claude-3-5-haiku", "anthropic", "anthropic",
	    "https://api.anthropic.com/v1", "k3" },
	{ "anthropic/claude", { "OPENAI_API_KEY=wrong" }, "claude",
	    "anthropic", "anthropic", "https://api.anthropic.com/v1", NULL },
	{ "gemini/gemini-2.0-flash", { "GEMINI_API_KEY=k4" },
	    "gemini-2.0-flash", "google", "vertexai",
	    "https://generativelanguage.googleapis.com/v1beta/openai", "k4" },
	{ "together_ai/meta-llama/Llama-3-8b", { "TOGETHER_API_KEY=k5" },
	    "meta-llama/Llama-3-8b", "together_ai", "together_ai",
	    "https://api.together.xyz/v1", "k5" },
	{ "ollama/llama3", { "OPENAI_API_KEY=wrong" }, "llama3", "ollama",
	    "ollama", "http://127.0.0.1:11434/v1", NULL },
	{ "ollama/llama3", { "OLLAMA_API_BASE=http://localhost:9999/" },
	    "llama3", "ollama", "ollama", "http://localhost:9999/v1", NULL },
	{ "ollama/qwen", { "OLLAMA_API_BASE=http://127.0.0.1:9/v1/" },
	    "qwen", "ollama", "ollama", "http://127.0.0.1:9/v1", NULL },
	{ "openai/x", { "OPENAI_API_KEY=" }, "x", "openai", "openai",
	    "https://api.openai.com/v1", NULL },
	{ "openai/x", { "OPENAI_BASE_URL=" }, "x", "openai", "openai",
	    "https://api.openai.com/v1", NULL },
};

static void
set_env_pairs(const char *const *pairs, size_t n)
{
	for (size_t i = 0; i < n && pairs[i] != NULL; i++) {
		char *name = strdup(pairs[i]), *eq = strchr(name, '=');

		assert_non_null(eq);
		*eq = '\0';
		assert_int_equal(setenv(name, eq + 1, 1), 0);
		free(name);
	}
}

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

static void
test_provider_table(void **state)
{
	for (size_t i = 0; i < sizeof(provider_cases) /
	    sizeof(provider_cases[0]); i++) {
		const struct provider_case *pc = &provider_cases[i];
		struct llm_config cfg;
		char err[256] = "";

		clear_env(state);
		if (pc->model_name != NULL)
			setenv("MODEL_NAME", pc->model_name, 1);
		set_env_pairs(pc->env, 4);
		if (llm_config_from_env(&cfg, err, sizeof(err)) == -1)
			fail_msg("case %zu: %s", i, err);
		assert_string_equal(cfg.model, pc->model);
		assert_string_equal(cfg.model_spec, pc->model_name ?
		    pc->model_name : "gpt-4o-mini");
		assert_string_equal(cfg.provider, pc->provider);
		assert_string_equal(cfg.system, pc->system);
		assert_string_equal(cfg.base_url, pc->base_url);
		assert_str_or_null(cfg.api_key, pc->api_key);
		assert_int_equal(cfg.timeout_s, 120);
		assert_int_equal(cfg.max_response, LLM_MAX_RESPONSE);
		llm_config_cleanup(&cfg);
		assert_null(cfg.model);
	}
}

struct bad_case {
	const char	*env[3];
	const char	*err;	/* substring of the message */
};

static const struct bad_case bad_cases[] = {
	{ { "MODEL_NAME=azure/gpt-4" }, "MODEL_NAME: unknown provider" },
	{ { "MODEL_NAME=meta-llama/Llama-3" }, "unknown provider" },
	{ { "MODEL_NAME=/gpt-4" }, "unknown provider" },
	{ { "MODEL_NAME=openai/" }, "MODEL_NAME: no model" },
	{ { "MODEL_NAME=anthropic/" }, "no model" },
	{ { "MODEL_NAME=ollama/" }, "no model" },
	{ { "OPENAI_BASE_URL=ftp://127.0.0.1/v1" },
	    "OPENAI_BASE_URL: must start with http" },
	{ { "OPENAI_BASE_URL=http://" }, "OPENAI_BASE_URL: has no host" },
	{ { "OPENAI_BASE_URL=https:///v1" }, "has no host" },
	{ { "OPENAI_BASE_URL=http://a b/v1" }, "white space" },
	{ { "MODEL_NAME=ollama/x", "OLLAMA_API_BASE=127.0.0.1:11434" },
	    "OLLAMA_API_BASE: must start with http" },
	{ { "LLM_TIMEOUT_S=0" }, "LLM_TIMEOUT_S" },
	{ { "LLM_TIMEOUT_S=3601" }, "from 1 to 3600" },
	{ { "LLM_TIMEOUT_S=-5" }, "LLM_TIMEOUT_S" },
	{ { "LLM_TIMEOUT_S=12s" }, "LLM_TIMEOUT_S" },
	{ { "LLM_TIMEOUT_S=1e3" }, "LLM_TIMEOUT_S" },
	{ { "OPENAI_API_KEY=sk-has space" }, "OPENAI_API_KEY: contains" },
	{ { "MODEL_NAME=gemini/g", "GEMINI_API_KEY=sk-x\r\nX-Evil: 1" },
	    "GEMINI_API_KEY: contains" },
	/* Header values are visible ASCII: httpc_check_key, as the
	 * exporter's PHOENIX_API_KEY. */
	{ { "OPENAI_API_KEY=sk-caf\xc3\xa9" }, "OPENAI_API_KEY: contains" },
	{ { "OPENAI_API_KEY=sk-\x7f" }, "OPENAI_API_KEY: contains" },
};

static void
test_provider_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct llm_config cfg;
		char err[256] = "";

		clear_env(state);
		set_env_pairs(bad_cases[i].env, 3);
		if (llm_config_from_env(&cfg, err, sizeof(err)) == 0)
			fail_msg("case %zu accepted", i);
		if (strstr(err, bad_cases[i].err) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			    bad_cases[i].err);
		/* A rejected key is not repeated in the message. */
		assert_null(strstr(err, "sk-"));
		assert_null(cfg.model);
		assert_null(cfg.base_url);
		assert_null(cfg.api_key);
		llm_config_cleanup(&cfg);
	}
}

static void
test_timeout_bounds(void **state)
{
	static const struct { const char *v; long want; } t[] = {
		{ "1", 1 }, { "3600", 3600 }, { "45", 45 }, { "", 120 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct llm_config cfg;
		char err[256];

		clear_env(state);
		setenv("LLM_TIMEOUT_S", t[i].v, 1);
		assert_int_equal(llm_config_from_env(&cfg, err, sizeof(err)),
		    0);
		assert_int_equal(cfg.timeout_s, t[i].want);
		llm_config_cleanup(&cfg);
	}
}

/* Request building. */

static struct llm_config *
static_config(const char *model)
{
	static struct llm_config cfg;
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s", model);
	memset(&cfg, 0, sizeof(cfg));
	cfg.model = buf;
	return &cfg;
}

static void
test_request_body(void **state)
{
	const struct llm_message msgs[] = {
		{ "system", "You are a chef." },
		{ "user", "say \"hi\"\n\tcaf\xc3\xa9 </script> \\ a/b" },
		{ "assistant", "" },
	};
	json_object *root, *v, *arr, *m;
	char *body;

	(void)state;
	body = llm_request_body(static_config("gpt-4o-mini"), msgs, 3);
	assert_non_null(root = json_tokener_parse(body));
	assert_int_equal(json_object_object_length(root), 2);
	assert_true(json_object_object_get_ex(root, "model", &v));
	assert_string_equal(json_object_get_string(v), "gpt-4o-mini");
	assert_true(json_object_object_get_ex(root, "messages", &arr));
	assert_int_equal(json_object_array_length(arr), 3);
	for (size_t i = 0; i < 3; i++) {
		m = json_object_array_get_idx(arr, i);
		assert_int_equal(json_object_object_length(m), 2);
		assert_true(json_object_object_get_ex(m, "role", &v));
		assert_string_equal(json_object_get_string(v), msgs[i].role);
		assert_true(json_object_object_get_ex(m, "content", &v));
		assert_string_equal(json_object_get_string(v),
		    msgs[i].content);
	}
	/* Slashes stay as they are; the order is model, then messages. */
	assert_non_null(strstr(body, "a/b"));
	assert_ptr_equal(strstr(body, "{\"model\":\"gpt-4o-mini\""), body);
	json_object_put(root);
	free(body);
}

static void
test_request_body_empty(void **state)
{
	char *body;

	(void)state;
	body = llm_request_body(static_config("m/with/slash"), NULL, 0);
	assert_string_equal(body, "{\"model\":\"m/with/slash\",\"messages\":[]}");
	free(body);
}

static void
test_invocation_parameters(void **state)
{
	char *p;

	(void)state;
	p = llm_invocation_parameters(static_config("gpt-4o-mini"));
	assert_string_equal(p, "{\"model\":\"gpt-4o-mini\"}");
	free(p);
	p = llm_invocation_parameters(static_config("a\"b"));
	assert_string_equal(p, "{\"model\":\"a\\\"b\"}");
	free(p);
}

/* Reply parsing, table-driven from tests/data/llm_replies.test. */

static void
check_ok_case(const char *want, const struct llm_result *res, int line)
{
	long long p, c, t;
	char finish[64], model[64];
	int off = -1;

	if (sscanf(want, "%lld %lld %lld %63s %63s%n", &p, &c, &t, finish,
	    model, &off) != 5 || off == -1)
		fail_msg("line %d: bad expectation", line);
	/* The content follows after one space, and may be empty. */
	if (want[off] == ' ')
		off++;
	if (strcmp(res->content, want + off) != 0)
		fail_msg("line %d: content '%s'", line, res->content);
	assert_int_equal(res->prompt_tokens, p);
	assert_int_equal(res->completion_tokens, c);
	assert_int_equal(res->total_tokens, t);
	assert_str_or_null(res->finish_reason, strcmp(finish, "-") ? finish :
	    NULL);
	assert_str_or_null(res->model, strcmp(model, "-") ? model : NULL);
}

/* One row of nf columns f: status, outcome, expectation, reply body. */
static void
run_reply_case(char **f, int nf, int lineno)
{
	char *status, *outcome, *want, *body;
	struct llm_result res;
	int rc;

	if (nf != 4)
		fail_msg("line %d: needs four columns", lineno);
	status = f[0];
	outcome = f[1];
	want = f[2];
	body = f[3];
	llm_result_init(&res);
	rc = llm_parse_reply(atol(status), body, strlen(body), DATA_SECRET,
	    &res);
	assert_int_equal(res.http_status, atol(status));
	if (strcmp(outcome, "ok") == 0) {
		if (rc != 0)
			fail_msg("line %d: %s", lineno, res.errmsg);
		assert_int_equal(res.error, LLM_OK);
		check_ok_case(want, &res, lineno);
	} else {
		if (rc != -1)
			fail_msg("line %d: accepted", lineno);
		assert_int_equal(res.error, strcmp(outcome, "http") == 0 ?
		    LLM_ERR_HTTP : LLM_ERR_RESPONSE);
		if (strcmp(res.errmsg, want) != 0)
			fail_msg("line %d: errmsg '%s'", lineno, res.errmsg);
		assert_null(res.content);
		assert_null(strstr(res.errmsg, DATA_SECRET));
	}
	llm_result_cleanup(&res);
}

static void
test_reply_table(void **state)
{
	struct testutil_table t;
	char *f[4];
	int nf, cases = 0;

	(void)state;
	testutil_table_open(&t, "llm_replies.test");
	while ((nf = testutil_next_case(&t, f, 4)) > 0) {
		run_reply_case(f, nf, t.lineno);
		cases++;
	}
	assert_true(cases >= 40);
	testutil_table_close(&t);
}

/* Token counts from usage, table-driven from tests/data/llm_usage.test. */

/* "-" is -1, not reported; else a count. */
static long long
usage_want(const char *w, int line)
{
	char *end;
	long long n;

	if (strcmp(w, "-") == 0)
		return -1;
	n = strtoll(w, &end, 10);
	if (end == w || *end != '\0' || n < 0)
		fail_msg("line %d: bad expectation '%s'", line, w);
	return n;
}

static void
run_usage_case(char **f, int nf, int lineno)
{
	char *body, *save = NULL, *w;
	struct llm_result res;
	int64_t *got[8];
	int i = 0;

	if (nf != 2)
		fail_msg("line %d: needs two columns", lineno);
	if (asprintf(&body, "{\"choices\":[{\"message\":{\"content\":"
	    "\"x\"}}],\"usage\":%s}", f[1]) == -1)
		fail();
	llm_result_init(&res);
	if (llm_parse_reply(200, body, strlen(body), NULL, &res) != 0)
		fail_msg("line %d: %s", lineno, res.errmsg);
	got[0] = &res.prompt_tokens;
	got[1] = &res.completion_tokens;
	got[2] = &res.total_tokens;
	got[3] = &res.cache_read_tokens;
	got[4] = &res.cache_write_tokens;
	got[5] = &res.prompt_audio_tokens;
	got[6] = &res.reasoning_tokens;
	got[7] = &res.completion_audio_tokens;
	for (w = strtok_r(f[0], " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save), i++) {
		if (i >= 8)
			fail_msg("line %d: more than eight counts", lineno);
		if (*got[i] != usage_want(w, lineno))
			fail_msg("line %d: count %d is %lld, not %s", lineno,
			    i + 1, (long long)*got[i], w);
	}
	if (i != 8)
		fail_msg("line %d: fewer than eight counts", lineno);
	llm_result_cleanup(&res);
	free(body);
}

static void
test_usage_table(void **state)
{
	struct testutil_table t;
	char *f[2];
	int nf, cases = 0;

	(void)state;
	testutil_table_open(&t, "llm_usage.test");
	while ((nf = testutil_next_case(&t, f, 2)) > 0) {
		run_usage_case(f, nf, t.lineno);
		cases++;
	}
	assert_true(cases >= 20);
	testutil_table_close(&t);
}

/* An empty result reports nothing, details included. */
static void
test_result_init(void **state)
{
	struct llm_result res;

	(void)state;
	memset(&res, 0x5a, sizeof(res));
	llm_result_init(&res);
	assert_null(res.content);
	assert_int_equal(res.prompt_tokens, -1);
	assert_int_equal(res.cache_read_tokens, -1);
	assert_int_equal(res.cache_write_tokens, -1);
	assert_int_equal(res.prompt_audio_tokens, -1);
	assert_int_equal(res.reasoning_tokens, -1);
	assert_int_equal(res.completion_audio_tokens, -1);
}

static void
test_reply_not_nul_terminated(void **state)
{
	const char body[] = "{\"choices\":[{\"message\":{\"content\":\"ab\"}}]}"
	    "GARBAGE";
	struct llm_result res;

	(void)state;
	llm_result_init(&res);
	/* Only len bytes count, wherever the NUL is. */
	assert_int_equal(llm_parse_reply(200, body, sizeof(body) - 1 - 7, NULL,
	    &res), 0);
	assert_string_equal(res.content, "ab");
	llm_result_cleanup(&res);
	llm_result_init(&res);
	assert_int_equal(llm_parse_reply(200, body, sizeof(body), NULL, &res),
	    -1);
	assert_int_equal(res.error, LLM_ERR_RESPONSE);
	llm_result_cleanup(&res);
}

static void
test_reply_error_cut(void **state)
{
	char body[1024], msg[600];
	struct llm_result res;
	size_t dlen;

	(void)state;
	/* 149 ASCII bytes, then a 2-byte character across the cut at 150. */
	memset(msg, 'a', 149);
	memcpy(msg + 149, "\xc3\xa9 tail that is cut off", 23);
	msg[172] = '\0';
	snprintf(body, sizeof(body), "{\"error\":{\"message\":\"%s\"}}", msg);
	llm_result_init(&res);
	assert_int_equal(llm_parse_reply(400, body, strlen(body), NULL, &res),
	    -1);
	assert_int_equal(res.error, LLM_ERR_HTTP);
	assert_ptr_equal(strstr(res.errmsg,
	    "model endpoint answered HTTP 400: aaa"), res.errmsg);
	dlen = strlen(res.errmsg) - strlen("model endpoint answered HTTP 400: ");
	assert_true(dlen <= 150);
	assert_int_equal(dlen, 149);
	assert_null(strstr(res.errmsg, "tail"));
	llm_result_cleanup(&res);
}

static void
test_reply_key_across_cut(void **state)
{
	char body[1024];
	struct llm_result res;

	(void)state;
	/* The key starts at byte 140 of the message: a cut at 150 would keep
	 * its first ten characters if the key were removed after cutting. */
	snprintf(body, sizeof(body), "{\"error\":{\"message\":\"%.*s%s and "
	    "more\"}}", 140, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxx", TEST_KEY);
	llm_result_init(&res);
	assert_int_equal(llm_parse_reply(401, body, strlen(body), TEST_KEY,
	    &res), -1);
	assert_null(strstr(res.errmsg, "sk-test"));
	assert_non_null(strstr(res.errmsg, "[redacted]"));
	llm_result_cleanup(&res);
}

/* The client against mock-llm. */

struct mock {
	pid_t	 pid;
	int	 port;
	char	 dir[64];
	char	 log[128];
};

static struct mock mock = { .pid = -1 };

static char *
mock_binary(void)
{
	const char *env = getenv("MOCK_LLM");
	char self[PATH_MAX], *path;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return strdup(env);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) == -1)
		return NULL;
	self[n] = '\0';
	if (asprintf(&path, "%s/mock-llm", dirname(self)) == -1)
		abort();
	return path;
}

static int
read_port(const char *path)
{
	FILE *fp;
	int port = -1;

	for (int i = 0; i < 500 && port == -1; i++) {
		if ((fp = fopen(path, "r")) != NULL) {
			if (fscanf(fp, "%d\n", &port) != 1)
				port = -1;
			fclose(fp);
		}
		if (port == -1)
			usleep(10000);
	}
	return port;
}

static int
mock_start(void **state)
{
	char *bin = mock_binary(), pf[160];

	(void)state;
	if (bin == NULL || access(bin, X_OK) == -1) {
		fprintf(stderr, "mock-llm not found (%s); set MOCK_LLM\n",
		    bin ? bin : "?");
		free(bin);
		return -1;
	}
	if (testutil_mkdtemp(mock.dir, sizeof(mock.dir), "test_llm") == NULL ||
	    httpc_global_init() == -1)
		return -1;
	snprintf(pf, sizeof(pf), "%s/port", mock.dir);
	snprintf(mock.log, sizeof(mock.log), "%s/requests.log", mock.dir);
	if ((mock.pid = fork()) == 0) {
		execl(bin, "mock-llm", "--listen", "127.0.0.1:0", "--port-file",
		    pf, "--log", mock.log, (char *)NULL);
		_exit(127);
	}
	free(bin);
	if (mock.pid == -1 || (mock.port = read_port(pf)) <= 0)
		return -1;
	unlink(pf);
	return 0;
}

static int
mock_stop(void **state)
{
	int status = -1, rc;

	(void)state;
	httpc_global_cleanup();
	if (mock.pid <= 0)
		return -1;
	kill(mock.pid, SIGTERM);
	rc = waitpid(mock.pid, &status, 0) == mock.pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	if (rc == -1)
		fprintf(stderr, "mock-llm did not exit 0 on SIGTERM\n");
	unlink(mock.log);
	rmdir(mock.dir);
	return rc;
}

/* Environment for a client of the mock; key may be NULL. */
static int
mock_env(void **state)
{
	char url[128];

	clear_env(state);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/", mock.port);
	setenv("MODEL_NAME", "openai/test-model", 1);
	setenv("OPENAI_BASE_URL", url, 1);
	setenv("OPENAI_API_KEY", TEST_KEY, 1);
	return 0;
}

struct call {
	struct llm_config	 cfg;
	struct llm_client	*client;
	struct llm_result	 res;
	int			 rc;
};

static void
call_open(struct call *c)
{
	char err[256];

	if (llm_config_from_env(&c->cfg, err, sizeof(err)) == -1)
		fail_msg("config: %s", err);
	assert_non_null(c->client = llm_client_new(&c->cfg));
}

static void
call_do(struct call *c, const char *user, const char *traceparent)
{
	const struct llm_message msgs[] = {
		{ "system", "You are a chef." },
		{ "user", user },
	};

	c->rc = llm_complete(c->client, msgs, 2, traceparent, &c->res);
}

static void
call_close(struct call *c)
{
	llm_result_cleanup(&c->res);
	llm_client_free(c->client);
	llm_config_cleanup(&c->cfg);
}

/* The log line of the request whose last message contains marker; NULL
 * if none. Caller puts. Fails when there is more than one. */
static json_object *
mock_logged(const char *marker)
{
	FILE *fp = fopen(mock.log, "r");
	json_object *found = NULL, *o;
	char *line = NULL;
	size_t cap = 0;

	assert_non_null(fp);
	while (getline(&line, &cap, fp) != -1) {
		if (strstr(line, marker) == NULL)
			continue;
		assert_null(found);
		assert_non_null(o = json_tokener_parse(line));
		found = o;
	}
	free(line);
	fclose(fp);
	return found;
}

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void
assert_failed(struct call *c, enum llm_error e)
{
	if (c->rc != -1 || c->res.error != e)
		fail_msg("rc %d error %d (want %d): %s", c->rc, c->res.error, e,
		    c->res.errmsg);
	assert_true(c->res.errmsg[0] != '\0');
	assert_null(strstr(c->res.errmsg, TEST_KEY));
	assert_null(strstr(c->res.errmsg, "Zq7unique"));
}

static void
test_client_success(void **state)
{
	const char *tp = "00-0af7651916cd43dd8448eb211c80319c-"
	    "b7ad6b7169203331-01";
	json_object *log, *body, *msgs;
	struct call c;

	(void)state;
	call_open(&c);
	call_do(&c, "hello MARK-success", tp);
	if (c.rc != 0)
		fail_msg("%s", c.res.errmsg);
	assert_int_equal(c.res.error, LLM_OK);
	assert_int_equal(c.res.http_status, 200);
	assert_string_equal(c.res.content, "mock reply to: hello MARK-success");
	assert_string_equal(c.res.finish_reason, "stop");
	assert_string_equal(c.res.model, "mock-model");
	assert_int_equal(c.res.prompt_tokens, 6);
	assert_int_equal(c.res.completion_tokens, 5);
	assert_int_equal(c.res.total_tokens, 11);
	assert_non_null(log = mock_logged("MARK-success"));
	assert_string_equal(json_object_get_string(jget(log, "method")), "POST");
	assert_string_equal(json_object_get_string(jget(log, "path")),
	    "/v1/chat/completions");
	assert_string_equal(json_object_get_string(jget(log, "traceparent")),
	    tp);
	assert_true(json_object_get_boolean(jget(log,
	    "authorization_present")));
	body = jget(log, "body");
	assert_string_equal(json_object_get_string(jget(body, "model")),
	    "test-model");
	msgs = jget(body, "messages");
	assert_int_equal(json_object_array_length(msgs), 2);
	assert_string_equal(json_object_get_string(jget(
	    json_object_array_get_idx(msgs, 0), "role")), "system");
	json_object_put(log);
	call_close(&c);
}

/* Usage details over the wire, as OpenAI sends them for a cached prompt. */
static void
test_client_usage_details(void **state)
{
	struct call c;

	(void)state;
	call_open(&c);
	call_do(&c, "MOCK_USAGE=prompt_tokens=1200,prompt_tokens_details."
	    "cached_tokens=1024,completion_tokens_details.reasoning_tokens=0",
	    NULL);
	if (c.rc != 0)
		fail_msg("%s", c.res.errmsg);
	assert_int_equal(c.res.prompt_tokens, 1200);
	assert_int_equal(c.res.cache_read_tokens, 1024);
	assert_int_equal(c.res.reasoning_tokens, 0);
	assert_int_equal(c.res.cache_write_tokens, -1);
	assert_int_equal(c.res.prompt_audio_tokens, -1);
	assert_int_equal(c.res.completion_audio_tokens, -1);
	assert_int_equal(c.res.total_tokens, 1200 + c.res.completion_tokens);
	call_close(&c);
}

static void
test_client_headers_absent(void **state)
{
	json_object *log;
	struct call c;

	(void)state;
	unsetenv("OPENAI_API_KEY");
	call_open(&c);
	call_do(&c, "MARK-nokey", NULL);
	assert_int_equal(c.rc, 0);
	assert_non_null(log = mock_logged("MARK-nokey"));
	assert_false(json_object_get_boolean(jget(log,
	    "authorization_present")));
	assert_null(jget(log, "traceparent"));
	json_object_put(log);
	/* A traceparent that could inject a header is not sent. */
	llm_result_cleanup(&c.res);
	call_do(&c, "MARK-badtp", "00-abc\r\nX-Injected: 1");
	assert_int_equal(c.rc, 0);
	assert_non_null(log = mock_logged("MARK-badtp"));
	assert_null(jget(log, "traceparent"));
	json_object_put(log);
	call_close(&c);
}

static void
test_client_http_error(void **state)
{
	struct call c;

	(void)state;
	call_open(&c);
	call_do(&c, "MOCK_STATUS=500 MARK-500", NULL);
	assert_failed(&c, LLM_ERR_HTTP);
	assert_int_equal(c.res.http_status, 500);
	assert_string_equal(c.res.errmsg,
	    "model endpoint answered HTTP 500: mock failure");
	assert_null(c.res.content);
	call_close(&c);
}

static void
test_client_echoed_key(void **state)
{
	struct call c;

	(void)state;
	call_open(&c);
	call_do(&c, "MOCK_ECHO_AUTH MARK-echo", NULL);
	assert_failed(&c, LLM_ERR_HTTP);
	assert_int_equal(c.res.http_status, 401);
	/* The mock did echo the key, and it was removed. */
	assert_string_equal(c.res.errmsg, "model endpoint answered HTTP 401: "
	    "invalid credentials: Bearer [redacted]");
	call_close(&c);
}

static void
test_client_garbage(void **state)
{
	struct call c;

	(void)state;
	call_open(&c);
	call_do(&c, "MOCK_GARBAGE", NULL);
	assert_failed(&c, LLM_ERR_RESPONSE);
	assert_int_equal(c.res.http_status, 200);
	assert_string_equal(c.res.errmsg,
	    "model endpoint reply is not a JSON object");
	call_close(&c);
}

static void
test_client_huge(void **state)
{
	struct call c;
	char want[128];

	(void)state;
	call_open(&c);
	call_do(&c, "MOCK_HUGE", NULL);
	assert_failed(&c, LLM_ERR_RESPONSE);
	snprintf(want, sizeof(want), "model endpoint response larger than %d "
	    "bytes", LLM_MAX_RESPONSE);
	assert_string_equal(c.res.errmsg, want);
	/* The client is still usable: the buffer starts empty again. */
	llm_result_cleanup(&c.res);
	call_do(&c, "after huge", NULL);
	assert_int_equal(c.rc, 0);
	assert_string_equal(c.res.content, "mock reply to: after huge");
	call_close(&c);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_client_timeout(void **state)
{
	struct call c;
	double t0, elapsed;

	(void)state;
	setenv("LLM_TIMEOUT_S", "1", 1);
	call_open(&c);
	t0 = now_s();
	call_do(&c, "MOCK_DELAY=6000", NULL);
	elapsed = now_s() - t0;
	assert_failed(&c, LLM_ERR_TIMEOUT);
	assert_string_equal(c.res.errmsg, "model endpoint timed out after 1 s");
	assert_int_equal(c.res.http_status, 0);
	/* Cut at 1 s, well before the model's 6 s answer: the upper bound
	 * leaves 3x headroom for a sanitizer build on busy cores. */
	if (elapsed < 0.9 || elapsed > 4.0)
		fail_msg("a 1 s timeout ended the call after %.3f s", elapsed);
	call_close(&c);
}

static void
test_client_closed_connection(void **state)
{
	struct call c;

	(void)state;
	call_open(&c);
	call_do(&c, "MOCK_CLOSE", NULL);
	assert_failed(&c, LLM_ERR_CONNECT);
	assert_int_equal(c.res.http_status, 0);
	call_close(&c);
}

/* A loopback port bound but not listening, held on *fd until the caller
 * closes it: connections are refused, and no other process can take the
 * port meanwhile. */
static int
closed_port(int *fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((*fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static void
test_client_refused(void **state)
{
	struct call c;
	char url[64];
	int fd;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1", closed_port(&fd));
	setenv("OPENAI_BASE_URL", url, 1);
	call_open(&c);
	call_do(&c, "nobody listens", NULL);
	close(fd);
	assert_failed(&c, LLM_ERR_CONNECT);
	assert_int_equal(c.res.http_status, 0);
	assert_ptr_equal(strstr(c.res.errmsg, "model endpoint unreachable: "),
	    c.res.errmsg);
	call_close(&c);
}

static int
logged_conn(const char *marker)
{
	json_object *log = mock_logged(marker);
	int conn;

	assert_non_null(log);
	conn = json_object_get_int(jget(log, "conn"));
	json_object_put(log);
	assert_true(conn > 0);
	return conn;
}

static void
test_client_keepalive(void **state)
{
	struct call a, b;

	(void)state;
	call_open(&a);
	call_open(&b);
	call_do(&a, "MARK-ka-1", NULL);
	assert_int_equal(a.rc, 0);
	llm_result_cleanup(&a.res);
	call_do(&a, "MOCK_STATUS=503 MARK-ka-2", NULL);
	assert_failed(&a, LLM_ERR_HTTP);
	llm_result_cleanup(&a.res);
	call_do(&a, "MARK-ka-3", NULL);
	assert_int_equal(a.rc, 0);
	call_do(&b, "MARK-ka-other", NULL);
	assert_int_equal(b.rc, 0);
	/* One TCP connection per client, kept across calls and errors. */
	assert_int_equal(logged_conn("MARK-ka-1"), logged_conn("MARK-ka-2"));
	assert_int_equal(logged_conn("MARK-ka-1"), logged_conn("MARK-ka-3"));
	assert_int_not_equal(logged_conn("MARK-ka-1"),
	    logged_conn("MARK-ka-other"));
	call_close(&a);
	call_close(&b);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test_setup(test_provider_table, clear_env),
		cmocka_unit_test_setup(test_provider_errors, clear_env),
		cmocka_unit_test_setup(test_timeout_bounds, clear_env),
		cmocka_unit_test(test_request_body),
		cmocka_unit_test(test_request_body_empty),
		cmocka_unit_test(test_invocation_parameters),
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_usage_table),
		cmocka_unit_test(test_result_init),
		cmocka_unit_test(test_reply_not_nul_terminated),
		cmocka_unit_test(test_reply_error_cut),
		cmocka_unit_test(test_reply_key_across_cut),
	};
	const struct CMUnitTest client[] = {
		cmocka_unit_test_setup(test_client_success, mock_env),
		cmocka_unit_test_setup(test_client_usage_details, mock_env),
		cmocka_unit_test_setup(test_client_headers_absent, mock_env),
		cmocka_unit_test_setup(test_client_http_error, mock_env),
		cmocka_unit_test_setup(test_client_echoed_key, mock_env),
		cmocka_unit_test_setup(test_client_garbage, mock_env),
		cmocka_unit_test_setup(test_client_huge, mock_env),
		cmocka_unit_test_setup(test_client_timeout, mock_env),
		cmocka_unit_test_setup(test_client_closed_connection,
		    mock_env),
		cmocka_unit_test_setup(test_client_refused, mock_env),
		cmocka_unit_test_setup(test_client_keepalive, mock_env),
	};
	int failed;

	failed = cmocka_run_group_tests_name("llm", unit, NULL, NULL);
	failed += cmocka_run_group_tests_name("llm_client", client,
	    mock_start, mock_stop);
	return failed != 0;
}
