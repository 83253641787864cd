/* offline-llm.c - the offline recipe model as an OpenAI-compatible
 * FastCGI endpoint (POST /v1/chat/completions, GET /v1/models,
 * GET /healthz), answering from the shipped recipe collection. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "fcgiio.h"
#include "log.h"
#include "pool.h"
#include "recipebook.h"
#include "xalloc.h"

/* Where data/recipes.json lives; the build passes the source tree's. */
#ifndef RC_DATA_DIR
#define RC_DATA_DIR "data"
#endif

#define OFFLINE_MODEL		"offline-recipe-model"
#define OFFLINE_MAX_BODY	BUF_LIMIT_REQUEST_BODY
#define OFFLINE_MAX_MESSAGES	1000

static const char	*cfg_listen;
static long long	 cfg_workers = 1;
static long long	 cfg_threads = 16;
static const char	*cfg_recipes;
static const char	*cfg_log_level;

static int
check_log_level(const char *val, char *err, size_t errlen)
{
	enum log_level l;

	if (log_parse_level(val, &l) == 0)
		return 0;
	snprintf(err, errlen, "must be error, warn, info or debug");
	return -1;
}

static const struct config_entry config_table[] = {
	{ "OFFLINE_LISTEN", "127.0.0.1:9001", CONFIG_STR, 0, 0, &cfg_listen,
	    "path or host:port to listen on", NULL },
	{ "OFFLINE_WORKERS", "1", CONFIG_INT, 1, 64, &cfg_workers,
	    "worker processes", NULL },
	{ "OFFLINE_THREADS", "16", CONFIG_INT, 1, 256, &cfg_threads,
	    "threads per worker", NULL },
	{ "RECIPES_FILE", RC_DATA_DIR "/recipes.json", CONFIG_STR, 0, 0,
	    &cfg_recipes, "the recipe collection", NULL },
	{ "LOG_LEVEL", "info", CONFIG_STR, 0, 0, &cfg_log_level,
	    "error, warn, info or debug", check_log_level },
};
#define CONFIG_N (sizeof(config_table) / sizeof(config_table[0]))

/* ---- Responses ----------------------------------------------------------- */

static void
respond(FCGX_Request *req, int status, const char *extra, const char *body)
{
	fcgiio_respond(req, status, "application/json", extra, body,
	    strlen(body));
}

