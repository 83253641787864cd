/* offline-llm.c - the offline recipe model as an OpenAI-compatible
 * FastCGI endpoint (POST /v1/chat/completions, GET /v1/models,
 * GET /healthz), answering from the shipped recipe collection. Options,
 * configuration and routing; the API's bodies are lib/serve/completions.c
 * and the answers lib/serve/recipebook.c. Its statics take the prefix
 * offline_. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>

#include "buf.h"
#include "completions.h"
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

#define OFFLINE_MAX_BODY	BUF_LIMIT_REQUEST_BODY

static const char	*offline_listen;
static long long	 offline_workers = 1;
static long long	 offline_threads = 16;
static const char	*offline_recipes;
static const char	*offline_log_level;

static int
offline_check_log_level(const char *val, char *err, size_t errlen)
{
	enum log_level l;

	if (log_parse_level(val, &l) == 0)
		return 0;
	snprintf(err, errlen, "must be error, warn, info or debug");
	return -1;
}

static const struct config_entry offline_config[] = {
	{ "OFFLINE_LISTEN", "127.0.0.1:9001", CONFIG_STR, 0, 0, &offline_listen,
	    "path or host:port to listen on", NULL },
	{ "OFFLINE_WORKERS", "1", CONFIG_INT, 1, 64, &offline_workers,
	    "worker processes", NULL },
	{ "OFFLINE_THREADS", "16", CONFIG_INT, 1, 256, &offline_threads,
	    "threads per worker", NULL },
	{ "RECIPES_FILE", RC_DATA_DIR "/recipes.json", CONFIG_STR, 0, 0,
	    &offline_recipes, "the recipe collection", NULL },
	{ "LOG_LEVEL", "info", CONFIG_STR, 0, 0, &offline_log_level,
	    "error, warn, info or debug", offline_check_log_level },
};
#define OFFLINE_NCONFIG (sizeof(offline_config) / sizeof(offline_config[0]))

static void
offline_respond(FCGX_Request *req, int status, const char *extra,
    char *body)
{
	fcgiio_respond(req, status, "application/json", extra, body,
	    strlen(body));
	free(body);
}

static void
offline_error(FCGX_Request *req, int status, const char *extra,
    const char *msg)
{
	offline_respond(req, status, extra, completions_error_json(status,
	    msg));
}

static void
offline_chat(FCGX_Request *req, const struct recipebook *book)
{
	struct completions_request creq = { 0 };
	struct recipebook_choice choice;
	const char *tp;
	char *reply = NULL, err[160];
	struct buf body;
	int status;

	buf_init(&body, OFFLINE_MAX_BODY);
	if ((tp = FCGX_GetParam("HTTP_TRACEPARENT", req->envp)) != NULL)
		log_debug("%s: traceparent %s", __func__, tp);
	if (fcgiio_read_body(req, &body, &status, err, sizeof(err)) == -1) {
		offline_error(req, status, NULL, err);
		goto out;
	}
	if (completions_parse_request(body.data, body.len, &creq, err,
	    sizeof(err)) == -1) {
		offline_error(req, 400, NULL, err);
		goto out;
	}
	if ((reply = recipebook_reply(book, creq.msgs, creq.n,
	    &choice)) == NULL) {
		offline_error(req, 500, NULL, "the reply is too large");
		goto out;
	}
	log_debug("%s: %zu messages -> %s", __func__, creq.n,
	    choice.recipe_id != NULL ? choice.recipe_id : "refusal");
	offline_respond(req, 200, NULL, completions_reply_json(body.data,
	    body.len, &creq, reply, time(NULL)));
out:
	free(reply);
	completions_request_cleanup(&creq);
	buf_cleanup(&body);
}

/* The request path without the query string. */
static const char *
offline_path(FCGX_Request *req, char *tmp, size_t len)
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
offline_handle(FCGX_Request *req, void *tctx)
{
	const struct recipebook *book = tctx;
	const char *method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	const char *path;
	char tmp[1024];
	int get;

	path = offline_path(req, tmp, sizeof(tmp));
	get = method != NULL && strcmp(method, "GET") == 0;
	if (strcmp(path, "/v1/chat/completions") == 0) {
		if (method != NULL && strcmp(method, "POST") == 0)
			offline_chat(req, book);
		else
			offline_error(req, 405, "Allow: POST\r\n",
			    "use POST for /v1/chat/completions");
	} else if (strcmp(path, "/v1/models") == 0 ||
	    strcmp(path, "/healthz") == 0) {
		if (!get)
			offline_error(req, 405, "Allow: GET\r\n",
			    "use GET for this path");
		else if (path[1] == 'v')
			offline_respond(req, 200, NULL,
			    completions_models_json());
		else
			offline_respond(req, 200, NULL,
			    xstrdup("{\"status\":\"ok\"}"));
	} else
		offline_error(req, 404, NULL, "unknown path");
}

static void *
offline_thread_init(void *arg)
{
	return arg;	/* the book is read-only: all threads share it */
}

static void
offline_usage(FILE *fp)
{
	fprintf(fp, "usage: offline-llm [--listen ADDR]\n"
	    "Serves the offline recipe model as an OpenAI-compatible FastCGI "
	    "endpoint.\n\n  --listen ADDR   overrides OFFLINE_LISTEN\n"
	    "  --help          this text\n\nEnvironment:\n");
	config_usage(fp, offline_config, OFFLINE_NCONFIG);
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
			offline_usage(stdout);
			return 0;
		case 'l':
			listen_opt = optarg;
			break;
		default:
			offline_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		offline_usage(stderr);
		return 2;
	}
	log_init("offline-llm", LOG_LVL_INFO);
	if (config_load(offline_config, OFFLINE_NCONFIG, err,
	    sizeof(err)) == -1)
		fatalx("config: %s", err);
	if (log_parse_level(offline_log_level, &level) == 0)
		log_init("offline-llm", level);
	if (recipebook_load(offline_recipes, &book, err, sizeof(err)) == -1)
		fatalx("recipes: %s", err);
	log_info("%zu recipes from %s; model %s", recipebook_count(book),
	    offline_recipes, COMPLETIONS_MODEL);
	pc.listen = listen_opt != NULL ? listen_opt : offline_listen;
	pc.workers = (int)offline_workers;
	pc.threads = (int)offline_threads;
	pc.backlog = 128;
	pc.stop_timeout_s = 10;
	hooks.thread_init = offline_thread_init;
	hooks.handle = offline_handle;
	hooks.arg = book;
	rc = pool_run(&pc, &hooks);
	recipebook_free(book);
	return rc;
}