/* {"error": {"message", "type", "param": null, "code": null}} */
static void
respond_error(FCGX_Request *req, int status, const char *extra,
    const char *msg)
{
	json_object *root = json_object_new_object(), *e;

	e = json_object_new_object();
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(
	    status >= 500 ? "server_error" : "invalid_request_error"));
	json_object_object_add(e, "param", NULL);
	json_object_object_add(e, "code", NULL);
	json_object_object_add(root, "error", e);
	respond(req, status, extra, json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void
respond_json(FCGX_Request *req, json_object *root)
{
	respond(req, 200, NULL, json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static uint64_t
fnv1a64(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static json_object *
usage_json(const struct llm_message *msgs, size_t n, const char *reply)
{
	json_object *u = json_object_new_object();
	int64_t prompt = 0, completion;

	for (size_t i = 0; i < n; i++)
		prompt += (int64_t)recipebook_count_words(msgs[i].content);
	completion = (int64_t)recipebook_count_words(reply);
	json_object_object_add(u, "prompt_tokens", json_object_new_int64(prompt));
	json_object_object_add(u, "completion_tokens",
	    json_object_new_int64(completion));
	json_object_object_add(u, "total_tokens",
	    json_object_new_int64(prompt + completion));
	return u;
}

/* The OpenAI chat.completion object for one reply. json-c: the caller
 * puts the returned tree. */
static json_object *
completion_json(const struct buf *body, const struct llm_message *msgs,
    size_t n, const char *reply)
{
	json_object *root = json_object_new_object(), *choices, *choice, *msg;
	char id[64];

	snprintf(id, sizeof(id), "chatcmpl-offline-%016llx",
	    (unsigned long long)fnv1a64(body->data, body->len));
	msg = json_object_new_object();
	json_object_object_add(msg, "role", json_object_new_string("assistant"));
	json_object_object_add(msg, "content", json_object_new_string(reply));
	choice = json_object_new_object();
	json_object_object_add(choice, "index", json_object_new_int(0));
	json_object_object_add(choice, "message", msg);
	json_object_object_add(choice, "finish_reason",
	    json_object_new_string("stop"));
	choices = json_object_new_array();
	json_object_array_add(choices, choice);
	json_object_object_add(root, "id", json_object_new_string(id));
	json_object_object_add(root, "object",
	    json_object_new_string("chat.completion"));
	json_object_object_add(root, "created",
	    json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(root, "model",
	    json_object_new_string(OFFLINE_MODEL));
	json_object_object_add(root, "choices", choices);
	json_object_object_add(root, "usage", usage_json(msgs, n, reply));
	return root;
}

/* ---- Requests ------------------------------------------------------------ */

static int
parse_message(json_object *o, struct llm_message *m, const char **why)
{
	static const char *const roles[] = { "system", "developer", "user",
	    "assistant", "tool" };
	json_object *role, *content;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "role", &role) ||
	    !json_object_object_get_ex(o, "content", &content)) {
		*why = "each message must be an object with role and content";
		return -1;
	}
	if (!json_object_is_type(role, json_type_string) ||
	    !json_object_is_type(content, json_type_string)) {
		*why = "message role and content must be strings";
		return -1;
	}
	m->role = json_object_get_string(role);
	m->content = json_object_get_string(content);
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(m->role, roles[i]) == 0)
			return 0;
	*why = "message role must be system, developer, user, assistant "
	    "or tool";
	return -1;
}

/* Validate {"model"?, "messages": [...], "stream"?}. On success *msgs
 * (caller frees) points into root, which the caller puts. */
static int
parse_request(json_object *root, struct llm_message **msgs, size_t *n,
    const char **why)
{
	json_object *arr, *v;

	*msgs = NULL;
	if (!json_object_is_type(root, json_type_object)) {
		*why = "the request body must be a JSON object";
		return -1;
	}
	if (json_object_object_get_ex(root, "model", &v) &&
	    !json_object_is_type(v, json_type_string)) {
		*why = "model must be a string";
		return -1;
	}
	if (json_object_object_get_ex(root, "stream", &v) &&
	    json_object_get_boolean(v)) {
		*why = "stream is not supported by the offline model";
		return -1;
	}
	if (!json_object_object_get_ex(root, "messages", &arr) ||
	    !json_object_is_type(arr, json_type_array) ||
	    (*n = json_object_array_length(arr)) == 0 ||
	    *n > OFFLINE_MAX_MESSAGES) {
		*why = "messages must be an array of 1 to 1000 messages";
		return -1;
	}
	*msgs = xcalloc(*n, sizeof(**msgs));
	for (size_t i = 0; i < *n; i++)
		if (parse_message(json_object_array_get_idx(arr, i),
		    &(*msgs)[i], why) == -1)
			return -1;
	return 0;
}

static void
handle_chat(FCGX_Request *req, const struct recipebook *book)
{
	struct llm_message *msgs = NULL;
	struct recipebook_choice choice;
	json_object *root = NULL;
	const char *why, *tp;
	char *reply = NULL, err[160];
	struct buf body;
	size_t n = 0;
	int status;

	buf_init(&body, OFFLINE_MAX_BODY);
	if ((tp = FCGX_GetParam("HTTP_TRACEPARENT", req->envp)) != NULL)
		log_debug("%s: traceparent %s", __func__, tp);
	if (fcgiio_read_body(req, &body, &status, err, sizeof(err)) == -1) {
		respond_error(req, status, NULL, err);
		goto out;
	}
	root = json_tokener_parse(body.data != NULL ? body.data : "");
	if (root == NULL) {
		respond_error(req, 400, NULL, "the request body is not valid "
		    "JSON");
		goto out;
	}
	if (parse_request(root, &msgs, &n, &why) == -1) {
		respond_error(req, 400, NULL, why);
		goto out;
	}
	if ((reply = recipebook_reply(book, msgs, n, &choice)) == NULL) {
		respond_error(req, 500, NULL, "the reply is too large");
		goto out;
	}
	log_debug("%s: %zu messages -> %s", __func__, n,
	    choice.recipe_id != NULL ? choice.recipe_id : "refusal");
	respond_json(req, completion_json(&body, msgs, n, reply));
out:
	free(reply);
	free(msgs);
	json_object_put(root);
	buf_cleanup(&body);
}

static void
handle_models(FCGX_Request *req)
{
	json_object *root = json_object_new_object(), *list, *m;

	m = json_object_new_object();
	json_object_object_add(m, "id", json_object_new_string(OFFLINE_MODEL));
	json_object_object_add(m, "object", json_object_new_string("model"));
	json_object_object_add(m, "created", json_object_new_int64(0));
	json_object_object_add(m, "owned_by",
	    json_object_new_string("recipe-chat"));
	list = json_object_new_array();
	json_object_array_add(list, m);
	json_object_object_add(root, "object", json_object_new_string("list"));
	json_object_object_add(root, "data", list);
	respond_json(req, root);
}

/* The request path without the query string. */
static const char *
request_path(FCGX_Request *req, char *tmp, size_t len)
{
	const char *p = FCGX_GetParam("DOCUMENT_URI", req->envp);

	if (p != NULL && *p != '\0')
		return p;
	if ((p = FCGX_GetParam("REQUEST_URI", req->envp)) == NULL)
		p = FCGX_GetParam("SCRIPT_NAME", req->envp);
	snprintf(tmp, len, "%.*s", (int)strcspn(p ? p : "", "?"), p ? p : "");
	return tmp;
}

static void
handle(FCGX_Request *req, void *tctx)
{
	const struct recipebook *book = tctx;
	const char *method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	const char *path;
	char tmp[1024];
	int get;

	path = request_path(req, tmp, sizeof(tmp));
	get = method != NULL && strcmp(method, "GET") == 0;
	if (strcmp(path, "/v1/chat/completions") == 0) {
		if (method != NULL && strcmp(method, "POST") == 0)
			handle_chat(req, book);
		else
			respond_error(req, 405, "Allow: POST\r\n",
			    "use POST for /v1/chat/completions");
	} else if (strcmp(path, "/v1/models") == 0 ||
	    strcmp(path, "/healthz") == 0) {
		if (!get)
			respond_error(req, 405, "Allow: GET\r\n",
			    "use GET for this path");
		else if (path[1] == 'v')
			handle_models(req);
		else
			respond(req, 200, NULL, "{\"status\":\"ok\"}");
	} else
		respond_error(req, 404, NULL, "unknown path");
}

static void *
thread_init(void *arg)
{
	return arg;	/* the book is read-only: all threads share it */
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: offline-llm [--listen ADDR]\n"
	    "Serves the offline recipe model as an OpenAI-compatible FastCGI "
	    "endpoint.\n\n  --listen ADDR   overrides OFFLINE_LISTEN\n"
	    "  --help          this text\n\nEnvironment:\n");
	config_usage(fp, config_table, CONFIG_N);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "listen", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct pool_hooks hooks = { 0 };
	struct pool_config pc = { 0 };
	const char *listen_opt = NULL;
	struct recipebook *book;
	enum log_level level;
	char err[512];
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "hl:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'l':
			listen_opt = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("offline-llm", LOG_LVL_INFO);
	if (config_load(config_table, CONFIG_N, err, sizeof(err)) == -1)
		fatalx("config: %s", err);
	if (log_parse_level(cfg_log_level, &level) == 0)
		log_init("offline-llm", level);
	if (recipebook_load(cfg_recipes, &book, err, sizeof(err)) == -1)
		fatalx("recipes: %s", err);
	log_info("%zu recipes from %s; model %s", recipebook_count(book),
	    cfg_recipes, OFFLINE_MODEL);
	pc.listen = listen_opt != NULL ? listen_opt : cfg_listen;
	pc.workers = (int)cfg_workers;
	pc.threads = (int)cfg_threads;
	pc.backlog = 128;
	pc.stop_timeout_s = 10;
	hooks.thread_init = thread_init;
	hooks.handle = handle;
	hooks.arg = book;
	rc = pool_run(&pc, &hooks);
	recipebook_free(book);
	return rc;
}
